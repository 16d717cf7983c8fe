"""Reading the sandbox outbox (scoped to the caller's business, plus system mail to its people), and telling the
business's open pages when a row is recorded or changes."""
from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select

from app.models import Message, SandboxMessage, User
from app.services.errors import NotFound
from app.services.tenancy import Principal
from app.services.timezones import normalize_e164

EVENT = "sandbox.message"


def _recipient(to: str) -> str:
    to = to.strip()
    if to.lower().startswith("whatsapp:"):
        to = to.split(":", 1)[1]
    if "@" in to:
        return to.lower()
    return normalize_e164(to) or to


def _visible(principal: Principal):
    """Rows of the business, and system mail (no business yet) addressed to one of its users."""
    if principal.business_id is None:
        raise PermissionError("no business in scope")
    staff_emails = select(func.lower(User.email)).where(User.business_id == principal.business_id)
    return or_(SandboxMessage.business_id == principal.business_id,
               (SandboxMessage.business_id.is_(None)) & (SandboxMessage.to_address.in_(staff_emails)))


def list_messages(db_session, principal: Principal, *, to: str | None, page: int, limit: int):
    """Newest first, optionally only those to one recipient; (rows, total)."""
    stmt = select(SandboxMessage).where(_visible(principal))
    if to:
        stmt = stmt.where(SandboxMessage.to_address == _recipient(to))
    total = db_session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db_session.scalars(stmt.order_by(SandboxMessage.created_at.desc(), SandboxMessage.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def get_message(db_session, principal: Principal, row_id) -> SandboxMessage:
    """One row the caller may see; anything else (another business's, a malformed id) is NotFound."""
    try:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
    except ValueError:
        raise NotFound("No such message in the sandbox outbox.") from None
    row = db_session.scalars(select(SandboxMessage).where(SandboxMessage.id == key, _visible(principal))).first()
    if row is None:
        raise NotFound("No such message in the sandbox outbox.")
    return row


def matches(row: SandboxMessage, to: str | None) -> bool:
    """Whether the row passes the recipient filter the list uses."""
    return not to or row.to_address == _recipient(to)


def linked_messages(db_session, business_id, rows) -> dict[uuid.UUID, Message]:
    """The app's own message behind each debtor row (its delivery status, account and conversation), by id."""
    ids = {row.message_id for row in rows if row.message_id is not None}
    if not ids or business_id is None:
        return {}
    found = db_session.scalars(select(Message).where(Message.business_id == business_id, Message.id.in_(ids)))
    return {message.id: message for message in found}


def announce(db_session, row: SandboxMessage) -> None:
    """`sandbox.message` {id, channel, status} to the business's room after the commit: ids and states only, as the
    room also holds agents; the simulator page then fetches the rendered row."""
    if row.business_id is None:
        return
    from app import realtime

    realtime.publish(f"business:{row.business_id}", EVENT,
                     {"id": str(row.id), "channel": row.channel, "status": row.status}, session=db_session)


def serialize(row: SandboxMessage) -> dict:
    return {"id": str(row.id), "channel": row.channel, "from": row.from_address, "to": row.to_address,
            "subject": row.subject, "body": row.body, "status": row.status, "externalId": row.external_id,
            "attachments": (row.meta or {}).get("attachments") or [], "createdAt": row.created_at}
