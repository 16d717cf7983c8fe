"""A paused plan (a hardship pause) is still the debtor's agreement: it holds the account like a pending or active
one (no deletion, counted by the grid's "has a plan" filter); a completed or canceled one does not."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.services.accounts import records, search
from app.services.errors import DomainError
from app.services.tenancy import Principal
from tests.factories import gen_account, gen_business, gen_plan, gen_user


def _plan(status):
    business = gen_business()
    account = gen_account(business)
    plan = gen_plan(business, account)
    plan.status = status
    db.session.commit()
    manager = gen_user(business, "manager")
    return account, Principal(business_id=business.id, role="manager", user_id=manager.id)


@pytest.mark.parametrize("status", ["pending", "active", "paused"])
def test_an_open_plan_holds_the_account(clock, status):
    account, principal = _plan(status)
    with pytest.raises(DomainError) as refused:
        records.delete_account(db.session, principal, account, clock.now())
    assert refused.value.code == "ACTIVE_PLAN"
    rows, _, _ = search.run(db.session, principal, search.AccountQuery(has_active_plan=True), page=1, limit=20)
    assert [r.id for r in rows] == [account.id]
    rows, _, _ = search.run(db.session, principal, search.AccountQuery(has_active_plan=False), page=1, limit=20)
    assert rows == []


@pytest.mark.parametrize("status", ["completed", "canceled", "defaulted"])
def test_a_closed_plan_does_not(clock, status):
    account, principal = _plan(status)
    rows, _, _ = search.run(db.session, principal, search.AccountQuery(has_active_plan=True), page=1, limit=20)
    assert rows == []
    records.delete_account(db.session, principal, account, clock.now())
    assert account.deleted_at == clock.now()
