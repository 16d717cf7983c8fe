"""Payments staff record by hand: a check, cash or a money order that reached the business outside Stripe.

They succeed at once through the ledger (balance down, paid_in_full at zero, the receipt queued), with the
person who recorded them and when. The amount is checked against what the account still owes under the
account's row lock, so a payment in flight through Stripe and one recorded here can never together pay more than
the balance."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.models import Account, Payment
from app.services import audit
from app.services.accounts import fields, records
from app.services.errors import Forbidden, ValidationError
from app.services.money import format_usd
from app.services.tenancy import Principal

METHODS = {"check": "Check", "cash": "Cash", "money_order": "Money order", "other": "Other"}
ROLES = ("business_admin", "manager", "agent")
MIN_AMOUNT = Decimal("0.01")
MAX_REFERENCE = 100
MAX_NOTE = 1000


def may_record(principal: Principal) -> bool:
    return principal.role in ROLES


def payable(db_session, account: Account) -> Decimal:
    """What a new payment may cover: the balance less what payments still in flight have reserved."""
    from app.services.payments import one_time

    return one_time.available_amount(db_session, account)


def _method(value) -> str:
    method = (value or "").strip().lower() if isinstance(value, str) else ""
    if method not in METHODS:
        raise ValidationError("Choose how the payment was made: check, cash, money order or other.",
                              field="paymentMethod")
    return method


def _text(value, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"{field} is limited to {limit} characters.", field=field)
    return value or None


def _received_on(value, now: dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    day = value if isinstance(value, dt.date) else fields.date(value, "receivedOn")
    if day is None:
        return now.date()
    if day > now.date():
        raise ValidationError("The payment cannot have been received in the future.", field="receivedOn")
    return day


def _amount(value, balance: Decimal, available: Decimal) -> Decimal:
    amount = fields.money(value, "amount", required=True)
    if amount < MIN_AMOUNT:
        raise ValidationError("Enter an amount of at least $0.01.", field="amount")
    if amount > available and available < balance:
        raise ValidationError(f"The amount cannot be more than {format_usd(available)}: payments still being "
                              f"processed hold {format_usd(balance - available)} of the {format_usd(balance)} "
                              "balance.", field="amount")
    if amount > available:
        raise ValidationError(f"The amount cannot be more than the {format_usd(available)} still owed.",
                              field="amount")
    return amount


def _description(method: str, reference: str | None, received_on: dt.date) -> str:
    label = METHODS[method]
    return f"{label}{f' {reference}' if reference else ''}, received {received_on.isoformat()}"


def record_manual(db_session, principal: Principal, account_id, amount, method, *, reference=None, note=None,
                  received_on=None, now: dt.datetime, ip: str | None = None,
                  user_agent: str | None = None) -> Payment:
    """Record one payment made outside Stripe and apply it at once. Business admins, managers and agents (an
    agent within their queue) may; anything else is 403. ValidationError names the field. The caller commits."""
    from app.services.payments import ledger

    if not may_record(principal):
        raise Forbidden("Your role may not record payments.")
    account = records.get_account(db_session, principal, account_id)
    method = _method(method)
    reference = _text(reference, "reference", MAX_REFERENCE)
    note = _text(note, "note", MAX_NOTE)
    day = _received_on(received_on, now)
    account = ledger.lock_account(db_session, account.id)
    if account.current_balance <= 0:
        raise ValidationError("This account has no balance left to pay.", field="amount")
    value = _amount(amount, account.current_balance, payable(db_session, account))
    payment = Payment(business_id=account.business_id, account_id=account.id, amount=value, currency="USD",
                      payment_method=method, status="pending", description=_description(method, reference, day),
                      notes=note, processed_by_id=principal.user_id, processed_at=now, created_at=now, updated_at=now)
    db_session.add(payment)
    db_session.flush()
    audit.record(db_session, "payment_recorded", principal=principal, now=now, resource_type="payment",
                 resource_id=payment.id, description=f"{METHODS[method]} {format_usd(value)}",
                 meta={"accountId": str(account.id), "method": method, "amount": str(value),
                       "receivedOn": day.isoformat()}, ip=ip, user_agent=user_agent)
    ledger.apply_success(db_session, payment, now=now)
    return payment
