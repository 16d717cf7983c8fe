"""POST/GET /api/v1/payments against localstripe with the real stripe SDK: what a debtor (or staff for them) sees
when a card pays, is declined, needs 3-D Secure, or asks for an amount the account cannot take."""
from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, Payment, WebhookDelivery
from app.services.payments import one_time
from tests.factories import gen_user
from tests.payments.one_time_helpers import (DECLINED_AT_ATTACH, DECLINED_AT_CHARGE, GOOD_CARD, THREE_D_SECURE,
                                             balance_of, paying_debtor, payments_of, receipts_of, token_for)
from tests.stripe_support import authenticate, card_payment_method


@pytest.fixture(autouse=True)
def _stripe(stripe_config):
    """Every test here talks to this worker's localstripe."""


def _pay(client, headers, account, amount, card=None, **extra):
    body = {"accountId": str(account.id), "amount": amount, "paymentMethod": "card", **extra}
    if card is not None:
        body["stripePaymentMethodId"] = card
    return client.post("/api/v1/payments", json=body, headers=headers)


def test_a_debtor_pays_part_of_the_balance_by_card(client, clock, stripe_client):
    """201 with the PRD fields, amounts as numbers with two decimals, the balance down once, a receipt queued."""
    business, account, user = paying_debtor("412.50")
    headers = token_for(client, user, clock)
    response = _pay(client, headers, account, 100, card_payment_method(stripe_client, GOOD_CARD))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert '"amount": 100.00' in response.get_data(as_text=True)
    assert data["accountId"] == str(account.id) and data["status"] == "succeeded" and data["paymentMethod"] == "card"
    assert data["receiptUrl"].endswith(f"/p/receipts/{data['id']}")
    assert data["receiptNumber"] == "R-2026-000001" and data["balanceAfter"] == Decimal("312.50")
    assert data["createdAt"].endswith("Z")
    assert balance_of(account.id) == Decimal("312.50")
    payment = db.session.get(Payment, uuid.UUID(data["id"]))
    assert payment.stripe_payment_intent_id.startswith("pi_") and payment.stripe_charge_id.startswith("ch_")
    assert payment.processed_by_id is None  # the debtor paid; staff would be named here
    assert db.session.get(Account, account.id).status == "active"
    [receipt] = receipts_of(account.id)
    assert (receipt.kind, receipt.channel, receipt.delivery_status) == ("transactional", "email", "queued")
    assert "$100.00" in receipt.content and "Remaining balance: $312.50." in receipt.content
    assert "R-2026-000001" in receipt.content and f"/p/receipts/{payment.id}" in receipt.content
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.resource_id == payment.id)) == "payment_succeeded"


def test_paying_the_whole_balance_leaves_the_account_paid_in_full(client, clock, stripe_client):
    """The amount may come as a string; at zero the account is paid_in_full and the receipt says so."""
    business, account, user = paying_debtor("250.00")
    response = _pay(client, token_for(client, user, clock), account, "250.00",
                    card_payment_method(stripe_client, GOOD_CARD))
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    account = db.session.get(Account, account.id)
    assert (account.current_balance, account.status) == (Decimal("0.00"), "paid_in_full")
    [receipt] = receipts_of(account.id)
    assert "Remaining balance: $0.00. Your account is paid in full." in receipt.content


def test_a_card_declined_when_it_is_attached_answers_402(client, clock, stripe_client):
    """4000000000000002 is refused before any charge: 402 PAYMENT_FAILED with the bank's reason, nothing owed less."""
    business, account, user = paying_debtor("412.50")
    response = _pay(client, token_for(client, user, clock), account, 50,
                    card_payment_method(stripe_client, DECLINED_AT_ATTACH))
    assert response.status_code == 402
    body = response.get_json()
    assert body["error"]["code"] == "PAYMENT_FAILED" and body["error"]["message"] == "Your card was declined."
    [payment] = payments_of(account.id)
    assert (payment.status, payment.failure_reason, payment.failure_code) == (
        "failed", "Your card was declined.", "card_declined")
    assert str(payment.id) == body["error"]["paymentId"]
    assert balance_of(account.id) == Decimal("412.50") and not receipts_of(account.id)


def test_an_unknown_payment_method_answers_402(client, clock):
    business, account, user = paying_debtor("412.50")
    response = _pay(client, token_for(client, user, clock), account, 50, "pm_doesnotexist")
    assert response.status_code == 402
    assert "cannot be used" in response.get_json()["error"]["message"]
    assert balance_of(account.id) == Decimal("412.50")


def test_a_card_declined_at_the_charge_answers_402_and_frees_the_amount(client, clock, stripe_client):
    """4000000000000341 attaches, then the charge fails: the failed payment reserves nothing afterwards."""
    business, account, user = paying_debtor("412.50")
    headers = token_for(client, user, clock)
    response = _pay(client, headers, account, "412.50", card_payment_method(stripe_client, DECLINED_AT_CHARGE))
    assert response.status_code == 402
    assert response.get_json()["error"]["message"] == "Your card was declined."
    [payment] = payments_of(account.id)
    assert payment.status == "failed" and payment.stripe_payment_intent_id
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("412.50")
    again = _pay(client, headers, account, "412.50", card_payment_method(stripe_client, GOOD_CARD))
    assert again.status_code == 201 and balance_of(account.id) == Decimal("0.00")


@pytest.mark.parametrize("success", [True, False])
def test_three_d_secure_completed_or_failed(client, clock, stripe_client, success):
    """requires_action with the client secret for confirmCardPayment; the result is applied by complete()."""
    business, account, user = paying_debtor("412.50")
    response = _pay(client, token_for(client, user, clock), account, 40,
                    card_payment_method(stripe_client, THREE_D_SECURE))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "requires_action" and data["clientSecret"].startswith("pi_")
    assert data["receiptUrl"] is None
    payment = db.session.get(Payment, uuid.UUID(data["id"]))
    assert payment.status == "requires_action" and balance_of(account.id) == Decimal("412.50")
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("372.50")

    authenticate(stripe_client, payment.stripe_payment_intent_id, data["clientSecret"], success=success)
    result = one_time.complete(db.session, payment.id, now=clock.now(), account_id=account.id)
    if success:
        assert result.status == "succeeded" and balance_of(account.id) == Decimal("372.50")
        assert len(receipts_of(account.id)) == 1
    else:
        assert result.status == "failed" and "authentication" in result.error
        assert balance_of(account.id) == Decimal("412.50") and not receipts_of(account.id)
        assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("412.50")
    again = one_time.complete(db.session, payment.id, now=clock.now())
    assert again.status == result.status and len(payments_of(account.id)) == 1


@pytest.mark.parametrize("amount, message", [
    ("0.99", "The smallest payment is $1.00."),
    (0.5, "The smallest payment is $1.00."),
    ("412.51", "The amount cannot be more than the balance of $412.50."),
    ("10.001", "Enter the amount in dollars and cents (at most two decimal places)."),
    ("ten", "Enter the amount as a number, like 100.00."),
    (None, "Enter the amount to pay."),
])
def test_amounts_outside_one_dollar_to_the_balance_answer_400(client, clock, amount, message):
    business, account, user = paying_debtor("412.50")
    response = _pay(client, token_for(client, user, clock), account, amount, "pm_card_visa")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"], error["message"]) == ("VALIDATION_ERROR", "amount", message)
    assert not payments_of(account.id)


def test_three_decimals_sent_as_a_json_number_are_refused_exactly(client, clock):
    """The body's number is read as Decimal, never float: 10.001 is not rounded to 10.00."""
    business, account, user = paying_debtor("412.50")
    body = '{"accountId": "%s", "amount": 10.001, "stripePaymentMethodId": "pm_card_visa"}' % account.id
    response = client.post("/api/v1/payments", data=body, content_type="application/json",
                           headers=token_for(client, user, clock))
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "amount"


def test_a_payment_method_is_required(client, clock):
    business, account, user = paying_debtor("412.50")
    response = _pay(client, token_for(client, user, clock), account, 20)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "stripePaymentMethodId"
    other = _pay(client, token_for(client, user, clock), account, 20, paymentMethod="bitcoin")
    assert other.get_json()["error"]["field"] == "paymentMethod"


def test_payment_method_id_is_accepted_under_either_name(client, clock, stripe_client):
    business, account, user = paying_debtor("412.50")
    response = client.post("/api/v1/payments", headers=token_for(client, user, clock), json={
        "accountId": str(account.id), "amount": 12.34,
        "paymentMethodId": card_payment_method(stripe_client, GOOD_CARD)})
    assert response.status_code == 201 and balance_of(account.id) == Decimal("400.16")


def test_nothing_left_to_pay_answers_400(client, clock):
    business, account, user = paying_debtor("0.00")
    response = _pay(client, token_for(client, user, clock), account, 5, "pm_card_visa")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "This account has nothing left to pay."


def test_a_payment_in_flight_holds_its_amount_409(client, clock, stripe_client):
    """A 3-D Secure payment not finished yet reserves its amount: a second payment over what is left is a 409."""
    business, account, user = paying_debtor("412.50")
    headers = token_for(client, user, clock)
    first = _pay(client, headers, account, "400.00", card_payment_method(stripe_client, THREE_D_SECURE))
    assert first.get_json()["data"]["status"] == "requires_action"
    second = _pay(client, headers, account, "20.00", card_payment_method(stripe_client, GOOD_CARD))
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "CONFLICT" and "at most $12.50 can be paid now" in error["message"]
    assert error["available"] == Decimal("12.50")
    third = _pay(client, headers, account, "12.50", card_payment_method(stripe_client, GOOD_CARD))
    assert third.status_code == 201


def test_staff_take_a_payment_for_the_debtor_within_their_scope(client, clock, stripe_client):
    """An agent may take a payment on an account in their queue (named as the one who processed it), not on
    another agent's account; another business's account is 404."""
    business, account, user = paying_debtor("412.50")
    agent = gen_user(business, "agent")
    headers = token_for(client, agent, clock)
    response = _pay(client, headers, account, 10, card_payment_method(stripe_client, GOOD_CARD))
    assert response.status_code == 201
    assert response.get_json()["data"]["processedById"] == str(agent.id)

    other_agent = gen_user(business, "agent")
    account.assigned_agent_id = other_agent.id
    db.session.commit()
    assert _pay(client, headers, account, 10, card_payment_method(stripe_client, GOOD_CARD)).status_code == 403

    stranger = gen_user(paying_debtor()[0], "manager")
    assert _pay(client, token_for(client, stranger, clock), account, 10, "pm_card_visa").status_code == 404


def test_a_debtor_cannot_pay_on_someone_elses_account(client, clock):
    business, account, user = paying_debtor("412.50")
    _, other_account, _ = paying_debtor("100.00", business=business)
    response = _pay(client, token_for(client, user, clock), other_account, 10, "pm_card_visa")
    assert response.status_code == 404


def test_an_idempotency_key_replays_the_first_answer(client, clock, stripe_client):
    business, account, user = paying_debtor("412.50")
    headers = {**token_for(client, user, clock), "Idempotency-Key": "pay-1"}
    body = {"accountId": str(account.id), "amount": 30, "stripePaymentMethodId":
            card_payment_method(stripe_client, GOOD_CARD)}
    first = client.post("/api/v1/payments", json=body, headers=headers)
    second = client.post("/api/v1/payments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_data() == second.get_data()
    assert len(payments_of(account.id)) == 1 and balance_of(account.id) == Decimal("382.50")


def test_a_payment_succeeded_event_goes_to_subscribed_endpoints(client, clock, stripe_client):
    """payment.succeeded is emitted through the outbound webhooks like the account events."""
    from app.services import webhooks
    from app.services.tenancy import Principal

    business, account, user = paying_debtor("412.50")
    webhooks.create_endpoint(db.session, Principal(business_id=business.id, role="business_admin"),
                             "https://hooks.example.com/pay", ["payment.succeeded"], None, clock.now())
    db.session.commit()
    _pay(client, token_for(client, user, clock), account, 10, card_payment_method(stripe_client, GOOD_CARD))
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    event = json.loads(delivery.body)
    assert event["type"] == "payment.succeeded" and event["data"]["amount"] == 10
    assert event["data"]["receiptNumber"] == "R-2026-000001"


def test_list_payments_is_scoped_and_filtered(client, clock, stripe_client):
    business, account, user = paying_debtor("412.50")
    headers = token_for(client, user, clock)
    _pay(client, headers, account, 10, card_payment_method(stripe_client, GOOD_CARD))
    clock.advance(seconds=1)
    _pay(client, headers, account, 10, card_payment_method(stripe_client, DECLINED_AT_CHARGE))

    missing = client.get("/api/v1/payments", headers=headers)
    assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "accountId"
    listed = client.get(f"/api/v1/payments?accountId={account.id}", headers=headers).get_json()
    assert [p["status"] for p in listed["data"]] == ["failed", "succeeded"]
    assert listed["meta"]["total"] == 2
    first = listed["data"][1]
    assert set(first) >= {"id", "amount", "status", "paymentMethod", "receiptUrl", "createdAt"}
    succeeded = client.get(f"/api/v1/payments?accountId={account.id}&status=succeeded", headers=headers)
    assert [p["status"] for p in succeeded.get_json()["data"]] == ["succeeded"]
    assert client.get(f"/api/v1/payments?accountId={account.id}&status=lost",
                      headers=headers).status_code == 400

    _, other_account, _ = paying_debtor("100.00", business=business)
    assert client.get(f"/api/v1/payments?accountId={other_account.id}", headers=headers).status_code == 404
    manager = gen_user(business, "manager")
    staff = client.get(f"/api/v1/payments?accountId={account.id}", headers=token_for(client, manager, clock))
    assert staff.get_json()["meta"]["total"] == 2


def test_the_openapi_document_describes_both_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"post", "get"} <= set(paths["/payments"])
    assert "402" in paths["/payments"]["post"]["responses"]


def test_staff_record_a_check_through_the_same_endpoint(client, clock):
    """check, cash, money_order and other are recorded (no Stripe), by staff only, with who recorded them."""
    business, account, user = paying_debtor("412.50")
    manager = gen_user(business, "manager")
    response = client.post("/api/v1/payments", headers=token_for(client, manager, clock), json={
        "accountId": str(account.id), "amount": "112.50", "paymentMethod": "check", "reference": "1042"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert (data["status"], data["paymentMethod"], data["processedById"]) == ("succeeded", "check", str(manager.id))
    assert data["receiptUrl"].endswith(f"/p/receipts/{data['id']}")
    assert balance_of(account.id) == Decimal("300.00")

    by_debtor = client.post("/api/v1/payments", headers=token_for(client, user, clock), json={
        "accountId": str(account.id), "amount": "10.00", "paymentMethod": "cash"})
    assert by_debtor.status_code == 403 and balance_of(account.id) == Decimal("300.00")
