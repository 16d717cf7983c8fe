"""Creating, changing and deleting debtor accounts, inside the caller's business, audited field by field."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from app.models import Account, Business, ConsentEvent, PaymentPlan, User
from app.services import audit, webhooks
from app.services.accounts.serialize import account_json
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal, get_scoped
from app.services.timezones import candidate_zones

AUDITED_PERSONAL = {"first_name", "last_name", "email", "phone", "phone_secondary", "address", "city", "zip",
                    "notes", "custom_fields"}


def _lock_business(db_session, business_id) -> Business:
    stmt = select(Business).where(Business.id == business_id)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db_session.scalars(stmt).one()


def next_account_number(db_session, business_id) -> str:
    """ACC-000001, ACC-000002... per business, skipping numbers already taken by hand."""
    business = _lock_business(db_session, business_id)
    while True:
        business.account_number_seq += 1
        number = f"ACC-{business.account_number_seq:06d}"
        taken = db_session.scalar(select(func.count()).select_from(Account).where(
            Account.business_id == business_id, Account.account_number == number))
        if not taken:
            return number


def derive_timezone(account: Account) -> None:
    """When no zone was given, keep one only if address and phones agree on it (shown with its source)."""
    if account.timezone and account.timezone_source in ("api", "staff", "stated", "import"):
        return
    found = candidate_zones(state=account.state, zip_code=account.zip,
                            phones=[p for p in (account.phone, account.phone_secondary) if p])
    if len(found.zones) == 1:
        account.timezone = found.zones[0]
        account.timezone_source = next(iter(found.sources)).split(":")[0]
    else:
        account.timezone = None
        account.timezone_source = None


def check_agent(db_session, principal: Principal, agent_id) -> None:
    if agent_id is None:
        return
    agent = db_session.get(User, agent_id)
    if agent is None or agent.business_id != principal.business_id or agent.role not in (
            "agent", "manager", "business_admin") or not agent.is_active:
        raise ValidationError("assignedAgentId is not an active user of this business.", field="assignedAgentId")


def _record_consents(db_session, principal: Principal, account: Account, values: dict, now: dt.datetime) -> None:
    """D-14: consent set by the creditor (API, CSV, form) is stored as an attested consent event."""
    for channel, address in (("sms", account.phone), ("email", account.email), ("whatsapp", account.phone)):
        flag = values.get(f"{channel}_consent")
        if flag is None:
            continue
        if flag and not getattr(account, f"{channel}_consent_date", None):
            setattr(account, f"{channel}_consent_date", now)
        db_session.add(ConsentEvent(
            business_id=account.business_id, account_id=account.id, channel=channel, address=address,
            granted=bool(flag), source="creditor_attested", actor_user_id=principal.user_id,
            actor_api_key_id=principal.api_key_id,
            occurred_at=getattr(account, f"{channel}_consent_date", None) or now, created_at=now))


def _api_name(attribute: str) -> str:
    from app.services.accounts.fields import FIELDS

    return next((api for api, (attr, _) in FIELDS.items() if attr == attribute), attribute)


def _changes(before: dict, after: dict) -> dict:
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if before.get(k) != v}


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, uuid.UUID)):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    return str(value) if value is not None and not isinstance(value, (str, int, bool, list, dict)) else value


def _audit(db_session, action, principal, account, changes, now, ip=None, user_agent=None):
    personal = {k: v for k, v in changes.items() if k in AUDITED_PERSONAL}
    other = {k: v for k, v in changes.items() if k not in AUDITED_PERSONAL}
    audit.record(db_session, action, principal=principal, now=now, resource_type="account", resource_id=account.id,
                 description=account.account_number, changes=personal or None,
                 debtor_account_id=account.id if personal else None,
                 meta={"fields": other} if other else None, ip=ip, user_agent=user_agent)


def create_account(db_session, principal: Principal, values: dict, now: dt.datetime, *, ip=None, user_agent=None,
                   source: str = "api") -> Account:
    """A new account (number generated when omitted); duplicate numbers are a 409 on `accountNumber`."""
    if principal.business_id is None:
        raise Forbidden("Accounts belong to a business.")
    values = dict(values)
    check_agent(db_session, principal, values.get("assigned_agent_id"))
    number = values.pop("account_number", None) or next_account_number(db_session, principal.business_id)
    if db_session.scalar(select(func.count()).select_from(Account).where(
            Account.business_id == principal.business_id, Account.account_number == number)):
        raise Conflict("Duplicate account number.", field="accountNumber")
    account = Account(business_id=principal.business_id, account_number=number, created_at=now, updated_at=now,
                      tags=[], custom_fields={}, inconvenient_times=[])
    for attribute, value in values.items():
        if value is not None:
            setattr(account, attribute, value)
    if account.timezone:
        account.timezone_source = source
    derive_timezone(account)
    db_session.add(account)
    db_session.flush()
    _record_consents(db_session, principal, account, values, now)
    _audit(db_session, "account_created", principal, account,
           _changes({}, {k: v for k, v in values.items() if v is not None}), now, ip, user_agent)
    webhooks.emit(db_session, account.business_id, "account.created", account_json(account), now)
    return account


def visible(principal: Principal, account: Account) -> None:
    """Agents work their queue (assigned to them or unassigned): another agent's account is 403."""
    if principal.role == "agent" and account.assigned_agent_id not in (None, principal.user_id):
        raise Forbidden("This account is in another agent's queue.")


def get_account(db_session, principal: Principal, account_id) -> Account:
    """Another business's id is 404; a same-business account the role may not see is 403."""
    if principal.role == "debtor":
        try:
            key = uuid.UUID(str(account_id))
        except ValueError:
            raise NotFound("Account not found") from None
        account = db_session.get(Account, key)
        if account is None or account.deleted_at is not None or account.debtor_id != principal.user_id:
            raise NotFound("Account not found")
        return account
    account = get_scoped(db_session, Account, account_id, principal)
    visible(principal, account)
    return account


def update_account(db_session, principal: Principal, account: Account, values: dict, now: dt.datetime, *,
                   ip=None, user_agent=None) -> Account:
    if principal.role == "agent":
        raise Forbidden("Agents may add notes to an account but not change it.")
    if "account_number" in values:
        number = values["account_number"]
        if not number:
            raise ValidationError("accountNumber cannot be empty.", field="accountNumber")
        if number != account.account_number and db_session.scalar(select(func.count()).select_from(Account).where(
                Account.business_id == account.business_id, Account.account_number == number)):
            raise Conflict("Duplicate account number.", field="accountNumber")
    for required in ("first_name", "last_name", "current_balance"):
        if required in values and values[required] is None:
            raise ValidationError(f"{required} cannot be empty.", field=required)
    check_agent(db_session, principal, values.get("assigned_agent_id"))
    before = {k: getattr(account, k) for k in values}
    for attribute, value in values.items():
        setattr(account, attribute, value)
    if "timezone" in values:
        account.timezone_source = "api" if values["timezone"] else None
    if {"timezone", "state", "zip", "phone", "phone_secondary"} & set(values):
        derive_timezone(account)
    account.updated_at = now
    changes = _changes(before, values)
    _record_consents(db_session, principal, account,
                     {k: v for k, v in values.items() if k.endswith("_consent") and k in changes}, now)
    if changes:
        _audit(db_session, "account_updated", principal, account, changes, now, ip, user_agent)
        webhooks.emit(db_session, account.business_id, "account.updated",
                      {**account_json(account), "changedFields": sorted(_api_name(k) for k in changes)}, now)
    return account


def delete_account(db_session, principal: Principal, account: Account, now: dt.datetime, *, ip=None,
                   user_agent=None) -> None:
    """Soft delete; refused while a pending or active plan exists (PRD 7.3)."""
    if principal.role not in ("business_admin", "manager"):
        raise Forbidden("Your role may not delete accounts.")
    live_plan = db_session.scalar(select(func.count()).select_from(PaymentPlan).where(
        PaymentPlan.account_id == account.id, PaymentPlan.status.in_(("pending", "active"))))
    if live_plan:
        raise DomainError("Cannot delete an account with an active payment plan.", code="ACTIVE_PLAN")
    account.deleted_at = now
    account.updated_at = now
    _audit(db_session, "account_deleted", principal, account, {}, now, ip, user_agent)
    webhooks.emit(db_session, account.business_id, "account.deleted",
                  {"id": str(account.id), "accountNumber": account.account_number}, now)
