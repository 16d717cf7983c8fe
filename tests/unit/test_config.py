"""Does bad configuration stop start-up with one clear line naming the variable?"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _app_context():
    """Pure configuration tests: no app context, no database cleanup."""
    yield


def test_defaults_are_the_sandbox():
    config = Config.from_env({})
    assert config.sandbox and config.sms_mode == "sandbox" and config.email_mode == "sandbox"
    assert config.stripe_mode == "localstripe" and config.STRIPE_API_BASE == "http://127.0.0.1:8420"
    assert config.TWILIO_AUTH_TOKEN == "sandbox-twilio-token" and config.STRIPE_WEBHOOK_SECRET == "whsec_sandbox"
    assert config.SQLALCHEMY_DATABASE_URI == "sqlite:///funnelchat.db"
    assert config.PUBLIC_URL == "http://127.0.0.1:5000" and config.AI_MODEL == "claude-sonnet-4-6"


def test_localstripe_port_override():
    assert Config.from_env({"LOCALSTRIPE_PORT": "9999"}).STRIPE_API_BASE == "http://127.0.0.1:9999"


@pytest.mark.parametrize("url", ["not a url", "mysql://root@localhost/x", "postgresql://host:notaport/db"])
def test_malformed_database_url_names_the_variable(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        Config.from_env({"DATABASE_URL": url})


def test_half_configured_twilio_names_the_missing_variable():
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN"):
        Config.from_env({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_PHONE_NUMBER": "+15551234567"})
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID"):
        Config.from_env({"TWILIO_AUTH_TOKEN": "tok"})


def test_half_configured_sendgrid_and_stripe():
    with pytest.raises(ConfigError, match="SENDGRID_FROM_EMAIL"):
        Config.from_env({"SENDGRID_API_KEY": "SG.x"})
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY"):
        Config.from_env({"STRIPE_SECRET_KEY": "sk_test_x"})


def test_postgres_url_uses_psycopg3():
    config = Config.from_env({"DATABASE_URL": "postgres://u@h:5432/db"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h:5432/db"


def test_unreachable_postgres_stops_create_app():
    config = Config.from_env({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing"})
    with pytest.raises(ConfigError, match="DATABASE_URL: cannot connect"):
        create_app(config)


@pytest.mark.parametrize("env,variable", [
    ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}, "DATABASE_URL"),
    ({"TWILIO_ACCOUNT_SID": "AC1"}, "TWILIO_AUTH_TOKEN"),
])
def test_cli_start_fails_with_one_line(env, variable, tmp_path):
    """`flask --app wsgi ...` (what `make run` and gunicorn load) exits 2 with one line, no traceback."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO", "SENDGRID", "STRIPE", "DATABASE"))}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, capture_output=True,
                            text=True, env={**clean, **env}, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines[-1].startswith("funnelChat cannot start:") and variable in lines[-1]
    assert "Traceback" not in result.stderr
