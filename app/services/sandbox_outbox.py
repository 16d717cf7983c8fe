"""Reading the sandbox outbox (scoped to the caller's business, plus system mail to its people)."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from app.models import SandboxMessage, User
from app.services.tenancy import Principal
from app.services.timezones import normalize_e164


def _recipient(to: str) -> str:
    to = to.strip()
    if to.lower().startswith("whatsapp:"):
        to = to.split(":", 1)[1]
    if "@" in to:
        return to.lower()
    return normalize_e164(to) or to


def list_messages(db_session, principal: Principal, *, to: str | None, page: int, limit: int):
    """Rows of the business, and system mail (no business yet) addressed to one of its users."""
    if principal.business_id is None:
        raise PermissionError("no business in scope")
    staff_emails = select(func.lower(User.email)).where(User.business_id == principal.business_id)
    stmt = select(SandboxMessage).where(or_(
        SandboxMessage.business_id == principal.business_id,
        (SandboxMessage.business_id.is_(None)) & (SandboxMessage.to_address.in_(staff_emails)),
    ))
    if to:
        stmt = stmt.where(SandboxMessage.to_address == _recipient(to))
    total = db_session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db_session.scalars(stmt.order_by(SandboxMessage.created_at.desc(), SandboxMessage.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def serialize(row: SandboxMessage) -> dict:
    return {"id": str(row.id), "channel": row.channel, "from": row.from_address, "to": row.to_address,
            "subject": row.subject, "body": row.body, "status": row.status, "externalId": row.external_id,
            "createdAt": row.created_at}
