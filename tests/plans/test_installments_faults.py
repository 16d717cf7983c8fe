"""Never charged twice, never skipped: a clock that runs twice, a job that runs twice, a clock stopped after
claiming some installments, a job stopped half way through a charge, and Stripe out of reach."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Payment, PaymentInstallment
from app.services import jobs as jobs_service
from app.services.payments import gateway, installments, ledger
from jobs import clock as clock_jobs
from tests.plans.installment_helpers import (count_payments, local_midnight, messages_to, payments_for, plan_of,
                                             rows_of, run_clock, weekly_plan)

DUE = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _stripe(stripe_config):
    """Every test here charges this worker's localstripe."""


class Stopped(BaseException):
    """The process dying at that line: not an error our code may catch."""


def _stop_on(monkeypatch, owner, name, call: int):
    """Make owner.name raise Stopped on its `call`-th call (1-based), and behave normally otherwise."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise Stopped()
        return real(*args, **kwargs)
    monkeypatch.setattr(owner, name, wrapper)
    return lambda: monkeypatch.setattr(owner, name, real)


def _balance(account_id) -> Decimal:
    db.session.expire_all()
    return db.session.get(Account, account_id).current_balance


def _intents_charged(stripe_client, account_id) -> int:
    return sum(1 for p in _all_payments(account_id) if p.stripe_payment_intent_id and
               stripe_client.v1.payment_intents.retrieve(p.stripe_payment_intent_id).status == "succeeded")


def _all_payments(account_id):
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.account_id == account_id)).all()


def test_a_clock_run_twice_and_a_job_run_twice_charge_once(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")
    clock.set(local_midnight(DUE))
    jobs = app.extensions["jobs"]
    clock_jobs.tick(app)
    clock_jobs.tick(app)  # a second pass (or a second clock process) before the worker ran anything
    first = rows_of(plan.id)[0]
    assert first.status == "processing"
    assert jobs.queues["payments"].count == 1
    # The same job once more, past the dedup marker: the claim and the Payment row still decide.
    jobs.enqueue_now("payments", "jobs.payments.charge_installment", str(first.id))
    jobs.work_burst()
    run_clock(app)
    assert rows_of(plan.id)[0].status == "paid"
    assert len(payments_for(first.id)) == 1 and count_payments(account.id) == 1
    assert _intents_charged(stripe_client, account.id) == 1
    assert _balance(account.id) == Decimal("100.00")
    assert len(messages_to(account.id, "receipt")) == 1
    assert installments.charge(db.session, first.id, now=clock.now()) == "nothing"


@pytest.mark.parametrize("where", ["claiming", "enqueueing"])
def test_a_clock_stopped_mid_run_then_restarted_charges_each_once(app, clock, stripe_client, monkeypatch, where):
    """Stopped after claiming the first batch of installments (before claiming the next batch, or before enqueueing
    the first batch's jobs): the next pass charges every due installment, each exactly once."""
    business, account, _ = weekly_plan(stripe_client, count=1, total="100.00")
    accounts = [account] + [weekly_plan(stripe_client, count=1, total="100.00", business=business)[1]
                            for _ in range(3)]
    clock.set(local_midnight(DUE))
    monkeypatch.setattr(installments, "CLAIM_BATCH", 2)
    if where == "claiming":
        restore = _stop_on(monkeypatch, installments, "claim_due", 2)
    else:
        restore = _stop_on(monkeypatch, jobs_service.Jobs, "enqueue_once_many", 1)
    with pytest.raises(Stopped):
        clock_jobs.charge_due_installments(clock.now())
    db.session.rollback()
    statuses = sorted(db.session.scalars(select(PaymentInstallment.status)).all())
    assert "processing" in statuses and ("scheduled" in statuses or where == "enqueueing")
    restore()

    app.extensions["jobs"].work_burst()  # whatever the stopped pass did enqueue
    run_clock(app)  # restarted at once: no time travel needed
    run_clock(app)
    for each in accounts:
        assert count_payments(each.id) == 1 and count_payments(each.id, "succeeded") == 1
        assert _balance(each.id) == Decimal("0.00")
        assert _intents_charged(stripe_client, each.id) == 1
    assert set(db.session.scalars(select(PaymentInstallment.status)).all()) == {"paid"}


def test_a_job_stopped_before_the_payment_intent_is_finished_by_the_next_run(app, clock, stripe_client,
                                                                               monkeypatch):
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")
    clock.set(local_midnight(DUE))
    [installment_id] = installments.claim_due(db.session, clock.now())
    _stop_on(monkeypatch, gateway, "create_off_session_intent", 1)
    with pytest.raises(Stopped):
        installments.charge(db.session, installment_id, now=clock.now())
    db.session.rollback()
    [payment] = payments_for(installment_id)
    assert payment.status == "pending" and payment.stripe_payment_intent_id is None
    assert installments.charge(db.session, installment_id, now=clock.now()) == "paid"
    assert installments.charge(db.session, installment_id, now=clock.now()) == "nothing"
    assert [p.status for p in payments_for(installment_id)] == ["succeeded"]
    assert _balance(account.id) == Decimal("100.00")


def test_a_job_stopped_after_the_charge_is_finished_by_the_clock(app, clock, stripe_client, monkeypatch):
    """Charged at Stripe, our commit lost: the clock (one_time's reconcile after 2 minutes, this module's after
    STUCK_AFTER) finds the stored PaymentIntent and records one payment, and the installment is paid."""
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")
    clock.set(local_midnight(DUE))
    [installment_id] = installments.claim_due(db.session, clock.now())
    _stop_on(monkeypatch, ledger, "apply_success", 1)
    with pytest.raises(Stopped):
        installments.charge(db.session, installment_id, now=clock.now())
    db.session.rollback()
    [payment] = payments_for(installment_id)
    assert payment.status == "pending"
    assert stripe_client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).status == "succeeded"
    assert _balance(account.id) == Decimal("200.00")

    clock.advance(minutes=1)
    run_clock(app)  # too early to call it lost: nothing changes
    assert rows_of(plan.id)[0].status == "processing" and _balance(account.id) == Decimal("200.00")
    clock.advance(minutes=installments.STUCK_AFTER.seconds // 60)
    run_clock(app)
    installment = rows_of(plan.id)[0]
    assert (installment.status, installment.attempts) == ("paid", 1)
    assert [p.status for p in payments_for(installment_id)] == ["succeeded"]
    assert _balance(account.id) == Decimal("100.00") and _intents_charged(stripe_client, account.id) == 1
    assert len(messages_to(account.id, "receipt")) == 1


def test_stripe_out_of_reach_is_not_an_attempt(app, clock, stripe_client, monkeypatch):
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")

    def unreachable(**kwargs):
        raise stripe.APIConnectionError("connection refused")
    real = gateway.create_off_session_intent
    monkeypatch.setattr(gateway, "create_off_session_intent", unreachable)
    clock.set(local_midnight(DUE))
    run_clock(app)
    first = rows_of(plan.id)[0]
    assert (first.status, first.attempts) == ("scheduled", 0)
    assert first.next_retry_at == clock.now() + installments.OUTAGE_BACKOFF
    assert [p.failure_code for p in payments_for(first.id)] == ["processor_unavailable"]
    assert messages_to(account.id, "payment_link") == []
    assert db.session.get(Account, account.id).status == "active"
    monkeypatch.setattr(gateway, "create_off_session_intent", real)
    clock.advance(minutes=10)
    run_clock(app)
    assert rows_of(plan.id)[0].status == "scheduled"
    clock.advance(minutes=5)
    run_clock(app)
    first = rows_of(plan.id)[0]
    assert (first.status, first.attempts) == ("paid", 1)
    assert _balance(account.id) == Decimal("100.00")


def test_a_balance_paid_another_way_is_not_charged(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")
    db.session.get(Account, account.id).current_balance = Decimal("0.00")
    db.session.commit()
    clock.set(local_midnight(DUE))
    run_clock(app)
    assert count_payments(account.id) == 0
    assert [r.status for r in rows_of(plan.id)] == ["canceled", "canceled"]
    assert plan_of(plan.id).status == "completed"


def test_two_clocks_at_once_claim_each_installment_once(app, clock, stripe_client):
    """Two clock processes scanning at the same moment: every due installment is claimed by exactly one."""
    import threading

    business, _, _ = weekly_plan(stripe_client, count=1, total="100.00")
    for _ in range(5):
        weekly_plan(stripe_client, count=1, total="100.00", business=business)
    clock.set(local_midnight(DUE))
    db.session.commit()
    start, results, errors = threading.Barrier(2), [], []

    def scan():
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(installments.claim_due(db.session, clock.now()))
                db.session.remove()
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    first, second = results
    assert not set(first) & set(second)
    assert len(first) + len(second) == 6
    db.session.expire_all()
    assert set(db.session.scalars(select(PaymentInstallment.status)).all()) == {"processing"}


def test_a_payment_in_flight_for_the_whole_balance_holds_the_charge_back(app, clock, stripe_client):
    business, account, plan = weekly_plan(stripe_client, count=2, total="200.00")
    db.session.add(Payment(business_id=business.id, account_id=account.id, amount=Decimal("200.00"),
                           payment_method="card", status="processing", created_at=clock.now(),
                           updated_at=clock.now()))
    db.session.commit()
    clock.set(local_midnight(DUE))
    run_clock(app)
    first = rows_of(plan.id)[0]
    assert (first.status, first.attempts) == ("scheduled", 0)
    assert first.next_retry_at == clock.now() + installments.OUTAGE_BACKOFF
    assert count_payments(account.id) == 1 and _balance(account.id) == Decimal("200.00")
