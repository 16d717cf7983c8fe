"""Paying a plan installment now from the portal (FR-PAY-040, the pay-now link of the failure notices), against this
worker's localstripe: is the installment claimed so the clock cannot charge it at the same time, settled like an
auto-pay charge on success (paid, the plan's counters, the account back from payment_failed, the plan completed
with its last one), given back its status on a decline without counting an auto-pay retry, finished by the clock's
reconcile when the browser never came back, and paid once however often the same card is sent?"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Account, Payment, PaymentInstallment, PaymentPlan
from app.services.payments import installments, one_time, plan_offers
from tests.factories import NOW
from tests.plans.installment_helpers import FAILS_CHARGE, GOOD_CARD, weekly_plan
from tests.plans.portal_helpers import JSON, signed_in, text_of
from tests.stripe_support import card_payment_method

THREE_D_SECURE = "4000002760003184"
RETRY_AT = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.timezone.utc)


def _active_plan(client, stripe_client, *, count=3, total="300.00"):
    """An active weekly auto-pay plan (its card declines), the debtor signed into the portal."""
    _, account, plan = weekly_plan(stripe_client, card=FAILS_CHARGE, count=count, total=total)
    signed_in(client, account)
    return account, plan


def _rows(plan) -> list[PaymentInstallment]:
    db.session.expire_all()
    return db.session.scalars(select(PaymentInstallment).where(PaymentInstallment.payment_plan_id == plan.id)
                              .order_by(PaymentInstallment.number)).all()


def _failed_by_the_clock(plan, account) -> PaymentInstallment:
    """Installment 1 as the clock leaves it after one declined auto-pay charge."""
    row = _rows(plan)[0]
    row.status, row.attempts, row.next_retry_at = "failed", 1, RETRY_AT
    db.session.get(Account, account.id).status = "payment_failed"
    db.session.commit()
    return row


def _card(stripe_client, number: str) -> str:
    return card_payment_method(stripe_client, number)


def _pay(client, row, method: str):
    return client.post(f"/p/pay?installment={row.id}", data={"method": "card", "payment_method_id": method},
                       headers=JSON)


def test_a_failed_installment_paid_now_is_settled_like_an_auto_pay_charge(client, stripe_client):
    account, plan = _active_plan(client, stripe_client)
    row = _failed_by_the_clock(plan, account)
    page = text_of(client.get(f"/p/pay?installment={row.id}"))
    assert "Pay installment 1" in page and "$100.00, due December 2, 2026, for your payment plan." in page
    answer = _pay(client, row, _card(stripe_client, GOOD_CARD))
    assert answer.status_code == 200 and answer.get_json()["data"]["status"] == "succeeded"
    assert answer.get_json()["data"]["redirect"].startswith("/p/receipts/")
    row = _rows(plan)[0]
    [payment] = db.session.scalars(select(Payment).where(Payment.installment_id == row.id)).all()
    assert row.status == "paid" and row.payment_id == payment.id and row.next_retry_at is None
    assert payment.payment_plan_id == plan.id and payment.status == "succeeded" and payment.amount == Decimal("100")
    db.session.expire_all()
    plan = db.session.get(PaymentPlan, plan.id)
    assert plan.payments_made == 1 and plan.amount_paid == Decimal("100.00")
    assert plan.next_payment_date == dt.date(2026, 12, 9)
    account = db.session.get(Account, account.id)
    assert account.status == "active" and account.current_balance == Decimal("200.00")


def test_a_decline_gives_the_installment_back_its_status_without_counting_a_retry(client, stripe_client):
    account, plan = _active_plan(client, stripe_client)
    row = _failed_by_the_clock(plan, account)
    declined = _pay(client, row, _card(stripe_client, FAILS_CHARGE))
    assert declined.status_code == 402 and declined.get_json()["error"]["code"] == "PAYMENT_FAILED"
    row = _rows(plan)[0]
    assert row.status == "failed" and row.attempts == 1
    assert row.next_retry_at.replace(tzinfo=dt.timezone.utc) == RETRY_AT
    assert db.session.get(Account, account.id).status == "payment_failed"
    # A scheduled one goes back to scheduled, still with no attempt counted.
    upcoming = _rows(plan)[1]
    assert _pay(client, upcoming, _card(stripe_client, FAILS_CHARGE)).status_code == 402
    upcoming = _rows(plan)[1]
    assert upcoming.status == "scheduled" and upcoming.attempts == 0
    # Then a card that works.
    assert _pay(client, row, _card(stripe_client, GOOD_CARD)).get_json()["data"]["status"] == "succeeded"
    assert _rows(plan)[0].status == "paid"
    assert [p.status for p in db.session.scalars(select(Payment).where(Payment.installment_id == row.id)
                                                 .order_by(Payment.created_at))] == ["failed", "succeeded"]


def test_a_missed_installment_can_be_paid_and_the_last_one_completes_the_plan(client, stripe_client):
    account, plan = _active_plan(client, stripe_client, count=1, total="80.00")
    row = _rows(plan)[0]
    row.status = "skipped"
    db.session.get(PaymentPlan, plan.id).missed_count = 1
    db.session.commit()
    assert _pay(client, row, _card(stripe_client, GOOD_CARD)).get_json()["data"]["status"] == "succeeded"
    db.session.expire_all()
    plan = db.session.get(PaymentPlan, plan.id)
    assert _rows(plan)[0].status == "paid" and plan.status == "completed" and plan.missed_count == 1
    assert db.session.get(Account, account.id).current_balance == Decimal("0.00")


def test_the_same_card_sent_twice_pays_once(client, stripe_client):
    account, plan = _active_plan(client, stripe_client)
    row = _rows(plan)[0]
    method = _card(stripe_client, GOOD_CARD)
    first, second = _pay(client, row, method), _pay(client, row, method)
    assert first.get_json()["data"]["status"] == "succeeded"
    assert second.status_code == 409 and "already paid" in text_of(second)
    # The service itself, asked again with the same card (a retry after a lost answer), finds the same payment.
    again = plan_offers.pay_installment(db.session, account, row.id, payment_method_id=method, now=NOW)
    assert again.status == "succeeded" and str(again.payment.id) == first.get_json()["data"]["paymentId"]
    assert len(db.session.scalars(select(Payment).where(Payment.installment_id == row.id)).all()) == 1
    assert db.session.get(Account, account.id).current_balance == Decimal("200.00")


def test_the_clock_does_not_charge_an_installment_the_debtor_is_paying(client, stripe_client):
    """The debtor's 3-D Secure step is open when the installment falls due: the clock neither claims nor charges it
    off-session; the abandoned step is given up by the reconcile, and the installment is due again."""
    account, plan = _active_plan(client, stripe_client)
    row = _rows(plan)[0]
    answer = _pay(client, row, _card(stripe_client, THREE_D_SECURE)).get_json()["data"]
    assert answer["status"] == "requires_action"
    due = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)
    assert row.id not in installments.claim_due(db.session, due)
    assert installments.charge(db.session, row.id, now=due) == "processing"
    [payment] = db.session.scalars(select(Payment).where(Payment.installment_id == row.id)).all()
    # Nothing charged off-session: no other attempt, and the debtor's PaymentIntent still waits for them.
    assert stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == "requires_action"
    assert db.session.get(PaymentInstallment, row.id).payment_id == payment.id
    assert one_time.reconcile_stale(db.session, now=NOW + dt.timedelta(hours=2)) == 1
    row = _rows(plan)[0]
    db.session.refresh(payment)
    assert payment.status == "failed" and payment.failure_code == "authentication_abandoned"
    assert row.status == "scheduled" and row.attempts == 0
    assert row.id in installments.claim_due(db.session, due)  # due again, the clock's to charge


def test_a_lost_request_is_finished_by_the_reconcile(client, stripe_client):
    """The request stopped after claiming the installment, before Stripe heard of it: nothing was charged, and the
    reconcile frees the installment."""
    account, plan = _active_plan(client, stripe_client)
    row = _rows(plan)[0]
    payment = plan_offers._claim(db.session, account, row.id, "pm_lost", attempt=1, now=NOW, ip=None,
                                 user_agent=None)
    assert _rows(plan)[0].status == "processing"
    assert one_time.reconcile_stale(db.session, now=NOW + dt.timedelta(minutes=5)) == 1
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).failure_code == "not_started"
    assert _rows(plan)[0].status == "scheduled"
    assert db.session.get(Account, account.id).current_balance == Decimal("300.00")


def test_only_an_open_plans_unpaid_installments_can_be_paid(client, stripe_client):
    account, plan = _active_plan(client, stripe_client)
    db.session.get(PaymentPlan, plan.id).status = "defaulted"
    db.session.commit()
    row = _rows(plan)[0]
    refused = client.get(f"/p/pay?installment={row.id}")
    assert refused.status_code == 409 and "its plan has ended" in text_of(refused)
    assert _pay(client, row, _card(stripe_client, GOOD_CARD)).status_code == 409
    assert db.session.scalars(select(Payment).where(Payment.installment_id == row.id)).all() == []
