"""Idempotency-Key on POST: the same key and body replay the first answer; another body is a 409.
Scoped to the business, kept 24 h. The key row is claimed before the work, so two concurrent requests
with one key cannot both do it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import IdempotencyKey
from app.services.errors import DomainError

TTL = dt.timedelta(hours=24)


def request_hash(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body or b""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def claim(engine, business_id, key: str, method: str, path: str, digest: str, now: dt.datetime):
    """Claim the key in its own transaction; returns None when claimed, else the stored (status, body)."""
    from sqlalchemy.orm import Session

    if not key or len(key) > 255:
        raise DomainError("Idempotency-Key must be 1 to 255 characters.", code="BAD_REQUEST", field="Idempotency-Key")
    with Session(engine) as session:
        existing = session.scalars(select(IdempotencyKey).where(IdempotencyKey.business_id == business_id,
                                                                IdempotencyKey.key == key)).first()
        if existing is not None and existing.expires_at <= now:
            session.delete(existing)
            session.commit()
            existing = None
        if existing is None:
            session.add(IdempotencyKey(business_id=business_id, key=key, method=method, path=path,
                                       request_sha256=digest, created_at=now, expires_at=now + TTL))
            try:
                session.commit()
                return None
            except IntegrityError:
                session.rollback()
                existing = session.scalars(select(IdempotencyKey).where(IdempotencyKey.business_id == business_id,
                                                                        IdempotencyKey.key == key)).first()
        if existing.request_sha256 != digest:
            raise DomainError("This Idempotency-Key was used with a different request.", code="IDEMPOTENCY_CONFLICT",
                              status=409)
        if existing.response_status is None:
            raise DomainError("A request with this Idempotency-Key is still in progress.", code="CONFLICT", status=409)
        return existing.response_status, existing.response_body


def store(engine, business_id, key: str, status: int, body: dict) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        row = session.scalars(select(IdempotencyKey).where(IdempotencyKey.business_id == business_id,
                                                           IdempotencyKey.key == key)).first()
        if row is not None:
            row.response_status, row.response_body = status, body
            session.commit()


def release(engine, business_id, key: str) -> None:
    """A request that failed before answering frees its key (a retry may do the work)."""
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        row = session.scalars(select(IdempotencyKey).where(IdempotencyKey.business_id == business_id,
                                                           IdempotencyKey.key == key,
                                                           IdempotencyKey.response_status.is_(None))).first()
        if row is not None:
            session.delete(row)
            session.commit()
