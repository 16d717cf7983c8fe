"""A debtor asks on their phone to move their next plan payment, and staff approve it in the account file's Plans
tab: the debtor's form (an inline error first) at 375 px, the request pending; the business admin approves it at
1280 px and the schedule moves; the tab at 375 px. Checked with axe and photographed at both widths."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api, check_accessibility, screenshot
from tests.e2e.test_portal import _business_setup, _daytime_place, _manager_token, _new_account
from tests.e2e.test_plan_agreement import debtor_with_a_plan
from tests.e2e.test_portal_pay import _look


def test_staff_approve_a_debtors_date_change(page, browser, live_server):
    base = str(live_server)
    # the business admin stays signed in on `page`
    token, account, start, plan_id, debtor, phone = debtor_with_a_plan(page, browser, base)

    phone.goto(f"{base}/p/plans/{plan_id}/change")
    expect(phone.get_by_role("heading", name="Ask to change your payment plan")).to_be_visible()
    _look(phone, "portal-plan-change")
    phone.get_by_label("A different payment date").check()
    phone.get_by_label("New date for your next payment").fill((start + dt.timedelta(days=3)).isoformat())
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.locator("#change-reason-error")).to_have_text("Tell us why you need the change.")
    expect(phone.get_by_label("Why do you need this change?")).to_have_attribute("aria-invalid", "true")
    check_accessibility(phone, "portal-plan-change-error-375")
    screenshot(phone, "portal-plan-change-error-375")
    phone.get_by_label("Why do you need this change?").fill("My payday moved to later in the week.")
    phone.get_by_role("button", name="Send my request").click()
    expect(phone.locator(".alert-success")).to_contain_text("Your request was sent.")
    expect(phone.locator(".portal-requests")).to_contain_text("Waiting for an answer")
    _look(phone, "portal-plan-change-sent")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/accounts/{account['id']}")
    page.locator("nav.tabs").get_by_role("link", name="Plans").click()
    expect(page).to_have_url(re.compile(r"tab=plans"))
    request = page.locator(".plan-request")
    expect(request).to_contain_text("Date change")
    expect(request).to_contain_text("My payday moved to later in the week.")
    check_accessibility(page, "account-plans-request-1280")
    screenshot(page, "account-plans-request-1280")
    request.get_by_role("button", name="Decline").click()
    expect(page.locator(".plan-request .error-text")).to_contain_text("Give the reason for declining")
    page.locator(".plan-request").get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.locator(".alert-success")).to_contain_text("Request approved")
    moved = (start + dt.timedelta(days=3)).isoformat()
    expect(page.locator("table.plan-schedule")).to_contain_text(moved)
    expect(page.locator(".plan-request")).to_contain_text("Approved")
    page.locator("details.plan-version summary").first.click()
    expect(page.locator("details.plan-version").first).to_contain_text(start.isoformat())
    check_accessibility(page, "account-plans-1280")
    screenshot(page, "account-plans-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, "account-plans-375")
    screenshot(page, "account-plans-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    plan = _api(base, "GET", f"/payment-plans/{plan_id}", token)["data"]
    assert plan["nextPaymentDate"] == moved and plan["version"] == 2
    phone.goto(f"{base}/p/plans/{plan_id}/change")
    expect(phone.locator(".portal-requests")).to_contain_text("Approved")
    debtor.close()


def test_staff_set_up_a_plan_with_the_live_preview(page, live_server):
    """No open plan: the set-up form's preview follows what is typed, and the plan is made."""
    base = str(live_server)
    _business_setup(page, base)
    account = _new_account(base, _manager_token(base), _daytime_place())
    page.goto(f"{base}/accounts/{account['id']}?tab=plans")
    form = page.locator("form.plan-create")
    expect(form).to_contain_text("Set up a plan")
    form.get_by_label("Installments").fill("4")
    form.get_by_label("Down payment ($)").fill("112.40")
    expect(page.locator("#plan-preview")).to_contain_text("Preview: $612.40 in all, $112.40 down")
    expect(page.locator("#plan-preview table")).to_contain_text("$125.00")
    form.get_by_label("Down payment ($)").fill("700")
    expect(page.locator("#plan-preview")).to_contain_text("downPayment must be less than the total")
    check_accessibility(page, "account-plans-setup-1280")
    screenshot(page, "account-plans-setup-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, "account-plans-setup-375")
    screenshot(page, "account-plans-setup-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    form.get_by_label("Down payment ($)").fill("112.40")
    expect(page.locator("#plan-preview")).to_contain_text("Preview: $612.40 in all")
    form.get_by_role("button", name="Set up the plan").click()
    expect(page.locator(".alert-success")).to_contain_text("$612.40 plan set up: 4 monthly installments of $125.00")
    expect(page.locator("table.plan-schedule")).to_contain_text("Installment 4")
