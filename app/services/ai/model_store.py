"""The trained classifiers on disk: `<instance>/ai/local-model.joblib`, stamped with the corpus hash.

`flask ai train` writes it; the engine loads it on first use and retrains when it is missing, unreadable, made by
another scikit-learn, or stale (the corpus changed since). Training always leaves out the held-out split, so
`flask ai eval --split heldout` measures text the model never saw. The file is written beside its final name and
renamed into place, so a process loading it never sees half a file.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import sklearn

from app.services.ai import corpus
from app.services.ai.classifier import Classifiers

FORMAT = 1
RELATIVE_PATH = Path("ai") / "local-model.joblib"


@dataclass
class Trained:
    classifiers: Classifiers
    corpus_hash: str
    n_train: int
    n_heldout: int
    seconds: float
    sklearn_version: str = sklearn.__version__
    format: int = FORMAT


def model_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / RELATIVE_PATH


def train(corpus_dir: Path | str | None = None) -> Trained:
    """Fit on the corpus's training split (CorpusError when a line is bad)."""
    started = time.perf_counter()
    digest = corpus.corpus_hash(corpus_dir)
    train_set, heldout = corpus.split(corpus.load(corpus_dir))
    if not train_set:
        raise ValueError(f"the corpus in {corpus_dir or corpus.CORPUS_DIR} has no examples to train on")
    classifiers = Classifiers().fit(train_set)
    return Trained(classifiers, digest, len(train_set), len(heldout), time.perf_counter() - started)


def save(trained: Trained, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    joblib.dump(trained, partial, compress=3)
    os.replace(partial, path)


def load(path: Path) -> Trained | None:
    """The stored model, or None when there is none this code can use."""
    try:
        trained = joblib.load(path)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a truncated or foreign file is retrained, not fatal
        return None
    if not isinstance(trained, Trained) or trained.format != FORMAT or trained.sklearn_version != sklearn.__version__:
        return None
    return trained


class ModelStore:
    """The current model for one corpus and one file, loaded or trained once per process and kept until the corpus
    files change (checked by name, size and mtime on each call: a stat per file, microseconds)."""

    def __init__(self, path: Path | str, corpus_dir: Path | str | None = None):
        self.path = Path(path)
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()
        self._trained: Trained | None = None
        self._signature: tuple | None = None
        self.trained_here = False  # whether this process had to train (missing or stale file)

    def get(self) -> Trained:
        signature = _signature(self.corpus_dir)
        if self._trained is not None and signature == self._signature:
            return self._trained
        with self._lock:
            if self._trained is not None and signature == self._signature:
                return self._trained
            digest = corpus.corpus_hash(self.corpus_dir)
            trained = self._trained if self._trained and self._trained.corpus_hash == digest else None
            if trained is None:
                stored = load(self.path)
                trained = stored if stored is not None and stored.corpus_hash == digest else None
            if trained is None:
                trained = train(self.corpus_dir)
                save(trained, self.path)
                self.trained_here = True
            self._trained, self._signature = trained, signature
            return trained


def _signature(corpus_dir) -> tuple:
    out = []
    for path in corpus.files(corpus_dir):
        st = path.stat()
        out.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(out)
