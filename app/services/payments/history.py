"""An account's payments as the staff account file lists them: newest first, with who recorded each one."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from app.models import Account, Payment, User
from app.services.payments.refunds import refundable
from app.services.payments.serialize import method_detail

METHOD_LABELS = {"card": "Card", "ach": "Bank account (ACH)", "check": "Check", "cash": "Cash",
                 "money_order": "Money order", "other": "Other"}
STATUS_LABELS = {"pending": "Pending", "requires_action": "Awaiting 3-D Secure", "processing": "Processing",
                 "succeeded": "Succeeded", "failed": "Failed", "refunded": "Refunded",
                 "partially_refunded": "Partly refunded", "disputed": "Disputed"}
# Chip families of the shared stylesheet: success, warning, error, info, neutral.
STATUS_TONES = {"pending": "pending", "requires_action": "pending", "processing": "pending", "succeeded": "active",
                "failed": "failed", "refunded": "closed", "partially_refunded": "completed", "disputed": "disputed"}


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    recorded_by: str
    refundable: Decimal

    @property
    def method_label(self) -> str:
        return METHOD_LABELS.get(self.payment.payment_method, self.payment.payment_method)

    @property
    def method_detail(self) -> str | None:
        """The card or bank account it was paid with ("Visa ending in 4242"), when known."""
        return method_detail(self.payment)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.payment.status, self.payment.status.replace("_", " ").capitalize())

    @property
    def status_tone(self) -> str:
        return STATUS_TONES.get(self.payment.status, "closed")

    @property
    def when(self):
        return self.payment.processed_at or self.payment.created_at


def _recorded_by(payment: Payment, user: User | None) -> str:
    if user is not None:
        return user.full_name
    if payment.payment_method in ("card", "ach"):
        return "Debtor, online"
    return "—"


def account_payments(db_session, account: Account) -> list[PaymentRow]:
    """Every payment of the account (its business's rows only), newest first."""
    rows = db_session.execute(select(Payment, User).outerjoin(User, User.id == Payment.processed_by_id).where(
        Payment.account_id == account.id, Payment.business_id == account.business_id,
    ).order_by(Payment.created_at.desc(), Payment.id)).all()
    return [PaymentRow(payment, _recorded_by(payment, user), refundable(payment)) for payment, user in rows]
