"""Payments, payment plans and their installments."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BusinessOwned, Timestamps, UUIDPk
from app.models.types import JSONType, Money

PAYMENT_METHODS = ("card", "ach", "check", "cash", "money_order", "other")
PAYMENT_STATUSES = ("pending", "requires_action", "processing", "succeeded", "failed", "refunded",
                    "partially_refunded", "disputed")
PLAN_STATUSES = ("pending", "active", "paused", "completed", "defaulted", "canceled")
FREQUENCIES = ("weekly", "biweekly", "monthly")
INSTALLMENT_STATUSES = ("scheduled", "processing", "paid", "failed", "skipped", "canceled")
CHANGE_KINDS = ("date_change", "amount_change", "hardship_pause")
CHANGE_STATUSES = ("pending", "approved", "declined", "withdrawn")


class Payment(UUIDPk, BusinessOwned, Timestamps, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_stripe_payment_intent_id", "stripe_payment_intent_id", unique=True,
              sqlite_where=text("stripe_payment_intent_id IS NOT NULL"),
              postgresql_where=text("stripe_payment_intent_id IS NOT NULL")),
        # What is in flight on an account (one_time.available_amount) and its payment history.
        Index("ix_payments_account_id_status", "account_id", "status"),
        Index("ix_payments_business_id_receipt_number", "business_id", "receipt_number", unique=True,
              sqlite_where=text("receipt_number IS NOT NULL"), postgresql_where=text("receipt_number IS NOT NULL")),
        # A request retried with the same key finds its payment instead of charging again.
        Index("ix_payments_account_id_idempotency_key", "account_id", "idempotency_key", unique=True,
              sqlite_where=text("idempotency_key IS NOT NULL"), postgresql_where=text("idempotency_key IS NOT NULL")),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    payment_plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_plans.id", ondelete="SET NULL"),
                                                             index=True)
    # No foreign key: installments already point at their payment, and a cycle would complicate migrations.
    installment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_method: Mapped[str] = mapped_column(String(20))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    stripe_charge_id: Mapped[str | None] = mapped_column(String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    receipt_url: Mapped[str | None] = mapped_column(String(500))
    receipt_number: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    processed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    processed_at: Mapped[dt.datetime | None]
    failure_code: Mapped[str | None] = mapped_column(String(100))
    succeeded_at: Mapped[dt.datetime | None]
    # The account's balance right after this payment was applied: what the receipt states.
    balance_after: Mapped[Decimal | None] = mapped_column(Money)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # Who authorized a card or bank payment from where (an ACH mandate needs both; kept for disputes).
    payer_ip: Mapped[str | None] = mapped_column(String(45))
    payer_user_agent: Mapped[str | None] = mapped_column(Text)
    # How it was paid, as Stripe described the payment method when it was charged (receipts and the staff tab read
    # these; no card or bank data beyond them is kept). card_brand is Stripe's code: visa, mastercard, amex...
    card_brand: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_last4: Mapped[str | None] = mapped_column(String(4))
    # CEASE-3: the debtor asked for a receipt of this payment when making it (the portal's "Email me a receipt"):
    # the id the receipt message answers (consumer_request_id) and when they asked.
    receipt_request_id: Mapped[str | None] = mapped_column(String(100))
    receipt_requested_at: Mapped[dt.datetime | None]

    account = relationship("Account")


class PaymentPlan(UUIDPk, BusinessOwned, Timestamps, Base):
    __tablename__ = "payment_plans"
    __table_args__ = (
        # One open plan per account (ACTIVE_PLAN): two requests racing past the check cannot both insert one.
        Index("ix_payment_plans_one_open_per_account", "account_id", unique=True,
              sqlite_where=text("status IN ('pending', 'active', 'paused')"),
              postgresql_where=text("status IN ('pending', 'active', 'paused')")),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    down_payment: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    installment_amount: Mapped[Decimal] = mapped_column(Money)
    number_of_installments: Mapped[int]
    frequency: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[dt.date]
    next_payment_date: Mapped[dt.date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    payments_made: Mapped[int] = mapped_column(default=0)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    auto_pay_enabled: Mapped[bool] = mapped_column(default=False)
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    agreement_signed: Mapped[bool] = mapped_column(default=False)
    agreement_signed_at: Mapped[dt.datetime | None]
    agreement_ip_address: Mapped[str | None] = mapped_column(String(45))
    agreement_user_agent: Mapped[str | None] = mapped_column(Text)
    agreement_signed_name: Mapped[str | None] = mapped_column(String(200))
    agreement_sha256: Mapped[str | None] = mapped_column(String(64))
    missed_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    canceled_at: Mapped[dt.datetime | None]
    # The schedules a reschedule replaced, oldest first: {version, replacedAt, replacedById, startDate,
    # numberOfInstallments, installmentAmount, nextPaymentDate, schedule: [{id, installmentNumber, amount (text),
    # dueDate, status, attempts, paidAt}]}. Read whole, never queried.
    schedule_versions: Mapped[list] = mapped_column(JSONType, default=list)
    # Installment n falls due n - schedule_anchor_number periods after schedule_anchor (None: the start date), so
    # monthly dates keep their day however often the plan is moved.
    schedule_anchor: Mapped[dt.date | None]
    schedule_anchor_number: Mapped[int] = mapped_column(default=0)
    # A hardship pause's end: the clock resumes the plan on this day (the debtor's). Cleared by any status change.
    paused_until: Mapped[dt.date | None]

    account = relationship("Account")
    installments = relationship("PaymentInstallment", back_populates="plan",
                                order_by="PaymentInstallment.number", cascade="all, delete-orphan")


class PaymentInstallment(UUIDPk, BusinessOwned, Timestamps, Base):
    """One scheduled installment: the clock charges what is due from these rows."""

    __tablename__ = "payment_installments"
    __table_args__ = (
        UniqueConstraint("payment_plan_id", "number"),
        Index("ix_payment_installments_status_due_date", "status", "due_date"),
    )

    payment_plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_plans.id", ondelete="CASCADE"),
                                                       index=True)
    number: Mapped[int]  # 0 is the down payment
    amount: Mapped[Decimal] = mapped_column(Money)
    due_date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[dt.datetime | None]
    next_retry_at: Mapped[dt.datetime | None]
    reminder_sent_at: Mapped[dt.datetime | None]
    paid_at: Mapped[dt.datetime | None]
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))

    plan = relationship("PaymentPlan", back_populates="installments")


class PaymentPlanChangeRequest(UUIDPk, BusinessOwned, Timestamps, Base):
    """A debtor's request to change their plan (PRD 4.4.4 FR-PAY-030): a new payment day, a new installment amount
    (or count), or a hardship pause; approved (applied as a new schedule version) or declined by staff."""

    __tablename__ = "payment_plan_change_requests"
    __table_args__ = (
        # One pending request per plan: a second one while the first waits is refused.
        Index("ix_payment_plan_change_requests_one_pending_per_plan", "plan_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        # A business's pending requests, oldest first.
        Index("ix_payment_plan_change_requests_business_id_status", "business_id", "status", "created_at"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_plans.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    requested_date: Mapped[dt.date | None]  # date_change: the new next payment date
    requested_amount: Mapped[Decimal | None] = mapped_column(Money)  # amount_change: at most this each period
    requested_count: Mapped[int | None]  # amount_change: or this many installments in all
    pause_periods: Mapped[int | None]  # hardship_pause: payments skipped
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    plan_version: Mapped[int | None]  # the plan's version the approval produced
    resumes_on: Mapped[dt.date | None]  # hardship_pause approved: when the plan resumes

    plan = relationship("PaymentPlan")
