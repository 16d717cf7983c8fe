"""PATCH /api/v1/payment-plans/:id: pause and resume, reschedule the unpaid part (paid installments stay, the
schedule it replaces stays readable), who may, and what cannot be changed."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.factories import NOW, gen_account, gen_business
from tests.plans.helpers import (caller, create, headers_for, installments_of, pay_installments, plan_of,
                                 total_of)


@pytest.fixture
def business():
    return gen_business()


@pytest.fixture
def manager(client, clock, business):
    return caller(client, clock, business, "manager")


@pytest.fixture
def account(business):
    return gen_account(business, current_balance=Decimal("1250.00"))


def _plan(client, headers, account, **overrides) -> str:
    response = create(client, headers, account, **overrides)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["id"]


def _patch(client, headers, plan_id, **body):
    return client.patch(f"/api/v1/payment-plans/{plan_id}", json=body, headers=headers)


def _actions(plan_id) -> list[str]:
    return db.session.scalars(select(AuditLog.action).where(AuditLog.resource_type == "payment_plan")
                              .order_by(AuditLog.seq)).all()


def test_an_active_plan_pauses_and_resumes(client, clock, business, manager, account):
    user, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, at=NOW)
    response = _patch(client, headers, plan_id, status="paused")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "paused" and data["pausedAt"] == clock.now().isoformat().replace("+00:00", "Z")
    assert plan_of(plan_id).paused_at is not None
    response = _patch(client, headers, plan_id, status="active")
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "active"
    assert plan_of(plan_id).paused_at is None
    assert _actions(plan_id) == ["payment_plan_created", "payment_plan_paused", "payment_plan_resumed"]
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_paused")).one()
    assert row.user_id == user.id and str(row.resource_id) == plan_id


def test_only_an_active_plan_pauses_and_only_a_paused_one_resumes(client, business, manager, account):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    response = _patch(client, headers, plan_id, status="paused")
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["message"] == "Only an active plan can be paused; this one is pending."
    response = _patch(client, headers, plan_id, status="active")
    assert response.status_code == 409
    response = _patch(client, headers, plan_id, status="finished")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "status"
    assert plan_of(plan_id).status == "pending"


@pytest.mark.parametrize("status", ["completed", "defaulted", "canceled"])
def test_a_closed_plan_cannot_be_changed(client, business, manager, account, status):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    plan = plan_of(plan_id)
    plan.status = status
    db.session.commit()
    response = _patch(client, headers, plan_id, nextPaymentDate="2027-01-15")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "CONFLICT"


@pytest.mark.parametrize("role", ["agent", "debtor"])
def test_agents_and_debtors_do_not_change_plans(client, clock, business, manager, account, role):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, at=NOW)
    user, other = caller(client, clock, business, role)
    if role == "debtor":
        account.debtor_id = user.id
        db.session.commit()
    response = _patch(client, other, plan_id, status="paused")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"
    assert plan_of(plan_id).status == "active"


def test_rescheduling_keeps_paid_installments_and_the_old_schedule(client, clock, business, manager, account):
    """Down payment and installment 1 paid; the next payment moves to March 15: installments 2-10 fall due on the
    15th from then on, the paid rows keep their ids, amounts still add up, and version 1 stays readable."""
    user, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, 1, at=NOW)
    before = {r.number: r for r in installments_of(plan_id)}
    clock.advance(days=40)
    headers = headers_for(client, clock, user)
    response = _patch(client, headers, plan_id, nextPaymentDate="2027-03-15")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    rows = installments_of(plan_id)
    assert [r.id for r in rows[:2]] == [before[0].id, before[1].id]
    assert [(r.number, r.status) for r in rows[:2]] == [(0, "paid"), (1, "paid")]
    assert [(r.number, r.due_date.isoformat()) for r in rows[2:4]] == [(2, "2027-03-15"), (3, "2027-04-15")]
    assert rows[-1].number == 10 and rows[-1].due_date == dt.date(2027, 11, 15)
    assert total_of(rows) == Decimal("1250.00")
    assert (data["nextPaymentDate"], data["numberOfInstallments"], data["version"]) == ("2027-03-15", 10, 2)
    assert data["startDate"] == "2026-12-01"
    [old] = data["previousSchedules"]
    assert (old["version"], old["replacedById"], old["nextPaymentDate"]) == (1, str(user.id), "2026-12-01")
    assert [(r["installmentNumber"], r["dueDate"], r["status"]) for r in old["schedule"][:3]] == [
        (0, "2026-12-01", "paid"), (1, "2027-01-01", "paid"), (2, "2027-02-01", "scheduled")]
    assert old["schedule"][2]["amount"] == Decimal("100.00")
    assert client.get(f"/api/v1/payment-plans/{plan_id}", headers=headers).get_json()["data"][
        "previousSchedules"] == data["previousSchedules"]
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_rescheduled")).one()
    assert row.meta["before"]["nextPaymentDate"] == "2026-12-01" and row.meta["after"]["nextPaymentDate"] == \
        "2027-03-15"


def test_more_installments_for_the_unpaid_part_keep_the_dates_pattern(client, clock, business, manager):
    """A plan from January 31 with the first of six $200 installments paid, stretched to 11: the $1,000 left is
    spread over the 10 still to pay, each still at the month's end (never drifting to the 28th)."""
    account = gen_account(business, current_balance=Decimal("1200.00"))
    clock.set(dt.datetime(2027, 1, 30, 15, 0, tzinfo=dt.timezone.utc))
    headers = headers_for(client, clock, manager[0])
    plan_id = _plan(client, headers, account, totalAmount=1200, downPayment=0, numberOfInstallments=6,
                    startDate="2027-01-31")
    pay_installments(plan_id, 1, at=clock.now())
    response = _patch(client, headers, plan_id, numberOfInstallments=11)
    assert response.status_code == 200, response.get_json()
    rows = installments_of(plan_id)
    assert [r.due_date.isoformat() for r in rows[:4]] == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]
    assert rows[-1].number == 11 and rows[-1].due_date == dt.date(2027, 12, 31)
    assert rows[0].amount == Decimal("200.00") and [r.amount for r in rows[1:]] == [Decimal("100.00")] * 10
    assert response.get_json()["data"]["installmentAmount"] == Decimal("100.00")
    # Moved to a month end again later, then stretched: still anchored, still exact.
    response = _patch(client, headers, plan_id, nextPaymentDate="2027-04-30", numberOfInstallments=7)
    assert response.status_code == 200, response.get_json()
    rows = installments_of(plan_id)
    assert [r.due_date.isoformat() for r in rows[1:4]] == ["2027-04-30", "2027-05-30", "2027-06-30"]
    assert total_of(rows) == Decimal("1200.00") and len(response.get_json()["data"]["previousSchedules"]) == 2


def test_a_pending_plan_starts_again_on_a_new_start_date(client, clock, business, manager, account):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    response = _patch(client, headers, plan_id, startDate="2027-01-31", numberOfInstallments=4)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["startDate"], data["nextPaymentDate"], data["status"]) == ("2027-01-31", "2027-01-31", "pending")
    assert [(r["installmentNumber"], r["amount"], r["dueDate"]) for r in data["schedule"]] == [
        (0, 250, "2027-01-31"), (1, 250, "2027-02-28"), (2, 250, "2027-03-31"), (3, 250, "2027-04-30"),
        (4, 250, "2027-05-31")]


def test_a_paused_plan_can_be_rescheduled_and_resumed_in_one_request(client, clock, business, manager, account):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, at=NOW)
    assert _patch(client, headers, plan_id, status="paused").status_code == 200
    clock.advance(days=90)
    headers = headers_for(client, clock, manager[0])
    response = _patch(client, headers, plan_id, status="active", nextPaymentDate="2027-03-01")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["status"], data["nextPaymentDate"]) == ("active", "2027-03-01")
    assert _actions(plan_id)[-2:] == ["payment_plan_rescheduled", "payment_plan_resumed"]


@pytest.mark.parametrize("body, field", [
    ({"nextPaymentDate": "2026-11-01"}, "nextPaymentDate"),
    ({"nextPaymentDate": "2028-01-01"}, "nextPaymentDate"),
    ({"nextPaymentDate": "first of the month"}, "nextPaymentDate"),
    ({"numberOfInstallments": 1}, "numberOfInstallments"),
    ({"numberOfInstallments": 10 ** 9}, "numberOfInstallments"),
    ({"numberOfInstallments": "many"}, "numberOfInstallments"),
    ({"startDate": "2027-01-15"}, "startDate"),
    ({}, None),
])
def test_a_bad_reschedule_is_a_400_and_changes_nothing(client, business, manager, account, body, field):
    """Installments 0 and 1 are paid: the next payment cannot be in the past or a year away, the count must exceed
    the one paid installment, and the start cannot move any more."""
    _, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, 1, at=NOW)
    before = [(r.id, r.number, r.amount, r.due_date) for r in installments_of(plan_id)]
    response = _patch(client, headers, plan_id, **body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert [(r.id, r.number, r.amount, r.due_date) for r in installments_of(plan_id)] == before
    assert plan_of(plan_id).schedule_versions == []


def test_an_overdue_plan_needs_a_new_date_to_change_its_length(client, clock, business, manager, account):
    _, headers = manager
    plan_id = _plan(client, headers, account)
    pay_installments(plan_id, 0, at=NOW)
    clock.advance(days=60)  # installment 1 (January 1) is overdue
    headers = headers_for(client, clock, manager[0])
    response = _patch(client, headers, plan_id, numberOfInstallments=12)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "nextPaymentDate"
    assert "was due on 2027-01-01" in response.get_json()["error"]["message"]
