"""A debtor's plan change requests (PRD 4.4.4 FR-PAY-030) through the service: what may be asked, one pending per
plan, withdrawing, approving (the plan gets a new schedule version) and declining with a reason, who is told, and
the hardship pause the clock ends on its own."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, PaymentPlan, PaymentPlanChangeRequest
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.payments import plan_changes, plan_records
from tests.factories import NOW, gen_user
from tests.messaging import debtor
from tests.plans.change_request_helpers import (actions_of, active_plan, amounts, ask, debtor_messages,
                                                notifications_for, requests_of, staff)
from tests.plans.installment_helpers import run_clock


def _fresh(plan) -> PaymentPlan:
    db.session.expire_all()
    return db.session.get(PaymentPlan, plan.id)


def _error(exc_info) -> tuple[str | None, str | None]:
    return exc_info.value.field, exc_info.value.extra.get("text")


def test_a_date_change_is_asked_then_approved_as_a_new_version(app):
    business, account, plan = active_plan()
    manager_user = gen_user(business, "manager")
    admin_user = gen_user(business, "business_admin")
    agent_user = gen_user(business, "agent")
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    assert change.status == "pending" and change.requested_date == dt.date(2027, 1, 15)
    assert actions_of(plan)[-1] == "payment_plan_change_requested"
    # Managers and business admins hear of it in their bell; agents do not.
    [bell] = notifications_for(manager_user.id)
    assert bell.kind == "review" and bell.link == f"/accounts/{account.id}?tab=plans"
    assert "Move the next payment to 2027-01-15" in bell.body and "payday" in bell.body
    assert len(notifications_for(admin_user.id)) == 1 and notifications_for(agent_user.id) == []

    manager = staff(business)
    before = len(debtor_messages(account))
    approved = plan_changes.approve(db.session, manager, plan.id, change.id, now=NOW + dt.timedelta(hours=2))
    db.session.commit()
    plan = _fresh(plan)
    assert approved.status == "approved" and approved.decided_by_id == manager.user_id
    assert approved.plan_version == 2 and plan.next_payment_date == dt.date(2027, 1, 15)
    assert [r.due_date for r in sorted(plan.installments, key=lambda r: r.number)] == [
        dt.date(2026, 12, 1), dt.date(2027, 1, 15), dt.date(2027, 2, 15), dt.date(2027, 3, 15)]
    assert sum(amounts(plan)) == Decimal("362.50")
    [version] = plan.schedule_versions
    assert version["nextPaymentDate"] == "2027-01-01" and version["schedule"][1]["dueDate"] == "2027-01-01"
    assert actions_of(plan)[-2:] == ["payment_plan_rescheduled", "payment_plan_change_approved"]
    [told] = debtor_messages(account)[before:]
    assert told.kind == "transactional" and "was approved" in told.content
    assert "$120.83" in told.content and "January 15, 2027" in told.content


def test_one_pending_request_per_plan_and_withdrawing_frees_it(app):
    _, account, plan = active_plan()
    first = ask(account, plan, date=dt.date(2027, 1, 10))
    with pytest.raises(Conflict) as refused:
        ask(account, plan, "hardship_pause", periods=1)
    assert refused.value.code == "CHANGE_PENDING"
    db.session.rollback()
    plan_changes.withdraw(db.session, account, plan.id, first.id, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict):
        plan_changes.withdraw(db.session, account, plan.id, first.id, now=NOW)
    db.session.rollback()
    second = ask(account, plan, "hardship_pause", periods=1)
    assert [r.status for r in requests_of(plan)] == ["withdrawn", "pending"] and second.kind == "hardship_pause"
    assert "payment_plan_change_withdrawn" in actions_of(plan)


@pytest.mark.parametrize("kind, values, field, text", [
    ("date_change", {}, "date", "err_change_date"),
    ("date_change", {"date": dt.date(2026, 11, 25)}, "date", "err_change_date_past"),
    ("date_change", {"date": dt.date(2027, 2, 2)}, "date", "err_change_date_late"),
    ("amount_change", {}, "amount", "err_change_amount"),
    ("amount_change", {"amount": Decimal("50"), "count": 5}, "amount", "err_change_amount"),
    ("amount_change", {"amount": Decimal("20.00")}, "amount", "err_change_amount_min"),
    ("amount_change", {"count": 25}, "count", "err_change_count_long"),
    ("amount_change", {"count": 15}, "count", "err_change_amount_min"),
    ("hardship_pause", {"periods": 4}, "periods", "err_change_periods"),
    ("hardship_pause", {"periods": 0}, "periods", "err_change_periods"),
    ("refund_please", {}, "kind", "err_change_kind"),
])
def test_what_may_be_asked(app, kind, values, field, text):
    """Dates after today and no later than one period after the next payment; amounts and counts inside the plan
    policy ($25 minimum installment, 24 months); a pause of 1 to 3 payments."""
    _, account, plan = active_plan()
    with pytest.raises(ValidationError) as refused:
        ask(account, plan, kind, **values)
    assert _error(refused) == (field, text)


def test_an_amount_the_policy_allows_is_accepted_and_so_is_the_latest_date(app):
    _, account, plan = active_plan()
    change = ask(account, plan, "amount_change", amount=Decimal("25.00"))
    assert change.requested_amount == Decimal("25.00") and change.requested_count is None
    plan_changes.withdraw(db.session, account, plan.id, change.id, now=NOW)
    db.session.commit()
    assert ask(account, plan, date=dt.date(2027, 2, 1)).requested_date == dt.date(2027, 2, 1)


def test_a_reason_is_required_and_bounded_and_a_pending_plan_cannot_pause(app):
    business, account, plan = active_plan()
    with pytest.raises(ValidationError) as refused:
        ask(account, plan, reason="  ", date=dt.date(2027, 1, 10))
    assert _error(refused) == ("reason", "err_change_reason")
    with pytest.raises(ValidationError) as refused:
        ask(account, plan, reason="x" * 1001, date=dt.date(2027, 1, 10))
    assert _error(refused) == ("reason", "err_change_reason_long")
    other = debtor(business, contacted=True)
    from tests.plans.agreement_helpers import pending_plan

    pending = pending_plan(other)
    with pytest.raises(ValidationError) as refused:
        ask(other, pending, "hardship_pause", periods=1)
    assert _error(refused) == ("kind", "err_change_pause_active")


def test_only_the_debtors_own_open_plan(app):
    business, account, plan = active_plan()
    _, stranger, _ = active_plan(business)
    with pytest.raises(NotFound):
        ask(stranger, plan, date=dt.date(2027, 1, 10))
    plan.status = "completed"
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        ask(account, plan, date=dt.date(2027, 1, 10))
    assert refused.value.extra["text"] == "change_closed"


def test_an_amount_change_recomputes_the_count(app):
    """$80 at most: the $362.50 left takes 5 installments of $72.50 (the fewest that fit), dates keep their day."""
    business, account, plan = active_plan()
    change = ask(account, plan, "amount_change", amount=Decimal("80.00"))
    plan_changes.approve(db.session, staff(business), plan.id, change.id, now=NOW)
    db.session.commit()
    plan = _fresh(plan)
    assert plan.number_of_installments == 5 and amounts(plan) == [Decimal("72.50")] * 5
    assert plan.installment_amount == Decimal("72.50")
    assert max(r.due_date for r in plan.installments) == dt.date(2027, 5, 1)
    assert requests_of(plan)[0].plan_version == 2
    assert "5 installments of $72.50" in debtor_messages(account)[-1].content


def test_an_amount_change_by_count(app):
    business, account, plan = active_plan()
    change = ask(account, plan, "amount_change", count=6)
    plan_changes.approve(db.session, staff(business), plan.id, change.id, now=NOW)
    db.session.commit()
    plan = _fresh(plan)
    assert plan.number_of_installments == 6 and sum(amounts(plan)) == Decimal("362.50")
    assert amounts(plan)[0] == Decimal("60.41") and amounts(plan)[-1] == Decimal("60.45")


def test_a_hardship_pause_pauses_and_the_clock_resumes_it_on_its_day(app, clock):
    """Two payments skipped: paused from today (November 25) until January 25, every unpaid payment two months
    later (March 1 first); the clock leaves it paused on January 24 and resumes it on January 25 in Dallas."""
    from jobs.clock import SCANNERS, resume_paused_plans

    assert resume_paused_plans in SCANNERS
    business, account, plan = active_plan()
    change = ask(account, plan, "hardship_pause", periods=2, reason="I lost my job.")
    approved = plan_changes.approve(db.session, staff(business), plan.id, change.id, now=NOW)
    db.session.commit()
    plan = _fresh(plan)
    assert approved.resumes_on == dt.date(2027, 1, 25)
    assert plan.status == "paused" and plan.paused_until == dt.date(2027, 1, 25)
    assert plan.next_payment_date == dt.date(2027, 3, 1)
    assert [r.due_date for r in sorted(plan.installments, key=lambda r: r.number) if r.number > 0] == [
        dt.date(2027, 3, 1), dt.date(2027, 4, 1), dt.date(2027, 5, 1)]
    assert "until January 25, 2027" in debtor_messages(account)[-1].content

    clock.set(dt.datetime(2027, 1, 25, 5, 59, tzinfo=dt.timezone.utc))  # 23:59 on January 24 in Dallas
    run_clock(app)
    assert _fresh(plan).status == "paused"
    clock.set(dt.datetime(2027, 1, 25, 6, 0, tzinfo=dt.timezone.utc))
    run_clock(app)
    run_clock(app)
    plan = _fresh(plan)
    assert plan.status == "active" and plan.paused_until is None and plan.paused_at is None
    resumed = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_resumed",
                                                        AuditLog.resource_id == plan.id)).all()
    assert len(resumed) == 1 and resumed[0].meta["automatic"] is True and resumed[0].user_id is None


def test_a_plan_resumed_by_hand_is_not_touched_by_the_clock(app, clock):
    business, account, plan = active_plan()
    manager = staff(business)
    change = ask(account, plan, "hardship_pause", periods=1)
    plan_changes.approve(db.session, manager, plan.id, change.id, now=NOW)
    db.session.commit()
    plan_records.change(db.session, manager, plan.id, plan_records.PlanChange(status="active"), now=NOW)
    plan_records.change(db.session, manager, plan.id, plan_records.PlanChange(status="paused"), now=NOW)
    db.session.commit()
    assert _fresh(plan).paused_until is None
    assert plan_records.resume_due(db.session, dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)) == 0
    assert _fresh(plan).status == "paused"


def test_declining_needs_a_reason_and_tells_the_debtor(app):
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 20))
    manager = staff(business)
    with pytest.raises(ValidationError) as refused:
        plan_changes.decline(db.session, manager, plan.id, change.id, " ", now=NOW)
    assert refused.value.field == "reason"
    declined = plan_changes.decline(db.session, manager, plan.id, change.id, "The 20th is past your pay cycle",
                                    now=NOW)
    db.session.commit()
    assert declined.status == "declined" and declined.decision_reason == "The 20th is past your pay cycle"
    assert _fresh(plan).next_payment_date == dt.date(2027, 1, 1) and _fresh(plan).schedule_versions == []
    told = debtor_messages(account)[-1]
    assert "was not approved" in told.content and "Reason: The 20th is past your pay cycle." in told.content
    assert actions_of(plan)[-1] == "payment_plan_change_declined"
    with pytest.raises(Conflict):
        plan_changes.approve(db.session, manager, plan.id, change.id, now=NOW)


def test_spanish_debtors_are_told_in_spanish(app):
    business, account, plan = active_plan(preferred_language="es")
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    plan_changes.approve(db.session, staff(business), plan.id, change.id, now=NOW)
    db.session.commit()
    told = debtor_messages(account)[-1]
    assert "aprobamos su solicitud" in told.content and "15 de enero de 2027" in told.content


def test_who_decides(app):
    """Agents may not approve or decline; another business's manager does not find the request."""
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    with pytest.raises(Forbidden):
        plan_changes.approve(db.session, staff(business, "agent"), plan.id, change.id, now=NOW)
    with pytest.raises(Forbidden):
        plan_changes.decline(db.session, staff(business, "agent"), plan.id, change.id, "no", now=NOW)
    other_business, _, other_plan = active_plan()
    with pytest.raises(NotFound):
        plan_changes.approve(db.session, staff(other_business), plan.id, change.id, now=NOW)
    with pytest.raises(NotFound):  # their own plan, this business's request
        plan_changes.approve(db.session, staff(other_business), other_plan.id, change.id, now=NOW)
    assert requests_of(plan)[0].status == "pending"


def test_a_request_that_can_no_longer_be_applied_says_so(app):
    """Approved after its date has passed: a 400 that says to decline it, nothing changed."""
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2026, 12, 10))
    with pytest.raises(ValidationError) as refused:
        plan_changes.approve(db.session, staff(business), plan.id, change.id,
                             now=dt.datetime(2026, 12, 20, 18, 0, tzinfo=dt.timezone.utc))
    assert refused.value.field == "request" and "Decline it with a reason" in refused.value.message
    assert requests_of(plan)[0].status == "pending" and _fresh(plan).schedule_versions == []


def test_pending_requests_of_a_business_oldest_first(app):
    business, account, plan = active_plan()
    _, account_2, plan_2 = active_plan(business)
    first = ask(account, plan, date=dt.date(2027, 1, 15))
    second = ask(account_2, plan_2, "hardship_pause", periods=1, now=NOW + dt.timedelta(minutes=5))
    other_business, account_3, plan_3 = active_plan()
    ask(account_3, plan_3, date=dt.date(2027, 1, 15))
    assert [r.id for r in plan_changes.pending(db.session, business.id)] == [first.id, second.id]
    assert db.session.scalar(select(PaymentPlanChangeRequest.status).where(
        PaymentPlanChangeRequest.id == first.id)) == "pending"
