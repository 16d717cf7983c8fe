"""Builders for the agreement tests: a pending plan set up by a manager the way the API sets one up, and the
payment that settles its down payment the way the charging path will."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from app.extensions import db
from app.models import Business, Payment, PaymentInstallment, PaymentPlan
from app.services.payments import plan_records
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user


def pending_plan(account, *, down=Decimal("50.00"), count=3, frequency="monthly", start=dt.date(2026, 12, 1),
                 total=None) -> PaymentPlan:
    """A pending plan on the account (its whole $412.50 by default), committed."""
    manager = gen_user(db.session.get(Business, account.business_id), "manager")
    principal = Principal(business_id=account.business_id, role="manager", user_id=manager.id)
    request = plan_records.NewPlan(total=total, down_payment=down, count=count, frequency=frequency, start=start)
    plan = plan_records.create(db.session, principal, account, request, now=NOW)
    db.session.commit()
    return plan


def settle_down_payment(plan: PaymentPlan, *, status="succeeded", at=NOW) -> Payment:
    """A payment for the down payment (installment 0) with this status, as the charging path records it."""
    row = next(r for r in plan.installments if r.number == 0)
    payment = Payment(id=uuid.uuid4(), business_id=plan.business_id, account_id=plan.account_id,
                      payment_plan_id=plan.id, installment_id=row.id, amount=row.amount, payment_method="card",
                      status=status, succeeded_at=at if status == "succeeded" else None, created_at=at,
                      updated_at=at)
    db.session.add(payment)
    db.session.commit()
    return payment


def down_row(plan: PaymentPlan) -> PaymentInstallment:
    return next(r for r in plan.installments if r.number == 0)
