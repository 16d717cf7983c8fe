"""Refunds, whole or in part, by business admins and managers.

A card or ACH payment is refunded through Stripe; the ledger then applies Stripe's own absolute refunded total
for the charge, so the `charge.refunded` webhook that follows finds nothing left to apply. A payment recorded by
hand (check, cash, money order) is reversed here alone, with who did it in the audit trail. We refuse a refund
over what is left to refund ourselves: localstripe does not, and a mistake would raise the balance above the
debt. The payment row is locked from the check until the commit, so two refunds of one payment cannot both pass
the check."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import stripe
from sqlalchemy import select

from app.models import Payment
from app.services import audit
from app.services.accounts import fields
from app.services.errors import Conflict, DomainError, Forbidden, ValidationError
from app.services.money import format_usd, from_cents, to_cents
from app.services.tenancy import Principal, get_scoped

log = logging.getLogger(__name__)

ROLES = ("business_admin", "manager")
STRIPE_METHODS = ("card", "ach")
REFUNDABLE_STATUSES = ("succeeded", "partially_refunded")
MAX_REASON = 500


def may_refund(principal: Principal) -> bool:
    return principal.role in ROLES


def remaining(payment: Payment) -> Decimal:
    """What is left to refund of a payment (nothing unless it succeeded)."""
    if payment.status not in REFUNDABLE_STATUSES:
        return Decimal("0.00")
    return payment.amount - (payment.refunded_amount or Decimal("0.00"))


def refundable(payment: Payment) -> Decimal:
    """What staff may refund now: what is left, except of a card or bank payment Stripe never took (no
    PaymentIntent to refund through)."""
    if payment.payment_method in STRIPE_METHODS and not payment.stripe_payment_intent_id:
        return Decimal("0.00")
    return remaining(payment)


def _locked_payment(db_session, principal: Principal, payment_id) -> Payment:
    """The payment, read afresh under the locks the ledger takes (account first, then payment, in that order
    everywhere), held until the caller's transaction ends."""
    from app.services.payments import ledger

    payment = get_scoped(db_session, Payment, payment_id, principal)
    ledger.lock_account(db_session, payment.account_id)
    stmt = select(Payment).where(Payment.id == payment.id).execution_options(populate_existing=True)
    if db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db_session.scalars(stmt).one()


def _amount(value, left: Decimal) -> Decimal:
    if value is None or value == "":
        return left
    amount = fields.money(value, "amount", required=True)
    if amount <= 0:
        raise ValidationError("Enter an amount of at least $0.01.", field="amount")
    if amount > left:
        raise ValidationError(f"At most {format_usd(left)} of this payment is left to refund.", field="amount")
    return amount


def _reason(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("reason must be text.", field="reason")
    value = value.strip()
    if len(value) > MAX_REASON:
        raise ValidationError(f"reason is limited to {MAX_REASON} characters.", field="reason")
    return value or None


def _stripe_refund(config, payment: Payment, amount: Decimal, reason: str | None) -> Decimal | None:
    """Ask Stripe to refund `amount` of the payment's charge; Stripe's refunded total for that charge afterwards
    (None when the refund was made but the charge could not be read back: the caller then counts this refund, and
    Stripe's charge.refunded event brings any other refund of the charge)."""
    from app.services.payments import gateway

    if not payment.stripe_payment_intent_id:
        raise Conflict("This payment has no Stripe payment to refund.")
    metadata = {"payment_id": str(payment.id)}
    if reason:
        metadata["reason"] = reason[:500]
    try:
        refund = gateway.client(config).v1.refunds.create(params={
            "payment_intent": payment.stripe_payment_intent_id, "amount": to_cents(amount), "metadata": metadata,
            "expand": ["charge"]})
    except stripe.APIConnectionError:
        log.warning("Stripe unreachable refunding payment %s", payment.id)
        raise DomainError("Stripe could not be reached, so nothing was refunded. Try again in a moment.",
                          code="INTERNAL_ERROR", status=503) from None
    except stripe.StripeError as exc:
        message = exc.user_message or str(exc) or "Stripe refused the refund."
        log.warning("Stripe refused a refund of payment %s: %s", payment.id, message)
        raise DomainError(f"Stripe refused the refund: {message}", code="PAYMENT_FAILED", status=402) from None
    charge = refund.charge
    if isinstance(charge, str):  # not expanded: ask for the charge itself
        try:
            charge = gateway.client(config).v1.charges.retrieve(charge)
        except stripe.StripeError:
            log.warning("refund %s of payment %s made; its charge could not be read", refund.id, payment.id)
            return None
    return from_cents(int(charge.amount_refunded))


def prepare(db_session, principal: Principal, payment_id, amount: Decimal | None,
            reason: str | None = None) -> tuple[Payment, Decimal, str | None]:
    """Every check of a refund, nothing done: (the payment, locked; the amount to refund, all that is left when
    none was given; the reason). 404 for another business's payment, 403 for a role other than business admin or
    manager, 409 for a payment that has not succeeded or is refunded already, 400 (field amount) for an amount over
    what is left."""
    payment = _locked_payment(db_session, principal, payment_id)
    if not may_refund(principal):
        raise Forbidden("Only managers and business admins may refund payments.")
    if payment.status not in REFUNDABLE_STATUSES:
        state = "refunded already" if payment.status == "refunded" else payment.status.replace("_", " ")
        raise Conflict(f"Only a succeeded payment can be refunded; this one is {state}.")
    return payment, _amount(amount, remaining(payment)), _reason(reason)


def refund(db_session, principal: Principal, payment_id, amount: Decimal | None, *, now: dt.datetime,
           reason: str | None = None, config=None, ip: str | None = None, user_agent: str | None = None) -> Payment:
    """Refund `amount` (None: all that is left) of one payment and put it back on the balance; refused as
    prepare() says. The caller commits."""
    from app.services.payments import ledger

    payment, value, reason = prepare(db_session, principal, payment_id, amount, reason)
    before = payment.refunded_amount or Decimal("0.00")
    if payment.payment_method in STRIPE_METHODS:
        if config is None:
            from flask import current_app

            config = current_app.config["CONFIG_OBJECT"]
        total = _stripe_refund(config, payment, value, reason)
        if total is None:
            total = before + value
        if total > payment.amount:
            log.error("Stripe reports %s refunded of payment %s for %s", total, payment.id, payment.amount)
            total = payment.amount
    else:
        total = before + value
    ledger.apply_refunded_total(db_session, payment, total, now=now)
    db_session.refresh(payment)
    audit.record(db_session, "refund_issued", principal=principal, now=now, resource_type="payment",
                 resource_id=payment.id, description=f"{format_usd(value)} of {format_usd(payment.amount)}",
                 meta={"accountId": str(payment.account_id), "amount": str(value), "method": payment.payment_method,
                       "refundedTotal": str(payment.refunded_amount), "reason": reason,
                       "throughStripe": payment.payment_method in STRIPE_METHODS}, ip=ip, user_agent=user_agent)
    return payment
