"""Bank debits (ACH, Stripe's `us_bank_account`) with the real stripe SDK against tests/fakes/stripe_ach_server.py:
the debit stays `processing` for days, reserves its amount meanwhile, and the balance moves only when it clears."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Account, Payment
from app.services.payments import gateway, one_time
from tests.fakes.stripe_ach_server import INSUFFICIENT_FUNDS, SECRET_KEY, FakeStripeACH
from tests.payments.one_time_helpers import balance_of, paying_debtor, receipts_of, token_for


@pytest.fixture
def ach(app, monkeypatch):
    """The app pointed at the fake with a key that is not the sandbox one, so nothing is adapted for localstripe."""
    fake = FakeStripeACH().start()
    config = app.config["CONFIG_OBJECT"]
    for name, value in {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": fake.url,
                        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake_ach"}.items():
        monkeypatch.setattr(config, name, value)
        monkeypatch.setitem(app.config, name, value)
    yield fake
    fake.stop()


def _bank_account() -> str:
    """What Stripe.js's collectBankAccountForSetup leaves behind: a us_bank_account PaymentMethod."""
    return gateway.client().v1.payment_methods.create(params={
        "type": "us_bank_account", "billing_details": {"name": "Maria Lopez"},
        "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789",
                            "account_holder_type": "individual"}}).id


def _pay_by_bank(client, clock, account, user, amount="150.00"):
    response = client.post("/api/v1/payments", headers={**token_for(client, user, clock), "User-Agent": "Portal/1.0"},
                           json={"accountId": str(account.id), "amount": amount, "paymentMethod": "ach",
                                 "stripePaymentMethodId": _bank_account()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def test_a_bank_debit_is_processing_until_it_clears(ach, client, clock):
    business, account, user = paying_debtor("412.50")
    data = _pay_by_bank(client, clock, account, user)
    assert data["status"] == "processing" and data["receiptUrl"] is None
    payment = db.session.get(Payment, uuid.UUID(data["id"]))
    assert payment.payment_method == "ach" and payment.status == "processing"
    assert balance_of(account.id) == Decimal("412.50")
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("262.50")
    confirm = next(r for r in ach.received if r["path"].endswith("/confirm"))
    assert confirm["params"]["mandate_data"]["customer_acceptance"]["online"] == {
        "ip_address": "127.0.0.1", "user_agent": "Portal/1.0"}
    created = next(r for r in ach.received if r["path"] == "/v1/payment_intents")
    assert created["params"]["payment_method_types"] == {"0": "us_bank_account"}
    assert created["params"]["metadata"]["payment_id"] == data["id"]
    assert "description" in created["params"]  # real Stripe gets what localstripe would refuse

    assert one_time.complete(db.session, payment.id, now=clock.now()).status == "processing"
    ach.settle(payment.stripe_payment_intent_id, success=True)
    result = one_time.complete(db.session, payment.id, now=clock.now())
    assert result.status == "succeeded" and balance_of(account.id) == Decimal("262.50")
    payment = db.session.get(Payment, payment.id)
    assert payment.stripe_charge_id.startswith("py_")
    assert payment.receipt_url.startswith("https://pay.stripe.com/receipts/")  # looked up behind latest_charge
    [receipt] = receipts_of(account.id)
    assert "by bank transfer" in receipt.content and "Remaining balance: $262.50." in receipt.content


def test_a_bounced_bank_debit_fails_and_frees_its_amount(ach, client, clock):
    business, account, user = paying_debtor("412.50")
    data = _pay_by_bank(client, clock, account, user, amount="412.50")
    payment = db.session.get(Payment, uuid.UUID(data["id"]))
    ach.settle(payment.stripe_payment_intent_id, success=False)
    result = one_time.complete(db.session, payment.id, now=clock.now())
    assert (result.status, result.error) == ("failed", INSUFFICIENT_FUNDS)
    assert db.session.get(Payment, payment.id).failure_code == "insufficient_funds"
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("412.50")
    assert balance_of(account.id) == Decimal("412.50") and not receipts_of(account.id)


def test_a_bank_debit_is_not_confirmed_without_the_payers_mandate(ach, clock):
    """Stripe refuses a bank debit without the online acceptance: the payment fails without a charge."""
    business, account, _ = paying_debtor("412.50")
    result = one_time.start(db.session, account, Decimal("10.00"), method="ach", payment_method_id=_bank_account(),
                            now=clock.now(), ip=None, user_agent=None)
    assert result.status == "failed" and result.error.startswith("A mandate is required")
    payment = db.session.get(Payment, result.payment.id)
    assert ach.objects[payment.stripe_payment_intent_id]["status"] == "canceled"
    assert balance_of(account.id) == Decimal("412.50")
