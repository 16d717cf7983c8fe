"""Can a principal of business A ever see business B's rows? (never: by list, by id or by search)"""
import pytest
from sqlalchemy import String, select

from app.extensions import db
from app.models import Account, Base, User
from app.models.base import BusinessOwned
from app.services.errors import NotFound
from app.services.tenancy import Principal, get_scoped, scoped
from tests.factories import UNSCOPED_TABLES, gen_business, gen_business_rows

SCOPED_MODELS = sorted((m.class_ for m in Base.registry.mappers if issubclass(m.class_, BusinessOwned)),
                       key=lambda m: m.__name__)


def test_every_table_is_classified():
    """A new table must be either business-owned (tenancy tests cover it) or listed as unscoped with a reason."""
    every = {m.class_ for m in Base.registry.mappers}
    assert every == set(SCOPED_MODELS) | set(UNSCOPED_TABLES)


@pytest.fixture
def two_tenants():
    a, b = gen_business("Alpha Collections"), gen_business("Beta Recovery")
    return (a, gen_business_rows(a)), (b, gen_business_rows(b))


def _text_column(model):
    for column in model.__table__.columns:
        if isinstance(column.type, String) and column.name not in ("status", "channel", "kind") and not column.foreign_keys:
            return column
    return None


@pytest.mark.parametrize("model", SCOPED_MODELS, ids=lambda m: m.__tablename__)
def test_rows_of_another_business_are_invisible(model, two_tenants):
    (a, rows_a), (b, rows_b) = two_tenants
    principal_a = Principal(business_id=a.id, role="business_admin")

    listed = db.session.scalars(scoped(model, principal_a)).all()
    assert listed, f"business A should see its own {model.__tablename__}"
    assert all(row.business_id == a.id for row in listed)
    assert rows_b[model].id not in {row.id for row in listed}

    with pytest.raises(NotFound):
        get_scoped(db.session, model, rows_b[model].id, principal_a)
    assert get_scoped(db.session, model, rows_a[model].id, principal_a).id == rows_a[model].id

    column = _text_column(model)
    if column is not None and getattr(rows_b[model], column.key) is not None:
        value = getattr(rows_b[model], column.key)
        found = db.session.scalars(scoped(model, principal_a).where(getattr(model, column.key) == value)).all()
        assert rows_b[model].id not in {r.id for r in found}, f"searching {column.key}={value!r} as A found B's row"
        assert all(r.business_id == a.id for r in found)


def test_no_principal_means_no_rows():
    """A missing scope never widens into 'everything'."""
    with pytest.raises(PermissionError):
        scoped(Account)


def test_soft_deleted_rows_are_hidden(two_tenants):
    (a, rows_a), _ = two_tenants
    principal = Principal(business_id=a.id, role="business_admin")
    account = rows_a[Account]
    account.deleted_at = account.created_at
    db.session.commit()
    assert db.session.scalars(scoped(Account, principal)).all() == []
    with pytest.raises(NotFound):
        get_scoped(db.session, Account, account.id, principal)
    assert db.session.scalars(scoped(Account, principal, include_deleted=True)).all() == [account]


def test_malformed_id_is_not_found(two_tenants):
    (a, _), _ = two_tenants
    with pytest.raises(NotFound):
        get_scoped(db.session, Account, "not-a-uuid", Principal(business_id=a.id, role="agent"))


def test_users_of_another_business_are_not_listed(two_tenants):
    (a, _), (b, _) = two_tenants
    emails_a = db.session.scalars(select(User.email).where(User.business_id == a.id)).all()
    assert emails_a and all("@" in e for e in emails_a)
    assert not set(emails_a) & set(db.session.scalars(select(User.email).where(User.business_id == b.id)).all())
