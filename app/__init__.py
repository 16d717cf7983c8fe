"""funnelChat: the application factory."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app.config import Config, ConfigError
from app.extensions import csrf, db, limiter, login_manager, migrate, socketio
from app.json_provider import MoneyJSONProvider
from app.observability import configure_logging, init_request_logging

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["create_app", "Config", "ConfigError"]


def create_app(config: Config | None = None, *, check_database: bool = True) -> Flask:
    """Build the app; raise ConfigError (one line naming the variable) when it cannot start."""
    configure_logging()
    config = config or Config.from_env()
    app = Flask(__name__, instance_path=str(ROOT / "instance"), instance_relative_config=True)
    app.json_provider_class = MoneyJSONProvider
    app.json = MoneyJSONProvider(app)
    app.config.update(config.as_flask_mapping())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_database(app, check_database)
    _init_extensions(app, config)
    _init_services(app, config)
    _register_blueprints(app)
    _register_cli(app)

    from app.errors import register_error_handlers
    from app.security import init_security_headers
    from app.web import init_web

    from app import realtime as _realtime  # noqa: F401  (Socket.IO handlers)
    from app.templating import init_templating

    init_templating(app)
    init_request_logging(app)  # first: every later hook and error handler has the request id
    register_error_handlers(app)
    init_security_headers(app)
    init_web(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout let the web process, embedded worker, clock and CLI share one SQLite file."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _init_database(app: Flask, check: bool) -> None:
    from app import models as _models  # noqa: F401  (every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    if not check:
        return
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            raise ConfigError(f"DATABASE_URL: cannot connect to the database ({reason})") from None


def _init_extensions(app: Flask, config: Config) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    limiter.init_app(app)
    queue = config.REDIS_URL if config.SOCKETIO_MESSAGE_QUEUE else None
    socketio.init_app(app, async_mode=config.SOCKETIO_ASYNC_MODE, message_queue=queue,
                      cors_allowed_origins=[config.PUBLIC_URL, f"http://127.0.0.1:{config.PORT}",
                                            f"http://localhost:{config.PORT}"],
                      logger=False, engineio_logger=False)
    from app.realtime import WithoutWebsocketCompression

    app.wsgi_app = WithoutWebsocketCompression(app.wsgi_app)


def _init_services(app: Flask, config: Config) -> None:
    from app.services.clock import SystemClock
    from app.services.jobs import Jobs, redis_connection

    app.extensions["clock"] = SystemClock()
    app.extensions["jobs"] = Jobs(redis_connection(config.REDIS_URL))


def _register_blueprints(app: Flask) -> None:
    from app.blueprints.accounts import bp as accounts_bp
    from app.blueprints.api import bp as api_bp
    from app.blueprints.auth import bp as auth_bp
    from app.blueprints.compliance import bp as compliance_bp
    from app.blueprints.dashboard import bp as dashboard_bp
    from app.blueprints.health import bp as health_bp
    from app.blueprints.imports import bp as imports_bp
    from app.blueprints.inbox import bp as inbox_bp
    from app.blueprints.media import bp as media_bp
    from app.blueprints.portal import bp as portal_bp
    from app.blueprints.sandbox import bp as sandbox_bp
    from app.blueprints.settings import bp as settings_bp
    from app.blueprints.webhooks import bp as webhooks_bp
    from app.blueprints.widget import bp as widget_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(compliance_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(sandbox_bp)
    app.register_blueprint(widget_bp)


def _register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)
    logging.getLogger("alembic").setLevel(logging.WARNING)
