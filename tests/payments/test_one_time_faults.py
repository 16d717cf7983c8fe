"""Never charge twice, never count twice: a process stopped between Stripe's answer and our commit, a webhook that
beats the synchronous answer, a PaymentIntent never confirmed, a request lost before Stripe heard of it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Account, Payment
from app.services.payments import gateway, ledger, one_time
from tests.payments.one_time_helpers import (GOOD_CARD, balance_of, count_succeeded, paying_debtor, payments_of,
                                             receipts_of)
from tests.stripe_support import card_payment_method


@pytest.fixture(autouse=True)
def _stripe(stripe_config):
    """Every test here talks to this worker's localstripe."""


class Stopped(BaseException):
    """The process dying at that line: not an error our code may catch."""


def _stop_once(monkeypatch, module, name):
    real = getattr(module, name)
    calls = {"n": 0}

    def once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Stopped()
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, once)
    return calls


def _start(account, amount, card, clock, **kwargs):
    return one_time.start(db.session, db.session.get(Account, account.id), Decimal(amount), method="card",
                          payment_method_id=card, now=clock.now(), **kwargs)


def test_stopped_after_the_charge_before_our_commit_then_completed(monkeypatch, clock, stripe_client):
    """The charge went through but our commit never happened: complete() finds the stored PaymentIntent, applies it
    once, and a second complete() or a reconcile changes nothing."""
    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, ledger, "apply_success")
    with pytest.raises(Stopped):
        _start(account, "100.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    [payment] = payments_of(account.id)
    assert payment.status == "pending" and payment.stripe_payment_intent_id
    assert stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == "succeeded"
    assert balance_of(account.id) == Decimal("412.50")

    assert one_time.complete(db.session, payment.id, now=clock.now()).status == "succeeded"
    assert one_time.complete(db.session, payment.id, now=clock.now()).status == "succeeded"
    clock.advance(minutes=5)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 0
    assert balance_of(account.id) == Decimal("312.50")
    assert len(payments_of(account.id)) == 1 and count_succeeded(account.id) == 1
    assert len(receipts_of(account.id)) == 1


def test_stopped_after_the_charge_then_found_by_the_clock(monkeypatch, clock, stripe_client):
    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, ledger, "apply_success")
    with pytest.raises(Stopped):
        _start(account, "412.50", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    clock.advance(seconds=90)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 0  # not stale yet: the request may be alive
    clock.advance(seconds=60)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 1
    [payment] = payments_of(account.id)
    assert payment.status == "succeeded" and payment.succeeded_at == clock.now()
    account = db.session.get(Account, account.id)
    assert (account.current_balance, account.status) == (Decimal("0.00"), "paid_in_full")


def test_a_retry_with_the_same_idempotency_key_finishes_the_first_payment(monkeypatch, clock, stripe_client):
    """The API's retry after a lost answer: the key finds the payment, which is completed, not charged again."""
    business, account, _ = paying_debtor("412.50")
    card = card_payment_method(stripe_client, GOOD_CARD)
    _stop_once(monkeypatch, ledger, "apply_success")
    with pytest.raises(Stopped):
        _start(account, "50.00", card, clock, idempotency_key="k-1")
    db.session.rollback()
    result = _start(account, "50.00", card, clock, idempotency_key="k-1")
    assert result.status == "succeeded"
    assert len(payments_of(account.id)) == 1 and balance_of(account.id) == Decimal("362.50")


def test_stopped_before_the_confirm_the_clock_confirms_it(monkeypatch, clock, stripe_client):
    """The PaymentIntent was created and its id committed, but never confirmed: the clock confirms it once."""
    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, gateway, "confirm_payment_intent")
    with pytest.raises(Stopped):
        _start(account, "20.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    [payment] = payments_of(account.id)
    intent = stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.status == "requires_confirmation" and intent.metadata["payment_id"] == str(payment.id)
    clock.advance(minutes=3)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 1
    assert payments_of(account.id)[0].status == "succeeded" and balance_of(account.id) == Decimal("392.50")


def test_the_one_time_reconcile_leaves_plan_installment_charges_to_their_own_job(monkeypatch, clock, stripe_client):
    """A stuck charge of a plan installment is finished off-session by the installment job: the one-time reconcile
    must not confirm it on-session (nor fail it) however long it has been pending."""
    import uuid

    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, gateway, "confirm_payment_intent")
    with pytest.raises(Stopped):
        _start(account, "20.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    [payment] = payments_of(account.id)
    payment.installment_id = uuid.uuid4()
    db.session.commit()
    clock.advance(minutes=30)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 0
    assert payments_of(account.id)[0].status == "pending"
    assert stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == \
        "requires_confirmation"


def test_stopped_before_stripe_heard_of_it_the_clock_gives_it_up(monkeypatch, clock, stripe_client):
    """No PaymentIntent id was stored: nothing can have been charged, so the payment fails and frees the amount."""
    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, gateway, "create_payment_intent")
    with pytest.raises(Stopped):
        _start(account, "412.50", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("0.00")
    clock.advance(minutes=3)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 1
    [payment] = payments_of(account.id)
    assert (payment.status, payment.failure_code) == ("failed", "not_started")
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("412.50")


def test_an_abandoned_three_d_secure_step_is_canceled_after_an_hour(clock, stripe_client):
    business, account, _ = paying_debtor("412.50")
    result = _start(account, "412.50", card_payment_method(stripe_client, "4000002760003184"), clock)
    assert result.status == "requires_action"
    clock.advance(minutes=59)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 0
    clock.advance(minutes=2)
    assert one_time.reconcile_stale(db.session, now=clock.now()) == 1
    payment = payments_of(account.id)[0]
    assert (payment.status, payment.failure_code) == ("failed", "authentication_abandoned")
    assert stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == "canceled"


def test_the_webhook_applies_the_success_before_the_synchronous_answer(monkeypatch, app, clock, stripe_client):
    """payment_intent.succeeded, handled in another process between Stripe's answer and ours, applies the payment;
    the synchronous answer then finds it applied: one payment, one balance change, one receipt."""
    business, account, _ = paying_debtor("412.50")
    real_confirm = gateway.confirm_payment_intent

    def confirm_then_webhook(intent_id, **kwargs):
        intent = real_confirm(intent_id, **kwargs)
        with Session(db.engine) as other:  # the webhook's own process and transaction
            payment = other.query(Payment).filter_by(stripe_payment_intent_id=intent_id).one()
            details = gateway.charge_details(intent)
            assert ledger.apply_success(other, payment, now=clock.now(), charge_id=details.charge_id) is True
            other.commit()
        return intent
    monkeypatch.setattr(gateway, "confirm_payment_intent", confirm_then_webhook)

    result = _start(account, "100.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    assert result.status == "succeeded"
    assert count_succeeded(account.id) == 1 and len(payments_of(account.id)) == 1
    assert balance_of(account.id) == Decimal("312.50") and len(receipts_of(account.id)) == 1


def test_a_payment_the_webhook_already_applied_is_not_applied_by_complete(clock, stripe_client):
    business, account, _ = paying_debtor("412.50")
    result = _start(account, "10.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    assert ledger.apply_success(db.session, result.payment, now=clock.now()) is False
    assert one_time.complete(db.session, result.payment.id, now=clock.now()).status == "succeeded"
    assert balance_of(account.id) == Decimal("402.50")


def test_stripe_down_before_the_payment_intent_fails_cleanly(monkeypatch, clock, stripe_client):
    import stripe

    business, account, _ = paying_debtor("412.50")

    def down(*args, **kwargs):
        raise stripe.APIConnectionError("connection refused")
    monkeypatch.setattr(gateway, "create_payment_intent", down)
    result = _start(account, "10.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    assert result.status == "failed" and result.error == one_time.UNAVAILABLE
    assert one_time.available_amount(db.session, db.session.get(Account, account.id)) == Decimal("412.50")


def test_a_lost_confirm_answer_is_settled_from_stripe(monkeypatch, clock, stripe_client):
    """The confirm reached Stripe but its answer did not reach us: the state is read back, not guessed."""
    import stripe

    business, account, _ = paying_debtor("412.50")
    real_confirm = gateway.confirm_payment_intent

    def lost(intent_id, **kwargs):
        real_confirm(intent_id, **kwargs)
        raise stripe.APIConnectionError("read timed out")
    monkeypatch.setattr(gateway, "confirm_payment_intent", lost)
    result = _start(account, "10.00", card_payment_method(stripe_client, GOOD_CARD), clock)
    assert result.status == "succeeded" and balance_of(account.id) == Decimal("402.50")


def test_the_clock_runs_the_reconcile(monkeypatch, app, clock, stripe_client):
    """jobs/clock.py's tick includes the payments scanner: a payment stopped after the charge is applied by it."""
    import jobs.clock

    business, account, _ = paying_debtor("412.50")
    _stop_once(monkeypatch, ledger, "apply_success")
    with pytest.raises(Stopped):
        _start(account, "12.50", card_payment_method(stripe_client, GOOD_CARD), clock)
    db.session.rollback()
    clock.advance(minutes=3)
    jobs.clock.tick(app)
    assert payments_of(account.id)[0].status == "succeeded" and balance_of(account.id) == Decimal("400.00")


def test_an_idempotency_key_names_one_payment(clock, stripe_client):
    from app.services.errors import Conflict

    business, account, _ = paying_debtor("412.50")
    first = _start(account, "40.00", card_payment_method(stripe_client, GOOD_CARD), clock, idempotency_key="k-9")
    again = _start(account, "40.00", card_payment_method(stripe_client, GOOD_CARD), clock, idempotency_key="k-9")
    assert again.payment.id == first.payment.id and again.status == "succeeded"
    with pytest.raises(Conflict) as refused:
        _start(account, "41.00", card_payment_method(stripe_client, GOOD_CARD), clock, idempotency_key="k-9")
    assert refused.value.code == "IDEMPOTENCY_CONFLICT"
    assert len(payments_of(account.id)) == 1 and balance_of(account.id) == Decimal("372.50")
