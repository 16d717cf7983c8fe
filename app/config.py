"""One configuration object, read from the environment, with sandbox defaults."""
from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(Exception):
    """A setting that stops start-up; the message names the variable."""


SANDBOX_TWILIO_TOKEN = "sandbox-twilio-token"
SANDBOX_STRIPE_WEBHOOK_SECRET = "whsec_sandbox"
SANDBOX_SENDGRID_INBOUND_SECRET = "sandbox-sendgrid-secret"
SANDBOX_STRIPE_SECRET_KEY = "sk_test_sandbox"
SANDBOX_STRIPE_PUBLISHABLE_KEY = "pk_test_sandbox"

# Variables that must come together: setting one without the others is a half-configured provider.
PROVIDER_GROUPS = {
    "Twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"),
    "SendGrid": ("SENDGRID_API_KEY", "SENDGRID_FROM_EMAIL"),
    "Stripe": ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"),
}


def _env(environ: dict, name: str, default: str | None = None) -> str | None:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _check_database_url(url: str) -> None:
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a non-numeric port raises here)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(f"DATABASE_URL is not a valid database URL ({exc.__class__.__name__})") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL must be sqlite:// or postgresql://, got {backend}://")


def _normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _check_provider_groups(environ: dict) -> None:
    for provider, names in PROVIDER_GROUPS.items():
        present = [n for n in names if _env(environ, n)]
        if present and len(present) != len(names):
            missing = [n for n in names if n not in present]
            raise ConfigError(
                f"{missing[0]} is not set but {present[0]} is: {provider} is half-configured "
                f"(set {', '.join(names)} together, or none of them for the sandbox)")


def _api_base(environ: dict, name: str) -> str | None:
    value = _env(environ, name)
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://")
    return value.rstrip("/") if value else None


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _storage_settings(environ: dict) -> dict:
    """Where account documents live; S3 needs a bucket and boto3 (credentials come from the AWS_* variables)."""
    backend = (_env(environ, "STORAGE_BACKEND", "local") or "local").lower()
    if backend not in ("local", "s3"):
        raise ConfigError(f"STORAGE_BACKEND must be local or s3, got {backend!r}")
    bucket = _env(environ, "S3_BUCKET")
    endpoint = _env(environ, "S3_ENDPOINT_URL")
    if backend == "s3":
        if not bucket:
            raise ConfigError("S3_BUCKET is not set but STORAGE_BACKEND is s3: name the bucket that holds documents")
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise ConfigError("S3_ENDPOINT_URL must start with http:// or https://")
        if not _module_available("boto3"):
            raise ConfigError("STORAGE_BACKEND is s3 but the boto3 package is not installed (pip install boto3)")
    return {"STORAGE_BACKEND": backend, "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint}


SOCKETIO_ASYNC_MODES = ("threading", "gevent")


def _gevent_patched() -> bool:
    """True inside a process gevent has monkey-patched (gunicorn's gevent worker does so before loading the app)."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey and monkey.is_module_patched("socket"))


def _socketio_async_mode(environ: dict) -> str:
    """How Socket.IO serves its sockets. `gevent` (greenlets: one process holds hundreds of websockets) where gevent
    has patched the process, i.e. under `gunicorn -k gevent` (the Procfile); `threading` everywhere else: `make run`,
    the tests, the RQ worker and the clock, which only emit through the Redis queue. Left unset, the mode follows the
    process, so one environment serves every process type."""
    patched = _gevent_patched()
    mode = (_env(environ, "SOCKETIO_ASYNC_MODE") or ("gevent" if patched else "threading")).lower()
    if mode not in SOCKETIO_ASYNC_MODES:
        raise ConfigError(f"SOCKETIO_ASYNC_MODE must be one of {', '.join(SOCKETIO_ASYNC_MODES)}, got {mode!r}")
    if mode == "gevent" and not patched:
        raise ConfigError("SOCKETIO_ASYNC_MODE is gevent but gevent has not patched this process: serve with "
                          "`gunicorn --worker-class gevent` (see the Procfile), or leave the variable unset")
    return mode


@dataclass
class Config:
    """Flask settings plus the app's own; build with Config.from_env()."""

    SECRET_KEY: str
    SQLALCHEMY_DATABASE_URI: str
    REDIS_URL: str | None
    PUBLIC_URL: str
    PORT: int
    ENCRYPTION_KEYS: str | None
    TWILIO_ACCOUNT_SID: str | None
    TWILIO_AUTH_TOKEN: str
    TWILIO_PHONE_NUMBER: str | None
    TWILIO_WHATSAPP_NUMBER: str | None
    SENDGRID_API_KEY: str | None
    SENDGRID_FROM_EMAIL: str | None
    SENDGRID_INBOUND_SECRET: str
    SENDGRID_EVENTS_PUBLIC_KEY: str | None
    SMTP_URL: str | None
    STRIPE_SECRET_KEY: str
    STRIPE_PUBLISHABLE_KEY: str
    STRIPE_WEBHOOK_SECRET: str
    STRIPE_API_BASE: str | None
    ANTHROPIC_API_KEY: str | None
    ANTHROPIC_BASE_URL: str | None
    AI_MODEL: str
    SANDBOX_EMAIL_DOMAIN: str = "sandbox.funnelchat.test"
    # Where the provider SDKs send requests: unset = the real services (a regional edge or a local double otherwise).
    TWILIO_API_BASE: str | None = None
    SENDGRID_API_BASE: str | None = None
    MAX_CONTENT_LENGTH: int = 25 * 1024 * 1024
    IMPORT_MAX_CONTENT_LENGTH: int = 100 * 1024 * 1024
    # Account documents: "local" (files under instance/documents) or "s3" (any S3-compatible service).
    STORAGE_BACKEND: str = "local"
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False
    SESSION_IDLE_MINUTES: int = 30
    WTF_CSRF_TIME_LIMIT: int | None = None
    WTF_CSRF_ENABLED: bool = True
    RATELIMIT_ENABLED: bool = True
    GLOBAL_RATE_LIMIT: str = "1000 per minute;10000 per hour"
    API_RATE_LIMIT: str = "100 per minute"
    PUBLIC_RATE_LIMIT: str = "20 per minute"
    LOGIN_RATE_LIMIT: str = "5 per 15 minutes"
    MFA_RATE_LIMIT: str = "10 per 15 minutes"  # wrong second-factor codes, per address and per account
    PASSWORD_RESET_RATE_LIMIT: str = "3 per hour"
    EMBEDDED_WORKER: bool = True
    # Share Socket.IO rooms across processes through Redis (tests use the in-process test client instead).
    SOCKETIO_MESSAGE_QUEUE: bool = True
    SOCKETIO_ASYNC_MODE: str = "threading"
    CLOCK_INTERVAL_SECONDS: float = 5.0
    TESTING: bool = False
    SQLALCHEMY_ENGINE_OPTIONS: dict | None = None

    @property
    def sms_mode(self) -> str:
        return "twilio" if self.TWILIO_ACCOUNT_SID else "sandbox"

    @property
    def email_mode(self) -> str:
        if self.SENDGRID_API_KEY:
            return "sendgrid"
        if self.SMTP_URL:
            return "smtp"
        return "sandbox"

    @property
    def stripe_mode(self) -> str:
        return "live" if self.STRIPE_SECRET_KEY != SANDBOX_STRIPE_SECRET_KEY else "localstripe"

    @property
    def ai_mode(self) -> str:
        return "anthropic" if self.ANTHROPIC_API_KEY else "local"

    @property
    def sandbox(self) -> bool:
        """Sandbox mode: no real messaging provider is configured."""
        return self.sms_mode == "sandbox" and self.email_mode == "sandbox"

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "Config":
        """Read the environment; raise ConfigError naming the first bad variable."""
        env = dict(os.environ if environ is None else environ)
        _check_provider_groups(env)
        database_url = _normalize_database_url(_env(env, "DATABASE_URL", "sqlite:///funnelchat.db"))
        _check_database_url(database_url)
        port_text = _env(env, "PORT", "5000")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a TCP port number, got {port_text!r}")
        port = int(port_text)
        public_url = (_env(env, "PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        if not public_url.startswith(("http://", "https://")):
            raise ConfigError("PUBLIC_URL must start with http:// or https://")
        stripe_secret = _env(env, "STRIPE_SECRET_KEY", SANDBOX_STRIPE_SECRET_KEY)
        stripe_base = _env(env, "STRIPE_API_BASE")
        if stripe_secret == SANDBOX_STRIPE_SECRET_KEY and not stripe_base:
            stripe_base = f"http://127.0.0.1:{_env(env, 'LOCALSTRIPE_PORT', '8420')}"
        storage = _storage_settings(env)
        values = dict(
            SECRET_KEY=_env(env, "SECRET_KEY") or _instance_secret(),
            SQLALCHEMY_DATABASE_URI=database_url,
            REDIS_URL=_env(env, "REDIS_URL"),
            PUBLIC_URL=public_url,
            PORT=port,
            ENCRYPTION_KEYS=_env(env, "ENCRYPTION_KEYS"),
            TWILIO_ACCOUNT_SID=_env(env, "TWILIO_ACCOUNT_SID"),
            TWILIO_AUTH_TOKEN=_env(env, "TWILIO_AUTH_TOKEN", SANDBOX_TWILIO_TOKEN),
            TWILIO_PHONE_NUMBER=_env(env, "TWILIO_PHONE_NUMBER"),
            TWILIO_WHATSAPP_NUMBER=_env(env, "TWILIO_WHATSAPP_NUMBER"),
            SENDGRID_API_KEY=_env(env, "SENDGRID_API_KEY"),
            SENDGRID_FROM_EMAIL=_env(env, "SENDGRID_FROM_EMAIL"),
            SENDGRID_INBOUND_SECRET=_env(env, "SENDGRID_INBOUND_SECRET", SANDBOX_SENDGRID_INBOUND_SECRET),
            SENDGRID_EVENTS_PUBLIC_KEY=_env(env, "SENDGRID_EVENTS_PUBLIC_KEY"),
            SMTP_URL=_env(env, "SMTP_URL"),
            TWILIO_API_BASE=_api_base(env, "TWILIO_API_BASE"),
            SENDGRID_API_BASE=_api_base(env, "SENDGRID_API_BASE"),
            STRIPE_SECRET_KEY=stripe_secret,
            STRIPE_PUBLISHABLE_KEY=_env(env, "STRIPE_PUBLISHABLE_KEY", SANDBOX_STRIPE_PUBLISHABLE_KEY),
            STRIPE_WEBHOOK_SECRET=_env(env, "STRIPE_WEBHOOK_SECRET", SANDBOX_STRIPE_WEBHOOK_SECRET),
            STRIPE_API_BASE=stripe_base,
            ANTHROPIC_API_KEY=_env(env, "ANTHROPIC_API_KEY"),
            ANTHROPIC_BASE_URL=_env(env, "ANTHROPIC_BASE_URL"),
            AI_MODEL=_env(env, "AI_MODEL", "claude-sonnet-4-6"),
            SESSION_COOKIE_SECURE=public_url.startswith("https://"),
            SOCKETIO_ASYNC_MODE=_socketio_async_mode(env),
            **storage,
        )
        values.update(overrides)
        return cls(**values)

    def as_flask_mapping(self) -> dict:
        """Every setting as an upper-case key for app.config."""
        mapping = {k: v for k, v in self.__dict__.items() if k.isupper()}
        mapping["SQLALCHEMY_ENGINE_OPTIONS"] = self.SQLALCHEMY_ENGINE_OPTIONS or _engine_options(
            self.SQLALCHEMY_DATABASE_URI)
        mapping["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
        mapping["PERMANENT_SESSION_LIFETIME"] = self.SESSION_IDLE_MINUTES * 60
        mapping["SESSION_REFRESH_EACH_REQUEST"] = True
        mapping["REMEMBER_COOKIE_DURATION"] = 0
        mapping["RATELIMIT_STORAGE_URI"] = self.REDIS_URL or "memory://"
        mapping["RATELIMIT_HEADERS_ENABLED"] = True
        mapping["CONFIG_OBJECT"] = self
        return mapping


def _engine_options(uri: str) -> dict:
    if uri.startswith("postgresql"):
        return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    return {"connect_args": {"timeout": 15, "check_same_thread": False}}


def _instance_secret() -> str:
    """A persistent random secret in instance/ so sessions survive restarts without a SECRET_KEY."""
    path = Path(__file__).resolve().parent.parent / "instance" / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value
