"""The change-request endpoints: GET /api/v1/payment-plans/:id/change-requests, POST .../:rid/approve and
.../:rid/decline {reason}; who may, and another business's plan is 404."""
from __future__ import annotations

import datetime as dt

from tests.factories import NOW, gen_business
from tests.plans.change_request_helpers import active_plan, ask, requests_of
from tests.plans.helpers import caller, plan_of


def _base(plan) -> str:
    return f"/api/v1/payment-plans/{plan.id}/change-requests"


def test_listing_approving_and_declining(client, clock):
    business, account, plan = active_plan()
    _, headers = caller(client, clock, business, "manager")
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    response = client.get(_base(plan), headers=headers)
    assert response.status_code == 200
    [listed] = response.get_json()["data"]
    assert listed["id"] == str(change.id) and listed["kind"] == "date_change" and listed["status"] == "pending"
    assert listed["requestedDate"] == "2027-01-15" and listed["reason"] == "My payday moved to the 15th."

    response = client.post(f"{_base(plan)}/{change.id}/approve", headers=headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["status"] == "approved" and data["planVersion"] == 2
    assert data["plan"]["nextPaymentDate"] == "2027-01-15" and len(data["plan"]["previousSchedules"]) == 1
    assert client.post(f"{_base(plan)}/{change.id}/approve", headers=headers).status_code == 409

    second = ask(account, plan, "hardship_pause", periods=1, now=NOW + dt.timedelta(minutes=5))
    response = client.post(f"{_base(plan)}/{second.id}/decline", json={}, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reason"
    response = client.post(f"{_base(plan)}/{second.id}/decline", json={"reason": "Please call us first."},
                           headers=headers)
    assert response.status_code == 200
    assert response.get_json()["data"]["decisionReason"] == "Please call us first."
    assert [r["status"] for r in client.get(_base(plan), headers=headers).get_json()["data"]] == [
        "declined", "approved"]


def test_agents_read_but_do_not_decide_and_other_businesses_see_nothing(client, clock):
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    _, agent = caller(client, clock, business, "agent")
    assert client.get(_base(plan), headers=agent).status_code == 200
    assert client.post(f"{_base(plan)}/{change.id}/approve", headers=agent).status_code == 403
    assert client.post(f"{_base(plan)}/{change.id}/decline", json={"reason": "no"}, headers=agent).status_code == 403
    _, outsider = caller(client, clock, gen_business(), "manager")
    assert client.get(_base(plan), headers=outsider).status_code == 404
    assert client.post(f"{_base(plan)}/{change.id}/approve", headers=outsider).status_code == 404
    assert client.post(f"{_base(plan)}/not-a-uuid/approve",
                       headers=caller(client, clock, business, "manager")[1]).status_code == 404
    assert requests_of(plan)[0].status == "pending" and plan_of(plan.id).schedule_versions == []
