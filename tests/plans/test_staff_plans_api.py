"""Staff plan changes through PATCH /api/v1/payment-plans/:id (PRD 4.4.4 FR-PAY-031): adjusting the installment
amount (the count follows), extending, and canceling with a reason (what is not charged yet is canceled, pending
requests are closed, the debtor is told), each versioned or audited."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.factories import gen_account, gen_business
from tests.plans.change_request_helpers import actions_of, active_plan, ask, debtor_messages, requests_of
from tests.plans.helpers import caller, create, installments_of, pay_installments, plan_of, total_of


def _patch(client, headers, plan_id, **body):
    return client.patch(f"/api/v1/payment-plans/{plan_id}", json=body, headers=headers)


@pytest.fixture
def manager_api(client, clock):
    business = gen_business()
    return business, caller(client, clock, business, "manager")[1]


def _prd_plan(client, headers, business) -> str:
    """The PRD 7.5 plan ($1,250: $250 down, ten monthly $100 installments from January 1), down payment paid."""
    account = gen_account(business, current_balance=Decimal("1250.00"))
    response = create(client, headers, account)
    assert response.status_code == 201, response.get_json()
    plan_id = response.get_json()["data"]["id"]
    pay_installments(plan_id, 0, 1, at=dt.datetime(2026, 12, 1, 15, tzinfo=dt.timezone.utc))
    return plan_id


def test_adjusting_the_installment_amount_recomputes_the_count(client, manager_api):
    """$900 is unpaid after installment 1; at most $150 each makes 6 more (7 in all) of $150."""
    business, headers = manager_api
    plan_id = _prd_plan(client, headers, business)
    response = _patch(client, headers, plan_id, installmentAmount=150)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["numberOfInstallments"] == 7 and data["installmentAmount"] == Decimal("150.00") and data["version"] == 2
    rows = installments_of(plan_id)
    assert [r.amount for r in rows if r.status == "scheduled"] == [Decimal("150.00")] * 6
    assert total_of(rows) == Decimal("1250.00")
    assert data["previousSchedules"][0]["numberOfInstallments"] == 10
    # $130 at most: 900 / 130 is 6.9, so 7 more of $128.57 (the last $128.58).
    data = _patch(client, headers, plan_id, installmentAmount="130.00").get_json()["data"]
    assert data["numberOfInstallments"] == 8 and data["installmentAmount"] == Decimal("128.57")
    assert total_of(installments_of(plan_id)) == Decimal("1250.00")


def test_extending_adds_installments(client, manager_api):
    business, headers = manager_api
    plan_id = _prd_plan(client, headers, business)
    data = _patch(client, headers, plan_id, numberOfInstallments=19).get_json()["data"]
    assert data["numberOfInstallments"] == 19 and data["installmentAmount"] == Decimal("50.00")
    assert data["schedule"][-1]["dueDate"] == "2028-07-01"


def test_amount_and_count_together_or_a_tiny_amount_are_refused(client, manager_api):
    business, headers = manager_api
    plan_id = _prd_plan(client, headers, business)
    response = _patch(client, headers, plan_id, installmentAmount=150, numberOfInstallments=8)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "installmentAmount"
    response = _patch(client, headers, plan_id, installmentAmount="0.50")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "installmentAmount"
    assert plan_of(plan_id).schedule_versions == []


def test_canceling_needs_a_reason_then_ends_the_plan(client, clock):
    business, account, plan = active_plan()
    _, headers = caller(client, clock, business, "manager")
    pending = ask(account, plan, date=dt.date(2027, 1, 15))
    response = _patch(client, headers, plan.id, status="canceled")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reason"
    response = _patch(client, headers, plan.id, status="canceled", reason="Settled with the creditor directly")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "canceled" and data["nextPaymentDate"] is None
    assert [r["status"] for r in data["schedule"]] == ["paid", "canceled", "canceled", "canceled"]
    assert plan_of(plan.id).canceled_at == clock.now()
    [closed] = requests_of(plan)
    assert closed.id == pending.id and closed.status == "declined"
    assert closed.decision_reason == "The plan was canceled."
    assert actions_of(plan)[-1] == "payment_plan_canceled"
    told = debtor_messages(account)[-1]
    assert told.kind == "transactional" and "has been canceled" in told.content
    assert "Reason: Settled with the creditor directly." in told.content
    response = _patch(client, headers, plan.id, status="active")
    assert response.status_code == 409


def test_cancel_with_a_schedule_change_is_refused(client, manager_api):
    business, headers = manager_api
    plan_id = _prd_plan(client, headers, business)
    response = _patch(client, headers, plan_id, status="canceled", reason="x", numberOfInstallments=12)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "status"
    assert plan_of(plan_id).status == "active"


def test_agents_cannot_change_or_cancel(client, clock, manager_api):
    business, headers = manager_api
    plan_id = _prd_plan(client, headers, business)
    _, agent = caller(client, clock, business, "agent")
    for body in ({"installmentAmount": 150}, {"status": "canceled", "reason": "no"}, {"numberOfInstallments": 12}):
        assert _patch(client, agent, plan_id, **body).status_code == 403
    other_business = gen_business()
    _, outsider = caller(client, clock, other_business, "manager")
    assert _patch(client, outsider, plan_id, status="canceled", reason="x").status_code == 404
    assert plan_of(plan_id).status == "active"


def test_the_openapi_document_lists_the_new_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    patch = spec["paths"]["/payment-plans/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"installmentAmount", "reason"} <= set(patch["properties"])
    assert "canceled" in patch["properties"]["status"]["enum"]
    assert "get" in spec["paths"]["/payment-plans/{id}/change-requests"]
    assert "post" in spec["paths"]["/payment-plans/{id}/change-requests/{rid}/approve"]
    decline = spec["paths"]["/payment-plans/{id}/change-requests/{rid}/decline"]["post"]
    assert decline["requestBody"]["content"]["application/json"]["schema"]["required"] == ["reason"]
