"""Builders for the installment tests: an active weekly auto-pay plan on a debtor in Chicago whose card is saved
on a localstripe customer, and one clock pass followed by the jobs it enqueued (the real RQ worker)."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Message, Payment, PaymentInstallment, PaymentPlan
from app.services.payments import gateway, plans
from tests.payments.one_time_helpers import paying_debtor
from tests.stripe_support import card_payment_method

GOOD_CARD = "4242424242424242"
FAILS_CHARGE = "4000000000000341"
CHICAGO = "America/Chicago"
START = dt.date(2026, 11, 25)


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 in Chicago on `day` (CST, UTC-6, for the dates these tests use), as UTC."""
    return dt.datetime(day.year, day.month, day.day, 6, 0, tzinfo=dt.timezone.utc)


def saved_card(stripe_client, account: Account, number: str) -> str:
    """A card PaymentMethod attached to the account's Stripe customer (what the plan agreement's Stripe.js does)."""
    customer = gateway.ensure_customer(db.session, db.session.get(Account, account.id))
    method = card_payment_method(stripe_client, number)
    gateway.usable_payment_method(customer, method)
    return method


def weekly_plan(stripe_client, *, card: str = GOOD_CARD, count: int = 3, total: str = "300.00",
                auto_pay: bool = True, business=None, start: dt.date = START):
    """(business, account, plan): `count` weekly installments of the whole balance, the first a week after
    `start`, active, with the card saved for auto-pay (or no card)."""
    business, account, _ = paying_debtor(total, business=business, timezone=CHICAGO, timezone_source="staff")
    method = saved_card(stripe_client, account, card) if auto_pay else None
    rows = plans.schedule(Decimal(total), Decimal("0.00"), count, "weekly", start)
    now = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone.utc)
    plan = PaymentPlan(id=uuid.uuid4(), business_id=business.id, account_id=account.id, total_amount=Decimal(total),
                       down_payment=Decimal("0.00"), installment_amount=rows[0].amount, number_of_installments=count,
                       frequency="weekly", start_date=start, next_payment_date=rows[0].due_date, status="active",
                       auto_pay_enabled=auto_pay, stripe_payment_method_id=method,
                       stripe_customer_id=db.session.get(Account, account.id).stripe_customer_id if auto_pay else None,
                       agreement_signed=True, agreement_signed_at=now, schedule_versions=[], created_at=now,
                       updated_at=now)
    db.session.add(plan)
    for row in rows:
        db.session.add(PaymentInstallment(business_id=business.id, payment_plan_id=plan.id, number=row.number,
                                          amount=row.amount, due_date=row.due_date, status="scheduled",
                                          created_at=now, updated_at=now))
    db.session.commit()
    return business, account, plan


def run_clock(app) -> None:
    """One clock pass, then every job it enqueued (charges, messages, webhooks) on the real worker."""
    from jobs.clock import tick

    db.session.commit()
    tick(app)
    app.extensions["jobs"].work_burst()
    db.session.expire_all()


def at(app, clock, when: dt.datetime) -> None:
    clock.set(when)
    run_clock(app)


def rows_of(plan_id) -> list[PaymentInstallment]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentInstallment).where(PaymentInstallment.payment_plan_id == plan_id)
                                   .order_by(PaymentInstallment.number)))


def plan_of(plan_id) -> PaymentPlan:
    db.session.expire_all()
    return db.session.get(PaymentPlan, plan_id)


def payments_for(installment_id) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.installment_id == installment_id)
                                   .order_by(Payment.created_at)))


def count_payments(account_id, status: str | None = None) -> int:
    query = select(func.count()).select_from(Payment).where(Payment.account_id == account_id)
    if status:
        query = query.where(Payment.status == status)
    return db.session.scalar(query)


def messages_to(account_id, purpose: str | None = None) -> list[Message]:
    db.session.expire_all()
    query = select(Message).where(Message.account_id == account_id, Message.direction == "outbound")
    if purpose:
        query = query.where(Message.purpose == purpose)
    return list(db.session.scalars(query.order_by(Message.created_at)))
