"""The AI engine's fixtures: the repository corpus copied once per test session (the files can change while the
suite runs; the copy cannot), the local engine trained on it once, and an app whose instance folder and corpus
point at them so the CLI finds that model instead of training its own."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.services.ai import corpus

FIXTURES = Path(__file__).parent / "fixtures"
TINY_CORPUS = FIXTURES / "tiny_corpus"


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("corpus")
    for path in corpus.files():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory, corpus_dir) -> Path:
    """An instance folder holding the model trained on `corpus_dir` (trained once per session)."""
    from app.services.ai.model_store import model_path, save, train

    folder = tmp_path_factory.mktemp("instance")
    save(train(corpus_dir), model_path(folder))
    return folder


@pytest.fixture(scope="session")
def engine(instance_dir, corpus_dir):
    from app.services.ai.local import LocalEngine

    engine = LocalEngine.for_instance(instance_dir, corpus_dir)
    engine.warm()
    assert not engine.store.trained_here  # loaded the session's model
    return engine


@pytest.fixture(scope="session")
def heldout(corpus_dir):
    return corpus.split(corpus.load(corpus_dir))[1]


@pytest.fixture
def ai_app(app, monkeypatch, instance_dir, corpus_dir):
    """The test app reading the session's corpus copy and model."""
    monkeypatch.setattr(app, "instance_path", str(instance_dir))
    monkeypatch.setitem(app.config, "AI_CORPUS_DIR", str(corpus_dir))
    app.extensions.pop("ai_local_engine", None)
    yield app
    app.extensions.pop("ai_local_engine", None)
