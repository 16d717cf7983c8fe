"""A debtor signs a payment plan agreement on a phone (375 px): a manager sets up the plan through the API, the
debtor opens the link, passes the identity check and reads the schedule and the agreement; a missing consent and a
name that is not theirs show inline; signing lands on the confirmation with the signed PDF. Checked with axe and
photographed at 375 and 1280 px."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api, screenshot
from tests.e2e.test_portal import _business_setup, _daytime_place, _manager_token, _new_account
from tests.e2e.test_portal_pay import _debtor_on_pay_page, _look, _payment_link


def debtor_with_a_plan(page, browser, base: str):
    """A manager sets up a pending plan ($112.40 down, 4 monthly payments from a week ahead) through the API and
    sends a payment link; the debtor passes its identity check on a phone. The business admin stays signed in on
    `page`. (manager's API token, account, start date, plan id, debtor's browser context, debtor's page)."""
    _business_setup(page, base)
    token = _manager_token(base)
    place = _daytime_place()
    account = _new_account(base, token, place)
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).date()
    created = _api(base, "POST", "/payment-plans", token, {
        "accountId": account["id"], "downPayment": 112.40, "numberOfInstallments": 4, "frequency": "monthly",
        "startDate": start.isoformat(), "autoPayEnabled": False})
    assert created["success"], created
    path, _ = _payment_link(base, token, account)
    debtor, phone = _debtor_on_pay_page(browser, base, path, place[1])
    return token, account, start, created["data"]["id"], debtor, phone


def test_a_debtor_reads_and_signs_a_plan_agreement_on_a_phone(page, browser, live_server):
    base = str(live_server)
    token, account, _, plan_id, debtor, phone = debtor_with_a_plan(page, browser, base)

    phone.goto(f"{base}/p/plans/{plan_id}/agreement")
    expect(phone.get_by_role("heading", name="Your payment plan agreement")).to_be_visible()
    expect(phone.get_by_role("heading", name="Payment schedule")).to_be_visible()
    expect(phone.locator("table")).to_contain_text("$125.00")
    expect(phone.locator(".agreement")).to_contain_text("This is an attempt to collect a debt.")
    _look(phone, "portal-plan-agreement")

    phone.get_by_label("Type your full name").fill("Dana Pena")
    phone.get_by_role("button", name="Sign the agreement").click()
    expect(phone.locator("#consent-error")).to_have_text("Check the box to agree to the plan.")
    phone.get_by_label("Type your full name").fill("Someone Else")
    phone.get_by_label("I have read this agreement and I agree to it.").check()
    phone.get_by_role("button", name="Sign the agreement").click()
    expect(phone.locator("#typed_name-error")).to_have_text(
        "Type your first and last name as they appear on your account.")
    expect(phone.get_by_label("Type your full name")).to_have_attribute("aria-invalid", "true")
    phone.set_viewport_size({"width": 375, "height": 812})
    screenshot(phone, "portal-plan-agreement-errors-375")

    phone.get_by_label("Type your full name").fill("dana  peña")
    phone.get_by_label("I have read this agreement and I agree to it.").check()
    phone.get_by_role("button", name="Sign the agreement").click()
    phone.wait_for_url(re.compile(rf"/p/plans/{plan_id}/agreement#signed$"))
    phone.wait_for_load_state()
    expect(phone.locator("#signed")).to_contain_text("Agreement signed")
    expect(phone.locator("#signed")).to_contain_text("as dana peña")
    expect(phone.locator("#signed")).to_contain_text("once your down payment of $112.40 is received")
    _look(phone, "portal-plan-agreement-signed")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download the signed agreement (PDF)").click()
    assert download.value.suggested_filename.startswith("payment-plan-agreement-")
    plan = _api(base, "GET", f"/payment-plans/{plan_id}", token)["data"]
    assert plan["agreementSigned"] is True and plan["status"] == "pending"
    debtor.close()
