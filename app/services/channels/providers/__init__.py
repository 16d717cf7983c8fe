"""Which adapter carries a channel: configuration picks it (Twilio or sandbox for phones; SendGrid, SMTP or sandbox
for email). Adapters are cheap to build; the SDK clients behind them are cached per setting in each module.

`TWILIO_API_BASE` / `SENDGRID_API_BASE` are read when the config object carries them (a local provider double for
benchmarks); absent, the SDKs talk to the real services."""
from __future__ import annotations

import datetime as dt
import email.utils

from app.services.channels.providers.base import Accepted, CannotReconcile, Envelope, Found, Provider, RetryableError

PHONE_CHANNELS = ("sms", "whatsapp")
NAMES = ("twilio", "sendgrid", "smtp", "sandbox")


def for_channel(channel: str, *, config, db_session) -> Provider:
    """The adapter the configuration selects for this channel."""
    if channel in PHONE_CHANNELS:
        return by_name(config.sms_mode, config=config, db_session=db_session)
    if channel == "email":
        return by_name(config.email_mode, config=config, db_session=db_session)
    raise ValueError(f"no provider carries the {channel!r} channel")


def by_name(name: str, *, config, db_session) -> Provider:
    """The adapter by the name stored on a message (reconciliation asks the provider that was used)."""
    if not _configured(name, config):
        return Unconfigured(name)
    if name == "twilio":
        from app.services.channels.providers.twilio import TwilioProvider

        return TwilioProvider(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN,
                              api_base=getattr(config, "TWILIO_API_BASE", None))
    if name == "sendgrid":
        from app.services.channels.providers.sendgrid import SendGridProvider

        return SendGridProvider(config.SENDGRID_API_KEY, api_base=getattr(config, "SENDGRID_API_BASE", None))
    if name == "smtp":
        from app.services.channels.providers.smtp import SmtpProvider

        return SmtpProvider(config.SMTP_URL)
    if name == "sandbox":
        from app.services.channels.providers.sandbox import SandboxProvider

        return SandboxProvider(db_session)
    raise ValueError(f"unknown provider {name!r} (expected one of {', '.join(NAMES)})")


def _configured(name: str, config) -> bool:
    return {"twilio": bool(config.TWILIO_ACCOUNT_SID), "sendgrid": bool(config.SENDGRID_API_KEY),
            "smtp": bool(config.SMTP_URL)}.get(name, True)


class Unconfigured:
    """A provider named on a message but no longer configured (keys removed since): nothing is sent through it,
    and what it may have sent cannot be confirmed, so reconciliation hands the row to a person."""

    def __init__(self, name: str):
        self.name = name

    def send(self, envelope: Envelope) -> Accepted:
        raise RetryableError(f"{self.name} is not configured")

    def find(self, envelope: Envelope) -> Found | None:
        raise CannotReconcile(f"{self.name} is not configured any more")


def parse_retry_after(value) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
