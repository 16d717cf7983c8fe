"""What the portal shows about the business and (after the identity check) the account, read once per page."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.models import Account, Business, DebtDispute
from app.services.compliance import settings as compliance_settings
from app.services.compliance.rules.validation import period_end as compute_period_end
from app.services.portal.notice import provided_on
from app.services.portal.records import disputes
from app.services.timezones import is_valid_zone, state_zones, zip_zones


@dataclass(frozen=True)
class BusinessFacts:
    """What a page may say before the identity check: the business (its true name, as the notice gives it: DISC-4)
    and how to reach it (TP-1)."""

    name: str
    support_phone: str | None
    support_email: str | None


def business_facts(db_session, business_id) -> BusinessFacts:
    business = db_session.get(Business, business_id)
    current = compliance_settings.effective(compliance_settings.stored_of(business),
                                            compliance_settings.platform_defaults(db_session))
    phone = current.support_phone or business.sms_number
    return BusinessFacts(name=business.name, support_phone=phone, support_email=current.support_email)


@dataclass(frozen=True)
class Overview:
    account: Account
    business: BusinessFacts
    account_last4: str
    balance: Decimal
    original_creditor: str | None
    current_creditor: str | None
    period_end: dt.date
    period_end_final: bool  # stored or counted from a delivered notice; else the earliest it can be
    disputes: list[DebtDispute]


def last4(account_number: str | None) -> str:
    characters = re.sub(r"[^0-9A-Za-z]", "", account_number or "")
    return characters[-4:]


def period_end_for(account: Account, now: dt.datetime) -> tuple[dt.date, bool]:
    """The validation period end the notice states (snippets.validation_period_end) and whether it is final."""
    if account.validation_period_end is not None:
        return account.validation_period_end, True
    return compute_period_end(provided_on(account, now)), account.validation_notice_sent_at is not None


def account_overview(db_session, account: Account, now: dt.datetime) -> Overview:
    end, final = period_end_for(account, now)
    return Overview(account=account, business=business_facts(db_session, account.business_id),
                    account_last4=last4(account.account_number), balance=account.current_balance,
                    original_creditor=account.original_creditor, current_creditor=account.current_creditor,
                    period_end=end, period_end_final=final, disputes=disputes(db_session, account))


def display_zone(account: Account) -> ZoneInfo | None:
    """One zone to show a time in: the account's, else its ZIP's or state's when that gives exactly one."""
    if is_valid_zone(account.timezone):
        return ZoneInfo(account.timezone)
    for zones in ((zip_zones(account.zip) if account.zip else ()), (state_zones(account.state) if account.state
                                                                    else ())):
        if len(zones) == 1:
            return ZoneInfo(zones[0])
        if zones:
            return None
    return None


def mask_address(address: str | None) -> str:
    """The last digits of a phone or the first letter and domain of an email: enough to recognise, not to reveal."""
    if not address:
        return ""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    digits = re.sub(r"\D", "", address)
    return f"•••-•••-{digits[-4:]}"
