"""Is money exact and is time zone-aware on every database?"""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from app.extensions import db
from app.models import Account
from tests.factories import gen_account, gen_business


def test_money_round_trips_exactly_and_sums_exactly():
    business = gen_business()
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("9999999999.99"), Decimal("1234.56")]
    for amount in amounts:
        gen_account(business, current_balance=amount)
    db.session.expire_all()
    stored = sorted(db.session.scalars(select(Account.current_balance)).all())
    assert stored == sorted(amounts) and all(isinstance(a, Decimal) for a in stored)
    total = db.session.scalar(select(func.sum(Account.current_balance)))
    assert total == sum(amounts)


def test_money_refuses_float_and_sub_cent_amounts():
    business = gen_business()
    with pytest.raises((StatementError, TypeError)):
        gen_account(business, current_balance=0.1)
    db.session.rollback()
    with pytest.raises((StatementError, ValueError)):
        gen_account(business, current_balance=Decimal("1.005"))
    db.session.rollback()


def test_timestamps_are_aware_utc_and_naive_ones_are_refused():
    business = gen_business()
    account = gen_account(business, sms_consent_date=dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    db.session.expire_all()
    reloaded = db.session.get(Account, account.id)
    assert reloaded.sms_consent_date == dt.datetime(2026, 1, 1, 14, 0, tzinfo=dt.timezone.utc)
    assert reloaded.created_at.tzinfo is not None
    reloaded.sms_consent_date = dt.datetime(2026, 1, 1, 9, 0)
    with pytest.raises(StatementError):
        db.session.commit()
    db.session.rollback()


def test_account_numbers_are_unique_per_business_only():
    from sqlalchemy.exc import IntegrityError

    a, b = gen_business(), gen_business()
    gen_account(a, account_number="ACC-1")
    gen_account(b, account_number="ACC-1")
    with pytest.raises(IntegrityError):
        gen_account(a, account_number="ACC-1")
    db.session.rollback()
