"""What the portal's payment pages show and accept: how much the debtor may pay now, the quick choices, the payment
history in plain words and one receipt, always within the verified debtor's own account.

Charging is the payments service's (payments/one_time.py); this module only reads and checks. Messages are text
keys (services/portal/texts.py) so the page can say them in the debtor's language."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select

from app.models import Account, Payment
from app.services.errors import NotFound, ValidationError
from app.services.money import format_usd, to_decimal
from app.services.payments import one_time, receipts, serialize

MIN_AMOUNT = Decimal("1.00")
RECEIPT_STATUSES = ("succeeded", "processing", "refunded", "partially_refunded", "disputed")
"""A receipt exists for money that moved or is moving (a bank transfer in flight); not for a payment that failed or
was never finished."""
STATUS_TONES = {"pending": "pending", "requires_action": "pending", "processing": "pending", "succeeded": "active",
                "failed": "failed", "refunded": "closed", "partially_refunded": "completed", "disputed": "disputed"}
"""The stylesheet's chip colours for each state (green paid, amber in flight, red failed, grey refunded)."""


@dataclass(frozen=True)
class PayFacts:
    balance: Decimal
    available: Decimal  # the balance less what payments still in flight reserve
    partial: Decimal | None  # the suggested partial amount, when there is a sensible one

    @property
    def reserved(self) -> Decimal:
        return max(self.balance - self.available, Decimal("0.00"))

    @property
    def payable(self) -> bool:
        return self.available >= MIN_AMOUNT


def pay_facts(db_session, account: Account) -> PayFacts:
    available = max(one_time.available_amount(db_session, account), Decimal("0.00"))
    return PayFacts(balance=account.current_balance, available=available, partial=suggested_partial(available))


def receipt_offer(db_session, account: Account) -> str | None:
    """The channel of the "Email me a receipt" / "Text me a receipt" choice the pay form offers, or None when it
    offers none. Only while a cease covers the account: then no receipt goes unless the debtor asks for it with
    the payment (CEASE-3, D-7); otherwise every payment gets its receipt anyway."""
    if not receipts.cease_covers(db_session, account):
        return None
    return receipts.channel_for(account)


def receipt_request(db_session, account: Account, ticked: bool, *, now: dt.datetime):
    """The debtor's request for a receipt (receipts.ReceiptRequest) when they ticked the box the form offered, for
    one_time.start to record with the payment; None when there is nothing to record."""
    if not ticked or receipt_offer(db_session, account) is None:
        return None
    return receipts.new_request(account, now=now)


def suggested_partial(available: Decimal) -> Decimal | None:
    """A quarter of what may be paid, in whole dollars: a real step toward the balance that still leaves room to
    pay the rest later. None when that would be under $1 or the whole amount."""
    partial = (available / 4).quantize(Decimal("1"), rounding=ROUND_DOWN).quantize(Decimal("0.01"))
    return partial if MIN_AMOUNT <= partial < available else None


def parse_amount(text: str | None, available: Decimal) -> Decimal:
    """The amount typed ("50", "$1,250.50"), from $1.00 to what may be paid now; ValidationError(field="amount")
    whose extra carries the text key and the values for the message."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Enter the amount you want to pay.", field="amount",
                              extra={"text": "err_amount_missing", "values": {}})
    values = {"max": format_usd(available)}
    try:
        amount = to_decimal(raw)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount < MIN_AMOUNT or amount > available:
        raise ValidationError(f"Enter an amount from $1.00 to {values['max']}.", field="amount",
                              extra={"text": "err_amount_range", "values": values})
    return amount


def _payment_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound("Payment not found.") from None


def account_payment(db_session, account: Account, payment_id) -> Payment:
    """One payment of this account (another account's, or another business's, is NotFound like a missing one)."""
    payment = db_session.scalars(select(Payment).where(
        Payment.id == _payment_id(payment_id), Payment.account_id == account.id,
        Payment.business_id == account.business_id)).one_or_none()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def status_key(payment: Payment) -> str:
    """The text key for a payment's state in plain words (a bank transfer in flight says how long it takes)."""
    if payment.status == "processing" and payment.payment_method == "ach":
        return "st_processing_ach"
    return f"st_{payment.status}"


FAILURE_REASONS = {
    "card_declined": "reason_declined", "generic_decline": "reason_declined", "do_not_honor": "reason_declined",
    "lost_card": "reason_declined", "stolen_card": "reason_declined", "fraudulent": "reason_declined",
    "insufficient_funds": "reason_insufficient_funds", "expired_card": "reason_expired_card",
    "incorrect_cvc": "reason_incorrect_cvc", "invalid_cvc": "reason_incorrect_cvc",
    "incorrect_number": "reason_incorrect_number", "invalid_number": "reason_incorrect_number",
    "payment_intent_authentication_failure": "reason_authentication", "authentication_required":
    "reason_authentication", "authentication_abandoned": "reason_authentication",
    "processor_unavailable": "reason_unavailable", "payment_method_unusable": "reason_unusable",
    "canceled": "reason_canceled", "not_started": "reason_unavailable",
}
"""Stripe's failure codes -> the portal's words for them (the debtor may read Spanish; Stripe's messages are
English). A code not listed shows Stripe's own message."""


def failure_reason_key(code: str | None) -> str | None:
    return FAILURE_REASONS.get(code or "")


def has_receipt(payment: Payment) -> bool:
    return payment.status in RECEIPT_STATUSES


@dataclass(frozen=True)
class HistoryRow:
    payment: Payment
    when: dt.datetime
    status_key: str
    method_key: str
    tone: str
    receipt: bool


def history(db_session, account: Account) -> list[HistoryRow]:
    """Every payment of the account, newest first."""
    payments = db_session.scalars(select(Payment).where(
        Payment.account_id == account.id, Payment.business_id == account.business_id)
        .order_by(Payment.created_at.desc(), Payment.id))
    return [HistoryRow(payment=p, when=paid_at(p), status_key=status_key(p), method_key=f"pm_{p.payment_method}",
                       tone=STATUS_TONES.get(p.status, "closed"), receipt=has_receipt(p)) for p in payments]


def paid_at(payment: Payment) -> dt.datetime:
    """When the ledger applied it, else when it was processed (a bank transfer in flight) or started."""
    return payment.succeeded_at or payment.processed_at or payment.created_at


def card_brand_name(brand: str | None) -> str | None:
    return serialize.brand_name(brand)


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    status_key: str
    balance_after: Decimal | None  # the balance this payment left (None while a bank transfer is in flight)
    paid_in_full: bool
    # How it was paid, as stored when it was charged (gateway.MethodDetails): no call to Stripe per view.
    card_brand: str | None
    card_last4: str | None
    bank_name: str | None = None
    bank_last4: str | None = None


def receipt(db_session, account: Account, payment_id) -> Receipt:
    """The receipt of one of this account's payments; NotFound for another account's, or for a payment that failed
    or never finished (it has no receipt)."""
    payment = account_payment(db_session, account, payment_id)
    if not has_receipt(payment):
        raise NotFound("Payment not found.")
    settled = payment.status != "processing"
    balance_after = payment.balance_after if settled else None
    card = payment.payment_method == "card"
    bank = payment.payment_method == "ach"
    # "Paid in full" while it is still true: a later refund puts a balance back.
    paid_in_full = balance_after is not None and balance_after <= 0 and account.current_balance <= 0
    return Receipt(payment=payment, status_key=status_key(payment), balance_after=balance_after,
                   paid_in_full=paid_in_full, card_brand=payment.card_brand if card else None,
                   card_last4=payment.card_last4 if card else None, bank_name=payment.bank_name if bank else None,
                   bank_last4=payment.bank_last4 if bank else None)
