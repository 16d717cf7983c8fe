"""Payment plans as stored: setting one up (PRD 7.5 POST /payment-plans), reading it with its schedule and
payments, and the staff changes of PRD 4.4.4 FR-PAY-031: pause and resume, reschedule what is still unpaid, adjust
the installment amount (the count follows), extend (more installments) and cancel.

Who (DESIGN.md section 12): business admins and managers set up any plan; an agent sets up plans inside the
business's plan policy (plan_policy) on accounts in their queue; debtors accept a plan offered to them through the
portal's agreement, not here. Changing a plan (pause, resume, reschedule) is approving a plan change: business
admins and managers only. One open plan (pending, active or paused) per account: checked under the account's row
lock and held by a partial unique index, so two requests racing cannot both make one.

A reschedule keeps every installment that is paid or being charged and recomputes the rest; the schedule it
replaces is kept on the plan (schedule_versions), so what the debtor agreed to before stays readable. Late fees are
never added (COMPLIANCE.md content rules on unauthorized fees), so there are none to waive.

A hardship pause ends on its own: `paused_until` is the day (the debtor's) the clock resumes the plan
(resume_due)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal

import stripe
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError

from app.models import Account, Payment, PaymentInstallment, PaymentPlan, PaymentPlanChangeRequest
from app.services import audit, money
from app.services.accounts import records
from app.services.auth import permissions
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.services.payments import gateway, ledger, one_time, plan_policy, plans
from app.services.tenancy import Principal, get_scoped

OPEN_STATUSES = ("pending", "active", "paused")
"""A plan in one of these holds the account: a second one is refused with ACTIVE_PLAN."""
KEPT_STATUSES = ("paid", "processing")
"""Installments a reschedule leaves alone: money received, or a charge in flight."""
US_DATE_LAG = dt.timedelta(hours=12)
"""No US zone is more than this behind UTC: a start date is "in the past" only once that day is over everywhere."""
UNAVAILABLE = "The card processor did not answer: the card could not be checked. Please try again in a few minutes."
MAX_REASON = 1000
BATCH = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewPlan:
    """What a caller asks for (POST /payment-plans), parsed: `total` None means the whole amount available."""

    total: Decimal | None
    down_payment: Decimal
    count: int
    frequency: str
    start: dt.date | None
    installment_amount: Decimal | None = None
    auto_pay: bool = False
    payment_method_id: str | None = None
    payment_method_field: str = "stripePaymentMethodId"
    notes: str | None = None


@dataclass(frozen=True)
class PlanChange:
    """PATCH /payment-plans/:id, parsed; every part optional."""

    status: str | None = None
    start: dt.date | None = None
    next_payment_date: dt.date | None = None
    count: int | None = None
    installment_amount: Decimal | None = None
    reason: str | None = None
    resume_on: dt.date | None = None
    """With status paused: the day the clock resumes the plan (a hardship pause)."""

    @property
    def reschedules(self) -> bool:
        return (self.start is not None or self.next_payment_date is not None or self.count is not None
                or self.installment_amount is not None)


def earliest_start(now: dt.datetime) -> dt.date:
    """The earliest start date allowed now: today somewhere in the United States."""
    return (now.astimezone(dt.timezone.utc) - US_DATE_LAG).date()


# -- reading -----------------------------------------------------------------------------------------------------
def get_plan(db_session, principal: Principal, plan_id) -> PaymentPlan:
    """Another business's plan is 404; a plan on an account the caller may not see is 403 (an agent outside their
    queue) or 404 (a debtor's other accounts)."""
    if principal.role == "debtor":
        try:
            plan = db_session.get(PaymentPlan, uuid.UUID(str(plan_id)))
        except ValueError:
            plan = None
        if plan is None:
            raise NotFound("Payment plan not found")
        records.get_account(db_session, principal, plan.account_id)
        return plan
    plan = get_scoped(db_session, PaymentPlan, plan_id, principal)
    records.get_account(db_session, principal, plan.account_id)
    return plan


def list_plans(db_session, account: Account, *, statuses=(), page: int = 1, limit: int = 20):
    """(plans newest first, total) of one account, already checked visible to the caller."""
    query = select(PaymentPlan).where(PaymentPlan.business_id == account.business_id,
                                      PaymentPlan.account_id == account.id)
    if statuses:
        query = query.where(PaymentPlan.status.in_(statuses))
    total = db_session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db_session.scalars(query.options(selectinload(PaymentPlan.installments))
                              .order_by(PaymentPlan.created_at.desc(), PaymentPlan.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def plan_payments(db_session, plan: PaymentPlan) -> list[Payment]:
    """The payments made on the plan (down payment and installments), oldest first."""
    return db_session.scalars(select(Payment).where(
        Payment.business_id == plan.business_id, Payment.payment_plan_id == plan.id,
    ).order_by(Payment.created_at, Payment.id)).all()


def open_plan(db_session, account_id) -> PaymentPlan | None:
    return db_session.scalars(select(PaymentPlan).where(
        PaymentPlan.account_id == account_id, PaymentPlan.status.in_(OPEN_STATUSES))).first()


# -- setting one up ----------------------------------------------------------------------------------------------
def create(db_session, principal: Principal, account: Account, request: NewPlan, *, now: dt.datetime,
           ip: str | None = None, user_agent: str | None = None) -> PaymentPlan:
    """A pending plan with its schedule, audited; the caller commits. Raises ValidationError (field), Forbidden,
    Conflict ACTIVE_PLAN, or DomainError PAYMENT_FAILED (402) when the auto-pay card is declined."""
    scope = permissions.require(principal.role, "plans.create")
    if principal.role == "debtor":
        raise Forbidden("A debtor accepts a plan offered to them in the portal.")
    within_policy = scope == "within_policy"
    policy = plan_policy.get(db_session, account.business_id)
    _refuse_open_plan(db_session, account.id)
    _check(db_session, policy, account, request, now, within_policy)
    customer_id = _verify_auto_pay(db_session, account, request) if request.auto_pay else None
    # Stripe has answered: now the account's lock, and every check again under it.
    locked = ledger.lock_account(db_session, account.id)
    try:
        _refuse_open_plan(db_session, locked.id)
        total, rows, available = _check(db_session, policy, locked, request, now, within_policy)
    except DomainError:
        db_session.rollback()
        raise
    start = request.start or earliest_start(now)
    regular = [row for row in rows if row.number > 0]
    plan = PaymentPlan(
        id=uuid.uuid4(), business_id=locked.business_id, account_id=locked.id, total_amount=total,
        down_payment=request.down_payment, installment_amount=regular[0].amount, number_of_installments=len(regular),
        frequency=request.frequency, start_date=start, next_payment_date=rows[0].due_date, status="pending",
        auto_pay_enabled=request.auto_pay, stripe_payment_method_id=request.payment_method_id if request.auto_pay
        else None, stripe_customer_id=customer_id, created_by_id=principal.user_id, notes=request.notes,
        schedule_versions=[], created_at=now, updated_at=now)
    insert(db_session, plan, rows, now)
    audit.record(db_session, "payment_plan_created", principal=principal, now=now, resource_type="payment_plan",
                 resource_id=plan.id, description=f"{money.format_usd(total)} plan: {_summary(plan)}",
                 meta={"accountId": str(plan.account_id), "totalAmount": str(total),
                       "downPayment": str(plan.down_payment), "numberOfInstallments": plan.number_of_installments,
                       "frequency": plan.frequency, "startDate": start.isoformat(),
                       "autoPayEnabled": plan.auto_pay_enabled,
                       "withinPolicy": _inside(policy, plan, total, available)},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    return plan


def insert(db_session, plan: PaymentPlan, rows, now: dt.datetime) -> None:
    """Store a new plan and its schedule (plans.Installment rows), all `scheduled`; Conflict ACTIVE_PLAN (rolled
    back) when the partial unique index finds another request made an open plan for the account in between."""
    db_session.add(plan)
    for row in rows:
        db_session.add(PaymentInstallment(business_id=plan.business_id, payment_plan_id=plan.id, number=row.number,
                                          amount=row.amount, due_date=row.due_date, status="scheduled",
                                          created_at=now, updated_at=now))
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        raise active_plan_conflict(open_plan(db_session, plan.account_id)) from None


def preview(db_session, principal: Principal, account: Account, request: NewPlan, *, now: dt.datetime):
    """(total, schedule) the plan would have if set up now by this caller (agents within the policy), without
    storing anything: the staff form's live preview. Raises ValidationError (field) like create()."""
    scope = permissions.require(principal.role, "plans.create")
    if principal.role == "debtor":
        raise Forbidden("A debtor accepts a plan offered to them in the portal.")
    policy = plan_policy.get(db_session, account.business_id)
    total, rows, _ = _check(db_session, policy, account, request, now, scope == "within_policy")
    return total, rows


def _check(db_session, policy, account: Account, request: NewPlan, now: dt.datetime, within_policy: bool):
    """(total, schedule, amount available): the request against what the account can take now and, for agents,
    the policy."""
    available = one_time.available_amount(db_session, account)
    if available <= 0:
        raise ValidationError("This account has nothing left to pay.", field="totalAmount")
    total = request.total if request.total is not None else available
    rows = plans.validate(policy, total=total, down_payment=request.down_payment, count=request.count,
                          frequency=request.frequency, start=request.start or earliest_start(now),
                          earliest_start=earliest_start(now), balance=available, within_policy=within_policy)
    regular = [row for row in rows if row.number > 0]
    if request.installment_amount is not None and request.installment_amount != regular[0].amount:
        last = f" (the last {money.format_usd(regular[-1].amount)})" if regular[-1].amount != regular[0].amount else ""
        raise ValidationError(f"With {len(regular)} installments each is {money.format_usd(regular[0].amount)}{last}: "
                              f"send that installmentAmount or leave it out.", field="installmentAmount")
    return total, rows, available


def _inside(policy, plan: PaymentPlan, total: Decimal, available: Decimal) -> bool:
    """Whether the plan keeps to the policy (recorded: a manager's plan outside it is visible in the audit log)."""
    try:
        plans.validate(policy, total=total, down_payment=plan.down_payment, count=plan.number_of_installments,
                       frequency=plan.frequency, start=plan.start_date, earliest_start=plan.start_date,
                       balance=available, within_policy=True)
    except ValidationError:
        return False
    return True


def _refuse_open_plan(db_session, account_id) -> None:
    refuse_open(open_plan(db_session, account_id))


def refuse_open(found: PaymentPlan | None) -> None:
    """Conflict ACTIVE_PLAN when the account already has an open plan (`found`, from open_plan)."""
    if found is not None:
        raise active_plan_conflict(found)


def active_plan_conflict(found: PaymentPlan | None) -> Conflict:
    status = found.status if found is not None else "open"
    return Conflict(f"This account already has a {status} payment plan.", code="ACTIVE_PLAN",
                    extra={"planId": str(found.id)} if found is not None else None)


def _verify_auto_pay(db_session, account: Account, request: NewPlan) -> str:
    """The Stripe customer the card is attached to (attaching is where Stripe declines a bad card). Runs before
    any lock: ensure_customer commits, and a Stripe call must never hold the account's row."""
    if not request.payment_method_id:
        raise ValidationError("Auto-pay needs a card: send stripePaymentMethodId (from Stripe.js).",
                              field="stripePaymentMethodId")
    try:
        customer_id = gateway.ensure_customer(db_session, account)
        gateway.usable_payment_method(customer_id, request.payment_method_id, method="card")
    except gateway.PaymentMethodUnusable as exc:
        raise ValidationError(str(exc), field=request.payment_method_field) from None
    except stripe.CardError as exc:
        raise DomainError(exc.user_message or "The card was declined.", code="PAYMENT_FAILED", status=402,
                          field=request.payment_method_field) from None
    except stripe.InvalidRequestError:
        raise ValidationError(one_time.UNUSABLE, field=request.payment_method_field) from None
    except stripe.StripeError:
        raise DomainError(UNAVAILABLE, code="PAYMENT_FAILED", status=402) from None
    return customer_id


# -- changing one ------------------------------------------------------------------------------------------------
def change(db_session, principal: Principal, plan_id, request: PlanChange, *, now: dt.datetime,
           ip: str | None = None, user_agent: str | None = None) -> PaymentPlan:
    """Reschedule (dates, count, or the installment amount with the count following) and/or pause, resume or
    cancel, audited; the caller commits."""
    plan = get_plan(db_session, principal, plan_id)
    if permissions.scope(principal.role, "plans.approve_changes") != "all":
        raise Forbidden("Only managers and business admins change a payment plan.")
    if request.status is None and not request.reschedules:
        raise ValidationError("Send what to change: status, nextPaymentDate, startDate, numberOfInstallments or "
                              "installmentAmount.")
    if request.installment_amount is not None and request.count is not None:
        raise ValidationError("Send installmentAmount or numberOfInstallments, not both: the count follows from the "
                              "amount.", field="installmentAmount")
    if request.status == "canceled" and request.reschedules:
        raise ValidationError("A canceled plan has no schedule: send status and reason only.", field="status")
    ledger.lock_account(db_session, plan.account_id)  # the clock's charges take the same lock first
    db_session.refresh(plan)
    db_session.expire(plan, ["installments"])
    try:
        if plan.status not in OPEN_STATUSES:
            raise Conflict(f"This plan is {plan.status}: it can no longer be changed.")
        if request.status == "canceled":
            _cancel(db_session, principal, plan, request.reason, now, ip, user_agent)
            return plan
        if request.installment_amount is not None:
            request = dataclasses.replace(request, count=count_for_amount(plan, request.installment_amount))
        if request.reschedules:
            _reschedule(db_session, principal, plan, request, now, ip, user_agent)
        if request.status is not None:
            _set_status(db_session, principal, plan, request.status, now, ip, user_agent,
                        resume_on=request.resume_on)
    except DomainError:
        db_session.rollback()
        raise
    return plan


def unpaid_rest(plan: PaymentPlan) -> tuple[list[PaymentInstallment], Decimal]:
    """(the regular installments a reschedule keeps, what the unpaid regular installments come to)."""
    rows = sorted(plan.installments, key=lambda r: r.number)
    kept = [r for r in rows if r.status in KEPT_STATUSES and r.number > 0]
    rest = sum((r.amount for r in rows if r.status not in KEPT_STATUSES and r.number > 0), Decimal("0.00"))
    return kept, rest


def count_for_amount(plan: PaymentPlan, amount: Decimal) -> int:
    """The plan's installment count (paid ones included) that spreads what is unpaid in installments of at most
    `amount` each: the fewest that fit, so each comes to the unpaid rest split evenly (the last takes the cents)."""
    if amount < plans.MIN_PAYMENT:
        raise ValidationError(f"installmentAmount must be at least {money.format_usd(plans.MIN_PAYMENT)}.",
                              field="installmentAmount")
    kept, rest = unpaid_rest(plan)
    if rest <= 0:
        raise Conflict("Every installment is paid or being charged: there is nothing left to spread.")
    return len(kept) + max(1, math.ceil(money.to_cents(rest) / money.to_cents(amount)))


def _cancel(db_session, principal, plan: PaymentPlan, reason: str | None, now, ip, user_agent) -> None:
    """The plan ends: what was not charged yet is canceled (a charge in flight finishes), pending change requests
    are closed, the debtor is told why."""
    from app.services.payments import plan_changes

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for canceling the plan: the debtor is told it.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason can be at most {MAX_REASON} characters.", field="reason")
    canceled = db_session.execute(update(PaymentInstallment).where(
        PaymentInstallment.business_id == plan.business_id, PaymentInstallment.payment_plan_id == plan.id,
        PaymentInstallment.status.in_(("scheduled", "failed")))
        .values(status="canceled", next_retry_at=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db_session.execute(update(PaymentPlanChangeRequest).where(
        PaymentPlanChangeRequest.business_id == plan.business_id, PaymentPlanChangeRequest.plan_id == plan.id,
        PaymentPlanChangeRequest.status == "pending")
        .values(status="declined", decided_by_id=principal.user_id, decided_at=now,
                decision_reason="The plan was canceled.", updated_at=now)
        .execution_options(synchronize_session=False))
    plan.status, plan.canceled_at, plan.paused_at, plan.paused_until = "canceled", now, None, None
    plan.next_payment_date = None
    plan.updated_at = now
    db_session.flush()
    db_session.expire(plan, ["installments"])
    audit.record(db_session, "payment_plan_canceled", principal=principal, now=now, resource_type="payment_plan",
                 resource_id=plan.id, description=f"Plan canceled: {reason}",
                 meta={"accountId": str(plan.account_id), "reason": reason, "installmentsCanceled": canceled,
                       "amountPaid": str(plan.amount_paid)},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    plan_changes.tell_canceled(db_session, plan, reason, now=now)


def _set_status(db_session, principal, plan: PaymentPlan, status: str, now, ip, user_agent, *,
                resume_on: dt.date | None = None) -> None:
    if status not in ("paused", "active"):
        raise ValidationError("status can be paused, active to resume a paused plan, or canceled (with a reason).",
                              field="status")
    if status == plan.status:
        return
    if status == "paused" and plan.status != "active":
        raise Conflict(f"Only an active plan can be paused; this one is {plan.status}.", field="status")
    if status == "active" and plan.status != "paused":
        raise Conflict(f"Only a paused plan can be resumed; this one is {plan.status}.", field="status")
    plan.status = status
    plan.paused_at = now if status == "paused" else None
    plan.paused_until = resume_on if status == "paused" else None
    plan.updated_at = now
    action = "payment_plan_paused" if status == "paused" else "payment_plan_resumed"
    until = f" until {resume_on.isoformat()}" if status == "paused" and resume_on else ""
    audit.record(db_session, action, principal=principal, now=now, resource_type="payment_plan",
                 resource_id=plan.id, description=f"Plan {status}{until}",
                 meta={"accountId": str(plan.account_id),
                       **({"pausedUntil": resume_on.isoformat()} if status == "paused" and resume_on else {})},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)


# -- the clock: hardship pauses that are over --------------------------------------------------------------------
def resume_due(db_session, now: dt.datetime, *, limit: int = BATCH) -> int:
    """Paused plans whose `paused_until` has come in the debtor's zone go back to active (audited as the system),
    one by one under the account's lock; a plan resumed or changed meanwhile is left alone. How many resumed."""
    from app.services.payments import installments

    horizon = (now.astimezone(dt.timezone.utc) + installments.AHEAD).date()
    rows = db_session.execute(
        select(PaymentPlan.id, PaymentPlan.paused_until, Account)
        .join(Account, Account.id == PaymentPlan.account_id)
        .where(PaymentPlan.status == "paused", PaymentPlan.paused_until.is_not(None),
               PaymentPlan.paused_until <= horizon)
        .order_by(PaymentPlan.paused_until).limit(limit)).all()
    resumed = 0
    for plan_id, until, account in rows:
        if installments.local_today(account, now) < until:
            continue
        try:
            ledger.lock_account(db_session, account.id)
            changed = db_session.execute(update(PaymentPlan).where(
                PaymentPlan.id == plan_id, PaymentPlan.status == "paused", PaymentPlan.paused_until == until)
                .values(status="active", paused_at=None, paused_until=None, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
            if changed:
                audit.record(db_session, "payment_plan_resumed", now=now, business_id=account.business_id,
                             resource_type="payment_plan", resource_id=plan_id,
                             description=f"Plan resumed: the hardship pause ended {until.isoformat()}",
                             meta={"accountId": str(account.id), "pausedUntil": until.isoformat(),
                                   "automatic": True})
                resumed += 1
            db_session.commit()
        except Exception:
            db_session.rollback()
            log.exception("payment plan %s: not resumed", plan_id)
    return resumed


def _reschedule(db_session, principal, plan: PaymentPlan, request: PlanChange, now, ip, user_agent) -> None:
    rows = sorted(plan.installments, key=lambda r: r.number)
    kept = [r for r in rows if r.status in KEPT_STATUSES]
    unpaid = [r for r in rows if r.status not in KEPT_STATUSES]
    if not unpaid:
        raise Conflict("Every installment is paid or being charged: there is nothing left to reschedule.")
    count = request.count if request.count is not None else plan.number_of_installments
    new_rows, anchor = _new_schedule(plan, request, kept, unpaid, count, earliest_start(now))
    before = _terms(plan)
    plan.schedule_versions = [*(plan.schedule_versions or []), _snapshot(plan, rows, principal, now)]
    for row in unpaid:
        plan.installments.remove(row)
    db_session.flush()  # the old numbers are free before the new rows take them
    for row in new_rows:
        plan.installments.append(PaymentInstallment(
            business_id=plan.business_id, payment_plan_id=plan.id, number=row.number, amount=row.amount,
            due_date=row.due_date, status="scheduled", created_at=now, updated_at=now))
    plan.number_of_installments = count
    plan.installment_amount = next(r.amount for r in new_rows if r.number > 0)
    plan.start_date = request.start or plan.start_date
    plan.schedule_anchor, plan.schedule_anchor_number = anchor
    plan.next_payment_date = min([r.due_date for r in kept if r.status == "processing"] + [new_rows[0].due_date])
    plan.updated_at = now
    db_session.flush()
    audit.record(db_session, "payment_plan_rescheduled", principal=principal, now=now, resource_type="payment_plan",
                 resource_id=plan.id, description=f"Plan rescheduled: {_summary(plan)}",
                 meta={"accountId": str(plan.account_id), "version": len(plan.schedule_versions) + 1,
                       "before": before, "after": _terms(plan)},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)


def _new_schedule(plan: PaymentPlan, request: PlanChange, kept, unpaid, count: int, earliest: dt.date):
    """(the unpaid part recomputed, the schedule's new anchor). Installment n falls due n - m periods after the
    anchor date (anchor (date, m)), so month ends never drift however often a plan is moved:
    - startDate (nothing paid yet): the plan starts again on it, down payment that day;
    - nextPaymentDate: the first unpaid payment falls due on it (the down payment if still unpaid, then one period
      to the next installment), the rest one period apart;
    - neither (only numberOfInstallments): the dates keep their pattern and the amounts change."""
    kept_regular = [r for r in kept if r.number > 0]
    down_row = next((r for r in unpaid if r.number == 0), None)
    new_count = count - len(kept_regular)
    if new_count < 1:
        raise ValidationError(f"{len(kept_regular)} installments are paid or being charged: numberOfInstallments "
                              f"must be more than that.", field="numberOfInstallments")
    if count > plans.max_count(plan.frequency, request.start or plan.start_date, plans.HARD_MAX_MONTHS):
        raise ValidationError(f"A plan cannot run longer than {plans.HARD_MAX_MONTHS // 12} years.",
                              field="numberOfInstallments")
    first_number = max((r.number for r in kept_regular), default=0) + 1
    if request.start is not None:
        if kept:
            raise ValidationError("Payments have been made on this plan: move nextPaymentDate instead of the start.",
                                  field="startDate")
        field, down_due, anchor = "startDate", request.start, (request.start, 0)
    elif request.next_payment_date is not None:
        day = request.next_payment_date
        field, down_due = "nextPaymentDate", day
        anchor = (day, first_number - 1) if down_row is not None else (day, first_number)
    else:
        field = "nextPaymentDate"
        down_due = down_row.due_date if down_row is not None else None
        anchor = (plan.schedule_anchor or plan.start_date, plan.schedule_anchor_number or 0)
    # What the unpaid installments hold is what gets spread again (the down payment keeps its amount).
    rest = sum((r.amount for r in unpaid if r.number > 0), Decimal("0.00"))
    parts = money.split(rest, new_count)
    if parts[0] < plans.MIN_PAYMENT:
        raise ValidationError(f"{new_count} installments would be less than {money.format_usd(plans.MIN_PAYMENT)} "
                              f"each.", field="numberOfInstallments")
    day, offset = anchor
    rows = ([plans.Installment(0, down_row.amount, down_due)] if down_row is not None else []) + [
        plans.Installment(first_number + i, amount, plans.due_date(day, plan.frequency, first_number + i - offset))
        for i, amount in enumerate(parts)]
    _check_dates(rows, kept, field, earliest, explicit=request.start is not None or
                 request.next_payment_date is not None, start=request.start or plan.start_date)
    return rows, anchor


def _check_dates(rows, kept, field: str, earliest: dt.date, *, explicit: bool, start: dt.date) -> None:
    first = rows[0].due_date
    if first < earliest:
        if not explicit:
            raise ValidationError(f"The next payment was due on {first.isoformat()}: send a new nextPaymentDate "
                                  f"with the new numberOfInstallments.", field="nextPaymentDate")
        raise ValidationError(f"{field} cannot be in the past.", field=field)
    if explicit and first > earliest + plans.LATEST_START:
        raise ValidationError(f"{field} must be within a year.", field=field)
    if kept and first <= max(r.due_date for r in kept):
        last = max(r.due_date for r in kept)
        raise ValidationError(f"{field} must be after {last.isoformat()}, when the last payment made on this plan "
                              f"was due.", field=field)
    if rows[-1].due_date > plans.add_months(start, plans.HARD_MAX_MONTHS):
        raise ValidationError(f"A plan cannot run longer than {plans.HARD_MAX_MONTHS // 12} years.",
                              field="numberOfInstallments")


def _terms(plan: PaymentPlan) -> dict:
    return {"startDate": plan.start_date.isoformat(), "numberOfInstallments": plan.number_of_installments,
            "installmentAmount": str(plan.installment_amount),
            "nextPaymentDate": plan.next_payment_date.isoformat() if plan.next_payment_date else None}


def _snapshot(plan: PaymentPlan, rows, principal: Principal, now: dt.datetime) -> dict:
    """The schedule being replaced, exactly (amounts as text), with who replaced it and when."""
    return {"version": len(plan.schedule_versions or []) + 1,
            "replacedAt": now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            "replacedById": str(principal.user_id) if principal.user_id else None, **_terms(plan),
            "schedule": [{"id": str(r.id), "installmentNumber": r.number, "amount": str(r.amount),
                          "dueDate": r.due_date.isoformat(), "status": r.status, "attempts": r.attempts,
                          "paidAt": r.paid_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
                          if r.paid_at else None} for r in rows]}


def _summary(plan: PaymentPlan) -> str:
    down = f"{money.format_usd(plan.down_payment)} down, " if plan.down_payment > 0 else ""
    return (f"{down}{plan.number_of_installments} {plan.frequency} installments of "
            f"{money.format_usd(plan.installment_amount)}")


# -- as the API shows it -----------------------------------------------------------------------------------------
def plan_json(plan: PaymentPlan, *, payments=None, versions: bool = False, staff: bool = True) -> dict:
    """PRD 7.5's plan: the schedule has the down payment as installment 0 (when there is one), then 1..n. Staff
    notes are left out for the debtor (`staff` False)."""
    rows = sorted(plan.installments, key=lambda r: r.number)
    data = {
        "id": str(plan.id), "accountId": str(plan.account_id), "totalAmount": plan.total_amount,
        "downPayment": plan.down_payment, "installmentAmount": plan.installment_amount,
        "numberOfInstallments": plan.number_of_installments, "frequency": plan.frequency,
        "startDate": plan.start_date, "nextPaymentDate": plan.next_payment_date, "status": plan.status,
        "autoPayEnabled": plan.auto_pay_enabled, "stripePaymentMethodId": plan.stripe_payment_method_id,
        "paymentsMade": plan.payments_made, "amountPaid": plan.amount_paid,
        "amountRemaining": plan.total_amount - plan.amount_paid, "missedCount": plan.missed_count,
        "agreementSigned": plan.agreement_signed, "version": len(plan.schedule_versions or []) + 1,
        "createdById": str(plan.created_by_id) if plan.created_by_id else None,
        "pausedAt": plan.paused_at, "pausedUntil": plan.paused_until, "createdAt": plan.created_at,
        "updatedAt": plan.updated_at,
        "schedule": [{"installmentNumber": r.number, "amount": r.amount, "dueDate": r.due_date, "status": r.status,
                      "paidAt": r.paid_at} for r in rows],
    }
    if staff:
        data["notes"] = plan.notes
    if payments is not None:
        from app.services.payments.serialize import payment_json

        data["payments"] = [payment_json(p) for p in payments]
    if versions:
        data["previousSchedules"] = [_version_json(v) for v in plan.schedule_versions or []]
    return data


def previous_schedules(plan: PaymentPlan) -> list[dict]:
    """The schedules changes replaced, newest first, amounts as money (the staff Plans tab)."""
    return [_version_json(v) for v in reversed(plan.schedule_versions or [])]


def _version_json(version: dict) -> dict:
    """A stored snapshot with its amounts as money again."""
    out = {k: v for k, v in version.items() if k != "schedule"}
    out["installmentAmount"] = Decimal(version["installmentAmount"]) if version.get("installmentAmount") else None
    out["schedule"] = [{**row, "amount": Decimal(row["amount"])} for row in version.get("schedule", [])]
    return out
