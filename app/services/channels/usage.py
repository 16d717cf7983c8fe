"""Messages counted per business per billing period: once when a provider takes a message, once per inbound."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models import Business, UsageCounter


def period_start(business: Business | None, at: dt.datetime) -> dt.date:
    """The billing period holding `at`: the subscription's period when it covers `at`, else the calendar month."""
    day = at.date()
    if business is not None and business.billing_period_start and business.billing_period_end \
            and business.billing_period_start <= day < business.billing_period_end:
        return business.billing_period_start
    return day.replace(day=1)


def count(db_session, business_id, *, at: dt.datetime, sent: int = 0, received: int = 0) -> None:
    """Add to this period's counters (an increment in the database, so concurrent writers never lose one)."""
    business = db_session.get(Business, business_id)
    start = period_start(business, at)
    values = {"sent": UsageCounter.sent + sent, "received": UsageCounter.received + received}
    where = (UsageCounter.business_id == business_id, UsageCounter.period_start == start)
    if db_session.execute(update(UsageCounter).where(*where).values(**values)).rowcount:
        return
    try:
        with db_session.begin_nested():
            db_session.add(UsageCounter(business_id=business_id, period_start=start, sent=sent, received=received))
    except IntegrityError:  # another writer created the row first
        db_session.execute(update(UsageCounter).where(*where).values(**values))


def current(db_session, business_id, at: dt.datetime) -> UsageCounter | None:
    business = db_session.get(Business, business_id)
    return db_session.scalars(select(UsageCounter).where(
        UsageCounter.business_id == business_id, UsageCounter.period_start == period_start(business, at))).first()
