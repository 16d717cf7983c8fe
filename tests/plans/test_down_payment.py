"""The down payment of a plan chosen in the portal (PRD 7.5: pending until signed and the down payment succeeded),
against this worker's localstripe: with auto-pay, signing charges it at once and the plan is active; without (or
when that charge is declined) the signed page offers to pay it now; and whichever path reports the payment's
success (the portal's answer, Stripe's webhook, replayed) installment 0 is paid and the plan activated once."""
from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, Payment, PaymentPlan
from tests.plans.portal_helpers import JSON, choose, plan_id_of, portal_debtor, rows_of, sign, text_of
from tests.payments.test_stripe_webhooks import event, post
from tests.stripe_support import authenticate, card_payment_method

GOOD = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"  # saved fine, declined when charged
THREE_D_SECURE = "4000002760003184"


def _plan(plan_id) -> PaymentPlan:
    db.session.expire_all()
    return db.session.get(PaymentPlan, plan_id)


def _activations(plan_id) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "payment_plan_activated", AuditLog.resource_id == plan_id))


def _payments(plan_id) -> list[Payment]:
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.payment_plan_id == plan_id)
                              .order_by(Payment.created_at)).all()


def _saved_card(client, stripe_client, number: str) -> str:
    """What the plan page's Stripe.js does: the SetupIntent from /p/plans/new/setup confirmed with the card."""
    secret = client.post("/p/plans/new/setup", headers=JSON).get_json()["data"]["clientSecret"]
    method = card_payment_method(stripe_client, number)
    stripe_client.v1.setup_intents.confirm(secret.split("_secret_")[0], params={"payment_method": method})
    return method


def _collected(client, stripe_client, number: str, installment_id) -> str:
    """The pay page's Stripe.js for one installment: its SetupIntent confirmed with the card."""
    secret = client.post(f"/p/pay/setup?installment={installment_id}", data={"amount": "50.00"},
                         headers=JSON).get_json()["data"]["clientSecret"]
    method = card_payment_method(stripe_client, number)
    stripe_client.v1.setup_intents.confirm(secret.split("_secret_")[0], params={"payment_method": method})
    return method


def test_with_auto_pay_signing_charges_the_down_payment_and_activates_the_plan(client, stripe_client):
    account = portal_debtor(client)
    method = _saved_card(client, stripe_client, GOOD)
    plan_id = plan_id_of(choose(client, auto_pay="card", payment_method_id=method))
    assert _plan(plan_id).status == "pending" and _payments(plan_id) == []
    assert sign(client, plan_id).status_code == 303
    plan = _plan(plan_id)
    assert plan.status == "active" and plan.agreement_signed and plan.payments_made == 1
    assert plan.amount_paid == Decimal("50.00")
    [payment] = _payments(plan_id)
    down = rows_of(plan)[0]
    assert down.number == 0 and down.status == "paid" and down.payment_id == payment.id
    assert payment.status == "succeeded" and payment.installment_id == down.id and payment.amount == Decimal("50.00")
    assert payment.card_last4 == "4242" and payment.stripe_payment_intent_id
    assert db.session.get(Account, account.id).current_balance == Decimal("362.50")
    assert _activations(plan_id) == 1
    page = text_of(client.get(f"/p/plans/{plan_id}/agreement"))
    assert "Your payment plan is active." in page and 'data-status="paid"> Paid' in page.replace('">', '"> ')
    assert "Pay installment 1 now ($60.41)" in page  # the next one, should the debtor want to pay early


def test_without_auto_pay_the_signed_page_offers_the_down_payment_and_paying_it_activates(client, stripe_client):
    account = portal_debtor(client)
    plan_id = plan_id_of(choose(client))
    sign(client, plan_id)
    plan = _plan(plan_id)
    assert plan.status == "pending" and _payments(plan_id) == []
    down = rows_of(plan)[0]
    page = text_of(client.get(f"/p/plans/{plan_id}/agreement"))
    assert "Your plan starts once your down payment of $50.00 is received." in page
    assert f'href="/p/pay?installment={down.id}"' in page and "Pay the down payment now ($50.00)" in page

    pay_page = text_of(client.get(f"/p/pay?installment={down.id}"))
    assert "Pay your down payment" in pay_page and 'value="50.00" readonly' in pay_page
    assert f'action="/p/pay?installment={down.id}"' in pay_page and "Bank account" not in pay_page
    method = _collected(client, stripe_client, GOOD, down.id)
    answer = client.post(f"/p/pay?installment={down.id}", data={"amount": "1.00", "method": "card",
                                                                 "payment_method_id": method}, headers=JSON)
    assert answer.status_code == 200 and answer.get_json()["data"]["status"] == "succeeded"
    plan = _plan(plan_id)
    [payment] = _payments(plan_id)
    assert payment.amount == Decimal("50.00")  # the installment's amount, not the form's
    assert plan.status == "active" and rows_of(plan)[0].status == "paid" and _activations(plan_id) == 1
    assert db.session.get(Account, account.id).current_balance == Decimal("362.50")
    again = client.get(f"/p/pay?installment={down.id}")
    assert again.status_code == 409 and "This payment is already paid." in text_of(again)


def test_a_declined_down_payment_stays_due_then_a_good_card_pays_it(client, stripe_client):
    portal_debtor(client)
    method = _saved_card(client, stripe_client, DECLINED_AT_CHARGE)
    plan_id = plan_id_of(choose(client, auto_pay="card", payment_method_id=method))
    sign(client, plan_id)
    plan = _plan(plan_id)
    down = rows_of(plan)[0]
    [failed] = _payments(plan_id)
    assert plan.status == "pending" and failed.status == "failed"
    assert down.status == "scheduled" and down.attempts == 0 and down.next_retry_at is None
    page = text_of(client.get(f"/p/plans/{plan_id}/agreement"))
    assert "The down payment did not go through: your card was declined." in page
    assert "Pay the down payment now ($50.00)" in page

    good = _collected(client, stripe_client, GOOD, down.id)
    answer = client.post(f"/p/pay?installment={down.id}", data={"method": "card", "payment_method_id": good},
                         headers=JSON)
    assert answer.get_json()["data"]["status"] == "succeeded"
    plan = _plan(plan_id)
    assert plan.status == "active" and plan.payments_made == 1 and _activations(plan_id) == 1
    assert [p.status for p in _payments(plan_id)] == ["failed", "succeeded"]
    assert plan.auto_pay_enabled  # the plan keeps its card for the installments


def test_the_webhook_replayed_activates_the_plan_once(client, app, stripe_client):
    account = portal_debtor(client)
    plan_id = plan_id_of(choose(client))
    sign(client, plan_id)
    down = rows_of(_plan(plan_id))[0]
    method = _collected(client, stripe_client, THREE_D_SECURE, down.id)
    answer = client.post(f"/p/pay?installment={down.id}", data={"method": "card", "payment_method_id": method},
                         headers=JSON).get_json()["data"]
    assert answer["status"] == "requires_action"
    [payment] = _payments(plan_id)
    assert rows_of(_plan(plan_id))[0].status == "processing"
    authenticate(stripe_client, payment.stripe_payment_intent_id, answer["clientSecret"])
    intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    body = json.loads(json.dumps(intent.to_dict()))
    body.setdefault("metadata", {})["payment_id"] = str(payment.id)
    succeeded = event("payment_intent.succeeded", body)
    for _ in range(2):  # Stripe delivers it, then delivers it again
        assert post(client, app, succeeded).status_code == 200
    plan = _plan(plan_id)
    assert plan.status == "active" and plan.payments_made == 1 and plan.amount_paid == Decimal("50.00")
    assert rows_of(plan)[0].status == "paid" and _activations(plan_id) == 1
    # The browser comes back from 3-D Secure after the webhook: nothing more happens.
    done = client.post(answer["completeUrl"], headers=JSON).get_json()["data"]
    assert done["status"] == "succeeded"
    assert _plan(plan_id).payments_made == 1 and _activations(plan_id) == 1
    assert db.session.get(Account, account.id).current_balance == Decimal("362.50")
