"""Opt-outs the pipeline learns of without a person: a provider's refusal (Twilio 21610), a SendGrid unsubscribe
or spam report, a one-click unsubscribe, an inbound STOP. Each is an OptOutEvent (OPT-10) covering every automated
channel of the debtor (D-3), effective at once."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from app.models import Account, OptOutEvent
from app.services.compliance.rules.stops import norm_address


def accounts_at(db_session, business_id, address: str) -> list[Account]:
    """Live accounts of the business that list this phone or email."""
    target = norm_address(address)
    if not target:
        return []
    if "@" in target:
        match = func.lower(Account.email) == target
    else:
        match = or_(Account.phone == target, Account.phone_secondary == target)
    return list(db_session.scalars(select(Account).where(
        Account.business_id == business_id, Account.deleted_at.is_(None), match)))


def is_opted_out(db_session, business_id, address: str) -> bool:
    """True when the latest opt-out/opt-in event for this address is an opt-out."""
    latest = db_session.scalars(select(OptOutEvent).where(
        OptOutEvent.business_id == business_id, OptOutEvent.address == norm_address(address))
        .order_by(OptOutEvent.effective_at.desc(), OptOutEvent.created_at.desc())).first()
    return latest is not None and latest.action == "opt_out"


def provider_opt_out(db_session, *, business_id, channel: str, address: str, reason: str, at: dt.datetime,
                     rule_id: str = "OPT-2", raw_text: str | None = None, inbound_message_id=None,
                     account_id=None, label: str = "provider") -> list[OptOutEvent]:
    """Record the opt-out once per account at this address (or once without an account); a repeat is a no-op."""
    address = norm_address(address)
    if not address or is_opted_out(db_session, business_id, address):
        return []
    accounts = [db_session.get(Account, account_id)] if account_id else accounts_at(db_session, business_id, address)
    events = []
    for account in accounts or [None]:
        event = OptOutEvent(business_id=business_id, account_id=account.id if account else None, channel=channel,
                            address=address, action="opt_out", scope="all", rule_id=rule_id,
                            raw_text=raw_text, classifier_label=label, normalized_text=reason,
                            inbound_message_id=inbound_message_id, received_at=at, effective_at=at, created_at=at)
        db_session.add(event)
        events.append(event)
    db_session.flush()
    return events
