"""Paying from a bank account (ACH) on the debtor portal's pay page, through the test client with the app pointed at
tests/fakes/stripe_ach_server.py (the real stripe SDK, Stripe's request shapes, a key that is not the sandbox's):
is the option offered only where the processor debits bank accounts, are the account's details checked on their
fields without ever coming back into the page, does a debit stay `processing` (balance untouched) until Stripe's
webhook says it cleared or bounced, does a second post of the same form pay once, and does a bank account Stripe
wants verified first (microdeposits) lead the debtor to Stripe's verification page instead of failing?"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import stripe
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, Message, Payment
from app.services.compliance import snippets
from app.services.payments import gateway, one_time
from app.services.portal import links
from app.services.portal.payments import routing_number_valid
from tests.factories import NOW
from tests.fakes.stripe_ach_server import (BANK_NAME, DESCRIPTOR_CODE, SECRET_KEY, UNKNOWN_ROUTING,
                                           FakeStripeManualEntry)
from tests.messaging import debtor, messaging_business

JSON = {"Accept": "application/json"}
WEBHOOK_SECRET = "whsec_portal_ach"
ROUTING = "110000000"  # Stripe's test routing number (passes the ABA check digit)
ACCOUNT = "000123456789"  # Stripe's test account number that clears
SUBMISSION = "form-token-0123456789abcdef"


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _signed_in(client, account) -> None:
    _, url = links.issue(db.session, account, now=NOW, purpose="payment", channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/pay")


def _point_at(app, monkeypatch, fake) -> None:
    config = app.config["CONFIG_OBJECT"]
    for name, value in {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_BASE": fake.url,
                        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake_ach", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}.items():
        monkeypatch.setattr(config, name, value)
        monkeypatch.setitem(app.config, name, value)


@pytest.fixture
def ach(app, monkeypatch):
    """The app pointed at the fake with a key that is not the sandbox one: Stripe as far as the app can tell."""
    fake = FakeStripeManualEntry().start()
    _point_at(app, monkeypatch, fake)
    yield fake
    fake.stop()


@pytest.fixture
def account(client):
    found = debtor(messaging_business(), contacted=True)
    _signed_in(client, found)
    return found


def _bank_form(amount="150.00", **changes) -> dict:
    form = {"amount": amount, "method": "ach", "holder_name": "Maria Lopez", "routing_number": ROUTING,
            "account_number": ACCOUNT, "account_number_confirm": ACCOUNT, "account_type": "savings",
            "authorize": "y", "submission": SUBMISSION}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _pay(client, json_answer=True, **changes):
    return client.post("/p/pay", data=_bank_form(**changes), headers={**(JSON if json_answer else {}),
                                                                       "User-Agent": "Phone/1.0"})


def _webhook(client, event: dict):
    body = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    return client.post("/api/v1/webhooks/stripe", data=body, content_type="application/json",
                       headers={"Stripe-Signature": signature})


def _balance(account_id) -> Decimal:
    db.session.expire_all()
    return db.session.get(Account, account_id).current_balance


def _payments() -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(select(Payment)).all()


def test_routing_numbers_are_checked_with_the_aba_check_digit():
    assert routing_number_valid(ROUTING) and routing_number_valid("011000015") and routing_number_valid(UNKNOWN_ROUTING)
    assert not routing_number_valid("123456789") and not routing_number_valid("11000000")
    assert not routing_number_valid("11000000a") and not routing_number_valid("１１0000000")


def test_bank_debits_are_supported_by_stripe_and_not_by_localstripe(stripe_config):
    """The sandbox key means localstripe, which has no us_bank_account; any other key is Stripe's."""
    assert gateway.supports_bank_debits({"STRIPE_SECRET_KEY": SECRET_KEY})
    assert gateway.supports_bank_debits({"STRIPE_SECRET_KEY": "sk_live_x"})
    assert not gateway.supports_bank_debits(stripe_config)


def test_the_page_offers_the_bank_account_with_its_fields_and_the_authorization(client, account, ach):
    """Next to the card: the option, the holder's name, routing and account numbers (the latter twice), checking or
    savings, and the authorization in plain words naming the business, the amount, today's date, one time only and
    how to cancel; a one-time form token; no line about the live processor."""
    response = client.get("/p/pay")
    page = _text(response)
    assert response.status_code == 200
    assert 'value="card" checked' in page and 'value="ach"' in page and "Bank account (ACH)" in page
    assert re.search(r'<div class="bank-fields" id="ach-section" hidden>', page)
    for label in ("Name on the account", "Routing number", "Account number", "Account number again", "Checking",
                  "Savings", "Your authorization"):
        assert f">{label}</" in page, label
    assert 'id="routing_number" name="routing_number" inputmode="numeric" autocomplete="off"' in page
    assert re.search(r'name="submission" id="submission" value="[A-Za-z0-9_-]{24}"', page)
    assert ("I authorize Acme" in page and "to debit $412.50 from the bank account above one time, on November 25, "
            "2026, through its payment processor Stripe. This is a one-time debit: it allows no other debit.") in page
    assert "I can cancel this authorization by contacting" in page and "(800) 555-0100 or help@acme.example" in page
    assert 'data-template="' in page and "debit {amount} from" in page
    assert "live payment processor" not in page
    assert 'data-msg-routing-checksum="This is not a valid routing number.' in page


def test_the_page_speaks_spanish_about_the_bank_account(client, ach):
    account = debtor(messaging_business(), contacted=True, preferred_language="es")
    _signed_in(client, account)
    page = _text(client.get("/p/pay"))
    assert "Cuenta bancaria (ACH)" in page and "Número de ruta (routing)" in page and "Repita el número de cuenta" in page
    assert "a debitar $412.50 de la cuenta bancaria indicada arriba una sola vez, el 25 de noviembre de 2026" in page
    answer = _pay(client, routing_number="123456789").get_json()["error"]
    assert answer["fields"] == {"routing_number": "Este número de ruta no es válido. Revise los 9 dígitos en la parte "
                                                  "inferior izquierda de un cheque."}


def test_against_localstripe_the_bank_option_is_not_there(client, account, stripe_config):
    """No radio button, no fields (no disabled stand-in): one line says why; a bank post is refused, nothing made."""
    page = _text(client.get("/p/pay"))
    assert 'value="ach"' not in page and 'id="ach-section"' not in page and 'id="routing_number"' not in page
    assert "Paying from a bank account (ACH) needs the live payment processor" in page
    refused = _pay(client)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "Bank payments are not available right now. Please pay by card."
    assert _payments() == []


@pytest.mark.parametrize("changes, field, message", [
    ({"routing_number": "123456789"}, "routing_number",
     "This is not a valid routing number. Check the 9 digits at the bottom left of a check."),
    ({"routing_number": "11000000"}, "routing_number", "Enter the 9-digit routing number."),
    ({"account_number_confirm": "000123456780"}, "account_number_confirm",
     "The account numbers don't match. Type the account number again."),
    ({"account_number": "123", "account_number_confirm": "123"}, "account_number",
     "Enter the account number: 4 to 17 digits."),
    ({"authorize": None}, "authorize", "Tick the box to authorize the debit, or pay by card."),
    ({"holder_name": "  "}, "holder_name", "Enter the name on the bank account."),
    ({"account_type": "brokerage"}, "account_type", "Choose checking or savings."),
])
def test_each_bank_detail_is_checked_on_its_field_and_no_number_comes_back(client, account, ach, changes, field,
                                                                          message):
    """The page's script gets the message on the field; the page without it shows it inline; neither has the
    routing or account number in it, and Stripe heard nothing."""
    answer = _pay(client, **changes)
    assert answer.status_code == 422
    assert answer.get_json()["error"] == {"code": "VALIDATION_ERROR", "message": message, "field": field,
                                          "fields": {field: message}}
    page_response = _pay(client, json_answer=False, **changes)
    page = page_response.get_data(as_text=True)
    assert page_response.status_code == 422
    assert re.search(rf'id="{field}-error">{re.escape(message)}</div>', html.unescape(page))
    if field != "account_type":
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
    for number in (ROUTING, ACCOUNT, "123456789", "000123456780"):
        assert number not in page
    assert "checked" not in re.search(r'<input type="checkbox" id="authorize"[^>]*>', page).group(0)
    assert ach.received == [] and _payments() == []


def test_every_problem_is_reported_at_once_with_the_amount(client, account, ach):
    answer = _pay(client, amount="500", routing_number="123456789", account_number_confirm="1", authorize=None)
    error = answer.get_json()["error"]
    assert error["field"] == "amount"
    assert set(error["fields"]) == {"amount", "routing_number", "account_number_confirm", "authorize"}
    assert error["fields"]["amount"] == "Enter an amount from $1.00 to $412.50."
    page = _text(_pay(client, json_answer=False, amount="500", routing_number="123456789"))
    assert 'value="Maria Lopez"' in page and 'value="savings" checked' in page  # kept: nothing secret in them
    assert 'id="routing_number" name="routing_number" inputmode="numeric" autocomplete="off" spellcheck="false" ' \
           'maxlength="11" value=""' in page


def test_a_routing_number_stripe_refuses_is_said_on_its_field(client, account, ach, caplog):
    """It passes the check digit, but no bank uses it: Stripe refuses the PaymentMethod, no payment is made, and
    only Stripe's code and parameter are logged."""
    caplog.set_level(logging.INFO)
    answer = _pay(client, routing_number=UNKNOWN_ROUTING)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["fields"] == {
        "routing_number": "Stripe did not accept this routing number. Check it with your bank."}
    assert _payments() == [] and UNKNOWN_ROUTING not in caplog.text and ACCOUNT not in caplog.text


def test_stripe_not_answering_leaves_nothing_behind(client, account, ach):
    ach.fail(503, requests=1)
    answer = _pay(client)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["message"] == (
        "We could not reach the payment processor. Nothing was taken from your account: please try again in a few "
        "minutes.")
    assert _payments() == []


def test_a_debit_stripe_will_not_start_is_said_in_a_banks_words(client, account, ach):
    """The account's Stripe customer is gone, so the bank account cannot be attached: the payment fails at once,
    said about a bank account (not a card), and the form's token is spent on it."""
    account.stripe_customer_id = "cus_gone"
    db.session.commit()
    answer = _pay(client)
    assert answer.status_code == 402
    assert answer.get_json()["error"]["message"] == (
        "Your payment did not go through: this bank account could not be used. Nothing was taken from your bank "
        "account. Check the account details or pay by card, then try again.")
    [payment] = _payments()
    assert payment.status == "failed" and _balance(account.id) == Decimal("412.50")
    assert _pay(client).status_code == 402 and len(_payments()) == 1  # the same form finds the same failure


def test_a_bank_debit_processes_for_days_then_clears_through_stripes_webhook(client, account, ach, caplog):
    """$150 from savings: Stripe gets the PaymentMethod in its own shape and the confirm with the debtor's mandate
    (address and browser); the payment is `processing`, the balance untouched but the amount reserved, the receipt
    page says it takes business days and how the debtor hears of it, with only the last 4 digits. The webhook
    Stripe sends when it clears applies it: the balance goes down, a receipt number, a receipt message."""
    caplog.set_level(logging.INFO)
    answer = _pay(client)
    body = answer.get_json()
    assert answer.status_code == 200 and body["data"]["status"] == "processing", body
    payment = db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))
    assert body["data"]["redirect"] == f"/p/receipts/{payment.id}"
    assert (payment.payment_method, payment.status, payment.amount) == ("ach", "processing", Decimal("150.00"))
    assert (payment.bank_name, payment.bank_last4) == (BANK_NAME, "6789")
    assert payment.idempotency_key == f"portal-ach:{SUBMISSION}" and payment.payer_user_agent == "Phone/1.0"
    assert _balance(account.id) == Decimal("412.50")

    created = next(r for r in ach.received if r["path"] == "/v1/payment_methods")
    assert created["params"] == {"type": "us_bank_account", "billing_details": {"name": "Maria Lopez"},
                                 "us_bank_account": {"account_holder_type": "individual", "account_number": ACCOUNT,
                                                     "routing_number": ROUTING, "account_type": "savings"}}
    confirm = next(r for r in ach.received if r["path"].endswith("/confirm"))
    assert confirm["params"]["mandate_data"]["customer_acceptance"] == {
        "type": "online", "online": {"ip_address": "127.0.0.1", "user_agent": "Phone/1.0"}}

    authorized = db.session.scalars(select(AuditLog).where(AuditLog.action == "bank_debit_authorized")).one()
    assert authorized.resource_id == payment.id and authorized.meta["bankLast4"] == "6789"
    assert "to debit $150.00 from the bank account above one time, on November 25, 2026" in authorized.meta["text"]
    assert ACCOUNT not in json.dumps(authorized.meta) and ROUTING not in json.dumps(authorized.meta)

    receipt = _text(client.get(body["data"]["redirect"]))
    assert "Your bank transfer has started. It usually takes 3-5 business days to complete" in receipt
    assert "We'll email you the receipt when it clears." in receipt
    assert "If your bank returns the debit, nothing is paid: your balance stays as it was" in receipt
    assert "STRIPE TEST BANK account ending in 6789" in receipt and "Processing (bank transfer, 3-5 business days)" \
        in receipt
    assert re.search(r"Balance now</dt><dd[^>]*>\$412\.50", receipt) and "Given when the payment completes" in receipt
    assert ACCOUNT not in receipt and ROUTING not in receipt
    assert "you can pay up to $262.50 now" in _text(client.get("/p/pay"))

    ach.settle(payment.stripe_payment_intent_id, success=True)
    assert _webhook(client, ach.event(payment.stripe_payment_intent_id)).status_code == 200
    assert _balance(account.id) == Decimal("262.50")
    payment = db.session.get(Payment, payment.id)
    assert payment.status == "succeeded" and payment.receipt_number and payment.stripe_charge_id.startswith("py_")
    cleared = _text(client.get(f"/p/receipts/{payment.id}"))
    assert "Thank you. We received your payment." in cleared and payment.receipt_number in cleared
    assert re.search(r"New balance</dt><dd[^>]*>\$262\.50", cleared)
    [message] = db.session.scalars(select(Message).where(Message.account_id == account.id,
                                                         Message.purpose == "receipt")).all()
    assert "by bank transfer" in message.content
    assert ACCOUNT not in caplog.text and ROUTING not in caplog.text


def test_a_returned_debit_fails_and_the_balance_never_moved(client, account, ach):
    body = _pay(client, amount="412.50").get_json()
    payment = db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))
    assert "There is nothing to pay" in _text(client.get("/p/pay"))  # all of it is in flight
    ach.settle(payment.stripe_payment_intent_id, success=False)
    assert _webhook(client, ach.event(payment.stripe_payment_intent_id)).status_code == 200
    assert db.session.get(Payment, payment.id).status == "failed" and _balance(account.id) == Decimal("412.50")
    history = _text(client.get("/p/account"))
    row = re.search(r'<li class="payment-row" data-status="failed">(.*?)</li>', history).group(1)
    assert "Did not go through" in row and "Bank account (ACH)" in row
    assert "Full balance $412.50" in _text(client.get("/p/pay"))


def test_the_same_form_posted_twice_pays_once(client, account, ach):
    """A double submit (or a retry after a lost answer) carries the same form token: the second post finds the
    first payment, and Stripe is not given the numbers again. A new token is a new payment."""
    first, second = _pay(client).get_json(), _pay(client).get_json()
    assert first["data"]["paymentId"] == second["data"]["paymentId"]
    assert len(_payments()) == 1
    assert len([r for r in ach.received if r["path"] == "/v1/payment_methods"]) == 1
    other = _pay(client, amount="20", submission="another-form-token-987654").get_json()
    assert other["data"]["paymentId"] != first["data"]["paymentId"] and len(_payments()) == 2
    reused = _pay(client, amount="30")
    assert reused.status_code == 409 and len(_payments()) == 2


def test_the_bank_form_needs_the_csrf_token(app, client, account, ach):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert _pay(client).status_code == 400
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/p/pay").get_data(as_text=True)).group(1)
        assert _pay(client, csrf_token=token).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_bank_payments_are_limited_per_account(client, account, ach):
    for attempt in range(20):
        assert _pay(client, routing_number="123456789").status_code == 422, attempt
    assert _pay(client).status_code == 429
    assert client.get("/p/pay").status_code == 200  # the page itself is not limited


def test_an_account_stripe_verifies_first_leads_to_its_verification_page(app, client, account, monkeypatch):
    """On Stripe, a bank account typed in by hand may be verified with a microdeposit before the debit starts: the
    PaymentIntent is `requires_action` with Stripe's hosted verification page. The debtor lands on a page that says
    so and links it; the clock does not give the payment up as an abandoned card check; once verified the debit
    processes and clears through the webhooks."""
    fake = FakeStripeManualEntry(microdeposits=True).start()
    try:
        _point_at(app, monkeypatch, fake)
        body = _pay(client).get_json()
        assert body["data"]["status"] == "requires_action" and "clientSecret" not in body["data"]
        payment = db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))
        assert body["data"]["redirect"] == f"/p/receipts/{payment.id}" and payment.status == "requires_action"
        hosted = fake.objects[payment.stripe_payment_intent_id]["next_action"]["verify_with_microdeposits"]
        page = _text(client.get(body["data"]["redirect"]))
        assert "Verify your bank account" in page and "Nothing is taken from your account until then." in page
        arrives = dt.datetime.fromtimestamp(hosted["arrival_date"], ZoneInfo("America/Chicago")).date()
        assert (f"Stripe is sending a $0.01 deposit to your account ending in 6789. It should arrive by "
                f"{snippets.long_date(arrives, 'en')}.") in page
        assert f'href="{hosted["hosted_verification_url"]}"' in page and "Verify on Stripe's page" in page
        assert "Waiting for you to verify your bank account" in page and "Print receipt" not in page
        history = _text(client.get("/p/account"))
        assert "Waiting for you to verify your bank account" in history and f"/p/receipts/{payment.id}" in history

        assert one_time.reconcile_stale(db.session, now=NOW + dt.timedelta(hours=3)) == 0
        assert db.session.get(Payment, payment.id).status == "requires_action"

        fake.verify_microdeposits(payment.stripe_payment_intent_id, DESCRIPTOR_CODE)
        assert _webhook(client, fake.event(payment.stripe_payment_intent_id)).status_code == 200
        assert db.session.get(Payment, payment.id).status == "processing" and _balance(account.id) == Decimal("412.50")
        fake.settle(payment.stripe_payment_intent_id, success=True)
        assert _webhook(client, fake.event(payment.stripe_payment_intent_id)).status_code == 200
        assert _balance(account.id) == Decimal("262.50")
    finally:
        fake.stop()
