"""In-memory facts for gate tests: a New York debtor with everything in order, changed per test with `replace`.

"Consent ok" (COMPLIANCE.md section 3): a valid SMS opt-in, the ZIP and area code as given, no other flags, and a
later communication (the initial one is behind us) whose body carries every required disclosure.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal

from app.services.compliance.facts import (
    Attempt, Consent, Debtor, Email, Facts, History, Phone, Policy, Validation,
)

UTC = dt.timezone.utc
BUSINESS_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
ACCOUNT_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
PHONE = "+12125550143"
EMAIL = "ana.ruiz@example.com"
COMPLIANT_SMS = ("Acme Recovery: Hi Ana, a payment on your account is due. "
                 "This communication is from a debt collector. Reply STOP to opt out.")
COMPLIANT_EMAIL = ("Hi Ana,\n\nA payment on your account with Acme Recovery is due.\n\n"
                   "This communication is from a debt collector.\n"
                   "To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")


def at(text: str) -> dt.datetime:
    """'2026-07-15T12:00Z' or '2026-07-15T12:00:01Z' as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def sms_consent(granted: str = "2026-01-02T15:00Z", method: str = "web", evidence: str = "203.0.113.9") -> Consent:
    return Consent(granted_at=at(granted), method=method, evidence=evidence)


def phone(e164: str = PHONE, **changes) -> Phone:
    base = Phone(e164=e164, type="cell", sms_consent=sms_consent(), whatsapp_consent=sms_consent(),
                 last_inbound_text_at=at("2026-07-01T15:00Z"))
    return replace(base, **changes)


def email(address: str = EMAIL, **changes) -> Email:
    return replace(Email(address=address, provenance="consumer_consent"), **changes)


def debtor(**changes) -> Debtor:
    base = Debtor(
        account_id=ACCOUNT_ID, first_name="Ana", last_name="Ruiz", state="NY", zip="10001", city="New York",
        phones=(phone(),), emails=(email(),), preferred_language="en", account_number="ACME-000123",
        original_creditor="First Bank", current_creditor="First Bank", balance=Decimal("412.50"),
        original_balance=Decimal("412.50"), time_barred="false",
        validation=Validation(initial_comm_at=at("2026-05-01T14:00Z"), initial_had_validation=True,
                              notice_sent_at=at("2026-05-01T14:00Z"), method="email",
                              period_end=dt.date(2026, 6, 8)),
    )
    return replace(base, **changes)


def policy(**changes) -> Policy:
    base = Policy(business_name="Acme Recovery", messaging_number="+12125550100",
                  support_phone="+18005550100", support_email="help@acme.example",
                  dispute_address="PO Box 1, New York, NY 10001", portal_url="https://pay.example.com")
    return replace(base, **changes)


def facts(debtor_: Debtor | None = None, policy_: Policy | None = None, history: History | None = None) -> Facts:
    return Facts(debtor=debtor_ or debtor(), policy=policy_ or policy(), history=history or History())


def attempt(now: str | dt.datetime = "2026-07-15T15:00Z", channel: str = "sms", **changes) -> Attempt:
    when = at(now) if isinstance(now, str) else now
    to = {"sms": PHONE, "whatsapp": PHONE, "voice": PHONE, "email": EMAIL}.get(channel)
    body = COMPLIANT_EMAIL if channel == "email" else COMPLIANT_SMS
    base = Attempt(business_id=BUSINESS_ID, account_id=ACCOUNT_ID, channel=channel, to_address=to, body=body,
                   now=when, kind="campaign", purpose="collection",
                   subject="Your account" if channel == "email" else None)
    return replace(base, **changes)
