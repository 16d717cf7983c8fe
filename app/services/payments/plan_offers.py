"""The debtor's side of payment plans in the portal (PRD 4.4.3 FR-PAY-022, 9.5): the plans the business's policy
offers them, the plan they choose (one of the three proposals or their own, always inside the policy whatever a
form sends), and paying an installment themselves (FR-PAY-040: the down payment, a failed or missed installment, or
the next one due).

A debtor may only accept what the policy offers (DESIGN.md section 12, plans.create `accept_offered`): the whole
balance, the policy's frequencies, at least its minimum down payment, installments of at least its minimum, no
longer than its maximum, and a start within START_WINDOW. Setting the plan up takes the account's row lock and the
one-open-plan index, as staff plans do (plan_records.create), and is audited with the debtor principal.

Paying an installment claims it (processing, pointing at the new Payment) under the account's lock, so the clock
cannot charge it at the same time; the Payment carries the plan and the installment, and the ledger settles the
installment on success (installments.settle_from_payment) or gives it back its status on a decline
(installments.release_from_payment), whichever path reports the outcome."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

import stripe
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models import Account, Payment, PaymentInstallment, PaymentPlan
from app.services import audit, money
from app.services.auth import permissions
from app.services.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.services.payments import gateway, ledger, one_time, plan_policy, plan_records, plans
from app.services.payments.plan_policy import PlanPolicy
from app.services.portal import debtor_principal

START_WINDOW = dt.timedelta(days=30)
"""How far ahead a debtor may start their own plan: a plan chosen today starts within the month."""
PAYABLE = ("scheduled", "failed", "skipped")
"""Installments a debtor may pay themselves: not yet due or due, declined, or missed."""
MAX_COUNT = 520


@dataclass(frozen=True)
class Offer:
    """The plan a debtor asks for, parsed from the form."""

    count: int
    frequency: str
    down_payment: Decimal
    start: dt.date
    auto_pay: bool = False
    payment_method_id: str | None = None


@dataclass(frozen=True)
class OfferFacts:
    """What the plan page needs to know: the policy, the amount a plan covers, the allowed start dates, and why no
    plan can be offered (`blocked`: a portal text key) or the open plan to go to instead."""

    policy: PlanPolicy
    available: Decimal
    earliest: dt.date
    latest: dt.date
    open_plan: PaymentPlan | None
    blocked: str | None

    @property
    def minimum_down(self) -> Decimal:
        return money.percent_of(self.available, self.policy.min_down_percent)


def facts(db_session, account: Account, now: dt.datetime) -> OfferFacts:
    policy = plan_policy.get(db_session, account.business_id)
    available = one_time.available_amount(db_session, account)
    earliest = plan_records.earliest_start(now)
    open_plan = plan_records.open_plan(db_session, account.id)
    blocked = None
    if open_plan is not None:
        blocked = "plan_open"
    elif account.current_balance <= 0:
        blocked = "nothing_to_pay"
    elif available <= 0:
        blocked = "all_in_flight"
    elif not plans.proposals(policy, available, frequency=policy.frequencies[0], start=earliest) \
            and not _any_plan_fits(policy, available, earliest):
        blocked = "plan_too_small"
    return OfferFacts(policy=policy, available=available, earliest=earliest, latest=earliest + START_WINDOW,
                      open_plan=open_plan, blocked=blocked)


def _any_plan_fits(policy: PlanPolicy, available: Decimal, start: dt.date) -> bool:
    for frequency in policy.frequencies:
        try:
            plans.validate(policy, total=available, down_payment=money.percent_of(available, policy.min_down_percent),
                           count=1, frequency=frequency, start=start, earliest_start=start, balance=available)
            return True
        except ValidationError:
            continue
    return False


def offered(db_session, account: Account, now: dt.datetime) -> bool:
    """Whether the portal offers this debtor a plan now (the pay and account pages' "Pay over time")."""
    return facts(db_session, account, now).blocked is None


def proposals(found: OfferFacts, *, frequency: str, affordable=None) -> list[plans.Proposal]:
    """The policy's three proposals for what the account owes now, starting today (plans.proposals)."""
    return plans.proposals(found.policy, found.available, affordable=affordable, frequency=frequency,
                           start=found.earliest)


# -- reading the form ------------------------------------------------------------------------------------------------
def parse(form: dict) -> Offer:
    """The form's fields (count, frequency, down_payment, start_date, auto_pay, payment_method_id) as an Offer;
    ValidationError naming the form's field, with the portal text key in extra["text"]."""
    raw_count = (form.get("count") or "").strip()
    if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_COUNT:
        raise ValidationError("Enter how many payments, as a whole number.", field="count",
                              extra={"text": "err_plan_count"})
    frequency = (form.get("frequency") or "").strip()
    raw_down = (form.get("down_payment") or "0").strip() or "0"
    try:
        down = one_time.parse_amount(raw_down) if raw_down not in ("0", "0.00", "$0") else Decimal("0.00")
    except ValidationError:
        raise ValidationError("Enter the down payment in dollars and cents.", field="down_payment",
                              extra={"text": "err_plan_down"}) from None
    raw_start = (form.get("start_date") or "").strip()
    try:
        start = dt.date.fromisoformat(raw_start)
    except ValueError:
        raise ValidationError("Choose a start date.", field="start_date", extra={"text": "err_plan_start"}) from None
    auto_pay = form.get("auto_pay") == "card"
    method = (form.get("payment_method_id") or "").strip() or None
    return Offer(count=int(raw_count), frequency=frequency, down_payment=down, start=start, auto_pay=auto_pay,
                 payment_method_id=method if auto_pay else None)


FIELD_OF = {"frequency": "frequency", "numberOfInstallments": "count", "downPayment": "down_payment",
            "startDate": "start_date", "totalAmount": "count"}
"""plans.validate's API field names -> the portal form's."""


def check(found: OfferFacts, offer: Offer) -> list[plans.Installment]:
    """The schedule of the plan, or ValidationError on the form's field: strictly inside the policy, covering the
    whole amount available now, starting from today to START_WINDOW ahead."""
    if offer.frequency not in found.policy.frequencies:
        raise ValidationError("Choose one of the frequencies offered.", field="frequency",
                              extra={"text": "err_plan_frequency"})
    if not found.earliest <= offer.start <= found.latest:
        raise ValidationError("Choose a start date within the next 30 days.", field="start_date",
                              extra={"text": "err_plan_start"})
    try:
        return plans.validate(found.policy, total=found.available, down_payment=offer.down_payment,
                              count=offer.count, frequency=offer.frequency, start=offer.start,
                              earliest_start=found.earliest, balance=found.available, within_policy=True)
    except ValidationError as exc:
        field = FIELD_OF.get(exc.field or "", "count")
        raise ValidationError(exc.message, field=field, extra={"text": _text_key(exc, field), "message": exc.message}) \
            from None


def _text_key(exc: ValidationError, field: str) -> str:
    """The portal's words for plans.validate's refusal (its messages are for staff and the API)."""
    message = exc.message
    if "minimum installment" in message or "Each installment must be" in message or "would be less than" in message:
        return "err_plan_too_small"
    if field == "down_payment":
        return "err_plan_down_min" if "asks at least" in message else "err_plan_down_range"
    if field == "count":
        return "err_plan_too_long"
    if field == "frequency":
        return "err_plan_frequency"
    return "err_plan_start"


# -- accepting -------------------------------------------------------------------------------------------------------
def accept(db_session, account: Account, offer: Offer, *, now: dt.datetime, ip: str | None = None,
           user_agent: str | None = None) -> PaymentPlan:
    """The debtor's chosen plan, pending until they sign its agreement (and its down payment succeeds), audited
    with the debtor principal; the caller commits. Raises ValidationError (form field), Conflict ACTIVE_PLAN, or
    DomainError PAYMENT_FAILED when the auto-pay card is declined."""
    principal = debtor_principal(account)
    if permissions.require(principal.role, "plans.create") != "accept_offered":
        raise Forbidden("Only a debtor accepts an offered plan here.")
    found = facts(db_session, account, now)
    plan_records.refuse_open(found.open_plan)
    check(found, offer)
    customer_id = _verify_card(db_session, account, offer) if offer.auto_pay else None
    # Stripe has answered: now the account's lock, and every check again under it.
    locked = ledger.lock_account(db_session, account.id)
    try:
        found = facts(db_session, locked, now)
        plan_records.refuse_open(found.open_plan)
        rows = check(found, offer)
    except DomainError:
        db_session.rollback()
        raise
    regular = [row for row in rows if row.number > 0]
    plan = PaymentPlan(
        id=uuid.uuid4(), business_id=locked.business_id, account_id=locked.id, total_amount=found.available,
        down_payment=offer.down_payment, installment_amount=regular[0].amount, number_of_installments=len(regular),
        frequency=offer.frequency, start_date=offer.start, next_payment_date=rows[0].due_date, status="pending",
        auto_pay_enabled=offer.auto_pay, stripe_payment_method_id=offer.payment_method_id if offer.auto_pay else None,
        stripe_customer_id=customer_id, created_by_id=None, schedule_versions=[], created_at=now, updated_at=now)
    plan_records.insert(db_session, plan, rows, now)
    down = f"{money.format_usd(plan.down_payment)} down, " if plan.down_payment > 0 else ""
    audit.record(db_session, "payment_plan_created", principal=principal, now=now, resource_type="payment_plan",
                 resource_id=plan.id,
                 description=f"{money.format_usd(plan.total_amount)} plan chosen in the portal: {down}"
                             f"{plan.number_of_installments} {plan.frequency} installments of "
                             f"{money.format_usd(plan.installment_amount)}",
                 meta={"accountId": str(plan.account_id), "totalAmount": str(plan.total_amount),
                       "downPayment": str(plan.down_payment), "numberOfInstallments": plan.number_of_installments,
                       "frequency": plan.frequency, "startDate": plan.start_date.isoformat(),
                       "autoPayEnabled": plan.auto_pay_enabled, "withinPolicy": True, "channel": "portal"},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    return plan


def _verify_card(db_session, account: Account, offer: Offer) -> str:
    """The Stripe customer holding the card saved for auto-pay (attaching is where Stripe declines a bad card).
    Before any lock: ensure_customer commits, and no Stripe call holds the account's row."""
    if not offer.payment_method_id:
        raise ValidationError("Enter your card for automatic payments.", field="auto_pay",
                              extra={"text": "err_plan_card"})
    try:
        customer_id = gateway.ensure_customer(db_session, account)
        gateway.usable_payment_method(customer_id, offer.payment_method_id, method="card")
    except (gateway.PaymentMethodUnusable, stripe.InvalidRequestError):
        raise ValidationError(one_time.UNUSABLE, field="auto_pay", extra={"text": "err_plan_card"}) from None
    except stripe.CardError as exc:
        raise DomainError(exc.user_message or "The card was declined.", code="PAYMENT_FAILED", status=402,
                          field="auto_pay", extra={"text": "err_plan_card_declined"}) from None
    except stripe.StripeError:
        raise DomainError(plan_records.UNAVAILABLE, code="PAYMENT_FAILED", status=402, field="auto_pay",
                          extra={"text": "pay_offline"}) from None
    return customer_id


# -- paying an installment now ---------------------------------------------------------------------------------------
def account_plan(db_session, account: Account, plan_id) -> PaymentPlan:
    """One of this account's plans; another account's (or business's) is NotFound like a missing one."""
    try:
        key = plan_id if isinstance(plan_id, uuid.UUID) else uuid.UUID(str(plan_id))
    except (TypeError, ValueError):
        raise NotFound("Payment plan not found") from None
    plan = db_session.scalars(select(PaymentPlan).where(
        PaymentPlan.id == key, PaymentPlan.account_id == account.id,
        PaymentPlan.business_id == account.business_id)).one_or_none()
    if plan is None:
        raise NotFound("Payment plan not found")
    return plan


def account_installment(db_session, account: Account, installment_id) -> PaymentInstallment:
    """An installment of one of this account's plans; anything else is NotFound."""
    try:
        key = installment_id if isinstance(installment_id, uuid.UUID) else uuid.UUID(str(installment_id))
    except (TypeError, ValueError):
        raise NotFound("Installment not found") from None
    row = db_session.execute(select(PaymentInstallment).join(
        PaymentPlan, PaymentPlan.id == PaymentInstallment.payment_plan_id).where(
        PaymentInstallment.id == key, PaymentPlan.account_id == account.id,
        PaymentPlan.business_id == account.business_id)).scalar_one_or_none()
    if row is None:
        raise NotFound("Installment not found")
    return row


def payable(plan: PaymentPlan, installment: PaymentInstallment) -> bool:
    return plan.status in plan_records.OPEN_STATUSES and installment.status in PAYABLE


def next_to_pay(db_session, plan: PaymentPlan) -> PaymentInstallment | None:
    """What "Pay now" pays on an open plan: the down payment while unpaid, else the oldest declined or missed
    installment, else the next one due; None when nothing can be paid now."""
    if plan.status not in plan_records.OPEN_STATUSES:
        return None
    rows = db_session.scalars(select(PaymentInstallment).where(
        PaymentInstallment.payment_plan_id == plan.id).order_by(PaymentInstallment.number)).all()
    down = next((r for r in rows if r.number == 0 and r.status in PAYABLE), None)
    if down is not None:
        return down
    behind = [r for r in rows if r.status in ("failed", "skipped")]
    if behind:
        return behind[0]
    return next((r for r in rows if r.status == "scheduled"), None)


def pay_installment(db_session, account: Account, installment_id, *, payment_method_id: str, now: dt.datetime,
                    ip: str | None = None, user_agent: str | None = None) -> one_time.PaymentResult:
    """Charge one installment on-session to the card the debtor just entered (or the plan's card), once: the same
    card sent twice for the same installment finds the payment the first request made. Commits as it goes.
    Raises NotFound (not this account's), Conflict (not payable now, or being charged), ValidationError."""
    if not isinstance(payment_method_id, str) or not payment_method_id.strip() or len(payment_method_id) > 180:
        raise ValidationError("A payment method is required.", field="paymentMethodId")
    method_id = payment_method_id.strip()
    installment = account_installment(db_session, account, installment_id)
    tries = db_session.scalars(select(Payment).where(
        Payment.account_id == account.id, Payment.installment_id == installment.id,
        Payment.idempotency_key.like(f"{one_time.ON_SESSION_PREFIX}%:{installment.id}:{method_id}:%"))
        .order_by(Payment.created_at.desc())).all()
    if tries and tries[0].status != "failed":
        return one_time.complete(db_session, tries[0].id, now=now)
    payment = _claim(db_session, account, installment.id, method_id, attempt=len(tries) + 1, now=now, ip=ip,
                     user_agent=user_agent)
    return one_time.charge_reserved(db_session, payment, method_id, now)


def _claim(db_session, account: Account, installment_id, method_id: str, *, attempt: int, now: dt.datetime, ip,
           user_agent) -> Payment:
    """Under the account's lock: the installment moved to processing for a new pending Payment, both committed
    before Stripe hears of it (one_time's order), so the clock's claim (a conditional UPDATE from scheduled or
    failed) cannot take it, nor a second request."""
    locked = ledger.lock_account(db_session, account.id)
    installment = db_session.scalars(select(PaymentInstallment).where(PaymentInstallment.id == installment_id)
                                     .execution_options(populate_existing=True)).one()
    plan = db_session.scalars(select(PaymentPlan).where(PaymentPlan.id == installment.payment_plan_id)
                              .execution_options(populate_existing=True)).one()
    try:
        if not payable(plan, installment):
            raise Conflict("This payment is already paid or being processed.", code="NOT_PAYABLE",
                           extra={"text": "installment_not_payable"})
        available = one_time.available_amount(db_session, locked)
        if installment.amount > available:
            raise Conflict("Another payment on this account is still being processed.", code="NOT_PAYABLE",
                           extra={"text": "all_in_flight"})
    except Conflict:
        db_session.rollback()
        raise
    previous = installment.status
    payment = Payment(id=uuid.uuid4(), business_id=plan.business_id, account_id=locked.id, payment_plan_id=plan.id,
                      installment_id=installment.id, amount=installment.amount, currency="USD",
                      payment_method="card", status="pending", stripe_customer_id=locked.stripe_customer_id,
                      idempotency_key=f"{one_time.ON_SESSION_PREFIX}{previous}:{installment.id}:{method_id}:{attempt}",
                      description=_description(installment, locked), payer_ip=(ip or None) and ip[:45],
                      payer_user_agent=user_agent, created_at=now, updated_at=now)
    db_session.add(payment)
    try:
        db_session.flush()
    except IntegrityError:  # the same card's request for this installment, a moment earlier
        db_session.rollback()
        raise Conflict("This payment is already being processed.", code="NOT_PAYABLE",
                       extra={"text": "installment_not_payable"}) from None
    taken = db_session.execute(
        update(PaymentInstallment).where(PaymentInstallment.id == installment.id,
                                         PaymentInstallment.status == previous)
        .values(status="processing", payment_id=payment.id, last_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        db_session.rollback()
        raise Conflict("This payment is already being processed.", code="NOT_PAYABLE",
                       extra={"text": "installment_not_payable"})
    db_session.commit()
    return payment


def _description(installment: PaymentInstallment, account: Account) -> str:
    what = "Down payment" if installment.number == 0 else f"Installment {installment.number}"
    return f"{what} of the payment plan on account {account.account_number}, paid in the portal"


def charge_down_payment(db_session, plan: PaymentPlan, *, now: dt.datetime, ip: str | None = None,
                        user_agent: str | None = None) -> one_time.PaymentResult | None:
    """Just after signing, with auto-pay on: the down payment charged at once to the plan's card, on-session (the
    debtor is on the page). None when there is nothing to charge this way (no auto-pay, no down payment, or it is
    paid or being charged); a decline leaves it to pay from the signed page."""
    if plan.status != "pending" or not plan.auto_pay_enabled or not plan.stripe_payment_method_id:
        return None
    down = db_session.scalars(select(PaymentInstallment).where(
        PaymentInstallment.payment_plan_id == plan.id, PaymentInstallment.number == 0)).first()
    if down is None or down.amount <= 0 or down.status != "scheduled":
        return None
    account = db_session.get(Account, plan.account_id)
    try:
        result = pay_installment(db_session, account, down.id, payment_method_id=plan.stripe_payment_method_id,
                                 now=now, ip=ip, user_agent=user_agent)
    except Conflict:
        return None
    if result.status == "requires_action":
        # The bank wants the debtor to approve it, which only the pay page's Stripe.js can ask: withdrawn here, so
        # the signed page offers that page for the down payment.
        one_time._cancel_quietly(result.payment.stripe_payment_intent_id)
        ledger.mark_failed(db_session, result.payment, reason="The card needs you to approve this payment with "
                           "your bank.", code="authentication_required", now=now)
        db_session.commit()
        db_session.refresh(result.payment)
        result = one_time.result_of(result.payment)
    return result
