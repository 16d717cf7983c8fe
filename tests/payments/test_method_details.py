"""How a payment was made (a card's brand and last 4, a bank debit's bank and last 4) is stored when it is charged,
read from Stripe's PaymentMethod and charge in both the real shape and localstripe's, and shown from what is stored:
the receipt page asks Stripe nothing, the staff Payments tab names the card, the API adds cardBrand and last4."""
from __future__ import annotations

import re
import socket
import uuid
from decimal import Decimal

import stripe
from sqlalchemy import select

from app.extensions import db
from app.models import Payment
from app.services.payments import gateway, one_time
from app.services.payments.manual import record_manual
from app.services.payments.serialize import method_detail, payment_json
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.fakes.stripe_ach_server import BANK_NAME
from tests.payments.one_time_helpers import GOOD_CARD, THREE_D_SECURE, paying_debtor, token_for
from tests.payments.test_one_time_ach import _pay_by_bank, ach  # noqa: F401  (the fake Stripe for bank debits)
from tests.payments.test_portal_pay import JSON, _collected_card, _pay, _signed_in, _text
from tests.stripe_support import authenticate, card_payment_method
from tests.web.auth_helpers import sign_in


def _dead_stripe(config, monkeypatch) -> None:
    """Point the app at a port nothing listens on: any call to Stripe now fails."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setattr(config, "STRIPE_API_BASE", dead)


# -- reading Stripe's shapes -----------------------------------------------------------------------------------------
def test_a_payment_method_and_a_charges_details_read_the_same():
    """A PaymentMethod and a charge's payment_method_details both carry `type` and a sub-object of that name; the
    brand is kept as Stripe's code, a bank by its name; anything else is unknown."""
    card = stripe.PaymentMethod.construct_from(
        {"id": "pm_1", "type": "card", "card": {"brand": "Visa", "last4": "4242", "exp_year": 2034}}, "sk")
    assert gateway.method_details(card) == gateway.MethodDetails(card_brand="visa", card_last4="4242")
    charge_details = {"type": "us_bank_account", "us_bank_account": {
        "bank_name": "STRIPE TEST BANK", "last4": "6789", "routing_number": "110000000"}}
    assert gateway.method_details(charge_details) == gateway.MethodDetails(bank_name="STRIPE TEST BANK",
                                                                           bank_last4="6789")
    assert gateway.method_details({"type": "card", "card": {"brand": "amex", "last4": "12"}}) == \
        gateway.MethodDetails(card_brand="amex")
    for nothing in (None, "pm_123", {"type": "sepa_debit", "sepa_debit": {"last4": "3000"}}, {"type": "card"},
                    {"type": "card", "card": {"brand": " ", "last4": None}}):
        assert gateway.method_details(nothing) is None


def test_a_charge_from_stripe_says_how_it_was_paid_without_another_call(app, monkeypatch):
    """Real Stripe: the charge (looked up behind latest_charge, or sent expanded) carries payment_method_details;
    nothing more is asked, not even the PaymentMethod."""
    live = app.config["CONFIG_OBJECT"]
    monkeypatch.setattr(live, "STRIPE_SECRET_KEY", "sk_live_example")
    _dead_stripe(live, monkeypatch)
    intent = stripe.PaymentIntent.construct_from({"id": "pi_1", "latest_charge": {
        "id": "ch_1", "object": "charge", "payment_method": "pm_1", "receipt_url": "https://pay.stripe.com/r/1",
        "payment_method_details": {"type": "card", "card": {"brand": "mastercard", "last4": "4444"}}}}, "sk")
    details = gateway.charge_details(intent)
    assert details == gateway.ChargeDetails("ch_1", "https://pay.stripe.com/r/1",
                                            gateway.MethodDetails(card_brand="mastercard", card_last4="4444"))
    bare = stripe.PaymentIntent.construct_from({"id": "pi_2", "latest_charge": {"id": "ch_2", "object": "charge",
                                                                                "payment_method": "pm_2"}}, "sk")
    assert gateway.charge_details(bare).method is None  # on Stripe a charge without details is not guessed at


def test_localstripe_charges_are_read_through_their_payment_method(stripe_config, stripe_client):
    """localstripe's charge has no payment_method_details: the compatibility layer reads its PaymentMethod."""
    customer = stripe_client.v1.customers.create().id
    card = card_payment_method(stripe_client, "5555555555554444")
    stripe_client.v1.payment_methods.attach(card, params={"customer": customer})
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 700, "currency": "usd", "customer": customer, "payment_method": card, "confirm": True})
    assert getattr(intent.latest_charge, "payment_method_details", None) is None
    details = gateway.charge_details(intent)
    # localstripe calls every card a Visa, whatever its number: its answer is kept as it is.
    assert details.method == gateway.MethodDetails(card_brand="visa", card_last4="4444")


# -- stored at charge time -------------------------------------------------------------------------------------------
def test_a_card_payment_stores_its_brand_and_last4(stripe_config, stripe_client, clock):
    business, account, _ = paying_debtor("60.00")
    card = card_payment_method(stripe_client, GOOD_CARD)
    result = one_time.start(db.session, account, Decimal("25.00"), method="card", payment_method_id=card,
                            now=clock.now())
    assert result.status == "succeeded"
    payment = db.session.get(Payment, result.payment.id)
    assert (payment.card_brand, payment.card_last4, payment.bank_name, payment.bank_last4) == (
        "visa", "4242", None, None)
    assert method_detail(payment) == "Visa ending in 4242"


def test_the_card_is_known_while_3d_secure_is_pending_and_after_a_webhook_applies_it(stripe_config, stripe_client,
                                                                                    clock):
    """Stored with the PaymentIntent id, before the charge: whichever path applies the success finds it."""
    from app.services.payments import stripe_events

    business, account, _ = paying_debtor("60.00")
    card = card_payment_method(stripe_client, THREE_D_SECURE)
    result = one_time.start(db.session, account, Decimal("20.00"), method="card", payment_method_id=card,
                            now=clock.now())
    assert result.status == "requires_action"
    payment = db.session.get(Payment, result.payment.id)
    assert (payment.card_brand, payment.card_last4) == ("visa", "3184")
    intent = authenticate(stripe_client, payment.stripe_payment_intent_id, result.client_secret)
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": "payment_intent.succeeded",
             "data": {"object": intent.to_dict()}}
    stripe_events.handle(db.session, event, now=clock.now())
    db.session.commit()
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == "succeeded" and (payment.card_brand, payment.card_last4) == ("visa", "3184")


def test_a_bank_debit_stores_its_bank_from_the_start_and_from_the_settled_charge(ach, client, clock):  # noqa: F811
    business, account, user = paying_debtor("412.50")
    data = _pay_by_bank(client, clock, account, user)
    assert (data["status"], data["bankName"], data["last4"]) == ("processing", BANK_NAME, "6789")
    assert "cardBrand" not in data
    payment = db.session.get(Payment, uuid.UUID(data["id"]))
    ach.settle(payment.stripe_payment_intent_id, success=True)
    # The settled charge is what Stripe says the debit went through: where it differs, it wins.
    charge_id = ach.objects[payment.stripe_payment_intent_id]["latest_charge"]
    ach.objects[charge_id]["payment_method_details"]["us_bank_account"]["bank_name"] = "Chase"
    assert one_time.complete(db.session, payment.id, now=clock.now()).status == "succeeded"
    payment = db.session.get(Payment, payment.id)
    assert (payment.bank_name, payment.bank_last4, payment.card_last4) == ("Chase", "6789", None)
    assert method_detail(payment) == "Chase ending in 6789"


# -- shown from what is stored ---------------------------------------------------------------------------------------
def test_the_receipt_page_names_the_card_without_asking_stripe(client, stripe_config, stripe_client, monkeypatch):
    from tests.messaging import debtor, messaging_business

    account = debtor(messaging_business(), contacted=True)
    _signed_in(client, account)
    method = _collected_card(client, stripe_client, GOOD_CARD)
    redirect = _pay(client, "50", method).get_json()["data"]["redirect"]
    _dead_stripe(stripe_config, monkeypatch)
    page = _text(client.get(redirect))
    assert "Visa ending in 4242" in page
    spanish = _text(client.get(f"{redirect}?lang=es"))
    assert "Visa terminada en 4242" in spanish


def test_the_receipt_page_names_a_bank_account(client, stripe_config):
    from tests.messaging import debtor, messaging_business

    account = debtor(messaging_business(), contacted=True)
    _signed_in(client, account)
    named = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("60.00"),
                    payment_method="ach", status="processing", bank_name="STRIPE TEST BANK", bank_last4="6789",
                    processed_at=NOW, created_at=NOW)
    unnamed = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("20.00"),
                      payment_method="ach", status="processing", bank_last4="1116", processed_at=NOW,
                      created_at=NOW)
    db.session.add_all([named, unnamed])
    db.session.commit()
    assert "STRIPE TEST BANK account ending in 6789" in _text(client.get(f"/p/receipts/{named.id}"))
    assert "Bank account ending in 1116" in _text(client.get(f"/p/receipts/{unnamed.id}"))
    assert "Cuenta de STRIPE TEST BANK terminada en 6789" in _text(client.get(f"/p/receipts/{named.id}?lang=es"))


def test_the_staff_payments_tab_names_the_card(client, clock, stripe_config, stripe_client):
    business, account, _ = paying_debtor("300.00")
    card = card_payment_method(stripe_client, GOOD_CARD)
    one_time.start(db.session, account, Decimal("40.00"), method="card", payment_method_id=card, now=clock.now())
    manager = gen_user(business, "manager")
    record_manual(db.session, Principal(business_id=business.id, role="manager", user_id=manager.id), account.id,
                  "10", "check", reference="1042", now=clock.now())
    db.session.commit()
    sign_in(client, manager, clock)
    page = client.get(f"/accounts/{account.id}?tab=payments").get_data(as_text=True)
    rows = re.findall(r'<td data-label="Method">(.*?)</td>', page, re.S)
    assert len(rows) == 2
    card_row = next(r for r in rows if "Card" in r)
    check_row = next(r for r in rows if "Check" in r)
    assert '<div class="muted payment-method-detail">Visa ending in 4242</div>' in card_row
    assert "ending in" not in check_row and "Check 1042" in check_row


def test_the_api_adds_card_brand_and_last4_when_known(client, clock, stripe_config, stripe_client):
    business, account, user = paying_debtor("300.00")
    card = card_payment_method(stripe_client, GOOD_CARD)
    response = client.post("/api/v1/payments", headers=token_for(client, user, clock), json={
        "accountId": str(account.id), "amount": "30.00", "paymentMethod": "card", "stripePaymentMethodId": card})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["cardBrand"], data["last4"]) == ("visa", "4242") and "bankName" not in data
    manager = gen_user(business, "manager")
    check = client.post("/api/v1/payments", headers=token_for(client, manager, clock), json={
        "accountId": str(account.id), "amount": "10.00", "paymentMethod": "check"}).get_json()["data"]
    assert not {"cardBrand", "last4", "bankName"} & set(check)
    listed = client.get(f"/api/v1/payments?accountId={account.id}", headers=token_for(client, user, clock))
    by_id = {p["id"]: p for p in listed.get_json()["data"]}
    assert by_id[data["id"]]["last4"] == "4242" and "last4" not in by_id[check["id"]]
    payment = db.session.scalars(select(Payment).where(Payment.payment_method == "check")).one()
    assert "cardBrand" not in payment_json(payment)
