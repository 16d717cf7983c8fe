"""200 requests to pay the whole balance of one account at the same moment: exactly one is charged, every other one
is refused with a message saying why (a payment is in flight, or nothing is left to pay)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from app.extensions import db
from tests.payments.one_time_helpers import GOOD_CARD, balance_of, paying_debtor, payments_of, token_for
from tests.stripe_support import card_payment_method

REQUESTS = 200


def test_two_hundred_concurrent_full_balance_payments_charge_once(app, client, clock, stripe_config, stripe_client,
                                                                  monkeypatch):
    """Each request runs on its own thread with its own app context and database session, as a threaded server's
    would; the rate limit is lifted so that all 200 reach the payment code."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    business, account, user = paying_debtor("412.50")
    headers = token_for(client, user, clock)
    cards = [card_payment_method(stripe_client, GOOD_CARD) for _ in range(REQUESTS)]
    body = {"accountId": str(account.id), "amount": "412.50", "paymentMethod": "card"}
    gate = threading.Barrier(REQUESTS)

    def pay(card):
        with app.test_client() as own:
            gate.wait()
            response = own.post("/api/v1/payments", json={**body, "stripePaymentMethodId": card}, headers=headers)
            return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(pay, cards))

    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 1, sorted(set(statuses))
    refused = [body["error"] for status, body in answers if status != 201]
    assert {status for status in statuses if status != 201} <= {400, 409}
    assert all(error["code"] in ("CONFLICT", "VALIDATION_ERROR") and error["message"] for error in refused)
    assert {error["message"] for error in refused} <= {
        "Another payment for the rest of the balance is still being processed on this account.",
        "This account has nothing left to pay."}
    [payment] = payments_of(account.id)
    assert payment.status == "succeeded"
    assert balance_of(account.id) == Decimal("0.00")
    db.session.remove()
