"""Bulk actions on a selection or on every account matching the filter: tags, assignment, status, delete."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from app.models import Account
from app.models.account import ACCOUNT_STATUSES
from app.services import audit
from app.services.accounts import records
from app.services.accounts.search import AccountQuery, build
from app.services.auth import permissions
from app.services.errors import DomainError, Forbidden, ValidationError
from app.services.tenancy import Principal

ACTIONS = ("add_tag", "remove_tag", "assign", "status", "delete")
MAX_BATCH = 50_000


def _targets(db_session, principal: Principal, ids: list[str] | None, query: AccountQuery | None):
    stmt = build(principal, query or AccountQuery())
    if ids is not None:
        try:
            keys = [uuid.UUID(i) for i in ids]
        except ValueError:
            raise ValidationError("The selection holds an invalid id.", field="ids") from None
        if not keys:
            raise ValidationError("Select at least one account.", field="ids")
        stmt = stmt.where(Account.id.in_(keys))
    return db_session.scalars(stmt.limit(MAX_BATCH + 1)).all()


def apply(db_session, principal: Principal, action: str, value: str | None, now: dt.datetime, *,
          ids: list[str] | None = None, query: AccountQuery | None = None) -> dict:
    """Apply one action to the chosen accounts; returns {changed, skipped, errors}. Audited as one entry."""
    if action not in ACTIONS:
        raise ValidationError(f"Action must be one of {', '.join(ACTIONS)}.", field="action")
    needed = "accounts.delete" if action == "delete" else "accounts.write"
    if permissions.scope(principal.role, needed) != "all":
        raise Forbidden("Your role may not change accounts in bulk.")
    accounts = _targets(db_session, principal, ids, query)
    if len(accounts) > MAX_BATCH:
        raise ValidationError(f"At most {MAX_BATCH:,} accounts at a time: narrow the filter.", field="ids")
    changed, skipped, errors = 0, 0, []
    tag = (value or "").strip().lower() if action in ("add_tag", "remove_tag") else None
    if action in ("add_tag", "remove_tag") and not tag:
        raise ValidationError("Enter a tag.", field="value")
    if action == "status" and value not in ACCOUNT_STATUSES:
        raise ValidationError("Choose a status.", field="value")
    agent_id = None
    if action == "assign" and value:
        try:
            agent_id = uuid.UUID(value)
        except ValueError:
            raise ValidationError("Choose an agent.", field="value") from None
        records.check_agent(db_session, principal, agent_id)
    for account in accounts:
        try:
            if action == "add_tag":
                if tag in (account.tags or []):
                    skipped += 1
                    continue
                account.tags = [*(account.tags or []), tag]
            elif action == "remove_tag":
                if tag not in (account.tags or []):
                    skipped += 1
                    continue
                account.tags = [t for t in account.tags if t != tag]
            elif action == "assign":
                account.assigned_agent_id = agent_id
            elif action == "status":
                account.status = value
            elif action == "delete":
                with db_session.begin_nested():
                    records.delete_account(db_session, principal, account, now)
            account.updated_at = now
            changed += 1
        except DomainError as exc:
            errors.append({"accountNumber": account.account_number, "error": exc.message})
    audit.record(db_session, f"accounts_bulk_{action}", principal=principal, now=now, resource_type="account",
                 description=f"{changed} changed, {skipped} unchanged, {len(errors)} refused",
                 meta={"value": value if action != "assign" else str(agent_id), "count": len(accounts)})
    return {"changed": changed, "skipped": skipped, "errors": errors}
