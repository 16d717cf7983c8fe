"""What a debtor records in the portal: a dispute or a request for the original creditor (DISPUTE-1/2), and which
channels may reach them (D-3). Written to the same tables and audit actions staff use, with the debtor as the actor.

compliance.account_records.record_dispute authorizes staff principals only (a debtor has no user row and no role
there), so the portal writes the same DebtDispute row and "dispute_recorded" audit entry here. Opt-outs go through
the channel pipeline's provider_opt_out (an OptOutEvent covering every automated channel, D-3); turning a channel
back on is the debtor's own consent (a ConsentEvent, source "portal", D-14) plus an opt-in event on that channel,
so the gate lifts the opt-out for that channel only and a later opt-out is recorded again."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select

from app.models import Account, Business, ConsentEvent, DebtDispute, OptOutEvent
from app.services import audit
from app.services.channels.optouts import provider_opt_out
from app.services.compliance.inbound import within_validation_period
from app.services.compliance.rules.stops import norm_address
from app.services.errors import ValidationError
from app.services.portal import debtor_principal
from app.services.portal.notice import notify_managers

DISPUTE_CHOICES = ("dispute", "dispute_part", "original_creditor")
NOTE_MAX = 2000
REPEAT_WINDOW = dt.timedelta(minutes=2)
"""The same dispute sent twice within this time (a double click, a resubmitted form) is recorded once."""
CHANNELS = ("sms", "whatsapp", "email")
DEBTOR_CONSENT_SOURCES = frozenset({"web", "keyword", "oral", "written", "portal"})
_CONSENT_SUMMARY = {"sms": ("sms_consent", "sms_consent_date"), "whatsapp": ("whatsapp_consent",
                                                                             "whatsapp_consent_date"),
                    "email": ("email_consent", "email_consent_date")}


# -- disputes -------------------------------------------------------------------------------------------------------
def parse_portion(value: str | None) -> Decimal | None:
    """An amount typed by a person ("120", "$1,200.50"); whole cents only."""
    text = (value or "").strip().replace("$", "").replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
        if amount.is_finite() and amount == amount.quantize(Decimal("0.01")):
            return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        pass
    raise ValidationError("Enter an amount like 120.00.", field="portion", extra={"text": "err_portion_format"})


def disputes(db_session, account: Account) -> list[DebtDispute]:
    return list(db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id)
        .order_by(DebtDispute.received_at.desc())))


def record_dispute(db_session, account: Account, *, choice: str, portion: Decimal | None, note: str | None,
                   now: dt.datetime, link_id=None, ip: str | None = None, user_agent: str | None = None
                   ) -> DebtDispute:
    """A written dispute (typed in the portal counts as writing), dated now; inside the validation period it holds
    collection until it is answered. Admins and managers are told. The caller commits."""
    if choice not in DISPUTE_CHOICES:
        raise ValidationError("Choose what you want to do.", field="choice", extra={"text": "err_choice"})
    kind = "original_creditor" if choice == "original_creditor" else "dispute"
    if choice == "dispute_part":
        if portion is None:
            raise ValidationError("Enter the amount you dispute.", field="portion", extra={"text": "err_portion"})
        if portion <= 0:
            raise ValidationError("Enter an amount more than $0.00.", field="portion",
                                  extra={"text": "err_portion_zero"})
        if account.current_balance is not None and portion > account.current_balance:
            raise ValidationError("The amount is more than the balance.", field="portion",
                                  extra={"text": "err_portion_high"})
    else:
        portion = None
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise ValidationError(f"Keep this to {NOTE_MAX:,} characters.", field="note", extra={"text": "err_note"})

    repeat = db_session.scalars(select(DebtDispute).where(
        DebtDispute.business_id == account.business_id, DebtDispute.account_id == account.id,
        DebtDispute.channel == "portal", DebtDispute.kind == kind, DebtDispute.received_at >= now - REPEAT_WINDOW)
    ).first()
    if repeat is not None and repeat.portion == portion and (repeat.note or None) == note:
        return repeat

    row = DebtDispute(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, kind=kind,
                      received_at=now, written=True, channel="portal",
                      within_vp=within_validation_period(now, account.validation_period_end), portion=portion,
                      note=note, created_at=now)
    db_session.add(row)
    fields = {}
    if kind == "dispute":
        for name, value in (("disputed_at", now), ("dispute_status", "open")):
            before = getattr(account, name)
            if before != value:
                fields[name] = [before.isoformat() if isinstance(before, dt.datetime) else before,
                                value.isoformat() if isinstance(value, dt.datetime) else value]
                setattr(account, name, value)
        account.updated_at = now
    audit.record(db_session, "dispute_recorded", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 changes={"note": [None, note]} if note else None, debtor_account_id=account.id if note else None,
                 meta={"kind": kind, "receivedAt": now.isoformat(), "written": True, "channel": "portal",
                       "withinValidationPeriod": row.within_vp, "portion": str(portion) if portion else None,
                       "linkId": str(link_id) if link_id else None, **({"fields": fields} if fields else {})},
                 ip=ip, user_agent=user_agent)
    what = "a request for the original creditor's name and address" if kind == "original_creditor" else (
        f"a dispute of ${portion:,.2f} of the debt" if portion else "a dispute of the debt")
    hold = (" Collection is on hold until the answer is sent (DISPUTE-1/2)." if row.within_vp
            else " It arrived after the validation period.")
    notify_managers(db_session, account, now, kind="portal_dispute",
                    title=f"{account.full_name} sent {what.split(' of ')[0]} in the portal",
                    body=f"Account {account.account_number}: {what}.{hold}")
    return row


# -- contact preferences (D-3) --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    address: str
    receiving: bool
    stopped_at: dt.datetime | None = None


def channels_on_file(db_session, account: Account) -> list[tuple[str, str]]:
    """(channel, address) the debtor can manage: texts and WhatsApp to the phone (WhatsApp when the business has a
    WhatsApp sender), email to the address on file."""
    business = db_session.get(Business, account.business_id)
    found = []
    phone, email = norm_address(account.phone), norm_address(account.email)
    if phone:
        found.append(("sms", phone))
        if business is not None and business.whatsapp_number:
            found.append(("whatsapp", phone))
    if email:
        found.append(("email", email))
    return found


def _events(db_session, account: Account, addresses: list[str]):
    outs = list(db_session.scalars(select(OptOutEvent).where(
        OptOutEvent.business_id == account.business_id,
        or_(OptOutEvent.account_id == account.id, OptOutEvent.address.in_(addresses or [""])))))
    consents = list(db_session.scalars(select(ConsentEvent).where(
        ConsentEvent.business_id == account.business_id, ConsentEvent.account_id == account.id)))
    return outs, consents


def _same(address: str | None, wanted: str) -> bool:
    return address is None or norm_address(address) == wanted


def preferences(db_session, account: Account) -> list[ChannelPreference]:
    """Per channel: stopped while an opt-out covers it (an opt-out on any channel covers all, D-3) and no later
    opt-in or consent of the debtor's own on that channel lifted it (the gate's reading, rules/optout.py)."""
    pairs = channels_on_file(db_session, account)
    outs, consents = _events(db_session, account, [a for _, a in pairs])
    found = []
    for channel, address in pairs:
        covering = [o for o in outs if o.action == "opt_out"
                    and (o.scope == "all" or (o.channel == channel and _same(o.address, address)))]
        if not covering:
            found.append(ChannelPreference(channel, address, True))
            continue
        latest = max(o.received_at for o in covering)
        lifted = any(o.action == "opt_in" and o.channel == channel and _same(o.address, address)
                     and o.received_at > latest for o in outs)
        lifted = lifted or _granted_after(consents, channel, address, latest)
        found.append(ChannelPreference(channel, address, lifted, None if lifted else latest))
    return found


def _granted_after(consents, channel: str, address: str, after: dt.datetime) -> bool:
    relevant = sorted((c for c in consents if c.channel == channel and _same(c.address, address)),
                      key=lambda c: c.occurred_at)
    standing = False
    for event in relevant:
        if event.granted and event.occurred_at > after and event.source in DEBTOR_CONSENT_SOURCES:
            standing = True
        elif not event.granted:
            standing = False
    return standing


def _address_for(db_session, account: Account, channel: str) -> str:
    for found_channel, address in channels_on_file(db_session, account):
        if found_channel == channel:
            return address
    raise ValidationError("There is no address on file for this kind of message.", field="channel")


def stop_channel(db_session, account: Account, channel: str, *, now: dt.datetime, link_id=None, verified: bool,
                 ip: str | None = None, user_agent: str | None = None) -> bool:
    """The debtor stops a channel (OPT-2 reasonable means; D-3 makes it all automated channels). True when it was
    new. Allowed without the identity check: stopping messages discloses nothing and only protects."""
    if channel not in CHANNELS:
        raise ValidationError("Choose texts, WhatsApp or email.", field="channel")
    address = _address_for(db_session, account, channel)
    events = provider_opt_out(db_session, business_id=account.business_id, channel=channel, address=address,
                              reason="portal preferences", at=now, rule_id="OPT-2", account_id=account.id,
                              label="portal")
    audit.record(db_session, "portal_opt_out", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"channel": channel, "rule": "OPT-2", "scope": "all", "new": bool(events),
                       "identityVerified": verified, "linkId": str(link_id) if link_id else None},
                 ip=ip, user_agent=user_agent)
    return bool(events)


def resume_channel(db_session, account: Account, channel: str, *, now: dt.datetime, link_id, session_ref: str,
                   ip: str | None = None, user_agent: str | None = None) -> None:
    """The verified debtor turns one channel back on: their consent for it (source "portal", the portal session as
    evidence) and an opt-in event on that channel and address (D-3). The other channels stay as they are."""
    if channel not in CHANNELS:
        raise ValidationError("Choose texts, WhatsApp or email.", field="channel")
    address = _address_for(db_session, account, channel)
    db_session.add(ConsentEvent(
        business_id=account.business_id, account_id=account.id, channel=channel, address=address, granted=True,
        source="portal", ip_address=(ip or None) and ip[:45], user_agent=user_agent,
        evidence={"session_id": session_ref, "portal_link_id": str(link_id)}, occurred_at=now, created_at=now))
    db_session.add(OptOutEvent(
        business_id=account.business_id, account_id=account.id, channel=channel, address=address, action="opt_in",
        scope="channel", rule_id="D-3", classifier_label="portal", normalized_text="portal preferences",
        received_at=now, effective_at=now, created_at=now))
    flag, date = _CONSENT_SUMMARY[channel]
    primary = norm_address(account.email if channel == "email" else account.phone)
    if primary == address:
        setattr(account, flag, True)
        setattr(account, date, now)
        account.updated_at = now
    audit.record(db_session, "portal_opt_in", now=now, principal=debtor_principal(account), resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"channel": channel, "rule": "D-3", "source": "portal", "linkId": str(link_id)},
                 changes={"address": [None, address]}, debtor_account_id=account.id, ip=ip, user_agent=user_agent)
