"""RQ entry points: thin functions that take ids, open an app context and call a service."""
from __future__ import annotations

from contextlib import contextmanager

_bound_app = None


def bind_app(app) -> None:
    """The web process's app, reused by the embedded worker (no second app per job)."""
    global _bound_app
    _bound_app = app


@contextmanager
def app_context():
    global _bound_app
    if _bound_app is None:
        from app import create_app

        _bound_app = create_app()
    with _bound_app.app_context():
        yield _bound_app
