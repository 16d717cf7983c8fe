"""A debtor's requests to change their payment plan (PRD 4.4.4 FR-PAY-030): a new payment date, a new installment
amount (or count), or a hardship pause; decided by business admins and managers (DESIGN.md section 12), who approve
(the change is applied through plan_records.change, so the schedule is versioned and audited) or decline with a
reason. One pending request per plan (held by a partial unique index); the debtor may withdraw it while it waits.

What a debtor may ask is bounded so staff see requests they can approve: a date no later than one period after the
current next payment (a date change moves a payment; skipping one is a hardship pause), installments inside the
business's plan policy (its minimum installment and longest plan), a pause of 1 to MAX_PAUSE_PERIODS periods.

Staff are told of a new request in their bell (kind review); the debtor is told of each decision by a transactional
message through channels.send (the gate decides). Validation errors carry the portal's text key in `extra["text"]`
(with its values in `extra["values"]`) so the portal can say them in the debtor's language."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Account, Business, PaymentPlan, PaymentPlanChangeRequest, User
from app.models.payment import CHANGE_KINDS
from app.services import audit, money, notifications
from app.services.auth import permissions
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.payments import installments, plan_policy, plan_records, plans, receipts
from app.services.payments.plan_records import OPEN_STATUSES, PlanChange
from app.services.portal import debtor_principal
from app.services.tenancy import Principal, get_scoped

log = logging.getLogger(__name__)

MAX_REASON = 1000
MAX_PAUSE_PERIODS = 3
KIND_LABELS = {"date_change": "Date change", "amount_change": "Amount change", "hardship_pause": "Hardship pause"}

TEXTS = {
    "en": {
        "approved_date_change": "{business}: your request to change your payment plan was approved. Your next "
                                "payment of {amount} is due on {date}.",
        "approved_amount_change": "{business}: your request to change your payment plan was approved. You now pay "
                                  "{count} installments of {amount}; the next is due on {date}.",
        "approved_hardship_pause": "{business}: your request to pause your payment plan was approved. No payments "
                                   "are due until {resume}; the next payment of {amount} is due on {date}.",
        "declined": "{business}: your request to change your payment plan was not approved. Reason: {reason} "
                    "Your plan continues as agreed.",
        "canceled": "{business}: your payment plan has been canceled. Reason: {reason} No more payments will be "
                    "taken under it.",
        "subject_approved": "Your payment plan change was approved",
        "subject_declined": "Your payment plan change request",
        "subject_canceled": "Your payment plan was canceled",
    },
    "es": {
        "approved_date_change": "{business}: aprobamos su solicitud de cambio de su plan de pagos. Su próximo pago "
                                "de {amount} vence el {date}.",
        "approved_amount_change": "{business}: aprobamos su solicitud de cambio de su plan de pagos. Ahora paga "
                                  "{count} cuotas de {amount}; la próxima vence el {date}.",
        "approved_hardship_pause": "{business}: aprobamos su solicitud de pausar su plan de pagos. No hay pagos "
                                   "hasta el {resume}; el próximo pago de {amount} vence el {date}.",
        "declined": "{business}: no aprobamos su solicitud de cambio de su plan de pagos. Motivo: {reason} "
                    "Su plan continúa como se acordó.",
        "canceled": "{business}: su plan de pagos fue cancelado. Motivo: {reason} No se cobrarán más pagos "
                    "con este plan.",
        "subject_approved": "Aprobamos el cambio de su plan de pagos",
        "subject_declined": "Su solicitud de cambio del plan de pagos",
        "subject_canceled": "Su plan de pagos fue cancelado",
    },
}


@dataclass(frozen=True)
class ChangeAsk:
    """What the debtor asks, parsed from their form: the fields of one kind."""

    kind: str
    reason: str = ""
    date: dt.date | None = None
    amount: Decimal | None = None
    count: int | None = None
    periods: int | None = None


def _invalid(message: str, field: str, text: str, **values) -> ValidationError:
    return ValidationError(message, field=field, extra={"text": text, "values": values})


# -- reading -----------------------------------------------------------------------------------------------------
def for_plan(db_session, plan: PaymentPlan) -> list[PaymentPlanChangeRequest]:
    """The plan's requests, newest first (the caller has checked the plan is theirs to see)."""
    return list(db_session.scalars(select(PaymentPlanChangeRequest).where(
        PaymentPlanChangeRequest.business_id == plan.business_id, PaymentPlanChangeRequest.plan_id == plan.id)
        .order_by(PaymentPlanChangeRequest.created_at.desc(), PaymentPlanChangeRequest.id.desc())))


def pending(db_session, business_id, *, limit: int = 50) -> list[PaymentPlanChangeRequest]:
    """A business's requests waiting for a decision, oldest first."""
    return list(db_session.scalars(select(PaymentPlanChangeRequest).where(
        PaymentPlanChangeRequest.business_id == business_id, PaymentPlanChangeRequest.status == "pending")
        .order_by(PaymentPlanChangeRequest.created_at, PaymentPlanChangeRequest.id).limit(limit)))


def get_request(db_session, principal: Principal, plan: PaymentPlan, request_id) -> PaymentPlanChangeRequest:
    """One request of this plan; another plan's or business's is 404."""
    found = get_scoped(db_session, PaymentPlanChangeRequest, request_id, principal)
    if found.plan_id != plan.id:
        raise NotFound("Change request not found")
    return found


def debtor_plan(db_session, account: Account, plan_id) -> PaymentPlan:
    """The verified debtor's own plan; anything else is 404."""
    try:
        plan = db_session.get(PaymentPlan, uuid.UUID(str(plan_id)))
    except ValueError:
        plan = None
    if plan is None or plan.account_id != account.id or plan.business_id != account.business_id:
        raise NotFound("Payment plan not found")
    return plan


def describe(change: PaymentPlanChangeRequest) -> str:
    """What was asked, in staff words."""
    if change.kind == "date_change":
        return f"Move the next payment to {change.requested_date.isoformat()}"
    if change.kind == "amount_change":
        if change.requested_amount is not None:
            return f"Pay at most {money.format_usd(change.requested_amount)} per installment"
        return f"Spread the plan over {change.requested_count} installments in all"
    return f"Pause payments for {change.pause_periods} period{'s' if change.pause_periods != 1 else ''}"


# -- the debtor asks ---------------------------------------------------------------------------------------------
def request(db_session, account: Account, plan_id, ask: ChangeAsk, *, now: dt.datetime, ip: str | None = None,
            user_agent: str | None = None) -> PaymentPlanChangeRequest:
    """A pending request on the debtor's own open plan, audited, managers told; the caller commits. Raises
    ValidationError (field, portal text key), Conflict (plan closed, or a request already pending: CHANGE_PENDING),
    NotFound."""
    plan = debtor_plan(db_session, account, plan_id)
    if plan.status not in OPEN_STATUSES:
        raise Conflict(f"This plan is {plan.status}: it can no longer be changed.", extra={"text": "change_closed"})
    _refuse_pending(db_session, plan)
    ask = check(db_session, plan, account, ask, now=now)
    change = PaymentPlanChangeRequest(
        id=uuid.uuid4(), business_id=plan.business_id, plan_id=plan.id, account_id=account.id, kind=ask.kind,
        requested_date=ask.date, requested_amount=ask.amount, requested_count=ask.count, pause_periods=ask.periods,
        reason=ask.reason, status="pending", created_at=now, updated_at=now)
    db_session.add(change)
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        raise _pending_conflict() from None
    audit.record(db_session, "payment_plan_change_requested", principal=debtor_principal(account), now=now,
                 resource_type="payment_plan", resource_id=plan.id, description=describe(change),
                 meta={"accountId": str(account.id), "requestId": str(change.id), "kind": change.kind,
                       "reason": change.reason}, ip=(ip or None) and ip[:45], user_agent=user_agent)
    _notify_staff(db_session, plan, account, change, now)
    return change


def check(db_session, plan: PaymentPlan, account: Account, ask: ChangeAsk, *, now: dt.datetime) -> ChangeAsk:
    """The ask, each field checked (one error, naming its field); only the kind's own fields are kept."""
    if ask.kind not in CHANGE_KINDS:
        raise _invalid("Choose what to change: the date, the amount, or a pause.", "kind", "err_change_kind")
    reason = (ask.reason or "").strip()
    if not reason:
        raise _invalid("Tell us why you need the change.", "reason", "err_change_reason")
    if len(reason) > MAX_REASON:
        raise _invalid(f"Keep the reason under {MAX_REASON} characters.", "reason", "err_change_reason_long",
                       max=MAX_REASON)
    today = installments.local_today(account, now)
    if ask.kind == "date_change":
        return ChangeAsk("date_change", reason, date=_check_date(plan, ask.date, today))
    if ask.kind == "amount_change":
        amount, count = _check_amount(db_session, plan, ask.amount, ask.count)
        return ChangeAsk("amount_change", reason, amount=amount, count=count)
    if plan.status != "active":
        raise _invalid("Only an active plan can be paused.", "kind", "err_change_pause_active")
    periods = ask.periods
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PAUSE_PERIODS:
        raise _invalid(f"Choose a pause of 1 to {MAX_PAUSE_PERIODS} payments.", "periods", "err_change_periods",
                       max=MAX_PAUSE_PERIODS)
    return ChangeAsk("hardship_pause", reason, periods=periods)


def _check_date(plan: PaymentPlan, day: dt.date | None, today: dt.date) -> dt.date:
    if day is None:
        raise _invalid("Choose the new date.", "date", "err_change_date")
    if day <= today:
        raise _invalid("Choose a date after today.", "date", "err_change_date_past")
    unpaid = [r.due_date for r in plan.installments if r.status in ("scheduled", "failed")]
    current = min(unpaid, default=plan.next_payment_date or today)
    latest = max(plans.due_date(current, plan.frequency, 1), today + dt.timedelta(days=1))
    if day > latest:
        raise _invalid(f"Choose a date no later than {latest.isoformat()}. To skip payments, ask for a pause.",
                       "date", "err_change_date_late", latest=latest)
    return day


def _check_amount(db_session, plan: PaymentPlan, amount: Decimal | None, count: int | None):
    """(amount, count) with exactly one given, inside the plan policy: each installment at least its minimum, the
    plan no longer than its longest."""
    if (amount is None) == (count is None):
        raise _invalid("Enter the amount you can pay each time, or the number of payments.", "amount",
                       "err_change_amount")
    policy = plan_policy.get(db_session, plan.business_id)
    kept, rest = plan_records.unpaid_rest(plan)
    longest = plans.max_count(plan.frequency, plan.start_date, policy.max_months)
    if rest <= 0:
        raise _invalid("Nothing is left to spread on this plan.", "amount", "err_change_amount")
    if amount is not None:
        if amount < policy.min_installment:
            raise _invalid(f"Each payment must be at least {money.format_usd(policy.min_installment)}.", "amount",
                           "err_change_amount_min", min=policy.min_installment)
        total = plan_records.count_for_amount(plan, amount)
        if total > longest:
            least = money.split(rest, max(1, longest - len(kept)))[-1]
            raise _invalid(f"The plan cannot run longer than {policy.max_months} months: the smallest payment "
                           f"possible is {money.format_usd(least)}.", "amount", "err_change_amount_long",
                           least=least)
        return amount, None
    if isinstance(count, bool) or not isinstance(count, int) or count <= len(kept):
        raise _invalid(f"Choose more than the {len(kept)} payments already made.", "count", "err_change_count",
                       made=len(kept))
    if count > longest:
        raise _invalid(f"The plan cannot have more than {longest} payments.", "count", "err_change_count_long",
                       longest=longest)
    if money.split(rest, count - len(kept))[0] < policy.min_installment:
        raise _invalid(f"Each payment must be at least {money.format_usd(policy.min_installment)}: choose fewer "
                       f"payments.", "count", "err_change_amount_min", min=policy.min_installment)
    return None, count


def _refuse_pending(db_session, plan: PaymentPlan) -> None:
    if db_session.scalar(select(PaymentPlanChangeRequest.id).where(
            PaymentPlanChangeRequest.business_id == plan.business_id, PaymentPlanChangeRequest.plan_id == plan.id,
            PaymentPlanChangeRequest.status == "pending")) is not None:
        raise _pending_conflict()


def _pending_conflict() -> Conflict:
    return Conflict("A change request for this plan is already waiting for a decision.", code="CHANGE_PENDING",
                    extra={"text": "change_pending"})


def withdraw(db_session, account: Account, plan_id, request_id, *, now: dt.datetime, ip: str | None = None,
             user_agent: str | None = None) -> PaymentPlanChangeRequest:
    """The debtor takes back their pending request, audited; the caller commits."""
    plan = debtor_plan(db_session, account, plan_id)
    change = db_session.get(PaymentPlanChangeRequest, _uuid(request_id))
    if change is None or change.plan_id != plan.id or change.business_id != plan.business_id:
        raise NotFound("Change request not found")
    if change.status != "pending":
        raise Conflict(f"This request is {change.status}: it can no longer be withdrawn.",
                       extra={"text": "change_decided"})
    change.status, change.updated_at = "withdrawn", now
    audit.record(db_session, "payment_plan_change_withdrawn", principal=debtor_principal(account), now=now,
                 resource_type="payment_plan", resource_id=plan.id, description=describe(change),
                 meta={"accountId": str(account.id), "requestId": str(change.id), "kind": change.kind},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    return change


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound("Change request not found") from None


# -- staff decide ------------------------------------------------------------------------------------------------
def _decider(principal: Principal) -> None:
    if permissions.scope(principal.role, "plans.approve_changes") != "all":
        raise Forbidden("Only managers and business admins decide plan change requests.")


def approve(db_session, principal: Principal, plan_id, request_id, *, now: dt.datetime, ip: str | None = None,
            user_agent: str | None = None) -> PaymentPlanChangeRequest:
    """Apply the request through plan_records.change (a new schedule version), mark it approved with the version it
    produced, audit, tell the debtor; the caller commits. A request that can no longer be applied as asked (its
    date has passed, say) is a 400 saying so: decline it with a reason."""
    _decider(principal)
    plan = plan_records.get_plan(db_session, principal, plan_id)
    change = get_request(db_session, principal, plan, request_id)
    if change.status != "pending":
        raise Conflict(f"This request is already {change.status}.")
    if plan.status not in OPEN_STATUSES:
        raise Conflict(f"This plan is {plan.status}: it can no longer be changed.")
    account = db_session.get(Account, plan.account_id)
    plan_change, resumes_on = _plan_change(plan, account, change, now)
    try:
        plan = plan_records.change(db_session, principal, plan.id, plan_change, now=now, ip=ip, user_agent=user_agent)
    except ValidationError as exc:
        raise ValidationError(f"This request cannot be applied as asked: {exc.message} Decline it with a reason "
                              f"instead.", field="request") from None
    change = db_session.get(PaymentPlanChangeRequest, change.id)
    change.status, change.decided_by_id, change.decided_at, change.updated_at = "approved", principal.user_id, now, now
    change.plan_version = len(plan.schedule_versions or []) + 1
    change.resumes_on = resumes_on
    audit.record(db_session, "payment_plan_change_approved", principal=principal, now=now,
                 resource_type="payment_plan", resource_id=plan.id, description=describe(change),
                 meta={"accountId": str(plan.account_id), "requestId": str(change.id), "kind": change.kind,
                       "version": change.plan_version,
                       "resumesOn": resumes_on.isoformat() if resumes_on else None},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    _tell_approved(db_session, plan, account, change, now)
    return change


def _plan_change(plan: PaymentPlan, account: Account, change: PaymentPlanChangeRequest,
                 now: dt.datetime) -> tuple[PlanChange, dt.date | None]:
    """The plan_records change a request makes, and (a pause) the day the plan resumes: the pause runs
    `pause_periods` periods from today, and every unpaid payment moves that many periods later (not before the
    resume day)."""
    if change.kind == "date_change":
        return PlanChange(next_payment_date=change.requested_date), None
    if change.kind == "amount_change":
        return PlanChange(installment_amount=change.requested_amount, count=change.requested_count), None
    if plan.status != "active":
        raise Conflict(f"Only an active plan can be paused; this one is {plan.status}.")
    today = installments.local_today(account, now)
    resumes_on = plans.due_date(today, plan.frequency, change.pause_periods)
    unpaid = [r for r in plan.installments if r.status not in plan_records.KEPT_STATUSES]
    if not unpaid:
        raise Conflict("Every installment is paid or being charged: there is nothing to pause.")
    first = min(unpaid, key=lambda r: r.number).due_date
    moved = max(plans.due_date(max(first, today), plan.frequency, change.pause_periods), resumes_on)
    return PlanChange(next_payment_date=moved, status="paused", resume_on=resumes_on), resumes_on


def decline(db_session, principal: Principal, plan_id, request_id, reason: str | None, *, now: dt.datetime,
            ip: str | None = None, user_agent: str | None = None) -> PaymentPlanChangeRequest:
    """Refuse the request with a reason the debtor is told (required), audited; the caller commits."""
    _decider(principal)
    plan = plan_records.get_plan(db_session, principal, plan_id)
    change = get_request(db_session, principal, plan, request_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for declining: the debtor is told it.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason can be at most {MAX_REASON} characters.", field="reason")
    if change.status != "pending":
        raise Conflict(f"This request is already {change.status}.")
    change.status, change.decided_by_id, change.decided_at, change.updated_at = "declined", principal.user_id, now, now
    change.decision_reason = reason
    audit.record(db_session, "payment_plan_change_declined", principal=principal, now=now,
                 resource_type="payment_plan", resource_id=plan.id, description=f"{describe(change)}: {reason}",
                 meta={"accountId": str(plan.account_id), "requestId": str(change.id), "kind": change.kind,
                       "reason": reason}, ip=(ip or None) and ip[:45], user_agent=user_agent)
    account = db_session.get(Account, plan.account_id)
    lang = _lang(account)
    _tell(db_session, account, "declined", {"reason": _sentence(reason)}, subject=TEXTS[lang]["subject_declined"],
          now=now)
    return change


# -- telling people ----------------------------------------------------------------------------------------------
def _notify_staff(db_session, plan: PaymentPlan, account: Account, change: PaymentPlanChangeRequest,
                  now: dt.datetime) -> None:
    """Every active manager and business admin of the business gets a bell notification (kind review)."""
    deciders = db_session.scalars(select(User.id).where(
        User.business_id == plan.business_id, User.role.in_(("business_admin", "manager")),
        User.status == "active", User.deleted_at.is_(None))).all()
    for user_id in deciders:
        notifications.notify(
            db_session, user_id=user_id, business_id=plan.business_id, kind="review",
            title=f"Plan change requested: {account.full_name}",
            body=f"Account {account.account_number}: {describe(change)}. Reason given: {change.reason[:200]}",
            link=f"/accounts/{account.id}?tab=plans", now=now)


def _tell_approved(db_session, plan: PaymentPlan, account: Account, change: PaymentPlanChangeRequest,
                   now: dt.datetime) -> None:
    lang = _lang(account)
    rows = sorted((r for r in plan.installments if r.status == "scheduled"), key=lambda r: r.number)
    if not rows:
        return
    facts = {"amount": money.format_usd(rows[0].amount), "date": _day(rows[0].due_date, lang),
             "count": str(plan.number_of_installments)}
    if change.kind == "amount_change":
        facts["amount"] = money.format_usd(plan.installment_amount)
    if change.resumes_on is not None:
        facts["resume"] = _day(change.resumes_on, lang)
    _tell(db_session, account, f"approved_{change.kind}", facts, subject=TEXTS[lang]["subject_approved"], now=now)


def tell_canceled(db_session, plan: PaymentPlan, reason: str, *, now: dt.datetime) -> None:
    """The debtor is told their plan was canceled and why (plan_records._cancel)."""
    account = db_session.get(Account, plan.account_id)
    lang = _lang(account)
    _tell(db_session, account, "canceled", {"reason": _sentence(reason)}, subject=TEXTS[lang]["subject_canceled"],
          now=now)


def _lang(account: Account) -> str:
    return "es" if (account.preferred_language or "").startswith("es") else "en"


def _day(day: dt.date, lang: str) -> str:
    month = receipts.MONTHS[lang][day.month - 1]
    return f"{month} {day.day}, {day.year}" if lang == "en" else f"{day.day} de {month} de {day.year}"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _tell(db_session, account: Account, text: str, facts: dict, *, subject: str, now: dt.datetime) -> None:
    """One transactional message by email (else text) in the debtor's language, through the gate. A failure here
    never undoes the decision it reports: it is rolled back on its own and logged."""
    from app.services import channels

    channel = receipts.channel_for(account)
    if channel is None:
        return
    business = db_session.get(Business, account.business_id)
    lang = _lang(account)
    body = TEXTS[lang][text].format(business=business.name, **facts)
    try:
        with db_session.begin_nested():
            channels.send(db_session, account=account, channel=channel, now=now, kind="transactional",
                          purpose="collection", sender_type="system", body=body, language=lang,
                          subject=subject if channel == "email" else None, business=business,
                          principal=Principal(business_id=business.id, role="system"))
    except Exception:
        log.exception("account %s: %s message not queued", account.id, text)
