"""The dashboard's figures for one business, computed from the ledger and the inbox."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from app.models import Account, Conversation, Message, Payment
from app.services.tenancy import Principal, scoped


@dataclass
class DashboardSummary:
    total_accounts: int
    total_outstanding: Decimal
    collected_this_month: Decimal
    collected_last_month_to_date: Decimal
    active_conversations: int
    escalated_conversations: int
    messages_sent_today: int
    messages_received_today: int
    status_counts: dict[str, int] = field(default_factory=dict)

    @property
    def collected_change_pct(self) -> Decimal | None:
        """Month to date against the same stretch of last month (a whole month would flatter the past)."""
        if not self.collected_last_month_to_date:
            return None
        previous = self.collected_last_month_to_date
        change = (self.collected_this_month - previous) / previous * 100
        return change.quantize(Decimal("0.1"))


def _month_start(now: dt.datetime) -> dt.datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def summary(db_session, principal: Principal, now: dt.datetime) -> DashboardSummary:
    accounts = scoped(Account, principal).subquery()
    total_accounts, outstanding = db_session.execute(
        select(func.count(), func.coalesce(func.sum(accounts.c.current_balance), 0)).select_from(accounts)).one()
    status_counts = dict(db_session.execute(
        select(accounts.c.status, func.count()).group_by(accounts.c.status)).all())

    this_month = _month_start(now)
    last_month = _month_start(this_month - dt.timedelta(days=1))
    payments = scoped(Payment, principal).where(Payment.status == "succeeded")

    def collected(start: dt.datetime, end: dt.datetime) -> Decimal:
        sub = payments.where(Payment.processed_at >= start, Payment.processed_at < end).subquery()
        value = db_session.scalar(select(func.coalesce(func.sum(sub.c.amount), 0)))
        return _as_money(value)

    conversations = scoped(Conversation, principal).subquery()
    conv_counts = dict(db_session.execute(
        select(conversations.c.status, func.count()).group_by(conversations.c.status)).all())
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    messages = scoped(Message, principal).where(Message.created_at >= day_start).subquery()
    direction_counts = dict(db_session.execute(
        select(messages.c.direction, func.count()).group_by(messages.c.direction)).all())
    return DashboardSummary(
        total_accounts=total_accounts,
        total_outstanding=_as_money(outstanding),
        collected_this_month=collected(this_month, now + dt.timedelta(seconds=1)),
        collected_last_month_to_date=collected(last_month, min(this_month, _same_point_last_month(now))),
        active_conversations=conv_counts.get("active", 0) + conv_counts.get("escalated", 0),
        escalated_conversations=conv_counts.get("escalated", 0),
        messages_sent_today=direction_counts.get("outbound", 0),
        messages_received_today=direction_counts.get("inbound", 0),
        status_counts=status_counts,
    )


def _same_point_last_month(now: dt.datetime) -> dt.datetime:
    """The same day and time one month earlier (clamped to the shorter month's last day)."""
    import calendar

    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))


def _as_money(value) -> Decimal:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return Decimal(int(value)).quantize(Decimal("0.01")) if isinstance(value, int) else Decimal(str(value))
