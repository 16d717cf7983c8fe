"""The unknown-senders list: messages from addresses on no account of the business, newest first."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import UnmatchedInbound
from app.services.tenancy import Principal

STAFF = ("business_admin", "manager", "agent")


def list_for(db_session, principal: Principal, *, page: int, limit: int, channel: str | None = None,
             include_resolved: bool = False):
    if principal.business_id is None:
        raise PermissionError("no business in scope")
    stmt = select(UnmatchedInbound).where(UnmatchedInbound.business_id == principal.business_id)
    if channel:
        stmt = stmt.where(UnmatchedInbound.channel == channel)
    if not include_resolved:
        stmt = stmt.where(UnmatchedInbound.resolved_at.is_(None))
    total = db_session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db_session.scalars(stmt.order_by(UnmatchedInbound.received_at.desc(), UnmatchedInbound.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def serialize(row: UnmatchedInbound) -> dict:
    return {"id": str(row.id), "channel": row.channel, "from": row.from_address, "to": row.to_address,
            "subject": row.subject, "body": row.body, "receivedAt": row.received_at,
            "replied": row.reply_message_id is not None, "replyMessageId": str(row.reply_message_id)
            if row.reply_message_id else None, "accountId": str(row.account_id) if row.account_id else None,
            "resolvedAt": row.resolved_at}
