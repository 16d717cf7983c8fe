"""Builders for the payment plan tests: staff and debtors who call the API as integrations do, a request body like
the PRD's, and a plan moved along the way the clock and the agreement would move it."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentInstallment, PaymentPlan
from tests.api.helpers import api_login, bearer
from tests.factories import gen_user


def caller(client, clock, business, role: str = "manager"):
    """(user, Authorization headers) of a new user of the business with this role."""
    user = gen_user(business, role, mfa=role != "debtor")
    return user, bearer(api_login(client, user, clock)["token"])


def headers_for(client, clock, user) -> dict:
    """A fresh token, for a test that has moved the clock past the last one's 24 hours."""
    return bearer(api_login(client, user, clock)["token"])


def plan_body(account, **overrides) -> dict:
    """The PRD 7.5 example: $1,250, $250 down, ten monthly installments from December 1."""
    body = {"accountId": str(account.id), "totalAmount": 1250.00, "downPayment": 250.00, "numberOfInstallments": 10,
            "frequency": "monthly", "startDate": "2026-12-01", "autoPayEnabled": False}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create(client, headers, account, **overrides):
    return client.post("/api/v1/payment-plans", json=plan_body(account, **overrides), headers=headers)


def plan_of(plan_id) -> PaymentPlan:
    db.session.expire_all()
    return db.session.get(PaymentPlan, uuid.UUID(str(plan_id)))


def installments_of(plan_id) -> list[PaymentInstallment]:
    db.session.expire_all()
    return db.session.scalars(select(PaymentInstallment).where(
        PaymentInstallment.payment_plan_id == uuid.UUID(str(plan_id))).order_by(PaymentInstallment.number)).all()


def pay_installments(plan_id, *numbers: int, at: dt.datetime) -> None:
    """Mark installments paid and the plan active, as the down payment and the clock's charges will."""
    rows = installments_of(plan_id)
    plan = db.session.get(PaymentPlan, uuid.UUID(str(plan_id)))
    plan.status = "active"
    for row in rows:
        if row.number in numbers:
            row.status, row.paid_at = "paid", at
            plan.payments_made += 1
            plan.amount_paid += row.amount
    db.session.commit()


def total_of(rows) -> Decimal:
    return sum((r.amount for r in rows), Decimal("0.00"))
