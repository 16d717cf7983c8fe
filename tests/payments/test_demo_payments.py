"""The demo agency's payments (`make run`) look like the ones the product makes: receipt numbers from the business's
counter in date order, card and bank payments with a PaymentIntent id and the card or bank they were made with,
checks and cash recorded by a staff member, declines with Stripe's words rather than a code."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Account, Business, Payment, User
from app.services import demo
from app.services.payments.serialize import BRAND_NAMES
from tests.factories import NOW

STRIPE_ID = re.compile(r"^(pi|ch|py)_3[0-9A-Za-z]{23}$")
RECEIPT = re.compile(r"^R-(\d{4})-(\d{6})$")


def test_demo_payments_look_like_real_ones():
    result = demo.load(db.session, NOW, accounts=120)
    db.session.commit()
    business = db.session.get(Business, result.business.id)
    payments = db.session.scalars(select(Payment).where(Payment.business_id == business.id)).all()
    staff = {u.id: u for u in db.session.scalars(select(User).where(User.business_id == business.id))}
    succeeded = sorted((p for p in payments if p.status == "succeeded"), key=lambda p: p.succeeded_at)
    failed = [p for p in payments if p.status == "failed"]
    assert len(succeeded) >= 30 and failed and {p.status for p in payments} == {"succeeded", "failed"}

    # Receipt numbers: R-YYYY-NNNNNN from the business's counter, in date order, the year of the payment.
    numbers = [RECEIPT.match(p.receipt_number) for p in succeeded]
    assert all(numbers)
    assert [int(m.group(2)) for m in numbers] == list(range(1, len(succeeded) + 1))
    assert all(int(m.group(1)) == p.succeeded_at.year for m, p in zip(numbers, succeeded))
    assert business.receipt_number_seq == len(succeeded)
    assert not any(p.receipt_number for p in failed)

    for payment in payments:
        account = db.session.get(Account, payment.account_id)
        if payment.payment_method in ("card", "ach"):
            assert STRIPE_ID.match(payment.stripe_payment_intent_id), payment.stripe_payment_intent_id
            assert payment.processed_by_id is None and payment.payer_ip and payment.payer_user_agent
            assert account.stripe_customer_id is None  # a demo debtor paying in `make run` gets a real customer
        else:
            assert payment.payment_method in ("check", "cash", "money_order")
            assert payment.stripe_payment_intent_id is None and payment.status == "succeeded"
            assert staff[payment.processed_by_id].role in ("manager", "business_admin")
            assert payment.description.endswith(f"received {payment.processed_at.date().isoformat()}")
        if payment.payment_method == "card":
            assert payment.card_brand in BRAND_NAMES and re.fullmatch(r"\d{4}", payment.card_last4)
            assert payment.bank_name is None
        elif payment.payment_method == "ach":
            assert payment.bank_name and re.fullmatch(r"\d{4}", payment.bank_last4) and payment.card_brand is None
        else:
            assert not (payment.card_brand or payment.card_last4 or payment.bank_name or payment.bank_last4)
        if payment.status == "succeeded":
            assert payment.balance_after == account.current_balance
            assert payment.amount == account.original_balance - account.current_balance > 0
            if payment.payment_method in ("card", "ach"):
                assert STRIPE_ID.match(payment.stripe_charge_id)
        else:
            # A person's words, as Stripe gives them, and the code beside them.
            assert payment.failure_code and " " not in payment.failure_code
            assert re.fullmatch(r"[A-Z][^_]* [^_]*\.", payment.failure_reason), payment.failure_reason
            assert payment.amount <= account.current_balance and payment.processed_at is None


def test_loading_the_demo_again_is_skipped():
    first = demo.load(db.session, NOW, accounts=20)
    db.session.commit()
    count = len(db.session.scalars(select(Payment)).all())
    again = demo.load(db.session, NOW, accounts=20, skip_if_present=True)
    assert again.created is False and again.business.id == first.business.id
    assert len(db.session.scalars(select(Payment)).all()) == count
