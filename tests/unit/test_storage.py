"""The document store: safe keys only, files private to the app, adapters chosen by configuration."""
import io
import stat
import uuid
from types import SimpleNamespace

import pytest

from app import config as config_module
from app.config import Config, ConfigError
from app.services.storage import LocalStorage, ObjectMissing, S3Storage, check_key, new_key, storage_for

BUSINESS = uuid.UUID("8b0c5c1e-3f57-4d43-9d2f-0b3c6a3f9a11")
ENV = {"SECRET_KEY": "unit-secret"}


@pytest.fixture(autouse=True)
def _app_context():
    """Pure storage tests: no app context, no database cleanup."""
    yield


def test_keys_are_made_by_the_app_and_scoped_to_the_business():
    first, second = new_key(BUSINESS), new_key(str(BUSINESS))
    assert first != second
    business, name = first.split("/")
    assert business == str(BUSINESS) and len(name) == 32 and int(name, 16) >= 0
    assert check_key(first) == [business, name]


@pytest.mark.parametrize("key", ["", "..", "../etc/passwd", "a/../b", "/abs/path", "a//b", "a\\b", "./a", "a/.",
                                 "a/b c", "a/.hidden", "a/b/c/d/e", "ä/b", None])
def test_unsafe_keys_are_refused(tmp_path, key):
    store = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        store.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        store.get(key)
    with pytest.raises(ValueError):
        store.delete(key)
    assert list(tmp_path.iterdir()) == []


def test_local_storage_round_trip_with_private_files(tmp_path):
    store = LocalStorage(tmp_path / "documents")
    key = new_key(BUSINESS)
    data = bytes(range(256)) * 100
    store.put(key, data, "application/pdf")
    path = tmp_path / "documents" / key
    assert path.read_bytes() == data and store.get(key) == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    store.put(key, b"replaced", "text/plain")
    assert store.get(key) == b"replaced"
    store.delete(key)
    assert not path.exists()
    store.delete(key)  # deleting twice is not an error
    with pytest.raises(ObjectMissing):
        store.get(key)


def test_a_symlink_out_of_the_root_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "documents"
    root.mkdir()
    (root / str(BUSINESS)).symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError):
        LocalStorage(root).put(f"{BUSINESS}/{'a' * 32}", b"x", "text/plain")
    assert list(outside.iterdir()) == []


class FakeS3:
    """Records calls the way botocore's client takes them (keyword arguments), raises ClientError-like errors."""

    class NoSuchKey(Exception):
        response = {"Error": {"Code": "NoSuchKey"}}

    def __init__(self):
        self.objects, self.calls = {}, []

    def put_object(self, **kwargs):
        self.calls.append(("put", kwargs["Bucket"], kwargs["Key"], kwargs["ContentType"]))
        self.objects[(kwargs["Bucket"], kwargs["Key"])] = kwargs["Body"]

    def get_object(self, **kwargs):
        self.calls.append(("get", kwargs["Bucket"], kwargs["Key"]))
        try:
            return {"Body": io.BytesIO(self.objects[(kwargs["Bucket"], kwargs["Key"])])}
        except KeyError:
            raise self.NoSuchKey() from None

    def delete_object(self, **kwargs):
        self.calls.append(("delete", kwargs["Bucket"], kwargs["Key"]))
        self.objects.pop((kwargs["Bucket"], kwargs["Key"]), None)


def test_s3_storage_speaks_the_s3_api_under_a_prefix():
    client = FakeS3()
    store = S3Storage("fc-docs", client=client)
    key = new_key(BUSINESS)
    store.put(key, b"%PDF-1.7", "application/pdf")
    assert store.get(key) == b"%PDF-1.7"
    store.delete(key)
    with pytest.raises(ObjectMissing):
        store.get(key)
    assert client.calls[0] == ("put", "fc-docs", f"documents/{key}", "application/pdf")
    assert ("delete", "fc-docs", f"documents/{key}") in client.calls
    with pytest.raises(ValueError):
        store.put("../other-bucket-prefix", b"x", "text/plain")
    assert len(client.objects) == 0


def test_storage_for_picks_local_under_the_instance_folder_by_default(tmp_path):
    app = SimpleNamespace(extensions={}, config={"STORAGE_BACKEND": "local"}, instance_path=str(tmp_path))
    store = storage_for(app)
    assert isinstance(store, LocalStorage) and store.root == (tmp_path / "documents").resolve()
    assert storage_for(app) is store  # built once


def test_storage_for_picks_s3_when_configured_without_importing_boto3_early():
    app = SimpleNamespace(extensions={}, instance_path="/nonexistent",
                          config={"STORAGE_BACKEND": "s3", "S3_BUCKET": "fc-docs",
                                  "S3_ENDPOINT_URL": "http://127.0.0.1:9000"})
    store = storage_for(app)
    assert isinstance(store, S3Storage)
    assert store.bucket == "fc-docs" and store.endpoint_url == "http://127.0.0.1:9000"


def test_config_defaults_to_local_storage():
    config = Config.from_env(ENV)
    assert config.STORAGE_BACKEND == "local" and config.S3_BUCKET is None
    assert config.as_flask_mapping()["STORAGE_BACKEND"] == "local"


def test_s3_without_a_bucket_names_s3_bucket():
    with pytest.raises(ConfigError, match="S3_BUCKET"):
        Config.from_env({**ENV, "STORAGE_BACKEND": "s3"})


def test_unknown_backend_names_storage_backend():
    with pytest.raises(ConfigError, match="STORAGE_BACKEND"):
        Config.from_env({**ENV, "STORAGE_BACKEND": "ftp"})


def test_s3_endpoint_must_be_a_url(monkeypatch):
    monkeypatch.setattr(config_module, "_module_available", lambda name: True)
    with pytest.raises(ConfigError, match="S3_ENDPOINT_URL"):
        Config.from_env({**ENV, "STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio:9000"})


def test_s3_needs_boto3_installed(monkeypatch):
    monkeypatch.setattr(config_module, "_module_available", lambda name: False)
    with pytest.raises(ConfigError, match="boto3"):
        Config.from_env({**ENV, "STORAGE_BACKEND": "s3", "S3_BUCKET": "b"})


def test_fully_configured_s3(monkeypatch):
    monkeypatch.setattr(config_module, "_module_available", lambda name: True)
    config = Config.from_env({**ENV, "STORAGE_BACKEND": "S3", "S3_BUCKET": "fc-docs",
                              "S3_ENDPOINT_URL": "https://s3.example.test"})
    assert (config.STORAGE_BACKEND, config.S3_BUCKET, config.S3_ENDPOINT_URL) == (
        "s3", "fc-docs", "https://s3.example.test")

