"""The Plans tab of the account file: the open plan with its schedule and earlier versions, the debtor's requests
with Approve and Decline (reason required, inline), the staff changes (cancel asks to confirm), "Set up a plan"
with its live preview, and who may do what."""
from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

from app.extensions import db
from app.models import PaymentPlan
from app.services.payments import plan_records
from tests.factories import gen_account, gen_business, gen_user
from tests.plans.change_request_helpers import active_plan, ask, requests_of
from tests.plans.helpers import plan_of
from tests.web.auth_helpers import sign_in

HTMX = {"HX-Request": "true"}


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _tab(account) -> str:
    return f"/accounts/{account.id}?tab=plans"


def _signed_in(client, clock, business, role="manager"):
    user = gen_user(business, role)
    sign_in(client, user, clock)
    return user


def test_the_tab_shows_the_plan_its_schedule_and_a_pending_request(client, clock):
    business, account, plan = active_plan()
    ask(account, plan, date=dt.date(2027, 1, 15))
    _signed_in(client, clock, business)
    response = client.get(_tab(account))
    page, raw = _text(response), response.get_data(as_text=True)
    assert response.status_code == 200 and 'aria-current="page">Plans' in raw
    assert "Payment plan Active" in page and "$412.50 ($50.00 down)" in page
    assert "Down payment 2026-12-01 $50.00 Paid" in page and "Installment 3 2027-03-01 $120.84 Scheduled" in page
    assert "No late fees" in page
    assert "Date change Pending" in page and "Move the next payment to 2027-01-15" in page
    assert "Debtor's reason: My payday moved to the 15th." in page
    assert ">Approve<" in raw and "Reason to decline" in raw
    assert "Pause the plan" in page and "Move the date" in page and "Adjust the amount" in page
    assert "Extend the plan" in page and "Cancel the plan" in page
    assert "Set up a plan" not in page


def test_declining_without_a_reason_is_an_inline_error_then_approving_works(client, clock):
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    _signed_in(client, clock, business)
    base = f"/accounts/{account.id}/plans/{plan.id}/requests/{change.id}"
    refused = client.post(f"{base}/decline", data={"reason": ""}, headers=HTMX)
    raw = refused.get_data(as_text=True)
    assert refused.status_code == 400 and raw.lstrip().startswith('<div id="account-plans"')
    assert f'id="decline-{change.id}-error"' in raw and "Give the reason for declining" in raw
    assert f'aria-invalid="true" aria-describedby="decline-{change.id}-error"' in raw
    assert requests_of(plan)[0].status == "pending"

    approved = client.post(f"{base}/approve", headers=HTMX)
    assert approved.status_code == 200 and approved.headers["HX-Redirect"].endswith(_tab(account))
    assert requests_of(plan)[0].status == "approved"
    page = _text(client.get(_tab(account)))
    assert "Request approved: move the next payment to 2027-01-15" in page
    assert "Installment 1 2027-01-15" in page and "Earlier versions" in page
    assert "Version 1: 3 installments of $120.83" in page and "Approved 2026-11-25: version 2 of the plan" in page


def test_a_request_that_cannot_be_applied_says_so_inline(client, clock):
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2026, 12, 10))
    _signed_in(client, clock, business)
    clock.set(dt.datetime(2026, 12, 20, 18, 0, tzinfo=dt.timezone.utc))
    sign_in(client, gen_user(business, "manager"), clock)
    response = client.post(f"/accounts/{account.id}/plans/{plan.id}/requests/{change.id}/approve", headers=HTMX)
    assert response.status_code == 400
    assert f'id="request-{change.id}-error"' in response.get_data(as_text=True)
    assert "Decline it with a reason instead" in _text(response)


def test_staff_changes_with_inline_errors(client, clock):
    business, account, plan = active_plan()
    _signed_in(client, clock, business)
    url = f"/accounts/{account.id}/plans/{plan.id}/change"
    response = client.post(url, data={"action": "reschedule", "nextPaymentDate": "2026-11-01"}, headers=HTMX)
    assert response.status_code == 400 and 'id="plan-reschedule-error"' in response.get_data(as_text=True)
    assert "nextPaymentDate cannot be in the past" in _text(response)
    response = client.post(url, data={"action": "adjust", "installmentAmount": "abc"}, headers=HTMX)
    assert response.status_code == 400 and 'id="plan-adjust-error"' in response.get_data(as_text=True)
    whole = client.post(url, data={"action": "extend", "numberOfInstallments": "two"})  # no HTMX: the whole page
    raw = whole.get_data(as_text=True)
    assert whole.status_code == 400 and 'aria-current="page">Plans' in raw and 'id="plan-extend-error"' in raw
    done = client.post(url, data={"action": "pause"})
    assert done.status_code == 303 and done.headers["Location"].endswith(_tab(account))
    assert client.post(url, data={"action": "resume"}, headers=HTMX).status_code == 200

    assert client.post(url, data={"action": "adjust", "installmentAmount": "100"}, headers=HTMX).status_code == 200
    assert plan_of(plan.id).number_of_installments == 4
    assert client.post(url, data={"action": "extend", "numberOfInstallments": "6"}, headers=HTMX).status_code == 200
    assert plan_of(plan.id).number_of_installments == 6 and len(plan_of(plan.id).schedule_versions) == 2
    assert client.post(url, data={"action": "pause"}, headers=HTMX).status_code == 200
    assert plan_of(plan.id).status == "paused"
    page = _text(client.get(_tab(account)))
    assert "Plan paused: nothing is charged until it is resumed." in page and "Resume the plan" in page
    assert client.post(url, data={"action": "resume"}, headers=HTMX).status_code == 200
    assert plan_of(plan.id).status == "active"


def test_canceling_asks_for_a_reason_then_to_confirm(client, clock):
    business, account, plan = active_plan()
    _signed_in(client, clock, business)
    url = f"/accounts/{account.id}/plans/{plan.id}/change"
    response = client.post(url, data={"action": "cancel", "reason": ""}, headers=HTMX)
    assert response.status_code == 400 and 'id="plan-cancel-error"' in response.get_data(as_text=True)
    response = client.post(url, data={"action": "cancel", "reason": "Paid in full by the creditor"}, headers=HTMX)
    page = _text(response)
    assert response.status_code == 200 and "Cancel this plan?" in page
    assert "The 3 payments not yet made are canceled" in page and "Confirm: cancel the plan" in page
    assert plan_of(plan.id).status == "active"
    done = client.post(url, data={"action": "cancel", "reason": "Paid in full by the creditor", "confirm": "yes"},
                       headers=HTMX)
    assert done.status_code == 200 and plan_of(plan.id).status == "canceled"
    page = _text(client.get(_tab(account)))
    assert "Plan canceled. The debtor has been told why." in page and "Earlier plans" in page
    assert "Set up a plan" in page


def test_setting_up_a_plan_with_a_preview(client, clock):
    business = gen_business()
    account = gen_account(business, current_balance=Decimal("600.00"))
    _signed_in(client, clock, business, "agent")
    page = _text(client.get(_tab(account)))
    assert "No open plan on this account." in page and "Agents set up plans within the business's plan policy" in page
    values = {"totalAmount": "600.00", "downPayment": "100.00", "numberOfInstallments": "5", "frequency": "monthly",
              "startDate": "2026-12-01", "notes": ""}
    preview = client.post(f"/accounts/{account.id}/plans/preview", data=values, headers=HTMX)
    text = _text(preview)
    assert preview.status_code == 200 and "Preview: $600.00 in all, $100.00 down on 2026-12-01" in text
    assert "Installment 5 2027-05-01 $100.00" in text
    wrong = client.post(f"/accounts/{account.id}/plans/preview", data={**values, "numberOfInstallments": "30"},
                        headers=HTMX)
    assert "The plan policy allows at most 24 months" in _text(wrong)
    refused = client.post(f"/accounts/{account.id}/plans", data={**values, "totalAmount": "500"}, headers=HTMX)
    assert refused.status_code == 400 and 'id="plan-totalAmount-error"' in refused.get_data(as_text=True)
    assert 'value="500"' in refused.get_data(as_text=True)
    created = client.post(f"/accounts/{account.id}/plans", data=values, headers=HTMX)
    assert created.status_code == 200 and created.headers["HX-Redirect"].endswith(_tab(account))
    plan = plan_records.open_plan(db.session, account.id)
    assert plan.status == "pending" and plan.number_of_installments == 5
    page = _text(client.get(_tab(account)))
    assert "$600.00 plan set up: 5 monthly installments of $100.00" in page
    # An agent sees the plan but not the changes, and may not make them.
    assert "Change the plan" not in page
    assert client.post(f"/accounts/{account.id}/plans/{plan.id}/change", data={"action": "pause"},
                       headers=HTMX).status_code == 403


def test_agents_cannot_decide_and_other_businesses_get_404(client, clock):
    business, account, plan = active_plan()
    change = ask(account, plan, date=dt.date(2027, 1, 15))
    _signed_in(client, clock, business, "agent")
    page = client.get(_tab(account)).get_data(as_text=True)
    assert "A manager or business admin decides this request." in page and ">Approve<" not in page
    base = f"/accounts/{account.id}/plans/{plan.id}/requests/{change.id}"
    assert client.post(f"{base}/approve", headers=HTMX).status_code == 403
    assert client.post(f"{base}/decline", data={"reason": "no"}, headers=HTMX).status_code == 403
    client.post("/logout")
    other = gen_business()
    _signed_in(client, clock, other)
    assert client.get(_tab(account)).status_code == 404
    assert client.post(f"{base}/approve", headers=HTMX).status_code == 404
    other_account = gen_account(other)
    assert client.post(f"/accounts/{other_account.id}/plans/{plan.id}/requests/{change.id}/approve",
                       headers=HTMX).status_code == 404
    assert requests_of(plan)[0].status == "pending"
    assert db.session.get(PaymentPlan, plan.id).schedule_versions == []
