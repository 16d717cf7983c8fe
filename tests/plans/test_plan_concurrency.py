"""Twenty requests to set up a plan for one account at the same moment: exactly one plan is made, every other
request answers 409 ACTIVE_PLAN naming it."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import PaymentInstallment, PaymentPlan
from tests.factories import gen_account, gen_business
from tests.plans.helpers import caller, plan_body

REQUESTS = 20


def test_concurrent_requests_make_one_plan(app, client, clock, monkeypatch):
    """Each request on its own thread, app context and database session, as a threaded server's would."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    business = gen_business()
    account = gen_account(business, current_balance=Decimal("1250.00"))
    _, headers = caller(client, clock, business, "manager")
    bodies = [plan_body(account, numberOfInstallments=count) for count in range(1, REQUESTS + 1)]
    gate = threading.Barrier(REQUESTS)

    def create(body):
        with app.test_client() as own:
            gate.wait()
            response = own.post("/api/v1/payment-plans", json=body, headers=headers)
            return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(create, bodies))

    made = [body["data"] for status, body in answers if status == 201]
    assert len(made) == 1, sorted({status for status, _ in answers})
    refused = [body["error"] for status, body in answers if status != 201]
    assert {status for status, _ in answers if status != 201} == {409}
    assert all(error["code"] == "ACTIVE_PLAN" and error["planId"] == made[0]["id"] for error in refused)
    db.session.expire_all()
    [plan] = db.session.scalars(select(PaymentPlan)).all()
    rows = db.session.scalars(select(PaymentInstallment)).all()
    assert len(rows) == plan.number_of_installments + 1
    db.session.remove()
