"""Integration API keys: shown once, stored as a SHA-256 hash, scoped to a business and a role."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from app.models import ApiKey, Business
from app.services.errors import Unauthorized, ValidationError

KEY_ROLES = ("business_admin", "manager", "agent")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db_session, *, business_id, name: str, role: str, created_by_id, now: dt.datetime) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("Give the key a name (up to 100 characters).", field="name")
    if role not in KEY_ROLES:
        raise ValidationError(f"Scope must be one of {', '.join(KEY_ROLES)}.", field="role")
    plain = "fc_" + secrets.token_urlsafe(32)
    row = ApiKey(business_id=business_id, name=name, role=role, prefix=plain[:10], key_hash=_hash(plain),
                 created_by_id=created_by_id, created_at=now)
    db_session.add(row)
    db_session.flush()
    return row, plain


def authenticate(db_session, plain: str, now: dt.datetime) -> ApiKey:
    row = db_session.scalars(select(ApiKey).where(ApiKey.key_hash == _hash(plain or ""))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("The API key is not valid.")
    business = db_session.get(Business, row.business_id)
    if business is None or business.status != "active" or business.deleted_at is not None:
        raise Unauthorized("The API key's business is not active.")
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now
        db_session.commit()
    return row


def revoke(db_session, key: ApiKey, now: dt.datetime) -> None:
    key.revoked_at = now
