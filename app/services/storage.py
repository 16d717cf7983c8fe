"""Where uploaded files live: one small interface, a local-disk adapter and an S3-compatible adapter.

Keys are made by the app, never taken from a user: `<business uuid>/<random hex>`. Adapters refuse any other
shape (no `..`, no absolute paths, no separators inside a part), so a key can never point outside the store.
Nothing here is reachable through a public URL; files are served only by views that check access first."""
from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Protocol

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class StorageError(Exception):
    """The store could not do what was asked."""


class ObjectMissing(StorageError):
    """No object under this key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


def new_key(business_id) -> str:
    """A fresh key for one business's file: `<business uuid>/<32 random hex digits>`."""
    return f"{uuid.UUID(str(business_id))}/{uuid.uuid4().hex}"


def check_key(key: str) -> list[str]:
    """The key's parts, or ValueError for anything that is not plain `part/part` made of safe characters."""
    if not isinstance(key, str) or not key or key.startswith("/") or "\\" in key:
        raise ValueError("unsafe storage key")
    parts = key.split("/")
    if len(parts) > 4 or any(p in ("", ".", "..") or not _KEY_PART.match(p) for p in parts):
        raise ValueError("unsafe storage key")
    return parts


class LocalStorage:
    """Files on disk under `root` (the app uses `<instance>/documents`), readable by the app's user only."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = self.root.joinpath(*check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError("unsafe storage key")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Write to a temporary file beside the target, then rename: a reader never sees half a file.
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass


class S3Storage:
    """Objects in an S3 bucket or an S3-compatible service (`endpoint_url`). Credentials and region come from
    boto3's usual sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, instance roles).
    boto3 is imported on first use, so it is only needed where this adapter is configured."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, prefix: str = "documents/", client=None):
        if not bucket:
            raise ValueError("S3Storage needs a bucket")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.prefix = prefix
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("s3", endpoint_url=self.endpoint_url)
        return self._client

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}{key}"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                raise ObjectMissing(key) from None
            raise
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _error_code(exc: Exception) -> str | None:
    """The S3 error code of a botocore ClientError (without importing botocore)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code"))
    return None


def storage_for(app) -> Storage:
    """The app's document store, built once from its configuration (tests may set app.extensions['storage'])."""
    store = app.extensions.get("storage")
    if store is None:
        if app.config.get("STORAGE_BACKEND", "local") == "s3":
            store = S3Storage(app.config["S3_BUCKET"], endpoint_url=app.config.get("S3_ENDPOINT_URL"))
        else:
            store = LocalStorage(Path(app.instance_path) / "documents")
        app.extensions["storage"] = store
    return store
