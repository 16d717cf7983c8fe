"""What the account file shows: time zone and contact window now, notes, compliance records, audit trail."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from app.models import Account, AccountNote, AuditLog, User
from app.services.compliance.hours import allowed_at, effective_zones, next_allowed
from app.services.errors import Forbidden, ValidationError
from app.services.tenancy import Principal
from app.services.timezones import candidate_zones


@dataclass
class ContactClock:
    zones: tuple[str, ...]
    sources: dict
    local_times: list[tuple[str, dt.datetime]]
    allowed_now: bool
    next_allowed: dt.datetime | None
    unknown: bool


def contact_clock(account: Account, now: dt.datetime) -> ContactClock:
    found = candidate_zones(account_tz=account.timezone if account.timezone_source in ("api", "staff", "import")
                            else None, state=account.state, zip_code=account.zip,
                            phones=[p for p in (account.phone, account.phone_secondary) if p])
    zones = effective_zones(found.zones)
    return ContactClock(zones=zones, sources=found.sources,
                        local_times=[(z, now.astimezone(ZoneInfo(z))) for z in zones[:4]],
                        allowed_now=allowed_at(zones, now), next_allowed=next_allowed(zones, now),
                        unknown=found.unknown)


def days_past_due(account: Account, today: dt.date) -> int | None:
    if account.due_date is None or account.due_date >= today:
        return None
    return (today - account.due_date).days


def add_note(db_session, principal: Principal, account: Account, body: str, now: dt.datetime) -> AccountNote:
    """Internal notes: every staff role that may see the file may add one (agents included)."""
    if principal.role == "debtor" or principal.user_id is None:
        raise Forbidden("Notes are written by staff.")
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write something first.", field="body")
    if len(body) > 5000:
        raise ValidationError("Notes are limited to 5,000 characters.", field="body")
    note = AccountNote(business_id=account.business_id, account_id=account.id, author_id=principal.user_id,
                       body=body, created_at=now)
    db_session.add(note)
    return note


def notes(db_session, account: Account):
    return db_session.execute(select(AccountNote, User).outerjoin(User, User.id == AccountNote.author_id)
                              .where(AccountNote.account_id == account.id)
                              .order_by(AccountNote.created_at.desc())).all()


def audit_trail(db_session, account: Account, limit: int = 100):
    """The file's own rows, and the row of the import batch that created it (one row names a batch's accounts)."""
    own = and_(AuditLog.resource_type == "account", AuditLog.resource_id == account.id)
    if account.import_batch_id is not None:
        own = or_(own, and_(AuditLog.resource_type == "account_import_batch",
                            AuditLog.resource_id == account.import_batch_id))
    return db_session.scalars(select(AuditLog).where(AuditLog.business_id == account.business_id, own)
                              .order_by(AuditLog.seq.desc()).limit(limit)).all()
