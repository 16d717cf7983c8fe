"""Grid totals: exact when counting is cheap, the planner's estimate when the count would blow the page budget,
and the transaction (and its statement timeout) left as it was either way."""
import pytest
from sqlalchemy import text

from app.extensions import db
from app.services.accounts import search
from app.services.accounts.search import AccountQuery, build, run
from app.services.tenancy import Principal
from tests.factories import gen_account, gen_business


def _principal(business):
    return Principal(business_id=business.id, role="manager")


def test_small_results_have_an_exact_total():
    business = gen_business()
    for n in range(3):
        gen_account(business, last_name=f"Lopez{n}")
    gen_account(gen_business(), last_name="Lopez9")
    rows, total, estimate = run(db.session, _principal(business), AccountQuery(search="lopez"), page=1, limit=2)
    assert (len(rows), total, estimate) == (2, 3, False)


def test_a_count_beyond_the_budget_falls_back_to_the_estimate_and_leaves_the_session_usable(monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the count budget is a PostgreSQL statement timeout")
    business = gen_business()
    gen_account(business, last_name="Slow")
    slow = build(_principal(business), AccountQuery()).where(text("(SELECT pg_sleep(0.3)::text) IS NOT NULL"))
    assert search._capped_count(db.session, slow) is None
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0"
    monkeypatch.setattr(search, "build", lambda principal, query: slow)
    rows, total, estimate = run(db.session, _principal(business), AccountQuery(), page=1, limit=20)
    assert len(rows) == 1 and estimate is True and total >= 1
    fast = build(_principal(business), AccountQuery())
    assert search._capped_count(db.session, fast) == 1
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "0", "the budget does not outlive the count"
