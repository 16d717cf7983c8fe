"""The ledger: the only code that moves an account's balance for a payment, exactly once per change.

A success may be reported twice (the synchronous answer and Stripe's `payment_intent.succeeded`, in either order, a
replayed event, a reconcile after a crash): the conditional UPDATE on the payment's status lets one of them apply it
and tells the others nothing happened. Refunds arrive as Stripe's absolute refunded total, so only the increase is
applied. Locks are always taken account first, then payment, so two paths never wait on each other in a circle.
Nothing here commits: the caller's transaction holds the balance change, the receipt and the audit row together."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import select, update

from app.models import Account, Payment
from app.services import audit, webhooks
from app.services.money import format_usd, to_decimal
from app.services.payments import receipts
from app.services.payments.serialize import payment_json
from app.services.tenancy import current_principal

log = logging.getLogger(__name__)

IN_FLIGHT = ("pending", "requires_action", "processing")
"""Payments whose outcome is not known yet: they reserve their amount (one_time.available_amount)."""
SETTLED = ("succeeded", "partially_refunded", "refunded", "disputed")
ZERO = Decimal("0.00")


def lock_account(db_session, account_id) -> Account:
    """The account row, locked until the transaction ends and read afresh. PostgreSQL: SELECT ... FOR UPDATE.
    SQLite has no row locks: a write that changes nothing takes its one write lock now (waiting out the busy
    timeout), so the reads that follow cannot be overtaken by another writer before we write."""
    stmt = select(Account).where(Account.id == account_id).execution_options(populate_existing=True)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    else:
        db_session.execute(update(Account).where(Account.id == account_id).values(updated_at=Account.updated_at)
                           .execution_options(synchronize_session=False))
    return db_session.scalars(stmt).one()


def lock_payment(db_session, payment_id) -> Payment:
    """The payment row locked (its account first, the order every path here takes) and read afresh."""
    payment = db_session.get(Payment, payment_id)
    lock_account(db_session, payment.account_id)
    stmt = select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db_session.scalars(stmt).one()


def _principal_for(payment: Payment):
    principal = current_principal()
    return principal if principal is not None and principal.business_id == payment.business_id else None


def _audit(db_session, action: str, payment: Payment, now: dt.datetime, description: str, **meta) -> None:
    audit.record(db_session, action, now=now, business_id=payment.business_id, principal=_principal_for(payment),
                 resource_type="payment", resource_id=payment.id, description=description,
                 meta={"accountId": str(payment.account_id), "amount": str(payment.amount),
                       "method": payment.payment_method, "stripePaymentIntentId": payment.stripe_payment_intent_id,
                       **{k: v for k, v in meta.items() if v is not None}})


def _emit(db_session, event_type: str, payment: Payment, now: dt.datetime) -> None:
    webhooks.emit(db_session, payment.business_id, event_type,
                  payment_json(payment, receipt_url=receipts.page_url(payment) if payment.receipt_number else None),
                  now)


def apply_success(db_session, payment: Payment, *, now: dt.datetime, charge_id: str | None = None,
                  receipt_url: str | None = None, method=None) -> bool:
    """Record a confirmed payment once: status succeeded, balance down by the amount under the account's lock,
    `paid_in_full` at zero, a receipt number, an audit row, the `payment.succeeded` webhook event and the receipt
    message (the answer to the debtor's own request for one, when they made it). False (and nothing changed) when
    it was applied before. `method` (gateway.MethodDetails): how the charge was paid, as Stripe's charge says;
    what was stored when the payment was charged stays otherwise.

    A Stripe payment we had marked failed is applied too when Stripe reports it succeeded (a debtor can finish a
    PaymentIntent in the browser after we gave up on it): the money was taken, so the ledger records it."""
    account = lock_account(db_session, payment.account_id)
    allowed = IN_FLIGHT + (("failed",) if payment.stripe_payment_intent_id else ())
    claimed = db_session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status.in_(allowed))
        .values(status="succeeded", succeeded_at=now, failure_reason=None, failure_code=None, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db_session.refresh(payment)
    if not claimed:
        return False
    balance = account.current_balance - payment.amount
    if balance < 0:
        log.warning("payment %s takes account %s below zero (%s): a refund of the difference is owed",
                    payment.id, account.id, balance)
    account.current_balance = balance
    if balance <= 0 and account.status != "closed":
        account.status = "paid_in_full"
    payment.balance_after = balance
    payment.processed_at = payment.processed_at or now
    payment.stripe_charge_id = charge_id or payment.stripe_charge_id
    payment.receipt_url = receipt_url or payment.receipt_url
    if method is not None:
        for name in ("card_brand", "card_last4", "bank_name", "bank_last4"):
            setattr(payment, name, getattr(method, name) or getattr(payment, name))
    payment.receipt_number = receipts.next_number(db_session, payment.business_id, now)
    db_session.flush()
    _audit(db_session, "payment_succeeded", payment, now,
           f"{format_usd(payment.amount)} {payment.payment_method} payment applied; balance {format_usd(balance)}",
           balanceAfter=str(balance), receiptNumber=payment.receipt_number, chargeId=payment.stripe_charge_id)
    _emit(db_session, "payment.succeeded", payment, now)
    _send_receipt(db_session, payment, account, now)
    if payment.installment_id is not None:
        # A plan's payment settles its installment here, whichever path reported the success, in this transaction.
        from app.services.payments import installments

        installments.settle_from_payment(db_session, payment, account, now)
    return True


def _send_receipt(db_session, payment: Payment, account: Account, now: dt.datetime) -> None:
    """The receipt never undoes the payment: a failure here rolls back only the receipt, and is logged. It answers
    the debtor's request for it when they made one (after a cease, the gate lets it through only then: CEASE-3)."""
    try:
        with db_session.begin_nested():
            receipts.send(db_session, payment, account, now=now, consumer_request_id=payment.receipt_request_id)
    except Exception:
        log.exception("receipt for payment %s could not be queued", payment.id)


def mark_failed(db_session, payment: Payment, *, reason: str, now: dt.datetime, code: str | None = None) -> bool:
    """A payment still in flight fails with Stripe's reason; a settled one (a success above all) never goes back.
    False when nothing changed."""
    changed = db_session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status.in_(IN_FLIGHT))
        .values(status="failed", failure_reason=(reason or "The payment failed.")[:1000],
                failure_code=(code or None) and code[:100], updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db_session.refresh(payment)
    if changed:
        _audit(db_session, "payment_failed", payment, now, f"{format_usd(payment.amount)} payment failed: {reason}",
               failureCode=code)
        _emit(db_session, "payment.failed", payment, now)
        if payment.installment_id is not None:
            from app.services.payments import installments

            installments.release_from_payment(db_session, payment, now)
    return bool(changed)


def apply_refunded_total(db_session, payment: Payment, refunded_total: Decimal, *, now: dt.datetime) -> Decimal:
    """Stripe's absolute refunded total for the payment's charge; applies only what was not applied yet (a replay
    or an older event applies nothing). The balance goes back up by that much, the payment becomes refunded or
    partially_refunded, and an account that was paid in full is active again once it owes something. The amount
    applied now (0.00 when nothing changed)."""
    payment = lock_payment(db_session, payment.id)
    account = db_session.get(Account, payment.account_id)
    if payment.status not in SETTLED:
        log.warning("refund reported for payment %s in status %s: not applied", payment.id, payment.status)
        return ZERO
    total = min(to_decimal(refunded_total), payment.amount)
    delta = total - (payment.refunded_amount or ZERO)
    if delta <= 0:
        return ZERO
    payment.refunded_amount = total
    if payment.status != "disputed":
        payment.status = "refunded" if total >= payment.amount else "partially_refunded"
    payment.updated_at = now
    account.current_balance = account.current_balance + delta
    if account.status == "paid_in_full" and account.current_balance > 0:
        account.status = "active"
    db_session.flush()
    balance = account.current_balance
    _audit(db_session, "payment_refunded", payment, now,
           f"{format_usd(delta)} refunded of {format_usd(payment.amount)}; balance {format_usd(balance)}",
           refunded=str(delta), refundedTotal=str(total), balanceAfter=str(balance))
    _emit(db_session, "payment.refunded", payment, now)
    return delta
