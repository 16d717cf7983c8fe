"""Enforcing payment plans (PRD 4.4.3 FR-PAY-023, 4.4.5 FR-PAY-040): auto-pay charges on due dates, retries of a
failed charge, reminders, missed installments and defaulted plans. The clock calls the scanners below every few
seconds; the database says what is due, nothing is scheduled months ahead.

An installment's life: `scheduled` -> `processing` (claimed by a conditional UPDATE, so two clock passes never both
take it) -> `paid`, or `failed` with `next_retry_at` (retries on days 1, 3 and 5 after the first failure; after the
last one `next_retry_at` is empty). An installment still unpaid when its 5-day grace period is over is missed:
`skipped`, counted in the plan's `missed_count`; the second miss defaults the plan and cancels what is left.

One charge is one Payment row, committed (and pointed at by the installment) before Stripe hears of it; its
PaymentIntent is created unconfirmed, its id committed, then confirmed off-session. A job run twice, or a clock that
re-enqueues an installment whose job was lost, finds that Payment and finishes it from Stripe's state: the claim and
the Payment row decide, so nothing is charged twice. A failure that charged nothing because Stripe could not be
reached is not an attempt: the installment goes back to wait a little and is tried again.

Every message to the debtor is `transactional` (COMPLIANCE.md D-16) and goes through channels.send; due dates are
days in the debtor's zone."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import stripe
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm.attributes import flag_modified

from app.models import Account, Business, Payment, PaymentInstallment, PaymentPlan, User
from app.services import audit, money, notifications, webhooks
from app.services.payments import gateway, ledger, one_time, receipts
from app.services.payments.ledger import IN_FLIGHT, SETTLED
from app.services.tenancy import Principal
from app.services.timezones import candidate_zones, is_valid_zone

log = logging.getLogger(__name__)

REMINDER_DAYS = 3
"""Reminders go out this many days before a due date (FR-PAY-023)."""
GRACE_DAYS = 5
"""An installment unpaid this many days after its due date is missed the day after."""
RETRY_DAYS = (1, 3, 5)
"""A failed charge is tried again this many days after the first failure (3 retries over 5 days, FR-PAY-040)."""
MISSES_TO_DEFAULT = 2
OUTAGE_BACKOFF = dt.timedelta(minutes=15)
"""Stripe did not answer and nothing was charged: wait this long before trying again (not an attempt)."""
STUCK_AFTER = dt.timedelta(minutes=5)
"""An installment `processing` with a payment this long untouched is looked at again (its job was lost)."""
AHEAD = dt.timedelta(hours=14)
"""No zone is further ahead of UTC: no installment is due anywhere before (now + AHEAD)'s date."""
BATCH = 200
CLAIM_BATCH = 1000
"""Installments claimed per statement: one UPDATE and one commit for each batch."""
NOT_ATTEMPTED = frozenset({"not_started", "processor_unavailable"})
"""Failure codes of payments that never reached the card (one_time.reconcile_stale, _charge_intent below)."""
OPEN = ("scheduled", "processing", "failed")
UNAVAILABLE = "The card processor did not answer. Nothing was charged."
NEEDS_AUTHENTICATION = "The card needs you to approve this payment with your bank."

TEXTS = {
    "en": {
        "auto_reminder": "{business}: a reminder that {amount} for your payment plan will be paid automatically "
                         "with your card on file on {date}.",
        "reminder": "{business}: your payment plan installment of {amount} is due on {date}. Pay here: {url}",
        "failed_retry": "{business}: the {amount} payment for your payment plan did not go through on your card. "
                        "We will try again on {date}. To pay now: {url}",
        "failed_last": "{business}: the {amount} payment for your payment plan did not go through on your card. "
                       "We will not try this card again. To pay now: {url}",
        "defaulted": "{business}: your payment plan has ended because two payments were missed. {balance} is still "
                     "owed. To pay or talk with us: {url}",
        "subject_reminder": "Your payment plan: {amount} due {date}",
        "subject_failed": "Your payment plan: a payment did not go through",
        "subject_defaulted": "Your payment plan has ended",
    },
    "es": {
        "auto_reminder": "{business}: le recordamos que el {date} cobraremos {amount} a su tarjeta registrada para "
                         "su plan de pagos.",
        "reminder": "{business}: la cuota de {amount} de su plan de pagos vence el {date}. Pague aquí: {url}",
        "failed_retry": "{business}: no pudimos cobrar {amount} a su tarjeta para su plan de pagos. "
                        "Lo intentaremos de nuevo el {date}. Para pagar ahora: {url}",
        "failed_last": "{business}: no pudimos cobrar {amount} a su tarjeta para su plan de pagos. "
                       "No volveremos a intentar con esta tarjeta. Para pagar ahora: {url}",
        "defaulted": "{business}: su plan de pagos terminó porque no se hicieron dos pagos. Aún se deben "
                     "{balance}. Para pagar o hablar con nosotros: {url}",
        "subject_reminder": "Su plan de pagos: {amount} vence el {date}",
        "subject_failed": "Su plan de pagos: un pago no se realizó",
        "subject_defaulted": "Su plan de pagos terminó",
    },
}


# -- days in the debtor's zone ---------------------------------------------------------------------------------------
def local_today(account: Account, now: dt.datetime) -> dt.date:
    """Today for the debtor: in the account's zone, or (zone unknown) the earliest date among the zones their
    address and phones allow (every US zone when nothing is known), so nothing falls due early anywhere."""
    return _local_today(account.timezone, account.state, account.zip, account.phone, account.phone_secondary, now)


def _local_today(zone, state, zip_code, phone, phone_secondary, now: dt.datetime) -> dt.date:
    if is_valid_zone(zone):
        zones = (zone,)
    else:
        zones = candidate_zones(state=state, zip_code=zip_code,
                                phones=[p for p in (phone, phone_secondary) if p]).effective_zones()
    return min(now.astimezone(ZoneInfo(name)).date() for name in zones)


def _horizon(now: dt.datetime) -> dt.date:
    return (now.astimezone(dt.timezone.utc) + AHEAD).date()


# -- due charges: claim, then one job each ---------------------------------------------------------------------------
def claim_due(db_session, now: dt.datetime, *, limit: int | None = None) -> list[uuid.UUID]:
    """Installments of active auto-pay plans due today in the debtor's zone (or whose retry time has come), moved
    scheduled/failed -> processing by one conditional UPDATE and committed: the ids this pass claimed. The UPDATE
    repeats the conditions, so an installment another pass claimed (or a payment settled) in between is not taken."""
    retry_ready = or_(PaymentInstallment.next_retry_at.is_(None), PaymentInstallment.next_retry_at <= now)
    claimable = or_(and_(PaymentInstallment.status == "scheduled", retry_ready),
                    and_(PaymentInstallment.status == "failed", PaymentInstallment.next_retry_at.is_not(None),
                         PaymentInstallment.next_retry_at <= now))
    rows = db_session.execute(
        select(PaymentInstallment.id, PaymentInstallment.status, PaymentInstallment.due_date, Account.timezone,
               Account.state, Account.zip, Account.phone, Account.phone_secondary)
        .join(PaymentPlan, PaymentPlan.id == PaymentInstallment.payment_plan_id)
        .join(Account, Account.id == PaymentPlan.account_id)
        .where(PaymentPlan.status == "active", PaymentPlan.auto_pay_enabled.is_(True),
               PaymentPlan.stripe_payment_method_id.is_not(None), Account.deleted_at.is_(None),
               or_(and_(PaymentInstallment.status == "scheduled", PaymentInstallment.due_date <= _horizon(now),
                        retry_ready),
                   and_(PaymentInstallment.status == "failed", PaymentInstallment.next_retry_at.is_not(None),
                        PaymentInstallment.next_retry_at <= now)))
        .order_by(PaymentInstallment.due_date, PaymentInstallment.number).limit(limit or CLAIM_BATCH)).all()
    ready = [row.id for row in rows
             if row.status != "scheduled" or row.due_date <= _local_today(row.timezone, row.state, row.zip,
                                                                           row.phone, row.phone_secondary, now)]
    if not ready:
        db_session.commit()
        return []
    claimed = list(db_session.scalars(
        update(PaymentInstallment).where(PaymentInstallment.id.in_(ready), claimable)
        .values(status="processing", payment_id=None, last_attempt_at=now, updated_at=now)
        .returning(PaymentInstallment.id).execution_options(synchronize_session=False)))
    db_session.commit()
    return claimed


def waiting_charges(db_session, now: dt.datetime, *, limit: int = BATCH) -> list[uuid.UUID]:
    """Claimed installments that need their job (again): no Payment yet (the pass that claimed them may have
    stopped before enqueueing), or a Payment untouched for STUCK_AFTER (a lost job, or a webhook that settled the
    payment). The job is idempotent, so enqueueing one twice costs a lookup, never a charge."""
    return list(db_session.scalars(select(PaymentInstallment.id).where(
        PaymentInstallment.status == "processing",
        or_(PaymentInstallment.payment_id.is_(None), PaymentInstallment.updated_at <= now - STUCK_AFTER))
        .order_by(PaymentInstallment.updated_at).limit(limit)))


def job_key(installment_id) -> str:
    return f"installment-charge:{installment_id}"


# -- the charge job --------------------------------------------------------------------------------------------------
def charge(db_session, installment_id, *, now: dt.datetime) -> str:
    """Charge one claimed installment, or finish the charge an earlier run started; commits. What happened:
    paid, failed, retry_later (nothing charged), processing (Stripe has not decided), released (the plan no longer
    charges automatically), nothing_owed, or nothing (not claimed: already done)."""
    key = installment_id if isinstance(installment_id, uuid.UUID) else uuid.UUID(str(installment_id))
    installment = db_session.get(PaymentInstallment, key)
    if installment is None or installment.status != "processing":
        return "nothing"
    if installment.payment_id is None:
        started = _start_attempt(db_session, installment, now)
        if started is not None:
            return started
    payment = db_session.get(Payment, installment.payment_id)
    if on_session(payment):
        return _follow_on_session(db_session, installment, payment, now)
    if payment.status in SETTLED or payment.status == "failed":
        return _settle(db_session, installment, payment, now)
    if payment.stripe_payment_intent_id:  # an earlier run got this far: Stripe's state decides
        try:
            intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        except stripe.StripeError as exc:
            log.warning("installment %s: PaymentIntent not retrieved: %s", installment.id, exc)
            _touch(db_session, installment, now)
            return "processing"
        return _apply(db_session, installment, payment, intent, now)
    return _charge_intent(db_session, installment, payment, now)


def on_session(payment: Payment) -> bool:
    """A payment the debtor made in the portal for this installment (plan_offers.pay_installment), not the clock's."""
    return bool(payment.idempotency_key and payment.idempotency_key.startswith(one_time.ON_SESSION_PREFIX))


def _follow_on_session(db_session, installment: PaymentInstallment, payment: Payment, now: dt.datetime) -> str:
    """The debtor's own payment is finished by the portal's answer, the webhook or one_time.reconcile_stale, never
    charged off-session here (it may be another card, or waiting for the debtor's 3-D Secure step). Its outcome
    is applied by the ledger; this only reports it, or waits."""
    db_session.refresh(installment)
    if installment.status == "paid" and installment.payment_id == payment.id:
        db_session.commit()
        return "paid"
    if installment.status != "processing" or installment.payment_id != payment.id:
        db_session.commit()
        return "nothing"
    _touch(db_session, installment, now)
    return "processing"


def settle_from_payment(db_session, payment: Payment, account: Account, now: dt.datetime) -> bool:
    """A plan payment that just succeeded (ledger.apply_success, under the account's lock): its installment paid
    once, the plan's counters, and a pending plan activated when it was waiting for this down payment. A success
    Stripe reports after the attempt was given up still pays the installment it was for, unless that was paid or
    charged again since. True when this call settled the installment."""
    installment = db_session.get(PaymentInstallment, payment.installment_id)
    if installment is None or installment.payment_id != payment.id:
        return False
    settled = _settle_paid(db_session, installment, payment, account, now,
                           statuses=("processing", "scheduled", "failed", "skipped"))
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    if plan is not None and plan.status == "pending":
        from app.services.payments import agreements

        agreements.activate_if_ready(db_session, plan, now)
    return settled


def release_from_payment(db_session, payment: Payment, now: dt.datetime) -> bool:
    """The debtor's own payment of an installment failed (ledger.mark_failed): the installment goes back to the
    status it had, with its auto-pay attempts and retry dates untouched (a decline in the portal is not one of the
    clock's retries). The clock's own charges are settled by _settle_failed instead. True when it went back."""
    if not on_session(payment):
        return False
    previous = payment.idempotency_key.split(":")[1]
    if previous not in ("scheduled", "failed", "skipped"):
        return False
    released = db_session.execute(
        update(PaymentInstallment).where(PaymentInstallment.id == payment.installment_id,
                                         PaymentInstallment.status == "processing",
                                         PaymentInstallment.payment_id == payment.id)
        .values(status=previous, updated_at=now).execution_options(synchronize_session=False)).rowcount
    return bool(released)


def _start_attempt(db_session, installment: PaymentInstallment, now: dt.datetime) -> str | None:
    """The attempt's Payment row, committed and linked under the account's lock (a second run waits, then finds
    it). None when there is a payment to charge; otherwise what happened instead."""
    account = ledger.lock_account(db_session, installment.plan.account_id)
    db_session.refresh(installment)
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    db_session.refresh(plan)
    if installment.status != "processing":
        db_session.commit()
        return "nothing"
    if installment.payment_id is not None:
        db_session.commit()
        return None
    if plan.status != "active" or not plan.auto_pay_enabled or not plan.stripe_payment_method_id:
        installment.status = "failed" if installment.attempts else "scheduled"
        _stamp(installment, now)
        db_session.commit()
        return "released"
    if account.current_balance <= 0:
        _nothing_owed(db_session, plan, installment, now)
        db_session.commit()
        return "nothing_owed"
    available = one_time.available_amount(db_session, account)
    if available <= 0:
        # Another payment in flight covers the rest: wait for its outcome rather than charge past the balance.
        installment.status = "failed" if installment.attempts else "scheduled"
        installment.next_retry_at = now + OUTAGE_BACKOFF
        _stamp(installment, now)
        db_session.commit()
        return "retry_later"
    payment = Payment(id=uuid.uuid4(), business_id=plan.business_id, account_id=account.id,
                      payment_plan_id=plan.id, installment_id=installment.id,
                      amount=min(installment.amount, available), currency="USD", payment_method="card",
                      status="pending", stripe_customer_id=plan.stripe_customer_id or account.stripe_customer_id,
                      description=_description(installment, account), created_at=now, updated_at=now)
    db_session.add(payment)
    db_session.flush()
    installment.payment_id = payment.id
    _stamp(installment, now)
    db_session.commit()
    return None


def _description(installment: PaymentInstallment, account: Account) -> str:
    what = "Down payment" if installment.number == 0 else f"Installment {installment.number}"
    return f"{what} of the payment plan on account {account.account_number}"


def _charge_intent(db_session, installment: PaymentInstallment, payment: Payment, now: dt.datetime) -> str:
    """Create the PaymentIntent, store its id (committed), then confirm it off-session."""
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    customer_id = payment.stripe_customer_id
    try:
        if not customer_id:
            raise gateway.PaymentMethodUnusable("No Stripe customer holds the plan's card.")
        intent = gateway.create_off_session_intent(
            amount_cents=money.to_cents(payment.amount), customer_id=customer_id,
            payment_method_id=plan.stripe_payment_method_id, payment_id=payment.id, installment_id=installment.id,
            account_id=payment.account_id, business_id=payment.business_id)
    except stripe.CardError as exc:
        return _fail(db_session, installment, payment, exc.user_message or "The card was declined.",
                     _card_code(exc), now)
    except (gateway.PaymentMethodUnusable, stripe.InvalidRequestError) as exc:
        log.warning("installment %s: the plan's card cannot be charged: %s", installment.id, exc)
        return _fail(db_session, installment, payment, "The card on file can no longer be charged.",
                     getattr(exc, "code", None) or "payment_method_unusable", now)
    except stripe.StripeError as exc:
        log.warning("installment %s: Stripe unavailable before the PaymentIntent: %s", installment.id, exc)
        return _fail(db_session, installment, payment, UNAVAILABLE, "processor_unavailable", now)
    stored = db_session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "pending",
                              Payment.stripe_payment_intent_id.is_(None))
        .values(stripe_payment_intent_id=intent.id, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db_session.commit()
    db_session.refresh(payment)
    if not stored:
        # Another run stored its PaymentIntent first, or the payment was given up meanwhile: withdraw this one.
        _cancel_quietly(intent.id)
        return charge(db_session, installment.id, now=now)
    return _confirm(db_session, installment, payment, now)


def _confirm(db_session, installment: PaymentInstallment, payment: Payment, now: dt.datetime) -> str:
    try:
        intent = gateway.confirm_off_session(payment.stripe_payment_intent_id)
    except stripe.CardError as exc:
        return _fail(db_session, installment, payment, exc.user_message or "The card was declined.",
                     _card_code(exc), now)
    except stripe.StripeError as exc:
        # A lost answer, or another run confirmed first: what Stripe holds decides.
        log.warning("installment %s: confirm did not answer cleanly: %s", installment.id, exc)
        try:
            intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        except stripe.StripeError:
            _touch(db_session, installment, now)
            return "processing"
        if intent.status == "requires_confirmation":
            _touch(db_session, installment, now)
            return "processing"
    return _apply(db_session, installment, payment, intent, now)


def _apply(db_session, installment: PaymentInstallment, payment: Payment, intent, now: dt.datetime) -> str:
    """The PaymentIntent's state, applied to the payment and the installment, committed."""
    status = intent.status
    if status == "succeeded":
        details = gateway.charge_details(intent)
        ledger.apply_success(db_session, payment, now=now, charge_id=details.charge_id,
                             receipt_url=details.receipt_url, method=details.method)
        return _settle(db_session, installment, payment, now)
    if status == "requires_confirmation":
        return _confirm(db_session, installment, payment, now)
    if status in ("processing", "requires_capture"):
        db_session.execute(update(Payment).where(Payment.id == payment.id, Payment.status.in_(IN_FLIGHT))
                           .values(status="processing", updated_at=now).execution_options(synchronize_session=False))
        _touch(db_session, installment, now)
        return "processing"
    if status == "requires_action":
        # Off-session, the debtor is not there to authenticate: the charge fails and the notice asks them to pay.
        _cancel_quietly(intent.id)
        return _fail(db_session, installment, payment, NEEDS_AUTHENTICATION, "authentication_required", now)
    if status == "canceled":
        return _fail(db_session, installment, payment, "The payment was canceled.", "canceled", now)
    code, message = gateway.failure(intent)
    return _fail(db_session, installment, payment, message, code, now)


def _fail(db_session, installment, payment: Payment, reason: str, code: str | None, now: dt.datetime) -> str:
    ledger.mark_failed(db_session, payment, reason=reason, code=code, now=now)
    return _settle(db_session, installment, payment, now)


def _touch(db_session, installment: PaymentInstallment, now: dt.datetime) -> None:
    """Still undecided: looked at again STUCK_AFTER from now."""
    _stamp(installment, now)
    db_session.commit()


def _stamp(row, now: dt.datetime) -> None:
    """updated_at from our clock, written even when it equals the loaded value (else the column's own default,
    the wall clock, would be written with the other changes)."""
    row.updated_at = now
    flag_modified(row, "updated_at")


def _card_code(exc: stripe.StripeError) -> str | None:
    error = getattr(exc, "error", None)
    return getattr(error, "decline_code", None) or exc.code


def _cancel_quietly(intent_id: str) -> None:
    try:
        gateway.cancel_payment_intent(intent_id)
    except stripe.StripeError as exc:
        log.warning("PaymentIntent %s could not be canceled: %s", intent_id, exc)


# -- settling an attempt ---------------------------------------------------------------------------------------------
def _settle(db_session, installment: PaymentInstallment, payment: Payment, now: dt.datetime) -> str:
    """The installment follows its payment (succeeded or failed), once: a conditional UPDATE from `processing` for
    this payment decides which run does it. Commits."""
    account = ledger.lock_account(db_session, payment.account_id)
    db_session.refresh(payment)
    if payment.status in SETTLED:
        done = _settle_paid(db_session, installment, payment, account, now)
        outcome = "paid"
    elif payment.status == "failed":
        done = _settle_failed(db_session, installment, payment, account, now)
        outcome = "retry_later" if payment.failure_code in NOT_ATTEMPTED else "failed"
    else:
        db_session.commit()
        return "processing"
    db_session.commit()
    if not done and outcome == "paid" and installment.status == "paid" and installment.payment_id == payment.id:
        return "paid"  # the ledger settled it with the success itself (ledger.apply_success)
    return outcome if done else "nothing"


def _claim_result(db_session, installment: PaymentInstallment, payment: Payment, *,
                  statuses: tuple[str, ...] = ("processing",), **values) -> bool:
    changed = db_session.execute(
        update(PaymentInstallment).where(PaymentInstallment.id == installment.id,
                                         PaymentInstallment.status.in_(statuses),
                                         PaymentInstallment.payment_id == payment.id)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db_session.refresh(installment)
    return bool(changed)


def _settle_paid(db_session, installment, payment: Payment, account: Account, now: dt.datetime, *,
                 statuses: tuple[str, ...] = ("processing",)) -> bool:
    paid_at = payment.succeeded_at or now
    if not _claim_result(db_session, installment, payment, statuses=statuses, status="paid", paid_at=paid_at,
                         next_retry_at=None, attempts=PaymentInstallment.attempts + 1, updated_at=now):
        return False
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    db_session.refresh(plan)
    plan.payments_made += 1
    plan.amount_paid += payment.amount
    _stamp(plan, now)
    _next_date(db_session, plan)
    if account.status == "payment_failed":
        account.status = "active"  # the plan is being paid again
        _stamp(account, now)
    rows = _rows(db_session, plan)
    if plan.status == "active" and all(r.status in ("paid", "canceled") for r in rows):
        plan.status, plan.completed_at = "completed", now
        audit.record(db_session, "payment_plan_completed", now=now, business_id=plan.business_id,
                     resource_type="payment_plan", resource_id=plan.id, description="Every installment is paid",
                     meta={"accountId": str(plan.account_id), "amountPaid": str(plan.amount_paid)})
    return True


def _settle_failed(db_session, installment, payment: Payment, account: Account, now: dt.datetime) -> bool:
    if payment.failure_code in NOT_ATTEMPTED:
        return _claim_result(db_session, installment, payment,
                             status="failed" if installment.attempts else "scheduled",
                             next_retry_at=now + OUTAGE_BACKOFF, updated_at=now)
    attempts = installment.attempts + 1
    first = db_session.scalar(select(func.min(Payment.created_at)).where(
        Payment.installment_id == installment.id, Payment.status == "failed",
        or_(Payment.failure_code.is_(None), Payment.failure_code.not_in(NOT_ATTEMPTED)))) or payment.created_at
    first = first if first.tzinfo else first.replace(tzinfo=dt.timezone.utc)
    retry = first + dt.timedelta(days=RETRY_DAYS[attempts - 1]) if attempts <= len(RETRY_DAYS) else None
    if not _claim_result(db_session, installment, payment, status="failed", attempts=attempts, next_retry_at=retry,
                         updated_at=now):
        return False
    if account.status in ("active", "in_payment_plan"):
        account.status = "payment_failed"
        _stamp(account, now)
    audit.record(db_session, "installment_charge_failed", now=now, business_id=payment.business_id,
                 resource_type="payment_plan", resource_id=installment.payment_plan_id,
                 description=f"{money.format_usd(payment.amount)} installment charge failed: {payment.failure_reason}",
                 meta={"accountId": str(account.id), "installmentNumber": installment.number, "attempt": attempts,
                       "paymentId": str(payment.id), "nextRetryAt": retry.isoformat() if retry else None})
    _notify_failure(db_session, account, payment, retry, now)
    return True


def _rows(db_session, plan: PaymentPlan) -> list[PaymentInstallment]:
    return list(db_session.scalars(select(PaymentInstallment).where(PaymentInstallment.payment_plan_id == plan.id)
                                   .order_by(PaymentInstallment.number).execution_options(populate_existing=True)))


def _next_date(db_session, plan: PaymentPlan) -> None:
    plan.next_payment_date = db_session.scalar(select(func.min(PaymentInstallment.due_date)).where(
        PaymentInstallment.payment_plan_id == plan.id, PaymentInstallment.status.in_(OPEN)))


def _nothing_owed(db_session, plan: PaymentPlan, installment: PaymentInstallment, now: dt.datetime) -> None:
    """The balance was paid some other way: nothing more is charged, and the plan is over (an installment whose
    charge is in flight elsewhere is left to finish)."""
    db_session.execute(update(PaymentInstallment).where(
        PaymentInstallment.payment_plan_id == plan.id,
        or_(PaymentInstallment.status.in_(("scheduled", "failed")), PaymentInstallment.id == installment.id))
        .values(status="canceled", next_retry_at=None, updated_at=now).execution_options(synchronize_session=False))
    plan.status, plan.completed_at, plan.next_payment_date = "completed", now, None
    _stamp(plan, now)
    audit.record(db_session, "payment_plan_completed", now=now, business_id=plan.business_id,
                 resource_type="payment_plan", resource_id=plan.id, description="The balance is paid",
                 meta={"accountId": str(plan.account_id), "amountPaid": str(plan.amount_paid)})


# -- reminders -------------------------------------------------------------------------------------------------------
def send_reminders(db_session, now: dt.datetime, *, limit: int = BATCH) -> int:
    """Scheduled installments of active plans due within REMINDER_DAYS in the debtor's zone (not today or earlier):
    one reminder each, claimed through reminder_sent_at in the same transaction as the message. How many sent."""
    rows = db_session.execute(
        select(PaymentInstallment.id, PaymentInstallment.due_date, Account)
        .join(PaymentPlan, PaymentPlan.id == PaymentInstallment.payment_plan_id)
        .join(Account, Account.id == PaymentPlan.account_id)
        .where(PaymentPlan.status == "active", PaymentInstallment.status == "scheduled",
               PaymentInstallment.reminder_sent_at.is_(None), Account.deleted_at.is_(None),
               PaymentInstallment.due_date <= _horizon(now) + dt.timedelta(days=REMINDER_DAYS),
               PaymentInstallment.due_date >= (now - dt.timedelta(days=1)).date())
        .order_by(PaymentInstallment.due_date).limit(limit)).all()
    sent = 0
    for installment_id, due, account in rows:
        today = local_today(account, now)
        if not today < due <= today + dt.timedelta(days=REMINDER_DAYS):
            continue
        try:
            claimed = db_session.execute(
                update(PaymentInstallment).where(PaymentInstallment.id == installment_id,
                                                 PaymentInstallment.reminder_sent_at.is_(None))
                .values(reminder_sent_at=now, updated_at=now).execution_options(synchronize_session=False)).rowcount
            if claimed:
                _send_reminder(db_session, db_session.get(PaymentInstallment, installment_id), account, now)
                sent += 1
            db_session.commit()
        except Exception:
            db_session.rollback()
            log.exception("installment %s: reminder not sent", installment_id)
    return sent


def _send_reminder(db_session, installment: PaymentInstallment, account: Account, now: dt.datetime) -> None:
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    lang = _lang(account)
    facts = {"amount": money.format_usd(installment.amount), "date": _day(installment.due_date, lang)}
    subject = TEXTS[lang]["subject_reminder"].format(**facts)
    if plan.auto_pay_enabled and plan.stripe_payment_method_id:
        _send(db_session, account, "auto_reminder", facts, subject=subject, now=now)
    else:
        _send(db_session, account, "reminder", facts, subject=subject, now=now, link=True)


# -- missed installments and defaults --------------------------------------------------------------------------------
def mark_missed(db_session, now: dt.datetime, *, limit: int = BATCH) -> int:
    """Installments of active plans still unpaid GRACE_DAYS after their due date (in the debtor's zone) with no
    retry still to come: missed (`skipped`), counted on the plan, and the plan defaulted at MISSES_TO_DEFAULT.
    How many were marked."""
    no_retry_left = or_(PaymentInstallment.next_retry_at.is_(None), PaymentInstallment.next_retry_at <= now)
    rows = db_session.execute(
        select(PaymentInstallment.id, PaymentInstallment.due_date, Account)
        .join(PaymentPlan, PaymentPlan.id == PaymentInstallment.payment_plan_id)
        .join(Account, Account.id == PaymentPlan.account_id)
        .where(PaymentPlan.status == "active", PaymentInstallment.status.in_(("scheduled", "failed")),
               no_retry_left, PaymentInstallment.due_date < _horizon(now) - dt.timedelta(days=GRACE_DAYS))
        .order_by(PaymentInstallment.due_date).limit(limit)).all()
    marked = 0
    for installment_id, due, account in rows:
        if local_today(account, now) <= due + dt.timedelta(days=GRACE_DAYS):
            continue
        try:
            marked += _miss(db_session, installment_id, account, now)
            db_session.commit()
        except Exception:
            db_session.rollback()
            log.exception("installment %s: not marked missed", installment_id)
    return marked


def _miss(db_session, installment_id, account: Account, now: dt.datetime) -> int:
    ledger.lock_account(db_session, account.id)  # the order every payment path takes: account first
    changed = db_session.execute(
        update(PaymentInstallment).where(PaymentInstallment.id == installment_id,
                                         PaymentInstallment.status.in_(("scheduled", "failed")),
                                         or_(PaymentInstallment.next_retry_at.is_(None),
                                             PaymentInstallment.next_retry_at <= now))
        .values(status="skipped", next_retry_at=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return 0
    installment = db_session.get(PaymentInstallment, installment_id)
    db_session.refresh(installment)
    plan = db_session.get(PaymentPlan, installment.payment_plan_id)
    db_session.refresh(plan)
    plan.missed_count += 1
    _stamp(plan, now)
    _next_date(db_session, plan)
    audit.record(db_session, "installment_missed", now=now, business_id=plan.business_id,
                 resource_type="payment_plan", resource_id=plan.id,
                 description=f"Installment {installment.number} of {money.format_usd(installment.amount)} missed "
                             f"(due {installment.due_date.isoformat()})",
                 meta={"accountId": str(plan.account_id), "installmentNumber": installment.number,
                       "missedCount": plan.missed_count})
    if plan.missed_count >= MISSES_TO_DEFAULT and plan.status == "active":
        _default(db_session, plan, account, now)
    return 1


def _default(db_session, plan: PaymentPlan, account: Account, now: dt.datetime) -> None:
    """The plan ends: nothing more is charged or reminded, the debtor is told, the business too (bell and the
    `payment_plan.defaulted` webhook event)."""
    from app.services.payments.plan_records import plan_json

    db_session.execute(update(PaymentInstallment).where(
        PaymentInstallment.payment_plan_id == plan.id, PaymentInstallment.status.in_(("scheduled", "failed")))
        .values(status="canceled", next_retry_at=None, updated_at=now).execution_options(synchronize_session=False))
    plan.status, plan.next_payment_date = "defaulted", None
    _stamp(plan, now)
    db_session.flush()
    audit.record(db_session, "payment_plan_defaulted", now=now, business_id=plan.business_id,
                 resource_type="payment_plan", resource_id=plan.id,
                 description=f"Plan defaulted after {plan.missed_count} missed installments",
                 meta={"accountId": str(plan.account_id), "missedCount": plan.missed_count,
                       "amountPaid": str(plan.amount_paid)})
    db_session.expire(plan, ["installments"])
    webhooks.emit(db_session, plan.business_id, "payment_plan.defaulted", plan_json(plan), now)
    _notify_staff(db_session, plan, account, now)
    lang = _lang(account)
    _send(db_session, account, "defaulted", {"balance": money.format_usd(max(account.current_balance, Decimal(0)))},
          subject=TEXTS[lang]["subject_defaulted"], now=now, link=True)


def _notify_staff(db_session, plan: PaymentPlan, account: Account, now: dt.datetime) -> None:
    managers = db_session.scalars(select(User.id).where(
        User.business_id == plan.business_id, User.role.in_(("business_admin", "manager")),
        User.status == "active", User.deleted_at.is_(None))).all()
    for user_id in managers:
        notifications.notify(
            db_session, user_id=user_id, business_id=plan.business_id, kind="review",
            title=f"Payment plan defaulted: {account.full_name}",
            body=(f"Account {account.account_number}: {plan.missed_count} installments were missed, so the plan "
                  f"has ended. {money.format_usd(plan.amount_paid)} of {money.format_usd(plan.total_amount)} was "
                  f"paid; {money.format_usd(account.current_balance)} is owed."),
            link=f"/accounts/{account.id}?tab=payments", now=now)


# -- messages to the debtor ------------------------------------------------------------------------------------------
def _notify_failure(db_session, account: Account, payment: Payment, retry: dt.datetime | None,
                    now: dt.datetime) -> None:
    lang = _lang(account)
    facts = {"amount": money.format_usd(payment.amount)}
    if retry is not None:
        facts["date"] = _day(retry.astimezone(_zone(account)).date(), lang)
    _send(db_session, account, "failed_retry" if retry is not None else "failed_last", facts,
          subject=TEXTS[lang]["subject_failed"], now=now, link=True)


def _send(db_session, account: Account, text: str, facts: dict, *, subject: str, now: dt.datetime,
          link: bool = False) -> None:
    """One transactional message by email (else text), in the debtor's language; with `link`, a pay-now portal
    link issued for it (revoked when the gate blocks the message). A failure here never undoes the payment state
    it reports: it is rolled back on its own and logged."""
    from app.services import channels
    from app.services.portal import links
    from app.services.portal.payment_links import issue_payment_link

    channel = receipts.channel_for(account)
    if channel is None:
        return
    business = db_session.get(Business, account.business_id)
    principal = Principal(business_id=business.id, role="system")
    lang = _lang(account)
    try:
        with db_session.begin_nested():
            issued = issue_payment_link(db_session, principal, account, channel=channel, now=now,
                                        send=False) if link else None
            body = TEXTS[lang][text].format(business=business.name, url=issued.url if issued else "", **facts)
            outcome = channels.send(
                db_session, account=account, channel=channel, now=now, kind="transactional",
                purpose="payment_link" if link else "collection", sender_type="system", body=body, language=lang,
                subject=subject if channel == "email" else None, business=business, principal=principal,
                portal_link=link)
            if issued is not None:
                issued.link.message_id = outcome.message.id
                if outcome.blocked:
                    links.revoke(db_session, issued.link, now)
    except Exception:
        log.exception("account %s: %s message not queued", account.id, text)


def _lang(account: Account) -> str:
    return "es" if (account.preferred_language or "").startswith("es") else "en"


def _zone(account: Account):
    return ZoneInfo(account.timezone) if is_valid_zone(account.timezone) else dt.timezone.utc


def _day(day: dt.date, lang: str) -> str:
    month = receipts.MONTHS[lang][day.month - 1]
    return f"{month} {day.day}, {day.year}" if lang == "en" else f"{day.day} de {month} de {day.year}"
