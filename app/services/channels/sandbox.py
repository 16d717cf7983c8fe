"""The sandbox outbox: what the sandbox provider (providers/sandbox.py) and sandbox system mail would have sent,
and the switch that makes the sandbox behave like a provider that is down."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid

from app.models import PlatformSetting, SandboxMessage
from app.services.clock import get_clock

OUTAGE_KEY = "sandbox_outage"
OUTAGE_CHANNELS = ("sms", "whatsapp", "email")


def new_external_id(channel: str) -> str:
    """Ids shaped like the real provider's (Twilio SM..., SendGrid message ids)."""
    if channel in ("sms", "whatsapp"):
        return "SM" + secrets.token_hex(16)
    return "sbx-" + secrets.token_hex(12)


def record(db_session, *, channel: str, from_address: str, to_address: str, body: str, now: dt.datetime,
           subject: str | None = None, html: str | None = None, business_id: uuid.UUID | None = None,
           message_id: uuid.UUID | None = None, kind: str = "debtor", meta: dict | None = None) -> SandboxMessage:
    """Store one sandbox send; the row is the sandbox's proof of delivery."""
    row = SandboxMessage(channel=channel, from_address=from_address, to_address=to_address, subject=subject,
                         body=body, html=html, business_id=business_id, message_id=message_id, kind=kind,
                         status="sent", external_id=new_external_id(channel), meta=meta or {}, created_at=now)
    db_session.add(row)
    db_session.flush()
    return row


def set_outage(db_session, channel: str, until: dt.datetime | None) -> None:
    """Make the sandbox refuse `channel` with 503 until `until` (None ends it), so the retry path can be tried
    offline. Stored in platform_settings: every process (web, worker) sees the same switch."""
    if channel not in OUTAGE_CHANNELS:
        raise ValueError(f"no sandbox outage for channel {channel!r}")
    row = db_session.get(PlatformSetting, OUTAGE_KEY)
    if row is None:
        row = PlatformSetting(key=OUTAGE_KEY, value={})
        db_session.add(row)
    value = dict(row.value or {})
    if until is None:
        value.pop(channel, None)
    else:
        value[channel] = until.astimezone(dt.timezone.utc).isoformat()
    row.value = value
    row.updated_at = get_clock().now()
    db_session.flush()


def outage_until(db_session, channel: str) -> dt.datetime | None:
    """When the simulated outage of `channel` ends, None when there is none (read fresh: another process sets it)."""
    row = db_session.get(PlatformSetting, OUTAGE_KEY, populate_existing=True)
    text = (row.value or {}).get(channel) if row is not None else None
    return dt.datetime.fromisoformat(text) if text else None
