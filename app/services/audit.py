"""The audit trail: append-only rows, hash-chained per business, with debtor PII sealed by a per-debtor key.

Each row stores the previous row's hash and its own: SHA-256(prev_hash + canonical JSON of the row). A row
altered, removed or inserted out of order breaks the chain, and verify() names where. Personal values about a
debtor are sealed with that debtor's key before hashing, so destroying the key (erasure) leaves the chain valid."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, text

from app.models import AuditLog, DebtorKey
from app.services.crypto import Keyring, seal, unseal
from app.services.batch import insert_many

GENESIS = "0" * 64
HASHED_FIELDS = ("id", "business_id", "seq", "user_id", "user_email", "user_role", "action", "resource_type",
                 "resource_id", "description", "changes", "meta", "ip_address", "user_agent", "success",
                 "error_message", "created_at")


def keyring() -> Keyring:
    config = current_app.config["CONFIG_OBJECT"]
    return Keyring.from_config(config.ENCRYPTION_KEYS, current_app.config["SECRET_KEY"])


def _debtor_key(db_session, business_id, account_id, now: dt.datetime | None, create: bool = True) -> bytes | None:
    row = db_session.get(DebtorKey, account_id)
    if row is None:
        if not create:
            return None
        raw = os.urandom(32)
        row = DebtorKey(account_id=account_id, business_id=business_id, created_at=now,
                        wrapped_key=keyring().encrypt(raw, associated=str(account_id).encode()))
        db_session.add(row)
        db_session.flush()
        return raw
    if row.wrapped_key is None:
        return None
    return keyring().decrypt(row.wrapped_key, associated=str(account_id).encode())


def seal_changes(db_session, business_id, account_id, changes: dict, now: dt.datetime) -> dict:
    """{field: [before, after]} with each value sealed under the debtor's key."""
    key = _debtor_key(db_session, business_id, account_id, now)
    sealed = {}
    for field, pair in changes.items():
        sealed[field] = {"sealed": seal(key, json.dumps(pair, default=str).encode(), field.encode())}
    return {"debtorAccountId": str(account_id), "fields": sealed}


def open_changes(db_session, changes: dict | None) -> dict | None:
    """Decrypt sealed values (None for a value whose debtor key was destroyed)."""
    if not changes or "fields" not in changes or "debtorAccountId" not in changes:
        return changes
    account_id = uuid.UUID(changes["debtorAccountId"])
    key = _debtor_key(db_session, None, account_id, None, create=False)
    opened = {}
    for field, value in changes["fields"].items():
        opened[field] = json.loads(unseal(key, value["sealed"], field.encode())) if key else None
    return opened


def _canonical(row: AuditLog) -> bytes:
    return _canonical_values({name: getattr(row, name) for name in HASHED_FIELDS})


def _canonical_values(row: dict) -> bytes:
    values = {}
    for name in HASHED_FIELDS:
        value = row[name]
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif isinstance(value, uuid.UUID):
            value = str(value)
        values[name] = value
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def row_hash(prev_hash: str, row: AuditLog) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(row)).hexdigest()


def _lock_chain(db_session, business_id) -> None:
    """Serialize writers of one business's chain (PostgreSQL); SQLite serializes writers already."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"audit:{business_id}"})


def record(db_session, action: str, *, now: dt.datetime, business_id=None, user=None, principal=None,
           resource_type: str | None = None, resource_id=None, description: str | None = None,
           changes: dict | None = None, debtor_account_id=None, meta: dict | None = None, ip: str | None = None,
           user_agent: str | None = None, success: bool = True, error_message: str | None = None) -> AuditLog:
    """Append one audit row to its business's chain (in the caller's transaction)."""
    if user is not None:
        business_id = business_id or user.business_id
    elif principal is not None:
        business_id = business_id or principal.business_id
    if changes and debtor_account_id is not None:
        changes = seal_changes(db_session, business_id, debtor_account_id, changes, now)
    _lock_chain(db_session, business_id)
    last = db_session.execute(select(AuditLog.seq, AuditLog.row_hash).where(
        AuditLog.business_id.is_(None) if business_id is None else AuditLog.business_id == business_id
    ).order_by(AuditLog.seq.desc()).limit(1)).first()
    row = AuditLog(
        id=uuid.uuid4(), business_id=business_id, seq=(last.seq + 1) if last else 1,
        user_id=user.id if user is not None else (principal.user_id if principal is not None else None),
        user_email=user.email if user is not None else (principal.email if principal is not None else None),
        user_role=user.role if user is not None else (principal.role if principal is not None else None),
        action=action, resource_type=resource_type, resource_id=resource_id, description=description,
        changes=changes, meta=meta or ({"apiKeyId": str(principal.api_key_id)} if principal is not None
                                       and principal.api_key_id else None),
        ip_address=ip, user_agent=(user_agent or "")[:500] or None, success=success, error_message=error_message,
        created_at=now.astimezone(dt.timezone.utc),
    )
    row.prev_hash = last.row_hash if last else GENESIS
    row.row_hash = row_hash(row.prev_hash, row)
    db_session.add(row)
    return row


def record_many(db_session, entries: list[dict], *, now: dt.datetime, principal) -> int:
    """Append many rows to the caller's business chain with one lock and one bulk insert (imports).

    Each entry has the keyword arguments of `record` except the principal and time (no sealed changes: an import
    records which fields it set, the values live on the account)."""
    if not entries:
        return 0
    business_id = principal.business_id
    _lock_chain(db_session, business_id)
    last = db_session.execute(select(AuditLog.seq, AuditLog.row_hash).where(
        AuditLog.business_id.is_(None) if business_id is None else AuditLog.business_id == business_id
    ).order_by(AuditLog.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.row_hash) if last else (0, GENESIS)
    created = now.astimezone(dt.timezone.utc)
    meta_default = {"apiKeyId": str(principal.api_key_id)} if principal.api_key_id else None
    rows = []
    for entry in entries:
        seq += 1
        row = {"id": uuid.uuid4(), "business_id": business_id, "seq": seq, "user_id": principal.user_id,
               "user_email": principal.email, "user_role": principal.role, "action": entry["action"],
               "resource_type": entry.get("resource_type"), "resource_id": entry.get("resource_id"),
               "description": entry.get("description"), "changes": None, "meta": entry.get("meta") or meta_default,
               "ip_address": None, "user_agent": None, "success": True, "error_message": None,
               "created_at": created}
        row["prev_hash"] = prev
        row["row_hash"] = prev = hashlib.sha256(prev.encode() + _canonical_values(row)).hexdigest()
        rows.append(row)
    insert_many(db_session, AuditLog, rows)
    return len(rows)


@dataclass(frozen=True)
class ChainProblem:
    business_id: uuid.UUID | None
    seq: int
    problem: str


def verify(db_session, business_id=None, *, all_businesses: bool = False) -> list[ChainProblem]:
    """Walk a chain (or every chain) and report altered, missing or reordered rows."""
    problems: list[ChainProblem] = []
    if all_businesses:
        ids = db_session.scalars(select(AuditLog.business_id).distinct()).all()
    else:
        ids = [business_id]
    for chain in ids:
        stmt = select(AuditLog).where(AuditLog.business_id.is_(None) if chain is None
                                      else AuditLog.business_id == chain).order_by(AuditLog.seq)
        expected_prev, expected_seq = GENESIS, 1
        for row in db_session.scalars(stmt):
            if row.seq != expected_seq:
                problems.append(ChainProblem(chain, expected_seq, f"row {expected_seq} is missing (next is {row.seq})"))
            if row.prev_hash != expected_prev:
                problems.append(ChainProblem(chain, row.seq, "previous-hash link is broken"))
            if row.row_hash != row_hash(row.prev_hash or "", row):
                problems.append(ChainProblem(chain, row.seq, "row content does not match its hash (altered)"))
            expected_prev, expected_seq = row.row_hash, row.seq + 1
    return problems


def fingerprint(value: str) -> str:
    """A stable, non-reversible handle for a value that must not appear in plain text (e.g. an unknown email)."""
    digest = hashlib.sha256(("audit-fp:" + value.strip().lower()).encode()).digest()
    return base64.urlsafe_b64encode(digest[:9]).decode()


@dataclass(frozen=True)
class AuditFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    user: str | None = None
    action: str | None = None
    resource_type: str | None = None


def search(db_session, business_id, filters: AuditFilters, *, page: int = 1, limit: int = 50):
    """The business's audit rows, newest first, filtered; (rows, total)."""
    from sqlalchemy import func

    stmt = select(AuditLog).where(AuditLog.business_id == business_id)
    if filters.date_from:
        stmt = stmt.where(AuditLog.created_at >= dt.datetime.combine(filters.date_from, dt.time(), dt.timezone.utc))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
        stmt = stmt.where(AuditLog.created_at < end)
    if filters.user:
        stmt = stmt.where(func.lower(AuditLog.user_email).like(f"%{filters.user.strip().lower()}%"))
    if filters.action:
        stmt = stmt.where(AuditLog.action == filters.action)
    if filters.resource_type:
        stmt = stmt.where(AuditLog.resource_type == filters.resource_type)
    total = db_session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db_session.scalars(stmt.order_by(AuditLog.seq.desc()).offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def distinct_values(db_session, business_id, column) -> list[str]:
    return [v for v in db_session.scalars(select(column).where(AuditLog.business_id == business_id)
                                          .distinct().order_by(column)).all() if v]


def export_rows(db_session, business_id, filters: AuditFilters):
    """Every matching row for CSV export, in chain order, changes opened where the debtor key still exists."""
    stmt_rows, _ = search(db_session, business_id, filters, page=1, limit=1_000_000)
    for row in reversed(stmt_rows):
        yield row, open_changes(db_session, row.changes)
