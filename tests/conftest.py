"""Fixtures: one app per test worker on SQLite (or PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set),
schema built by the real migrations, every table emptied after each test, time injected."""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import Config
from app.extensions import db as _db
from app.services.clock import FrozenClock
from app.services.tenancy import Principal, acting_as

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone.utc)

pytest_plugins = ["tests.stripe_support"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_url(tmp_root) -> str:
    base = os.environ.get("DATABASE_URL")
    if base and base.startswith(("postgresql", "postgres")):
        url = sa.engine.make_url(base.replace("postgres://", "postgresql://", 1))
        name = f"fc_test_{_worker()}"
        admin = sa.create_engine(url.set(drivername="postgresql+psycopg", database="postgres"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    return f"sqlite:///{tmp_root / f'test-{_worker()}.db'}"


def _redis_url() -> str | None:
    base = os.environ.get("REDIS_URL")
    if not base:
        return None
    # One logical database per worker so parallel workers never see each other's queues.
    index = 1 + (int(_worker()[2:]) if _worker().startswith("gw") else 0)
    return base.rsplit("/", 1)[0] + f"/{index % 16}" if base.count("/") >= 3 else f"{base.rstrip('/')}/{index % 16}"


def make_config(database_url: str, **overrides) -> Config:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "PORT": "5000"}
    if _redis_url():
        env["REDIS_URL"] = _redis_url()
    overrides.setdefault("SOCKETIO_MESSAGE_QUEUE", False)
    config = Config.from_env(env, TESTING=True, **overrides)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    application = create_app(make_config(database_url, WTF_CSRF_ENABLED=False))
    application.config.update(WTF_CSRF_ENABLED=False)
    with application.app_context():
        upgrade()
    application.extensions["clock"] = FrozenClock(NOW)
    import jobs

    jobs.bind_app(application)  # jobs run by work_burst() use this app, not one built from the environment
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs in an app context and leaves every table empty and the clock reset."""
    from app.extensions import limiter

    app.extensions["clock"] = FrozenClock(NOW)
    with app.app_context():
        limiter.reset()
        yield
        _db.session.rollback()
        _db.session.remove()
        _truncate()
    connection = app.extensions["jobs"].connection
    connection.flushdb()


def _truncate() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def session(db):
    return db.session


@pytest.fixture
def clock(app) -> FrozenClock:
    return app.extensions["clock"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def as_principal():
    """Run a block as a principal of the given business."""
    def _as(business, role="business_admin", user=None):
        return acting_as(Principal(business_id=business.id, role=role, user_id=user.id if user else None))
    return _as


@pytest.fixture
def unique():
    return lambda prefix="x": f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def twilio(app, clock):
    """The app in Twilio mode, pointed at a local Twilio that speaks its wire format (tests/fakes/twilio_server.py)."""
    import dataclasses

    from tests.fakes.twilio_server import DEFAULT_SID, DEFAULT_TOKEN, FakeTwilio

    with FakeTwilio(clock=clock.now) as fake:
        original = app.config["CONFIG_OBJECT"]
        app.config["CONFIG_OBJECT"] = dataclasses.replace(
            original, TWILIO_ACCOUNT_SID=DEFAULT_SID, TWILIO_AUTH_TOKEN=DEFAULT_TOKEN,
            TWILIO_PHONE_NUMBER="+12145550100", TWILIO_API_BASE=fake.url)
        try:
            yield fake
        finally:
            app.config["CONFIG_OBJECT"] = original
