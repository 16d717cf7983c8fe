"""The account file's Payments tab in a browser: a manager records a check (a mistake shown inline first), sees it
in the history with its receipt number, then refunds part of it through the confirm step, at desktop and phone
widths."""
import re

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import api_call, api_token, check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]


def test_a_manager_records_a_check_and_refunds_part_of_it(page, live_server):
    token = api_token(live_server, MANAGER_EMAIL, MANAGER_SECRET)
    account = api_call(live_server, "POST", "/accounts", token, {
        "firstName": "Marisol", "lastName": "Quintero", "currentBalance": 640.00, "state": "TX", "zip": "73301",
        "email": "marisol.quintero@example.com"})["data"]
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.goto(f"{live_server}/accounts/{account['id']}")
    page.locator("nav.tabs").get_by_role("link", name="Payments").click()
    expect(page).to_have_url(re.compile(r"tab=payments"))
    expect(page.locator(".account-payments-empty")).to_contain_text("No payments yet.")
    check_accessibility(page, "account-payments-empty-1280")
    screenshot(page, "account-payments-empty-1280")

    page.get_by_label("Amount ($)").fill("700")
    page.get_by_label("Paid by").select_option("check")
    page.get_by_label("Reference", exact=True).fill("5512")
    page.get_by_role("button", name="Record payment").click()
    error = page.locator("#pay-amount-error")
    expect(error).to_contain_text("more than the $640.00 still owed")
    expect(page.get_by_label("Reference", exact=True)).to_have_value("5512")
    check_accessibility(page, "account-payments-error-1280")

    page.get_by_label("Amount ($)").fill("200.00")
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".alert-success")).to_contain_text("$200.00 by check recorded.")
    table = page.locator("table.payments-table")
    expect(table).to_contain_text("Check 5512")
    expect(table).to_contain_text("Priya Raman")
    expect(table).to_contain_text(re.compile(r"R-\d{4}-\d{6}"))
    expect(page.locator(".figure-value").first).to_have_text("$440.00")

    page.get_by_role("link", name=re.compile(r"^Refund")).click()
    amount = page.get_by_label("Amount to refund ($)")
    expect(amount).to_have_value("200.00")
    amount.fill("50")
    page.get_by_label(re.compile(r"^Reason")).fill("Check partly returned")
    page.get_by_role("button", name="Review refund").click()
    expect(page.locator(".refund-confirm")).to_contain_text("Refund $50.00?")
    expect(page.locator(".refund-confirm")).to_contain_text("to $490.00")
    check_accessibility(page, "account-payments-confirm-1280")
    screenshot(page, "account-payments-confirm-1280")
    page.get_by_role("button", name="Confirm refund of $50.00").click()
    expect(page.locator(".alert-success")).to_contain_text("Refunded $50.00")
    expect(table).to_contain_text("Partly refunded")
    expect(page.locator(".figure-value").first).to_have_text("$490.00")
    check_accessibility(page, "account-payments-1280")
    screenshot(page, "account-payments-1280")

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator("table.payments-table")).to_contain_text("Check 5512")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "account-payments-375")
    screenshot(page, "account-payments-375")
    page.get_by_role("link", name=re.compile(r"^Refund")).click()
    expect(page.get_by_label("Amount to refund ($)")).to_have_value("150.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "account-payments-refund-375")
    screenshot(page, "account-payments-refund-375")
