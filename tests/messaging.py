"""Builders for message-pipeline tests: a business with its sandbox addresses and support facts, and a Texas debtor
who may be texted and emailed at 09:00 local time on the suite's clock (2026-11-25 15:00 UTC)."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from app.extensions import db
from app.models import ConsentEvent
from app.services.channels.addresses import assign_sandbox_addresses
from tests.factories import NOW, gen_account, gen_business

PHONE = "+12145550143"
EMAIL = "maria.lopez@example.com"
SUPPORT = {"support_phone": "+18005550100", "support_email": "help@acme.example",
           "dispute_address": "PO Box 100, Dallas, TX 75201"}


def messaging_business(name: str | None = None, **compliance):
    business = gen_business(name or f"Acme Recovery {uuid.uuid4().hex[:6]}")
    business.settings = {"compliance": {**SUPPORT, **compliance}}
    assign_sandbox_addresses(db.session, business)
    db.session.commit()
    return business


def debtor(business, *, consent: bool = True, contacted: bool = False, **fields):
    """A debtor in Dallas with a cell phone and an email the debtor gave. `contacted`: the initial communication
    and the validation notice already went out (so later messages are ordinary collection messages)."""
    values = dict(first_name="Maria", last_name="Lopez", phone=fields.pop("phone", PHONE), phone_type="cell",
                  email=fields.pop("email", EMAIL), email_provenance="consumer_consent", state="TX", zip="75201",
                  city="Dallas", account_number=f"ACME-{uuid.uuid4().hex[:6]}", original_creditor="First Bank",
                  current_creditor="First Bank", current_balance=Decimal("412.50"),
                  original_balance=Decimal("412.50"), time_barred="false", due_date=dt.date(2026, 4, 30))
    if contacted:
        sent = NOW - dt.timedelta(days=60)
        values.update(initial_communication_at=sent, initial_had_validation=True, validation_notice_sent_at=sent,
                      validation_method="email", validation_period_end=(sent + dt.timedelta(days=35)).date())
    values.update(fields)
    account = gen_account(business, **values)
    if consent:
        for channel in ("sms", "whatsapp"):
            db.session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel=channel,
                                        address=account.phone, granted=True, source="web", ip_address="203.0.113.9",
                                        occurred_at=NOW - dt.timedelta(days=90)))
        db.session.commit()
    return account
