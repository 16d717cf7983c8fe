"""Are the dashboard figures right, and compared like for like?"""
import datetime as dt
from decimal import Decimal

from app.extensions import db
from app.models import Payment
from app.services.dashboard import summary
from app.services.tenancy import Principal
from tests.factories import gen_account, gen_business

UTC = dt.timezone.utc


def _pay(business, account, amount, at, status="succeeded"):
    db.session.add(Payment(business_id=business.id, account_id=account.id, amount=Decimal(amount),
                           payment_method="card", status=status, processed_at=at))


def test_month_to_date_is_compared_with_the_same_stretch_of_last_month(clock):
    clock.set(dt.datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    business = gen_business()
    account = gen_account(business)
    _pay(business, account, "100.00", dt.datetime(2026, 11, 3, tzinfo=UTC))
    _pay(business, account, "50.25", dt.datetime(2026, 11, 24, tzinfo=UTC))
    _pay(business, account, "999.00", dt.datetime(2026, 11, 20, tzinfo=UTC), status="failed")
    _pay(business, account, "80.00", dt.datetime(2026, 10, 10, tzinfo=UTC))
    _pay(business, account, "500.00", dt.datetime(2026, 10, 30, tzinfo=UTC))  # after Oct 25: not comparable
    db.session.commit()
    figures = summary(db.session, Principal(business_id=business.id, role="manager"), clock.now())
    assert figures.collected_this_month == Decimal("150.25")
    assert figures.collected_last_month_to_date == Decimal("80.00")
    assert figures.collected_change_pct == Decimal("87.8")
    assert figures.total_accounts == 1 and figures.total_outstanding == Decimal("1250.00")


def test_march_31_compares_with_february_end(clock):
    from app.services.dashboard import _same_point_last_month

    assert _same_point_last_month(dt.datetime(2027, 3, 31, 9, tzinfo=UTC)) == dt.datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert _same_point_last_month(dt.datetime(2027, 1, 15, tzinfo=UTC)) == dt.datetime(2026, 12, 15, tzinfo=UTC)
