"""The sandbox provider: records what would have been sent into the sandbox outbox."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid

from app.models import SandboxMessage


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
