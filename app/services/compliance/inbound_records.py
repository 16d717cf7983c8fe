"""What an inbound message changes on the account, written where DbLoader reads it: the database twin of
`inbound.observe` (the unit tests hold the two to the same answers). It only ever adds holds; lifting one is a
person's decision (account_records). Opt-outs and opt-ins are written by the channel pipeline, which also sends
their confirmations."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from app.models import Account, DebtDispute, Message
from app.services.compliance.inbound import (
    ATTORNEY, CEASE, DISPUTE, ORIGINAL_CREDITOR, THIRD_PARTY, WORKPLACE_OBJECTION, WRONG_PARTY, Classification,
    within_validation_period,
)
from app.services.compliance.loader import blackout_json
from app.services.compliance.rules.stops import norm_address


def record(db_session, account: Account, message: Message, found: Classification, at: dt.datetime) -> list[str]:
    """Apply one classified inbound to its account; returns the facts recorded (for the inbox and the audit)."""
    labels = found.labels
    done: list[str] = []
    if CEASE in labels:
        account.cease_candidate_at = _earliest(account.cease_candidate_at, at)
        done.append("cease_candidate")
    if ATTORNEY in labels:
        account.attorney_pending_at = _earliest(account.attorney_pending_at, at)
        done.append("attorney_pending")
    within = within_validation_period(at, account.validation_period_end)
    for label, kind in ((DISPUTE, "dispute"), (ORIGINAL_CREDITOR, "original_creditor")):
        if label in labels:
            db_session.add(DebtDispute(business_id=account.business_id, account_id=account.id, kind=kind,
                                       received_at=at, written=message.channel != "voice", channel=message.channel,
                                       within_vp=within, note=f"from inbound message {message.id}", created_at=at))
            done.append(kind)
    if found.blackouts:
        stamped = [blackout_json(replace(b, designated_at=at)) for b in found.blackouts]
        account.inconvenient_times = list(account.inconvenient_times or []) + stamped
        done.append("inconvenient_time")
    if found.zone:
        account.timezone, account.timezone_source, account.stated_timezone_at = found.zone, "stated", at
        done.append("stated_zone")
    objection = dict(account.workplace_objection or {})
    if WORKPLACE_OBJECTION in labels and not objection.get("at"):
        objection["at"] = at.astimezone(dt.timezone.utc).isoformat()
        done.append("workplace_objection")
    if found.work_hours and (WORKPLACE_OBJECTION in labels or objection.get("at")):
        objection["hours"] = list(objection.get("hours") or []) + [
            blackout_json(replace(b, designated_at=at)) for b in found.work_hours]
    if objection != (account.workplace_objection or {}):
        account.workplace_objection = objection
    address = norm_address(message.from_address)
    if address and (WRONG_PARTY in labels or THIRD_PARTY in labels):
        unverified = list(account.unverified_addresses or [])
        if address not in unverified:
            account.unverified_addresses = unverified + [address]
        account.authenticated_addresses = [a for a in (account.authenticated_addresses or [])
                                           if norm_address(a) != address]
        done.append("address_unverified")
    return done


def _earliest(current: dt.datetime | None, at: dt.datetime) -> dt.datetime:
    return min(current, at) if current is not None else at
