"""The debtor portal's payment pages through the test client, against this worker's localstripe: does the pay page
offer what may be paid now and refuse anything else with the exact message, does the setup endpoint hand out a
SetupIntent for the account's Stripe customer, and does a card payment (plain, with 3-D Secure, or declined) end
on the receipt page or with the reason inline, only ever for the verified debtor's own account?

The browser's part (Stripe.js confirming the SetupIntent with the card, localstripe's 3-D Secure modal) is done here
with the SDK the way tests/stripe_support.py does it; tests/e2e/test_portal_pay.py drives the real page."""
from __future__ import annotations

import datetime as dt
import html
import re
import socket
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Business, Payment
from app.services.payments.manual import record_manual
from app.services.portal import links
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.stripe_support import authenticate, card_payment_method

JSON = {"Accept": "application/json"}


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _signed_in(client, account) -> None:
    """Open a payment link and pass the identity check, as the debtor would."""
    _, url = links.issue(db.session, account, now=NOW, purpose="payment", channel="sms")
    db.session.commit()
    response = client.post(url.replace("http://127.0.0.1:5000", ""), data={"last_name": "Lopez", "zip_code": "75201"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/pay")


@pytest.fixture
def account(client):
    found = debtor(messaging_business(), contacted=True)
    _signed_in(client, found)
    return found


def _collected_card(client, stripe_client, number: str) -> str:
    """What the page's Stripe.js does: a SetupIntent from /p/pay/setup confirmed with the card; the PaymentMethod."""
    secret = client.post("/p/pay/setup", data={"amount": "50"}, headers=JSON).get_json()["data"]["clientSecret"]
    method = card_payment_method(stripe_client, number)
    setup_id = secret.split("_secret_")[0]
    confirmed = stripe_client.v1.setup_intents.confirm(setup_id, params={"payment_method": method})
    assert confirmed.status in ("succeeded", "requires_action")
    return method


def _pay(client, amount: str, method: str):
    return client.post("/p/pay", data={"amount": amount, "method": "card", "payment_method_id": method},
                       headers=JSON)


def test_the_pay_page_offers_the_balance_quick_choices_a_card_and_stripe_js(client, account, stripe_config):
    """Does the page show the balance, the amount (the whole balance to start), "Full balance" and a partial
    amount, the card method only, Stripe.js from localstripe with the publishable key, a "Pay $X" button that
    starts disabled, the Stripe line, and what to do without JavaScript?"""
    response = client.get("/p/pay")
    page = _text(response)
    assert response.status_code == 200
    assert "Make a payment" in page and "Account balance" in page and "$412.50" in page
    assert 'id="amount"' in page and 'value="412.50"' in page and 'inputmode="decimal"' in page
    assert "From $1.00 to $412.50." in page
    assert 'data-amount="412.50"' in page and "Full balance $412.50" in page
    assert 'data-amount="103.00"' in page and "Partial payment $103.00" in page
    assert 'value="card" checked' in page and "Credit or debit card" in page and 'value="ach"' not in page
    assert f'src="{stripe_config.STRIPE_API_BASE}/js.stripe.com/v3/"' in page
    assert 'data-publishable-key="pk_test_sandbox"' in page and "/static/js/portal-pay.js" in page
    assert re.search(r'<button type="submit"[^>]*id="pay-button" disabled>', page)
    assert "Pay $412.50" in page and "Secure payment powered by Stripe" in page
    assert "<noscript>" in page and "turn on JavaScript" in page and "(800) 555-0100" in page
    assert 'data-msg-range="Enter an amount from $1.00 to $412.50."' in page


def test_the_pay_page_speaks_spanish_to_a_spanish_speaking_debtor(client, stripe_config):
    account = debtor(messaging_business(), contacted=True, preferred_language="es")
    _signed_in(client, account)
    page = _text(client.get("/p/pay"))
    assert "Hacer un pago" in page and "Saldo de la cuenta" in page and "Pagar $412.50" in page
    assert "Saldo total $412.50" in page and "Pago seguro procesado por Stripe" in page
    assert 'data-locale="es"' in page and "Escriba un monto de $1.00 a $412.50." in page
    refused = client.post("/p/pay/setup", data={"amount": "0.99"}, headers=JSON)
    assert refused.get_json()["error"]["message"] == "Escriba un monto de $1.00 a $412.50."


@pytest.mark.parametrize("amount, message", [
    ("", "Enter the amount you want to pay."),
    ("   ", "Enter the amount you want to pay."),
    ("0.99", "Enter an amount from $1.00 to $412.50."),
    ("412.51", "Enter an amount from $1.00 to $412.50."),
    ("1.005", "Enter an amount from $1.00 to $412.50."),
    ("ten", "Enter an amount from $1.00 to $412.50."),
    ("-5", "Enter an amount from $1.00 to $412.50."),
    ("1e2", "Enter an amount from $1.00 to $412.50."),
])
def test_an_amount_outside_one_dollar_to_the_balance_is_refused_with_the_exact_message(client, account, stripe_config,
                                                                                       amount, message):
    """Is every amount that is not $1 to the balance refused before the card is touched (setup) and before a
    charge (pay), on the amount field, with nothing written?"""
    for path, data in (("/p/pay/setup", {"amount": amount}),
                       ("/p/pay", {"amount": amount, "payment_method_id": "pm_card_visa"})):
        response = client.post(path, data=data, headers=JSON)
        assert response.status_code == 422
        assert response.get_json()["error"] == {"code": "VALIDATION_ERROR", "message": message, "field": "amount"}
    assert db.session.scalars(select(Payment)).all() == []
    assert db.session.get(Account, account.id).stripe_customer_id is None


@pytest.mark.parametrize("amount", ["1", "1.00", "$412.50", "412.5", "$ 12", "12."])
def test_amounts_from_one_dollar_to_the_balance_are_accepted(client, account, stripe_config, amount):
    response = client.post("/p/pay/setup", data={"amount": amount}, headers=JSON)
    assert response.status_code == 200, response.get_json()


def test_without_javascript_the_form_post_says_so_inline(client, account, stripe_config):
    """A plain form post (no Stripe.js, so no card) re-shows the page: an amount error on the field, or the
    JavaScript notice when the amount was fine; nothing is charged."""
    wrong = client.post("/p/pay", data={"amount": "500"})
    page = _text(wrong)
    assert wrong.status_code == 422 and 'aria-invalid="true"' in page
    assert '<div class="error-text" id="amount-error">Enter an amount from $1.00 to $412.50.</div>' in page
    assert 'aria-describedby="amount-hint amount-error"' in page and 'value="500"' in page
    no_card = client.post("/p/pay", data={"amount": "50"})
    assert no_card.status_code == 422
    assert re.search(r'id="pay-error"[^>]*>To pay online, turn on JavaScript', _text(no_card))
    assert "Pay $50.00" in _text(no_card)
    assert db.session.scalars(select(Payment)).all() == []


def test_payments_in_flight_reserve_their_amount(client, account, stripe_config):
    """With a $100 payment still processing, may the debtor pay only the other $312.50, and is that said?"""
    db.session.add(Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("100.00"),
                           payment_method="ach", status="processing", created_at=NOW))
    db.session.commit()
    page = _text(client.get("/p/pay"))
    assert "$100.00 of your balance is in payments still being processed, so you can pay up to $312.50 now." in page
    assert "Full balance $312.50" in page and "From $1.00 to $312.50." in page
    refused = client.post("/p/pay/setup", data={"amount": "312.51"}, headers=JSON)
    assert refused.get_json()["error"]["message"] == "Enter an amount from $1.00 to $312.50."
    assert client.post("/p/pay/setup", data={"amount": "312.50"}, headers=JSON).status_code == 200


def test_the_setup_endpoint_returns_a_setup_intent_for_the_accounts_stripe_customer(client, account, stripe_config,
                                                                                   stripe_client):
    """Is the client secret a real localstripe SetupIntent, for a card, made under the account's (new, stored)
    Stripe customer, and is the same customer used the next time?"""
    response = client.post("/p/pay/setup", data={"amount": "50"}, headers=JSON)
    assert response.status_code == 200
    secret = response.get_json()["data"]["clientSecret"]
    assert re.fullmatch(r"seti_\w+_secret_\w+", secret)
    customer = db.session.get(Account, account.id).stripe_customer_id
    assert customer and customer.startswith("cus_")
    intent = stripe_client.v1.setup_intents.retrieve(secret.split("_secret_")[0])
    assert intent.customer == customer and intent.payment_method_types == ["card"]
    again = client.post("/p/pay/setup", data={"amount": "50"}, headers=JSON).get_json()["data"]["clientSecret"]
    assert again != secret
    assert stripe_client.v1.setup_intents.retrieve(again.split("_secret_")[0]).customer == customer


def test_a_card_payment_reaches_the_receipt_page_and_the_history(client, account, stripe_config, stripe_client):
    """$50 by 4242: the answer points at the receipt, which gives the receipt number, the amount, the time in
    Dallas, the card's brand and last 4 and the new balance; the account page lists it with its receipt."""
    method = _collected_card(client, stripe_client, "4242424242424242")
    response = _pay(client, "50", method)
    body = response.get_json()
    assert response.status_code == 200 and body["data"]["status"] == "succeeded", body
    payment = db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))
    assert body["data"]["redirect"] == f"/p/receipts/{payment.id}"
    assert payment.amount == Decimal("50.00") and payment.payer_ip == "127.0.0.1"
    assert db.session.get(Account, account.id).current_balance == Decimal("362.50")

    receipt = client.get(body["data"]["redirect"])
    page = _text(receipt)
    assert receipt.status_code == 200
    assert "Payment receipt" in page and "Thank you. We received your payment." in page
    assert payment.receipt_number and payment.receipt_number in page
    assert "$50.00" in page and "November 25, 2026, 9:00 AM CST" in page
    assert "Visa ending in 4242" in page and re.search(r"New balance</dt><dd[^>]*>\$362\.50", page)
    assert f"ending in {account.account_number[-4:]}" in page and "paid in full" not in page
    assert "Print receipt" in page and "data-print hidden" in page

    history = _text(client.get("/p/account"))
    assert "Payment history" in history and "Make a payment" in history
    row = re.search(r'<li class="payment-row" data-status="succeeded">(.*?)</li>', history).group(1)
    assert "$50.00" in row and "November 25, 2026" in row and "Card" in row and ">Paid<" in row
    assert f'href="/p/receipts/{payment.id}"' in row and 'aria-label="Receipt for $50.00 on November 25, 2026"' in row


def test_posting_the_same_card_twice_pays_once(client, account, stripe_config, stripe_client):
    """A double submit (or a retry after a lost answer) with the same collected card finds the first payment."""
    method = _collected_card(client, stripe_client, "4242424242424242")
    first, second = _pay(client, "50", method).get_json(), _pay(client, "50", method).get_json()
    assert first["data"]["paymentId"] == second["data"]["paymentId"]
    assert len(db.session.scalars(select(Payment)).all()) == 1
    assert db.session.get(Account, account.id).current_balance == Decimal("362.50")


def test_three_d_secure_completed_in_the_browser_then_the_receipt(client, account, stripe_config, stripe_client):
    """4000002760003184: the charge asks for 3-D Secure, the page gets the client secret and where to finish,
    the bank says yes (localstripe's modal), and completing lands on the receipt."""
    method = _collected_card(client, stripe_client, "4000002760003184")
    body = _pay(client, "75.25", method).get_json()
    assert body["data"]["status"] == "requires_action" and body["data"]["clientSecret"].startswith("pi_")
    payment = db.session.get(Payment, uuid.UUID(body["data"]["paymentId"]))
    assert body["data"]["completeUrl"] == f"/p/pay/{payment.id}/complete"
    assert db.session.get(Account, account.id).current_balance == Decimal("412.50")
    authenticate(stripe_client, payment.stripe_payment_intent_id, body["data"]["clientSecret"], success=True)
    done = client.post(body["data"]["completeUrl"], headers=JSON).get_json()
    assert done["data"] == {"status": "succeeded", "paymentId": str(payment.id),
                            "redirect": f"/p/receipts/{payment.id}"}
    assert db.session.get(Account, account.id).current_balance == Decimal("337.25")
    assert "$75.25" in _text(client.get(done["data"]["redirect"]))


def test_three_d_secure_refused_by_the_bank_is_an_inline_reason(client, account, stripe_config, stripe_client):
    method = _collected_card(client, stripe_client, "4000002760003184")
    body = _pay(client, "20", method).get_json()
    authenticate(stripe_client, db.session.get(Payment, uuid.UUID(body["data"]["paymentId"])).stripe_payment_intent_id,
                 body["data"]["clientSecret"], success=False)
    response = client.post(body["data"]["completeUrl"], headers=JSON)
    assert response.status_code == 402
    assert response.get_json()["error"]["message"] == (
        "Your payment did not go through: your bank did not confirm the payment (3-D Secure). Your card was not "
        "charged. Check the card details or use another card, then try again.")
    assert db.session.get(Account, account.id).current_balance == Decimal("412.50")


def test_a_declined_card_gives_the_reason_inline_and_no_receipt(client, account, stripe_config, stripe_client):
    """4000000000000341 attaches, then the charge is declined: 402 with the reason, the balance unchanged, the
    history says it did not go through and offers no receipt, and its receipt address is a 404."""
    method = _collected_card(client, stripe_client, "4000000000000341")
    response = _pay(client, "50", method)
    assert response.status_code == 402
    problem = response.get_json()["error"]
    assert problem["code"] == "PAYMENT_FAILED" and problem["field"] is None
    assert problem["message"].startswith("Your payment did not go through: your card was declined.")
    payment = db.session.scalars(select(Payment)).one()
    assert payment.status == "failed" and db.session.get(Account, account.id).current_balance == Decimal("412.50")
    history = _text(client.get("/p/account"))
    row = re.search(r'<li class="payment-row" data-status="failed">(.*?)</li>', history).group(1)
    assert "Did not go through" in row and "/p/receipts/" not in row
    missing = client.get(f"/p/receipts/{payment.id}")
    assert missing.status_code == 404 and "We can't find that receipt" in _text(missing)


def test_a_spanish_decline_is_said_in_spanish(client, stripe_config, stripe_client):
    account = debtor(messaging_business(), contacted=True, preferred_language="es")
    _signed_in(client, account)
    method = _collected_card(client, stripe_client, "4000000000000341")
    message = _pay(client, "50", method).get_json()["error"]["message"]
    assert message.startswith("Su pago no se procesó: su tarjeta fue rechazada. No se hizo ningún cargo")


def test_paying_the_whole_balance_says_paid_in_full_and_leaves_nothing_to_pay(client, account, stripe_config,
                                                                             stripe_client):
    method = _collected_card(client, stripe_client, "4242424242424242")
    redirect = _pay(client, "412.50", method).get_json()["data"]["redirect"]
    page = _text(client.get(redirect))
    assert "Your account is paid in full." in page and re.search(r"New balance</dt><dd[^>]*>\$0\.00", page)
    pay_page = _text(client.get("/p/pay"))
    assert "There is nothing to pay" in pay_page and "Your balance is paid in full." in pay_page
    assert 'id="pay-form"' not in pay_page and "js.stripe.com" not in pay_page
    assert "Make a payment</a>" not in _text(client.get("/p/account"))
    assert client.post("/p/pay/setup", data={"amount": "1"}, headers=JSON).get_json()["error"]["message"] == \
        "Your balance is paid in full. Thank you."


def test_receipts_and_completion_are_only_for_the_sessions_own_account(client, account, stripe_config):
    """Another debtor's payment (same business or another), a made-up id and a signed-out visitor all get
    nothing: 404 for the first ones, the sign-in redirect for the last."""
    same_business = debtor(db.session.get(Business, account.business_id), phone="+12145550199",
                           email="other@example.com")
    elsewhere = debtor(messaging_business(), phone="+12145550198", email="third@example.com")
    theirs = []
    for other in (same_business, elsewhere):
        admin = gen_user(db.session.get(Business, other.business_id), "business_admin")
        principal = Principal(business_id=other.business_id, role="business_admin", user_id=admin.id)
        theirs.append(record_manual(db.session, principal, other.id, "25", "check", now=NOW))
    db.session.commit()
    for payment in theirs:
        response = client.get(f"/p/receipts/{payment.id}")
        assert response.status_code == 404 and payment.receipt_number not in _text(response)
        missing = client.post(f"/p/pay/{payment.id}/complete", headers=JSON)
        assert missing.status_code == 404 and missing.get_json()["error"]["message"] == "We can't find that payment."
    assert client.get("/p/receipts/not-a-payment").status_code == 404
    assert "$25.00" not in _text(client.get("/p/account"))
    client.post("/p/sign-out")
    assert client.get(f"/p/receipts/{theirs[0].id}").status_code == 302
    assert client.get("/p/pay").headers["Location"].endswith("/p/signed-out?reason=none")


def test_the_history_in_plain_words_and_its_empty_state(client, account, stripe_config):
    """No payments: the empty state says what will appear. Then a check recorded by staff (with its receipt) and a
    bank transfer in flight ("Processing (bank transfer, 3-5 business days)", a receipt saying so)."""
    page = _text(client.get("/p/account"))
    assert "You have not made any payments yet. When you do, each one shows here with its receipt." in page
    business = db.session.get(Business, account.business_id)
    admin = gen_user(business, "business_admin")
    record_manual(db.session, Principal(business_id=business.id, role="business_admin", user_id=admin.id),
                  account.id, "40", "check", now=NOW - dt.timedelta(days=3))
    transfer = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("60.00"),
                       payment_method="ach", status="processing", processed_at=NOW, created_at=NOW)
    db.session.add(transfer)
    db.session.commit()
    page = _text(client.get("/p/account"))
    assert "You have not made any payments yet" not in page
    rows = re.findall(r'<li class="payment-row" data-status="(\w+)">(.*?)</li>', page)
    assert [status for status, _ in rows] == ["processing", "succeeded"]
    assert "Processing (bank transfer, 3-5 business days)" in rows[0][1] and "Bank account (ACH)" in rows[0][1]
    assert "Check" in rows[1][1] and "November 22, 2026" in rows[1][1] and ">Paid<" in rows[1][1]
    receipt = _text(client.get(f"/p/receipts/{transfer.id}"))
    assert "Your bank transfer has started. It usually takes 3-5 business days" in receipt
    assert "Given when the payment completes" in receipt and "Balance now" in receipt


def test_every_payment_post_needs_the_csrf_token(app, client, account, stripe_config):
    """With CSRF on (as in production), are the setup, pay and complete posts refused without the token and
    accepted with the one the page carries?"""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/p/pay").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert re.search(r'<form method="post" action="/p/pay" id="pay-form"[^>]*>\s*<input id="csrf_token"', page)
        for path in ("/p/pay/setup", "/p/pay", f"/p/pay/{account.id}/complete"):
            assert client.post(path, data={"amount": "50"}, headers=JSON).status_code == 400
        accepted = client.post("/p/pay/setup", data={"amount": "50", "csrf_token": token}, headers=JSON)
        assert accepted.status_code == 200
        with_header = client.post("/p/pay/setup", data={"amount": "50"}, headers={**JSON, "X-CSRFToken": token})
        assert with_header.status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_an_answer_still_missing_from_stripe_asks_the_debtor_not_to_pay_again(client, account, stripe_config,
                                                                              stripe_client, monkeypatch):
    """After 3-D Secure, Stripe cannot be reached to say how the payment ended: the page says so inline (no receipt,
    no decline), and the payment's amount stays reserved until the clock finds out."""
    method = _collected_card(client, stripe_client, "4000002760003184")
    body = _pay(client, "50", method).get_json()
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setattr(stripe_config, "STRIPE_API_BASE", dead)
    response = client.post(body["data"]["completeUrl"], headers=JSON)
    assert response.status_code == 202
    assert response.get_json()["error"]["message"] == (
        "We don't have the card processor's answer yet. Please don't pay again: check your payment history in a few "
        "minutes.")
    assert db.session.get(Payment, uuid.UUID(body["data"]["paymentId"])).status == "requires_action"
    assert "you can pay up to $362.50 now" in _text(client.get("/p/pay"))


def test_card_collections_are_limited_per_account(client, account, stripe_config):
    """Twenty SetupIntents an hour are plenty for a debtor whose card was declined; the next is refused (429), so
    a portal session cannot be used to try card after card."""
    for _ in range(20):
        assert client.post("/p/pay/setup", data={"amount": "5"}, headers=JSON).status_code == 200
    refused = client.post("/p/pay/setup", data={"amount": "5"}, headers=JSON)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "RATE_LIMITED"
    other = debtor(messaging_business(), phone="+12145550197", email="fourth@example.com")
    client.post("/p/sign-out")
    _signed_in(client, other)
    assert client.post("/p/pay/setup", data={"amount": "5"}, headers=JSON).status_code == 200
