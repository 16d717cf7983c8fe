"""Builders for the plan change tests: an active plan on a debtor in Dallas who may be messaged (the agreement
helpers' $412.50 plan: $50 down paid, then $120.83, $120.83 and $120.84 due on January 1, February 1 and March 1,
2027), a debtor's request made the way the portal makes it, and the people who decide."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Message, Notification, PaymentPlan, PaymentPlanChangeRequest
from app.services.payments import plan_changes
from app.services.payments.plan_changes import ChangeAsk
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.plans.agreement_helpers import pending_plan
from tests.plans.helpers import pay_installments


def active_plan(business=None, **fields):
    """(business, account, plan): the plan active with its down payment paid."""
    business = business or messaging_business()
    account = debtor(business, contacted=True, **fields)
    plan = pending_plan(account)
    pay_installments(plan.id, 0, at=NOW)
    plan = db.session.get(PaymentPlan, plan.id)
    plan.next_payment_date = dt.date(2027, 1, 1)  # as settling the down payment leaves it
    db.session.commit()
    return business, account, plan


def staff(business, role: str = "manager") -> Principal:
    user = gen_user(business, role)
    return Principal(business_id=business.id, role=role, user_id=user.id)


def ask(account, plan, kind="date_change", *, reason="My payday moved to the 15th.", now=NOW,
        **values) -> PaymentPlanChangeRequest:
    """A request the debtor made, committed."""
    change = plan_changes.request(db.session, account, plan.id, ChangeAsk(kind=kind, reason=reason, **values),
                                  now=now)
    db.session.commit()
    return change


def requests_of(plan) -> list[PaymentPlanChangeRequest]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentPlanChangeRequest).where(
        PaymentPlanChangeRequest.plan_id == plan.id).order_by(PaymentPlanChangeRequest.created_at)))


def actions_of(plan) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(
        AuditLog.resource_type == "payment_plan", AuditLog.resource_id == plan.id).order_by(AuditLog.seq)))


def debtor_messages(account) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message).where(
        Message.account_id == account.id, Message.direction == "outbound").order_by(Message.created_at)))


def notifications_for(user_id) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)))


def amounts(plan) -> list[Decimal]:
    return [r.amount for r in sorted(plan.installments, key=lambda r: r.number) if r.number > 0]


DAY = dt.timedelta(days=1)
