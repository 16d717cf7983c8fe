"""Recording and clearing the compliance facts of one account, inside the caller's business, each change audited.

Who may do what (DESIGN.md section 12 and the compliance brief):
- business admins and managers record and clear every fact;
- an agent may only *record* the facts that protect the debtor (an opt-out, a cease, an attorney mention, a
  dispute), on accounts in their queue, and never clears one: a protection added by mistake is cleared by a manager;
- debtors and platform staff without a business never reach these records.
Another business's account is NotFound (404); an agent outside their queue, or acting beyond those four, is Forbidden.

Values arrive parsed (aware datetimes, Decimals, plain strings); this module checks what they mean (dates not in the
future, addresses on file, evidence for each consent source) and raises ValidationError naming the form field.
Free text and addresses go into the audit row sealed under the debtor's key; the rest is plain meta.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from app.models import Account, ConsentEvent, DebtDispute, DoNotContact, OptOutEvent
from app.models.account import CEASE_TYPES, EMAIL_PROVENANCES
from app.models.compliance import DISPUTE_KINDS
from app.services import audit
from app.services.accounts import attorney as attorney_store, fields as parse
from app.services.accounts.records import visible
from app.services.compliance.inbound import within_validation_period
from app.services.compliance.loader import blackout_json, blackouts_from_json
from app.services.compliance.facts import Blackout
from app.services.compliance.rules.stops import norm_address
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal

UTC = dt.timezone.utc
EDITORS = frozenset({"business_admin", "manager"})
PROTECTIVE = frozenset({"opt_out", "cease", "attorney_mention", "dispute"})
"""What an agent may record on an account in their queue: facts that only ever stop messages."""

CONSENT_CHANNELS = ("sms", "whatsapp", "email")
STAFF_CONSENT_SOURCES = ("oral", "written", "web", "creditor_attested")
"""Sources staff can attest to; keyword and portal consents are recorded by the debtor's own actions."""
EVIDENCE_KEYS = {"oral": "recording_id", "written": "document_id", "web": "ip"}
"""CONSENT-1: the evidence each source needs (creditor_attested is evidenced by the recording user)."""
OPT_OUT_VIA = ("voice", "mail", "in_person")
"""OPT-9: opt-outs a person received (by phone, by mail, in person), as opposed to keywords the pipeline reads."""
OPT9_WINDOW = dt.timedelta(hours=24)
DNC_KINDS = ("account", "phone", "email")
CEASE_CHANNELS = ("mail", "email", "sms", "whatsapp", "web_chat", "fax", "in_person")
DISPUTE_CHANNELS = ("mail", "email", "sms", "whatsapp", "web_chat", "portal", "voice")
TIME_BARRED = ("true", "false", "unknown")
CCPA_STATES = ("none", "executed", "denied")
CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far in the future a recorded time may lie (a browser clock a little ahead)."""
FUTURE_DATE_SLACK = dt.timedelta(hours=14)
"""A date may be 'today' anywhere on earth, i.e. up to 14 h ahead of UTC."""


# -- who may --------------------------------------------------------------------------------------------------
def can_edit(principal: Principal | None) -> bool:
    return principal is not None and principal.role in EDITORS


def can_record(principal: Principal | None, kind: str) -> bool:
    """Whether the role may record this kind of fact at all (queue checks come with the account)."""
    if principal is None:
        return False
    return principal.role in EDITORS or (principal.role == "agent" and kind in PROTECTIVE)


def _authorize(principal: Principal, account: Account, kind: str | None = None) -> None:
    if principal is None or principal.business_id is None or account.business_id != principal.business_id \
            or account.deleted_at is not None:
        raise NotFound("Account not found")
    if principal.role in EDITORS:
        return
    if principal.role == "agent":
        visible(principal, account)
        if kind in PROTECTIVE:
            return
        raise Forbidden("Agents may record an opt-out, a cease, an attorney mention or a dispute, and nothing else.")
    raise Forbidden("Your role may not change compliance records.")


# -- small checks ---------------------------------------------------------------------------------------------
def day_start(day: dt.date, now: dt.datetime) -> dt.datetime:
    """A date entered on a form as an instant: its start in UTC, never later than now (today's date is 'now')."""
    return min(dt.datetime.combine(day, dt.time(0, 0), UTC), now)


def _not_future(value: dt.datetime | None, now: dt.datetime, name: str, *, what: str = "This date") -> None:
    if value is not None and value > now + FUTURE_DATE_SLACK:
        raise ValidationError(f"{what} is in the future.", field=name)


def _required(value, name: str, message: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(message, field=name)
    return value.strip() if isinstance(value, str) else value


def _text(value: str | None, name: str, max_length: int = 2000) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if len(value) > max_length:
        raise ValidationError(f"Keep this to {max_length:,} characters.", field=name)
    return value


def _one_of(value, options, name: str, message: str):
    if value not in options:
        raise ValidationError(message, field=name)
    return value


def addresses_on_file(account: Account, channel: str) -> list[str]:
    """The account's addresses for a channel, normalized as the gate compares them."""
    if channel == "email":
        raw = [account.email]
    elif channel in ("sms", "whatsapp", "phone", "voice"):
        raw = [account.phone, account.phone_secondary]
    else:
        raw = []
    return list(dict.fromkeys(a for a in (norm_address(x) for x in raw if x) if a))


def _address_on_file(account: Account, channel: str, address: str | None, name: str = "address") -> str:
    wanted = norm_address(address)
    on_file = addresses_on_file(account, channel)
    if not on_file:
        raise ValidationError("There is no address on file for this channel.", field=name)
    if wanted not in on_file:
        raise ValidationError("Choose an address on file for this channel.", field=name)
    return wanted


def _iso(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _apply(account: Account, values: dict, now: dt.datetime) -> dict:
    """Set account columns; the changed ones as {name: [before, after]} for the audit row."""
    diff = {}
    for name, value in values.items():
        before = getattr(account, name)
        if before != value:
            diff[name] = [_iso(before), _iso(value)]
            setattr(account, name, value)
    if diff:
        account.updated_at = now
    return diff


def _audit(db_session, principal: Principal, account: Account, action: str, now: dt.datetime, *,
           meta: dict | None = None, personal: dict | None = None, ip=None, user_agent=None) -> None:
    """One row on the account's trail: plain facts in meta, personal values sealed under the debtor's key."""
    personal = {k: [None, _iso(v)] if not isinstance(v, list) else v for k, v in (personal or {}).items()
                if v not in (None, "", [None, None])}
    audit.record(db_session, action, principal=principal, now=now, resource_type="account", resource_id=account.id,
                 description=account.account_number, changes=personal or None,
                 debtor_account_id=account.id if personal else None,
                 meta={k: _iso(v) for k, v in (meta or {}).items()} or None, ip=ip, user_agent=user_agent)


# -- consent (CONSENT-1/2/3, D-14) ------------------------------------------------------------------------------
_SUMMARY = {"sms": ("sms_consent", "sms_consent_date"), "whatsapp": ("whatsapp_consent", "whatsapp_consent_date"),
            "email": ("email_consent", "email_consent_date")}


def _summary_flags(account: Account, channel: str, address: str, granted: bool, at: dt.datetime) -> dict:
    """The grid's consent summary follows the primary address of the channel."""
    primary = norm_address(account.email if channel == "email" else account.phone)
    if address != primary:
        return {}
    flag, date = _SUMMARY[channel]
    return {flag: granted, date: at if granted else getattr(account, date)}


def grant_consent(db_session, principal: Principal, account: Account, *, channel: str, address: str | None,
                  granted_at: dt.datetime | None, source: str, evidence: str | None, now: dt.datetime,
                  ip: str | None = None, user_agent: str | None = None) -> ConsentEvent:
    """A consent staff can vouch for: the date, how it was given, and the evidence CONSENT-1 asks of that source."""
    _authorize(principal, account, "consent")
    channel = _one_of(channel, CONSENT_CHANNELS, "channel", "Choose SMS, WhatsApp or email.")
    address = _address_on_file(account, channel, address)
    granted_at = _required(granted_at, "granted_at", "Enter the date the consent was given.")
    _not_future(granted_at, now, "granted_at")
    source = _one_of(source, STAFF_CONSENT_SOURCES, "source", "Choose how the consent was given.")
    evidence = _text(evidence, "evidence", 255)
    key = EVIDENCE_KEYS.get(source)
    if key and not evidence:
        what = {"recording_id": "the call recording's id", "document_id": "the signed document's id",
                "ip": "the IP address of the web form"}[key]
        raise ValidationError(f"Enter {what}: without it the consent does not count (CONSENT-1).", field="evidence")
    event = ConsentEvent(business_id=account.business_id, account_id=account.id, channel=channel, address=address,
                         granted=True, source=source, ip_address=evidence if source == "web" else None,
                         actor_user_id=principal.user_id, actor_api_key_id=principal.api_key_id,
                         evidence={key: evidence} if key else {"recorded_by": str(principal.user_id)},
                         occurred_at=min(granted_at, now), created_at=now)
    db_session.add(event)
    fields = _apply(account, _summary_flags(account, channel, address, True, event.occurred_at), now)
    _audit(db_session, principal, account, "consent_granted", now,
           meta={"channel": channel, "source": source, "occurredAt": event.occurred_at, **({"fields": fields}
                                                                                         if fields else {})},
           personal={"address": address, "evidence": evidence}, ip=ip, user_agent=user_agent)
    return event


def revoke_consent(db_session, principal: Principal, account: Account, *, channel: str, address: str | None,
                   revoked_at: dt.datetime | None, source: str, note: str | None, now: dt.datetime,
                   ip: str | None = None, user_agent: str | None = None) -> ConsentEvent:
    """The debtor withdrew consent for one channel and address; revocation always wins (D-14)."""
    _authorize(principal, account, "consent")
    channel = _one_of(channel, CONSENT_CHANNELS, "channel", "Choose SMS, WhatsApp or email.")
    address = _address_on_file(account, channel, address)
    revoked_at = _required(revoked_at, "revoked_at", "Enter the date the consent was withdrawn.")
    _not_future(revoked_at, now, "revoked_at")
    source = _one_of(source, ("oral", "written", "web", "portal"), "source", "Choose how the consent was withdrawn.")
    note = _text(note, "note")
    event = ConsentEvent(business_id=account.business_id, account_id=account.id, channel=channel, address=address,
                         granted=False, source=source, actor_user_id=principal.user_id,
                         actor_api_key_id=principal.api_key_id, evidence={"note": note} if note else {},
                         occurred_at=min(revoked_at, now), created_at=now)
    db_session.add(event)
    fields = _apply(account, _summary_flags(account, channel, address, False, event.occurred_at), now)
    _audit(db_session, principal, account, "consent_revoked", now,
           meta={"channel": channel, "source": source, "occurredAt": event.occurred_at,
                 **({"fields": fields} if fields else {})},
           personal={"address": address, "note": note}, ip=ip, user_agent=user_agent)
    return event


# -- opt-out received by a person (OPT-9, OPT-10) -----------------------------------------------------------------
def record_opt_out(db_session, principal: Principal, account: Account, *, received_via: str,
                   received_at: dt.datetime | None, address: str | None = None, note: str | None = None,
                   now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> OptOutEvent:
    """An opt-out a person heard or read (phone, mail, in person). It covers every automated channel (D-3) from the
    moment it was received; a record made more than 24 h after receipt is kept and flagged late (OPT-9)."""
    _authorize(principal, account, "opt_out")
    received_via = _one_of(received_via, OPT_OUT_VIA, "received_via", "Choose how the opt-out reached you.")
    received_at = _required(received_at, "received_at", "Enter when the opt-out was received.")
    if received_at > now + CLOCK_SKEW:
        raise ValidationError("This time is in the future.", field="received_at")
    target = norm_address(address) if address else None
    if target and target not in addresses_on_file(account, "sms") + addresses_on_file(account, "email"):
        raise ValidationError("Choose an address on file, or leave it empty for the whole account.", field="address")
    note = _text(note, "note")
    received_at = min(received_at, now)
    late = now - received_at > OPT9_WINDOW
    event = OptOutEvent(business_id=account.business_id, account_id=account.id, channel=received_via, address=target,
                        action="opt_out", scope="all", rule_id="OPT-9", raw_text=note,
                        classifier_label="staff_recorded", actor_user_id=principal.user_id,
                        received_at=received_at, effective_at=now, created_at=now)
    db_session.add(event)
    _audit(db_session, principal, account, "opt_out_recorded", now,
           meta={"receivedVia": received_via, "receivedAt": received_at, "scope": "all", "rule": "OPT-9",
                 "late": late},
           personal={"address": target, "note": note}, ip=ip, user_agent=user_agent)
    return event


def recorded_late(event: OptOutEvent) -> bool:
    """OPT-9: recorded more than 24 hours after a person received it."""
    return event.effective_at - event.received_at > OPT9_WINDOW


# -- do-not-contact (DNC-1) -----------------------------------------------------------------------------------
def add_do_not_contact(db_session, principal: Principal, account: Account, *, kind: str, value: str | None = None,
                       reason: str | None = None, now: dt.datetime, ip: str | None = None,
                       user_agent: str | None = None) -> DoNotContact:
    """The whole account, or one phone or email on file, on the internal do-not-contact list."""
    _authorize(principal, account, "dnc")
    kind = _one_of(kind, DNC_KINDS, "kind", "Choose the whole account, a phone or an email.")
    target = None if kind == "account" else _address_on_file(account, kind, value, "value")
    active = active_do_not_contact(db_session, account)
    if any(r.kind == kind and (kind == "account" or norm_address(r.value) == target) for r in active) \
            or (kind == "account" and account.do_not_contact):
        raise ValidationError("This is already on the do-not-contact list.", field="value" if target else "kind")
    reason = _text(reason, "reason")
    entry = DoNotContact(business_id=account.business_id, account_id=account.id, kind=kind, value=target,
                         reason=reason, created_by_id=principal.user_id, created_at=now)
    db_session.add(entry)
    fields = _apply(account, {"do_not_contact": True}, now) if kind == "account" else {}
    _audit(db_session, principal, account, "do_not_contact_added", now,
           meta={"kind": kind, **({"fields": fields} if fields else {})},
           personal={"value": target, "reason": reason}, ip=ip, user_agent=user_agent)
    return entry


ACCOUNT_FLAG = "account-flag"
"""The id of the account-level flag set outside this list (the account form, the API, an import)."""


def remove_do_not_contact(db_session, principal: Principal, account: Account, *, entry_id: str,
                          reason: str | None, now: dt.datetime, ip: str | None = None,
                          user_agent: str | None = None) -> None:
    """Take an entry off the list (managers): the row stays, marked removed, with the reason on the trail."""
    _authorize(principal, account, "dnc_remove")
    reason = _required(_text(reason, "reason"), "reason", "Say why the entry is removed.")
    active = active_do_not_contact(db_session, account)
    if entry_id == ACCOUNT_FLAG:
        if not account.do_not_contact:
            raise NotFound("Do-not-contact entry not found")
        for row in (r for r in active if r.kind == "account"):
            row.removed_at = now
        kind, value = "account", None
    else:
        row = next((r for r in active if str(r.id) == str(entry_id)), None)
        if row is None:
            raise NotFound("Do-not-contact entry not found")
        row.removed_at = now
        kind, value = row.kind, row.value
    fields = {}
    if kind == "account" and not any(r.kind == "account" and r.removed_at is None for r in active):
        fields = _apply(account, {"do_not_contact": False}, now)
    _audit(db_session, principal, account, "do_not_contact_removed", now,
           meta={"kind": kind, **({"fields": fields} if fields else {})},
           personal={"value": value, "reason": reason}, ip=ip, user_agent=user_agent)


def active_do_not_contact(db_session, account: Account) -> list[DoNotContact]:
    return list(db_session.scalars(select(DoNotContact).where(
        DoNotContact.business_id == account.business_id, DoNotContact.account_id == account.id,
        DoNotContact.removed_at.is_(None)).order_by(DoNotContact.created_at)).all())


# -- cease (CEASE-1/4/5, D-17) --------------------------------------------------------------------------------
def record_cease(db_session, principal: Principal, account: Account, *, received_at: dt.datetime | None,
                 cease_type: str, only_this_debt: bool, channel: str | None, written: bool = True,
                 now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> None:
    """A cease or refusal to pay: every collection message stops from the day it was received."""
    _authorize(principal, account, "cease")
    if account.cease_received_at is not None:
        raise ValidationError(f"A cease received {account.cease_received_at:%Y-%m-%d} is already on file.",
                              field="received_at")
    received_at = _required(received_at, "received_at", "Enter the date the cease was received.")
    _not_future(received_at, now, "received_at")
    cease_type = _one_of(cease_type, CEASE_TYPES, "cease_type", "Choose a cease or a refusal to pay.")
    if channel:
        _one_of(channel, CEASE_CHANNELS, "channel", "Choose how the cease arrived.")
    fields = _apply(account, {"cease_received_at": min(received_at, now), "cease_type": cease_type,
                              "cease_channel": channel or None, "cease_written": bool(written),
                              "cease_all_debts": not only_this_debt}, now)
    _audit(db_session, principal, account, "cease_recorded", now, meta={"fields": fields}, ip=ip,
           user_agent=user_agent)


def review_cease_candidate(db_session, principal: Principal, account: Account, *, confirm: bool,
                           cease_type: str | None = None, only_this_debt: bool = False, reason: str | None = None,
                           now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> None:
    """D-17: a manager confirms a free-text cease (it becomes the CEASE-1 record, dated when it arrived) or
    clears it with a reason."""
    _authorize(principal, account, "cease_review")
    if account.cease_candidate_at is None:
        raise ValidationError("There is no cease waiting for review.", field="decision")
    reason = _text(reason, "reason")
    if confirm:
        cease_type = _one_of(cease_type or "cease", CEASE_TYPES, "cease_type", "Choose a cease or a refusal to pay.")
        values = {"cease_candidate_at": None}
        if account.cease_received_at is None:
            values.update(cease_received_at=account.cease_candidate_at, cease_type=cease_type, cease_written=True,
                          cease_all_debts=not only_this_debt)
        fields = _apply(account, values, now)
        action = "cease_candidate_confirmed"
    else:
        _required(reason, "reason", "Say why this was not a cease.")
        fields = _apply(account, {"cease_candidate_at": None}, now)
        action = "cease_candidate_cleared"
    _audit(db_session, principal, account, action, now, meta={"fields": fields}, personal={"reason": reason},
           ip=ip, user_agent=user_agent)


def withdraw_cease(db_session, principal: Principal, account: Account, *, reason: str | None, now: dt.datetime,
                   ip: str | None = None, user_agent: str | None = None) -> None:
    """A cease recorded in error, or one the debtor withdrew in writing, is taken off (managers, with a reason)."""
    _authorize(principal, account, "cease_remove")
    if account.cease_received_at is None:
        raise ValidationError("There is no cease on file.", field="reason")
    reason = _required(_text(reason, "reason"), "reason", "Say why the cease no longer applies.")
    fields = _apply(account, {"cease_received_at": None, "cease_type": None, "cease_channel": None,
                              "cease_written": True, "cease_all_debts": True}, now)
    _audit(db_session, principal, account, "cease_withdrawn", now, meta={"fields": fields},
           personal={"reason": reason}, ip=ip, user_agent=user_agent)


# -- attorney (ATTY-1/3) --------------------------------------------------------------------------------------
def attorney_details(account: Account) -> dict | None:
    """The attorney on file ({} when the details cannot be read: still an attorney), or None."""
    if not account.attorney_encrypted:
        return None
    try:
        return attorney_store.open_(account.id, account.attorney_encrypted) or {}
    except ValueError:
        return {}


def save_attorney(db_session, principal: Principal, account: Account, *, name: str | None, address: str | None,
                  email: str | None, phone: str | None, known_at: dt.datetime | None,
                  consented_direct_at: dt.datetime | None, now: dt.datetime, ip: str | None = None,
                  user_agent: str | None = None) -> None:
    """The debtor's attorney: once the name (or address) is known, messages to the debtor stop (ATTY-1) unless the
    attorney consented to direct contact."""
    _authorize(principal, account, "attorney")
    name, address = _text(name, "name", 255), _text(address, "address", 500)
    email, phone = parse.email(email or None, "email"), _text(phone, "phone", 40)
    if not name and not address:
        raise ValidationError("Enter the attorney's name or address.", field="name")
    _not_future(known_at, now, "known_at")
    _not_future(consented_direct_at, now, "consented_direct_at")
    before = attorney_details(account)
    details = {"name": name, "address": address, "email": email, "phone": phone,
               "knownAt": _iso(min(known_at or now, now))}
    sealed = attorney_store.seal(account.id, details)
    clean = {k: v for k, v in details.items() if v}
    account.attorney_encrypted = sealed
    fields = _apply(account, {"attorney_consented_direct_at": consented_direct_at}, now)
    account.updated_at = now
    _audit(db_session, principal, account, "attorney_saved", now,
           meta={"knownAt": clean["knownAt"], **({"fields": fields} if fields else {})},
           personal={"attorney": [before, clean]}, ip=ip, user_agent=user_agent)


def remove_attorney(db_session, principal: Principal, account: Account, *, reason: str | None, now: dt.datetime,
                    ip: str | None = None, user_agent: str | None = None) -> None:
    _authorize(principal, account, "attorney_remove")
    if not account.attorney_encrypted:
        raise ValidationError("There is no attorney on file.", field="reason")
    reason = _required(_text(reason, "reason"), "reason", "Say why the attorney no longer represents the debtor.")
    before = attorney_details(account)
    account.attorney_encrypted = None
    fields = _apply(account, {"attorney_consented_direct_at": None}, now)
    account.updated_at = now
    _audit(db_session, principal, account, "attorney_removed", now, meta={"fields": fields} if fields else None,
           personal={"attorney": [before, None], "reason": reason}, ip=ip, user_agent=user_agent)


def record_attorney_mention(db_session, principal: Principal, account: Account, *,
                            mentioned_at: dt.datetime | None, note: str | None, now: dt.datetime,
                            ip: str | None = None, user_agent: str | None = None) -> None:
    """ATTY-3: the debtor mentioned a lawyer: messages stop until a manager confirms or clears it."""
    _authorize(principal, account, "attorney_mention")
    if mentioned_at is not None and mentioned_at > now + CLOCK_SKEW:
        raise ValidationError("This time is in the future.", field="mentioned_at")
    mentioned_at = min(mentioned_at or now, now)
    note = _text(note, "note")
    earliest = min(filter(None, (account.attorney_pending_at, mentioned_at)))
    fields = _apply(account, {"attorney_pending": True, "attorney_pending_at": earliest}, now)
    _audit(db_session, principal, account, "attorney_mention_recorded", now,
           meta={"mentionedAt": mentioned_at, **({"fields": fields} if fields else {})}, personal={"note": note},
           ip=ip, user_agent=user_agent)


def review_attorney_pending(db_session, principal: Principal, account: Account, *, confirm: bool,
                            reason: str | None, now: dt.datetime, ip: str | None = None,
                            user_agent: str | None = None) -> None:
    """A manager resolves ATTY-3: confirmed once the attorney's details are on file (ATTY-1 then holds), or
    cleared with a reason."""
    _authorize(principal, account, "attorney_review")
    if not account.attorney_pending and account.attorney_pending_at is None:
        raise ValidationError("There is no attorney mention waiting for review.", field="decision")
    reason = _text(reason, "reason")
    if confirm and not account.attorney_encrypted:
        raise ValidationError("Record the attorney's name or address first, then confirm.", field="decision")
    if not confirm:
        _required(reason, "reason", "Say why the debtor is not represented.")
    fields = _apply(account, {"attorney_pending": False, "attorney_pending_at": None}, now)
    _audit(db_session, principal, account, "attorney_pending_confirmed" if confirm else "attorney_pending_cleared",
           now, meta={"fields": fields}, personal={"reason": reason}, ip=ip, user_agent=user_agent)


# -- disputes (DISPUTE-1/2/4) ---------------------------------------------------------------------------------
def disputes(db_session, account: Account) -> list[DebtDispute]:
    return list(db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id)
        .order_by(DebtDispute.received_at.desc())).all())


def _dispute_summary(db_session, account: Account, now: dt.datetime) -> dict:
    """The grid's dispute status: open while any dispute waits for an answer, dated by the newest one."""
    rows = [d for d in disputes(db_session, account) if d.kind == "dispute"]
    if not rows:
        return {}
    waiting = any(d.answered_at is None for d in rows)
    return _apply(account, {"disputed_at": rows[0].received_at, "dispute_status": "open" if waiting else "verified"},
                  now)


def record_dispute(db_session, principal: Principal, account: Account, *, kind: str,
                   received_at: dt.datetime | None, written: bool, channel: str | None,
                   portion: Decimal | None, note: str | None, now: dt.datetime, ip: str | None = None,
                   user_agent: str | None = None) -> DebtDispute:
    """A dispute of the debt (or part of it) or a request for the original creditor; inside the validation period
    a written one holds collection until it is answered (DISPUTE-1/2)."""
    _authorize(principal, account, "dispute")
    kind = _one_of(kind, DISPUTE_KINDS, "kind", "Choose a dispute or an original-creditor request.")
    received_at = _required(received_at, "received_at", "Enter the date it was received.")
    _not_future(received_at, now, "received_at")
    if channel:
        _one_of(channel, DISPUTE_CHANNELS, "channel", "Choose how it arrived.")
    if portion is not None:
        if portion <= 0:
            raise ValidationError("A disputed portion is more than $0.00 (leave it empty for the whole debt).",
                                  field="portion")
        if account.current_balance is not None and portion > account.current_balance:
            raise ValidationError("The disputed portion is more than the balance.", field="portion")
        if kind != "dispute":
            raise ValidationError("Only a dispute names a portion.", field="portion")
    note = _text(note, "note")
    received_at = min(received_at, now)
    row = DebtDispute(business_id=account.business_id, account_id=account.id, kind=kind, received_at=received_at,
                      written=bool(written), channel=channel or None,
                      within_vp=within_validation_period(received_at, account.validation_period_end),
                      portion=portion, note=note, created_by_id=principal.user_id, created_at=now)
    db_session.add(row)
    db_session.flush()
    fields = _dispute_summary(db_session, account, now)
    _audit(db_session, principal, account, "dispute_recorded", now,
           meta={"kind": kind, "receivedAt": received_at, "written": bool(written), "channel": channel,
                 "withinValidationPeriod": row.within_vp, "portion": portion,
                 **({"fields": fields} if fields else {})},
           personal={"note": note}, ip=ip, user_agent=user_agent)
    return row


def answer_dispute(db_session, principal: Principal, account: Account, *, dispute_id: str,
                   answered_at: dt.datetime | None, now: dt.datetime, ip: str | None = None,
                   user_agent: str | None = None) -> DebtDispute:
    """The verification (or the creditor's name and address) was sent: the hold on this dispute ends."""
    _authorize(principal, account, "dispute_answer")
    row = next((d for d in disputes(db_session, account) if str(d.id) == str(dispute_id)), None)
    if row is None:
        raise NotFound("Dispute not found")
    if row.answered_at is not None:
        raise ValidationError(f"Already answered on {row.answered_at:%Y-%m-%d}.", field="answered_at")
    answered_at = _required(answered_at, "answered_at", "Enter the date the answer was sent.")
    _not_future(answered_at, now, "answered_at")
    if answered_at < day_start(row.received_at.date(), now):
        raise ValidationError("The answer cannot predate the dispute.", field="answered_at")
    row.answered_at = max(min(answered_at, now), row.received_at)
    db_session.flush()
    fields = _dispute_summary(db_session, account, now)
    _audit(db_session, principal, account, "dispute_answered", now,
           meta={"disputeId": row.id, "kind": row.kind, "answeredAt": row.answered_at,
                 **({"fields": fields} if fields else {})}, ip=ip, user_agent=user_agent)
    return row


# -- workplace and inconvenient times (WORK-2, TIME-4) ----------------------------------------------------------
def _blackout(start: dt.time | None, end: dt.time | None, weekdays, designated_at: dt.datetime,
              prefix: str = "") -> Blackout:
    start = _required(start, f"{prefix}start", "Enter the local start time.")
    end = _required(end, f"{prefix}end", "Enter the local end time.")
    if start == end:
        raise ValidationError("Start and end must differ (an end before the start runs past midnight).",
                              field=f"{prefix}end")
    days = sorted({int(d) for d in (weekdays or ())})
    if not days:
        raise ValidationError("Tick at least one weekday.", field=f"{prefix}weekdays")
    if any(d < 0 or d > 6 for d in days):
        raise ValidationError("Weekdays run from Monday (0) to Sunday (6).", field=f"{prefix}weekdays")
    return Blackout(start=start, end=end, weekdays=frozenset(days), designated_at=designated_at)


def save_workplace(db_session, principal: Principal, account: Account, *, objected_at: dt.datetime | None,
                   start: dt.time | None = None, end: dt.time | None = None, weekdays=(), now: dt.datetime,
                   ip: str | None = None, user_agent: str | None = None) -> None:
    """The debtor objected to contact at work: work phone and email stop, and messages wait out the working hours
    they gave (WORK-2). Hours are local to the debtor; leave them empty when none were given."""
    _authorize(principal, account, "workplace")
    objected_at = _required(objected_at, "objected_at", "Enter the date the debtor objected.")
    _not_future(objected_at, now, "objected_at")
    objected_at = min(objected_at, now)
    hours = []
    if start is not None or end is not None:
        hours.append(blackout_json(_blackout(start, end, weekdays, objected_at)))
    value = {"at": _iso(objected_at), "hours": hours}
    fields = _apply(account, {"workplace_objection": value}, now)
    if fields:
        _audit(db_session, principal, account, "workplace_objection_saved", now, meta={"fields": fields},
               ip=ip, user_agent=user_agent)


def clear_workplace(db_session, principal: Principal, account: Account, *, reason: str | None,
                    now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> None:
    _authorize(principal, account, "workplace_remove")
    if not account.workplace_objection:
        raise ValidationError("There is no workplace objection on file.", field="reason")
    reason = _required(_text(reason, "reason"), "reason", "Say why the objection no longer applies.")
    fields = _apply(account, {"workplace_objection": None}, now)
    _audit(db_session, principal, account, "workplace_objection_cleared", now, meta={"fields": fields},
           personal={"reason": reason}, ip=ip, user_agent=user_agent)


def inconvenient_times(account: Account) -> list[tuple[int, Blackout]]:
    """The designations in force, with their index in the stored list (the handle to remove one)."""
    stored = account.inconvenient_times if isinstance(account.inconvenient_times, list) else []
    found = []
    for index, item in enumerate(stored):
        parsed = blackouts_from_json([item])
        if parsed and parsed[0].revoked_at is None:
            found.append((index, parsed[0]))
    return found


def add_inconvenient_time(db_session, principal: Principal, account: Account, *, start: dt.time | None,
                          end: dt.time | None, weekdays, now: dt.datetime, ip: str | None = None,
                          user_agent: str | None = None) -> None:
    """TIME-4: a time the debtor said is inconvenient (local to them); messages wait until it ends."""
    _authorize(principal, account, "inconvenient_time")
    entry = blackout_json(_blackout(start, end, weekdays, now))
    stored = list(account.inconvenient_times or [])
    account.inconvenient_times = [*stored, entry]
    account.updated_at = now
    _audit(db_session, principal, account, "inconvenient_time_added", now, meta={"time": entry}, ip=ip,
           user_agent=user_agent)


def remove_inconvenient_time(db_session, principal: Principal, account: Account, *, index: int,
                             now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> None:
    """The debtor said the time is fine again: the designation is kept, marked revoked."""
    _authorize(principal, account, "inconvenient_time_remove")
    stored = [dict(x) if isinstance(x, dict) else x for x in (account.inconvenient_times or [])]
    if not isinstance(index, int) or not 0 <= index < len(stored) or not isinstance(stored[index], dict) \
            or stored[index].get("revokedAt"):
        raise NotFound("Inconvenient time not found")
    stored[index]["revokedAt"] = _iso(now)
    account.inconvenient_times = stored
    account.updated_at = now
    _audit(db_session, principal, account, "inconvenient_time_removed", now, meta={"time": stored[index]}, ip=ip,
           user_agent=user_agent)


# -- account-level facts ----------------------------------------------------------------------------------------
def save_account_stops(db_session, principal: Principal, account: Account, *, bankruptcy: bool, deceased: bool,
                       representative_address: str | None, now: dt.datetime, ip: str | None = None,
                       user_agent: str | None = None) -> dict:
    """ACCT-1 (bankruptcy stay) and ACCT-2 (deceased: only the estate's representative may be contacted)."""
    _authorize(principal, account, "stops")
    representative = _text(representative_address, "representative_address", 255)
    if representative and not deceased:
        raise ValidationError("A representative is recorded only for a deceased debtor.",
                              field="representative_address")
    before_rep = account.representative_address
    fields = _apply(account, {"bankruptcy": bool(bankruptcy), "deceased": bool(deceased)}, now)
    rep_changed = _apply(account, {"representative_address": norm_address(representative) if representative
                                   else None}, now)
    if fields or rep_changed:
        _audit(db_session, principal, account, "account_stops_updated", now, meta={"fields": fields} if fields
               else None, personal={"representative_address": [before_rep, account.representative_address]}
               if rep_changed else None, ip=ip, user_agent=user_agent)
    return {**fields, **rep_changed}


def save_privacy(db_session, principal: Principal, account: Account, *, ccpa: str, ccpa_at: dt.datetime | None,
                 ccpa_denied_reason: str | None, gdpr_scope: bool, marketing_objection: bool, now: dt.datetime,
                 ip: str | None = None, user_agent: str | None = None) -> dict:
    """PRIV-1 (a CCPA deletion executed suppresses the debtor; a denial keeps the reason) and PRIV-2 (GDPR scope,
    objection to marketing)."""
    _authorize(principal, account, "privacy")
    ccpa = _one_of(ccpa, CCPA_STATES, "ccpa", "Choose none, executed or denied.")
    reason = _text(ccpa_denied_reason, "ccpa_denied_reason")
    values: dict = {"gdpr_scope": bool(gdpr_scope)}
    if ccpa == "executed":
        when = _required(ccpa_at, "ccpa_at", "Enter the date the deletion was executed.")
        _not_future(when, now, "ccpa_at")
        values.update(ccpa_deleted_at=account.ccpa_deleted_at or min(when, now), ccpa_denied_reason=None)
    elif ccpa == "denied":
        _required(reason, "ccpa_denied_reason", "Give the reason the deletion was denied (e.g. GLBA-covered data).")
        values.update(ccpa_deleted_at=None, ccpa_denied_reason=reason)
    else:
        values.update(ccpa_deleted_at=None, ccpa_denied_reason=None)
    if marketing_objection:
        values["marketing_objection_at"] = account.marketing_objection_at or now
    else:
        values["marketing_objection_at"] = None
    fields = _apply(account, values, now)
    if fields:
        _audit(db_session, principal, account, "privacy_updated", now, meta={"fields": fields}, ip=ip,
               user_agent=user_agent)
    return fields


def save_email_facts(db_session, principal: Principal, account: Account, *, provenance: str | None, is_work: bool,
                     employer_domain: str | None, now: dt.datetime, ip: str | None = None,
                     user_agent: str | None = None) -> dict:
    """How the email address was obtained (CONSENT-3) and whether it is a work address (WORK-1, STATE-NY-1)."""
    _authorize(principal, account, "email_facts")
    if provenance:
        _one_of(provenance, EMAIL_PROVENANCES, "provenance", "Choose how the address was obtained.")
    domain = _text(employer_domain, "employer_domain", 255)
    if domain:
        domain = domain.lower().lstrip("@")
        if "." not in domain or " " in domain or "@" in domain:
            raise ValidationError("Enter a domain like employer.com.", field="employer_domain")
    before_domain = account.employer_domain
    fields = _apply(account, {"email_provenance": provenance or None, "email_is_work": bool(is_work)}, now)
    domain_changed = _apply(account, {"employer_domain": domain}, now)
    if fields or domain_changed:
        _audit(db_session, principal, account, "email_facts_updated", now, meta={"fields": fields} if fields
               else None, personal={"employer_domain": [before_domain, domain]} if domain_changed else None, ip=ip,
               user_agent=user_agent)
    return {**fields, **domain_changed}


def save_consent_dates(db_session, principal: Principal, account: Account, *, nyc_consent_at: dt.datetime | None,
                       esign_consent_at: dt.datetime | None, now: dt.datetime, ip: str | None = None,
                       user_agent: str | None = None) -> dict:
    """STATE-NYC-1 (consent to electronic messages) and VALID-4 (E-SIGN consent for an electronic notice)."""
    _authorize(principal, account, "consent_dates")
    _not_future(nyc_consent_at, now, "nyc_consent_at")
    _not_future(esign_consent_at, now, "esign_consent_at")
    fields = _apply(account, {"nyc_consent_at": min(nyc_consent_at, now) if nyc_consent_at else None,
                              "esign_consent_at": min(esign_consent_at, now) if esign_consent_at else None}, now)
    if fields:
        _audit(db_session, principal, account, "consent_dates_updated", now, meta={"fields": fields}, ip=ip,
               user_agent=user_agent)
    return fields


def save_collection_flags(db_session, principal: Principal, account: Account, *, time_barred: str,
                          legal_action_approved: bool, now: dt.datetime, ip: str | None = None,
                          user_agent: str | None = None) -> dict:
    """TBD-1 (time-barred: no word of suing) and CONTENT-4 (legal action approved for human agents)."""
    _authorize(principal, account, "collection_flags")
    time_barred = _one_of(time_barred, TIME_BARRED, "time_barred", "Choose yes, no or unknown.")
    if legal_action_approved and time_barred != "false":
        raise ValidationError("Legal action can be approved only when the debt is known not to be time-barred "
                              "(TBD-1).", field="legal_action_approved")
    fields = _apply(account, {"time_barred": time_barred, "legal_action_approved": bool(legal_action_approved)}, now)
    if fields:
        _audit(db_session, principal, account, "collection_flags_updated", now, meta={"fields": fields}, ip=ip,
               user_agent=user_agent)
    return fields


# -- what the tab shows ----------------------------------------------------------------------------------------
@dataclass
class ConsentState:
    channel: str
    address: str | None
    granted: bool
    source: str
    occurred_at: dt.datetime
    evidence: dict = field(default_factory=dict)


@dataclass
class ComplianceFile:
    """Everything the Compliance tab lists, read once."""

    consents: list[ConsentState]
    consent_history: list[ConsentEvent]
    opt_outs: list[OptOutEvent]
    do_not_contact: list[DoNotContact]
    account_flag_only: bool  # the account flag is set with no list entry behind it
    disputes: list[DebtDispute]
    attorney: dict | None
    inconvenient: list[tuple[int, Blackout]]
    work_hours: list[Blackout]
    workplace_at: dt.datetime | None


def load_file(db_session, principal: Principal, account: Account) -> ComplianceFile:
    """The account's compliance records, for a caller who may see the account."""
    if principal is None or principal.business_id is None or account.business_id != principal.business_id:
        raise NotFound("Account not found")
    if principal.role == "agent":
        visible(principal, account)
    elif principal.role not in EDITORS:
        raise Forbidden("Your role may not see compliance records.")
    history = list(db_session.scalars(select(ConsentEvent).where(
        ConsentEvent.business_id == account.business_id, ConsentEvent.account_id == account.id)
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.created_at.desc())).all())
    latest: dict[tuple[str, str | None], ConsentState] = {}
    for event in history:
        key = (event.channel, norm_address(event.address))
        if key not in latest:
            latest[key] = ConsentState(channel=event.channel, address=key[1], granted=event.granted,
                                       source=event.source, occurred_at=event.occurred_at,
                                       evidence=event.evidence if isinstance(event.evidence, dict) else {})
    opt_outs = list(db_session.scalars(select(OptOutEvent).where(
        OptOutEvent.business_id == account.business_id, OptOutEvent.account_id == account.id)
        .order_by(OptOutEvent.received_at.desc())).all())
    dnc = active_do_not_contact(db_session, account)
    workplace = account.workplace_objection if isinstance(account.workplace_objection, dict) else None
    at = workplace.get("at") if workplace else None
    return ComplianceFile(
        consents=sorted(latest.values(), key=lambda c: (CONSENT_CHANNELS.index(c.channel)
                                                        if c.channel in CONSENT_CHANNELS else 9, c.address or "")),
        consent_history=history, opt_outs=opt_outs, do_not_contact=dnc,
        account_flag_only=bool(account.do_not_contact) and not any(r.kind == "account" for r in dnc),
        disputes=disputes(db_session, account), attorney=attorney_details(account),
        inconvenient=inconvenient_times(account),
        work_hours=blackouts_from_json(workplace.get("hours")) if workplace else [],
        workplace_at=parse_time(at) if at else (account.updated_at if workplace else None))


def parse_time(value) -> dt.datetime | None:
    """A stored ISO instant (JSON columns) as an aware UTC datetime, or None."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
