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


def preload() -> None:
    """Import what jobs use before a forking worker starts, so each forked work horse does not import the provider
    SDKs and services again for every job."""
    import importlib

    for name in ("jobs.messages", "jobs.inbound", "jobs.webhooks", "jobs.imports", "jobs.sandbox", "jobs.payments",
                 "app.services.channels.delivery",
                 "app.services.channels.providers.twilio", "app.services.channels.providers.sendgrid",
                 "app.services.channels.providers.smtp", "app.services.channels.providers.sandbox",
                 "app.services.accounts.import_jobs", "app.services.webhooks"):
        importlib.import_module(name)
