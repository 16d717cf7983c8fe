"""Creating, changing and deleting debtor accounts, inside the caller's business, audited field by field."""
from __future__ import annotations

import datetime as dt
import uuid
from functools import lru_cache

from sqlalchemy import func, select

from app.models import Account, Business, ConsentEvent, DebtDispute, PaymentPlan, User
from app.services import audit, webhooks
from app.services.accounts import attorney as attorney_store
from app.services.accounts.fields import RELATED_PREFIXES
from app.services.batch import insert_many, one_of
from app.services.accounts.serialize import account_json
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal, get_scoped
from app.services.timezones import candidate_zones

AUDITED_PERSONAL = {"first_name", "last_name", "email", "phone", "phone_secondary", "address", "city", "zip",
                    "notes", "custom_fields", "attorney", "representative_address", "employer_domain"}


class Related:
    """Parsed values that are not account columns: attorney details (sealed into attorney_encrypted), dispute and
    original-creditor requests (debt_disputes rows), the workplace objection (the workplace_objection JSON)."""

    __slots__ = ("attorney", "disputes", "workplace", "given")

    def __init__(self, values: dict):
        """Takes the related values out of `values` (the rest are account columns)."""
        self.attorney: dict | None = None
        self.disputes: dict[str, dict] = {}
        self.workplace: dict | None = None
        self.given: list[str] = []
        for key in [k for k in values if k.startswith(RELATED_PREFIXES)]:
            group, _, name = key.partition(":")
            value = values.pop(key)
            if value is not None:
                self.given.append(key)
            if group == "attorney":
                self.attorney = {**(self.attorney or {}), name: value}
            elif group == "workplace":
                self.workplace = {**(self.workplace or {}), name: value}
            else:
                self.disputes.setdefault(group, {})[name] = value

    def names(self) -> list[str]:
        return list(self.given)

    def seal_attorney(self, account_id, current: dict | None, now: dt.datetime) -> tuple[str | None, dict | None]:
        """(ciphertext, details) after merging the given details into the current ones (None removes a detail)."""
        details = {k: v for k, v in {**(current or {}), **(self.attorney or {})}.items() if v not in (None, "")}
        if details and "knownAt" not in details:
            details["knownAt"] = now
        details = {k: v.astimezone(dt.timezone.utc).isoformat() if isinstance(v, dt.datetime) else v
                   for k, v in details.items()}
        if set(details) <= {"knownAt"}:
            return None, None
        return attorney_store.seal(account_id, details), details

    def workplace_value(self, current: dict | None) -> dict | None:
        at = (self.workplace or {}).get("at")
        if at is None:
            return None
        return {**(current or {}), "at": at.astimezone(dt.timezone.utc).isoformat()}


def _dispute_rows(principal: Principal, business_id, account_id, related: Related, period_end, now: dt.datetime,
                  source: str) -> list[dict]:
    """New debt_disputes rows for disputes reported with the account (received date given)."""
    from app.services.compliance.inbound import within_validation_period

    rows = []
    for kind, values in related.disputes.items():
        received = values.get("received_at")
        if received is None:
            continue
        rows.append({
            "id": uuid.uuid4(), "business_id": business_id, "account_id": account_id,
            "kind": "dispute" if kind == "dispute" else "original_creditor", "received_at": received,
            "written": values.get("written") if values.get("written") is not None else True, "channel": None,
            "within_vp": within_validation_period(received, period_end), "portion": values.get("portion"),
            "answered_at": values.get("answered_at"), "note": f"reported with the account ({source})",
            "created_by_id": principal.user_id, "created_at": now})
    return rows


def _dispute_summary(values: dict, rows: list[dict]) -> None:
    """Keep the grid's dispute status in step with the dispute records."""
    disputes = [r for r in rows if r["kind"] == "dispute"]
    if disputes:
        latest = max(disputes, key=lambda r: r["received_at"])
        values["disputed_at"] = latest["received_at"]
        values["dispute_status"] = "verified" if latest["answered_at"] else "open"


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


_ZONES: dict[tuple, tuple[str | None, str | None]] = {}


def zone_for(state: str | None, zip_code: str | None, phones) -> tuple[str | None, str | None]:
    """(zone, source) when address and phones agree on one zone, else (None, None).

    Cached by state, ZIP and area code: North American numbers get their zone from the area code alone (the
    phonenumbers time-zone data and our override table are keyed by it), so an import of many files in few
    places computes each combination once."""
    phones = tuple(p for p in phones if p)
    key = (state, zip_code, tuple(p[:5] if p.startswith("+1") else p for p in phones))
    found = _ZONES.get(key)
    if found is None:
        candidates = candidate_zones(state=state, zip_code=zip_code, phones=phones)
        found = ((candidates.zones[0], next(iter(candidates.sources)).split(":")[0])
                 if len(candidates.zones) == 1 else (None, None))
        if len(_ZONES) >= 100_000:
            _ZONES.clear()
        _ZONES[key] = found
    return found


def derive_timezone(account: Account) -> None:
    """When no zone was given, keep one only if address and phones agree on it (shown with its source)."""
    if account.timezone and account.timezone_source in ("api", "staff", "stated", "import"):
        return
    account.timezone, account.timezone_source = zone_for(account.state, account.zip,
                                                         (account.phone, account.phone_secondary))


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


@lru_cache(maxsize=1024)
def _api_names(attributes: frozenset) -> list[str]:
    return sorted(_api_name(k) for k in attributes)


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
    related = Related(values)
    account = Account(id=uuid.uuid4(), business_id=principal.business_id, account_number=number, created_at=now,
                      updated_at=now, tags=[], custom_fields={}, inconvenient_times=[])
    for attribute, value in values.items():
        if value is not None:
            setattr(account, attribute, value)
    if account.timezone:
        account.timezone_source = source
    derive_timezone(account)
    extra = {}
    if related.attorney:
        account.attorney_encrypted, details = related.seal_attorney(account.id, None, now)
        if details:
            extra["attorney"] = details
    if related.workplace:
        account.workplace_objection = extra["workplace_objection"] = related.workplace_value(None)
    disputes = _dispute_rows(principal, account.business_id, account.id, related, account.validation_period_end,
                             now, source)
    summary: dict = {}
    _dispute_summary(summary, disputes)
    for attribute, value in summary.items():
        setattr(account, attribute, value)
    db_session.add(account)
    db_session.flush()
    if disputes:
        db_session.add_all(DebtDispute(**row) for row in disputes)
        extra["disputes"] = [_dispute_audit(row) for row in disputes]
    _record_consents(db_session, principal, account, values, now)
    _audit(db_session, "account_created", principal, account,
           _changes({}, {**{k: v for k, v in values.items() if v is not None}, **extra}), now, ip, user_agent)
    webhooks.emit(db_session, account.business_id, "account.created", account_json(account), now)
    return account


def allocate_numbers(db_session, business_id, count: int) -> list[str]:
    """`count` fresh ACC-nnnnnn numbers with one lock and one lookup per round (imports)."""
    business = _lock_business(db_session, business_id)
    numbers: list[str] = []
    while len(numbers) < count:
        wanted = count - len(numbers)
        candidates = [f"ACC-{business.account_number_seq + i:06d}" for i in range(1, wanted + 1)]
        business.account_number_seq += wanted
        taken = set(db_session.scalars(select(Account.account_number).where(
            Account.business_id == business_id, one_of(db_session, Account.account_number, candidates))))
        numbers.extend(n for n in candidates if n not in taken)
    return numbers


_REQUIRED_COLUMNS = frozenset(column.key for column in Account.__table__.columns
                              if not column.nullable and column.default is not None and column.default.is_scalar)
"""Flags that cannot be emptied by an update (null would break the NOT NULL column)."""


def _column_defaults() -> dict:
    """Scalar column defaults, so every row of a bulk insert carries the same keys."""
    return {column.key: column.default.arg for column in Account.__table__.columns
            if column.default is not None and column.default.is_scalar}


def insert_accounts(db_session, principal: Principal, rows: list[dict], now: dt.datetime, *,
                    source: str = "import", reference=None) -> list[uuid.UUID]:
    """Create many accounts at once (numbers, zones, attested consents, audit rows, webhooks) in bulk.

    The caller has validated every row and checked account numbers; a constraint violation raised here means a
    concurrent writer won, and the caller retries the rows one by one."""
    if principal.business_id is None:
        raise Forbidden("Accounts belong to a business.")
    business_id = principal.business_id
    numbers = iter(allocate_numbers(db_session, business_id, sum(1 for r in rows if not r.get("account_number"))))
    defaults = _column_defaults()
    rows = [dict(r) for r in rows]
    related_rows = [Related(r) for r in rows]
    keys = set(defaults) | {k for r in rows for k in r} | {f"{c}_consent_date" for c in ("sms", "email", "whatsapp")}
    keys.add("import_batch_id")
    batch_id = uuid.uuid4() if reference is not None else None
    if any(r.attorney for r in related_rows):
        keys.add("attorney_encrypted")
    if any(r.workplace for r in related_rows):
        keys.add("workplace_objection")
    if any(r.disputes for r in related_rows):
        keys.update({"disputed_at", "dispute_status"})
    accounts, consents, entries, disputes = [], [], [], []
    for values, related in zip(rows, related_rows):
        row = dict.fromkeys(keys)
        row.update(defaults)
        row.update({k: v for k, v in values.items() if v is not None})
        row.update(id=uuid.uuid4(), business_id=business_id, created_at=now, updated_at=now,
                   account_number=values.get("account_number") or next(numbers),
                   tags=values.get("tags") or [], custom_fields=values.get("custom_fields") or {},
                   inconvenient_times=[], import_batch_id=batch_id)
        if related.attorney:
            row["attorney_encrypted"] = related.seal_attorney(row["id"], None, now)[0]
        if related.workplace:
            row["workplace_objection"] = related.workplace_value(None)
        found = _dispute_rows(principal, business_id, row["id"], related, row.get("validation_period_end"), now,
                              source)
        _dispute_summary(row, found)
        disputes.extend(found)
        if row.get("timezone"):
            row["timezone_source"] = source
        else:
            row["timezone"], row["timezone_source"] = zone_for(row.get("state"), row.get("zip"),
                                                               (row.get("phone"), row.get("phone_secondary")))
        for channel, address in (("sms", row.get("phone")), ("email", row.get("email")),
                                 ("whatsapp", row.get("phone"))):
            flag = values.get(f"{channel}_consent")
            if flag is None:
                continue
            if flag and not row.get(f"{channel}_consent_date"):
                row[f"{channel}_consent_date"] = now
            consents.append({
                "id": uuid.uuid4(), "business_id": business_id, "account_id": row["id"], "channel": channel,
                "address": address, "granted": bool(flag), "source": "creditor_attested",
                "actor_user_id": principal.user_id, "actor_api_key_id": principal.api_key_id,
                "occurred_at": row.get(f"{channel}_consent_date") or now, "created_at": now, "evidence": {}})
        accounts.append(row)
        entries.append({"action": "account_created", "resource_type": "account", "resource_id": row["id"],
                        "description": row["account_number"],
                        "meta": {"source": source, "fields": _api_names(frozenset(
                            [k for k, v in values.items() if v is not None] + related.names()))}})
    if batch_id is not None:  # one audit row for an import batch, naming its accounts; each account points to it
        entries = [{"action": "accounts_created", "resource_type": "account_import_batch", "resource_id": batch_id,
                    "description": f"{len(accounts)} accounts",
                    "meta": {"source": source, "import": str(reference),
                             "fields": sorted({f for e in entries for f in e["meta"]["fields"]}),
                             "accounts": [[str(row["id"]), row["account_number"]] for row in accounts]}}]
    insert_many(db_session, Account, accounts)
    if consents:
        insert_many(db_session, ConsentEvent, consents)
    if disputes:
        insert_many(db_session, DebtDispute, disputes)
    audit.record_many(db_session, entries, now=now, principal=principal)
    webhooks.emit_many(db_session, business_id, "account.created", accounts, now,
                       data=lambda row: account_json(Account(**row)))
    return [row["id"] for row in accounts]


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
    values = dict(values)
    related = Related(values)
    for required in ("first_name", "last_name", "current_balance"):
        if required in values and values[required] is None:
            raise ValidationError(f"{required} cannot be empty.", field=required)
    for attribute in _REQUIRED_COLUMNS & set(values):
        if values[attribute] is None:
            name = _api_name(attribute)
            raise ValidationError(f"{name} cannot be empty.", field=name)
    check_agent(db_session, principal, values.get("assigned_agent_id"))
    before = {k: getattr(account, k) for k in values}
    after = dict(values)
    if related.attorney is not None:
        try:
            current = attorney_store.open_(account.id, account.attorney_encrypted)
        except ValueError:
            current = None
        sealed, details = related.seal_attorney(account.id, current, now)
        if details != current:
            before["attorney"], after["attorney"] = current, details
            account.attorney_encrypted = sealed
    if related.workplace is not None:
        before["workplace_objection"] = account.workplace_objection
        after["workplace_objection"] = related.workplace_value(account.workplace_objection)
        account.workplace_objection = after["workplace_objection"]
    disputes = _update_disputes(db_session, principal, account, related, now)
    if disputes:
        before["disputes"], after["disputes"] = None, disputes
    for attribute, value in values.items():
        setattr(account, attribute, value)
    if "timezone" in values:
        account.timezone_source = "api" if values["timezone"] else None
    if {"timezone", "state", "zip", "phone", "phone_secondary"} & set(values):
        derive_timezone(account)
    account.updated_at = now
    changes = _changes(before, after)
    _record_consents(db_session, principal, account,
                     {k: v for k, v in values.items() if k.endswith("_consent") and k in changes}, now)
    if changes:
        _audit(db_session, "account_updated", principal, account, changes, now, ip, user_agent)
        webhooks.emit(db_session, account.business_id, "account.updated",
                      {**account_json(account), "changedFields": sorted(_api_name(k) for k in changes)}, now)
    return account


def _update_disputes(db_session, principal: Principal, account: Account, related: Related, now: dt.datetime
                     ) -> list[dict]:
    """A reported date records a new dispute (or updates the one received then); an answered date alone answers
    the latest open one of its kind. Returns what changed, for the audit row."""
    changed = []
    new_rows = _dispute_rows(principal, account.business_id, account.id, related, account.validation_period_end, now,
                             "api")
    existing = db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id)).all() \
        if related.disputes else []
    for row in new_rows:
        same = next((d for d in existing if d.kind == row["kind"] and d.received_at == row["received_at"]), None)
        if same is None:
            dispute = DebtDispute(**row)
            db_session.add(dispute)
            existing.append(dispute)
        else:
            for name in ("written", "portion", "answered_at"):
                if row[name] is not None and getattr(same, name) != row[name]:
                    setattr(same, name, row[name])
        changed.append(_dispute_audit(row))
    for group, values in related.disputes.items():
        answered = values.get("answered_at")
        kind = "dispute" if group == "dispute" else "original_creditor"
        if answered is None or values.get("received_at") is not None:
            continue
        open_rows = [d for d in existing if d.kind == kind and d.answered_at is None]
        if not open_rows:
            raise ValidationError(f"No open {kind.replace('_', '-')} request to mark answered.",
                                  field="disputeAnsweredDate" if kind == "dispute" else "originalCreditorAnsweredDate")
        latest = max(open_rows, key=lambda d: d.received_at)
        latest.answered_at = answered
        changed.append({"kind": kind, "receivedAt": latest.received_at.isoformat(), "answeredAt": answered.isoformat()})
    disputes = [d for d in existing if d.kind == "dispute"]
    if changed and disputes:
        latest = max(disputes, key=lambda d: d.received_at)
        account.disputed_at = latest.received_at
        account.dispute_status = "verified" if latest.answered_at else "open"
    return changed


def _dispute_audit(row: dict) -> dict:
    return {"kind": row["kind"], "receivedAt": row["received_at"].isoformat(), "written": row["written"],
            "withinValidationPeriod": row["within_vp"],
            "portion": str(row["portion"]) if row["portion"] is not None else None,
            "answeredAt": row["answered_at"].isoformat() if row["answered_at"] else None}


def delete_account(db_session, principal: Principal, account: Account, now: dt.datetime, *, ip=None,
                   user_agent=None) -> None:
    """Soft delete; refused while an open plan (pending, active or paused) exists (PRD 7.3: a paused plan is still
    the debtor's agreement)."""
    if principal.role not in ("business_admin", "manager"):
        raise Forbidden("Your role may not delete accounts.")
    live_plan = db_session.scalar(select(func.count()).select_from(PaymentPlan).where(
        PaymentPlan.account_id == account.id, PaymentPlan.status.in_(("pending", "active", "paused"))))
    if live_plan:
        raise DomainError("Cannot delete an account with an active payment plan.", code="ACTIVE_PLAN")
    account.deleted_at = now
    account.updated_at = now
    _audit(db_session, "account_deleted", principal, account, {}, now, ip, user_agent)
    webhooks.emit(db_session, account.business_id, "account.deleted",
                  {"id": str(account.id), "accountNumber": account.account_number}, now)
