"""A compliance officer's day in a browser: the account file answers "Can we contact now?", an opt-out received by
phone turns the SMS check to BLOCK at once, and the compliance page reads well on a desktop and on a phone."""
import re
import sqlite3
import uuid

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]


def _account_with_sms_consent(server) -> str:
    """A demo debtor whose texts are consented (so only time of day can hold an SMS back), as a URL id."""
    with sqlite3.connect(server.database) as conn:
        row = conn.execute(
            "SELECT a.id FROM accounts a WHERE a.sms_consent = 1 AND a.status = 'active' AND a.deleted_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM opt_out_events o WHERE o.account_id = a.id) ORDER BY a.account_number"
        ).fetchone()
    return str(uuid.UUID(row[0]))


def test_an_opt_out_by_phone_blocks_sms_and_the_compliance_page(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    account_id = _account_with_sms_consent(live_server)
    page.goto(f"{live_server}/accounts/{account_id}")
    page.get_by_role("navigation", name="Account sections").get_by_role("link", name="Compliance").click()
    expect(page).to_have_url(re.compile(r"tab=compliance"))
    expect(page.get_by_role("heading", name="Can we contact now?")).to_be_visible()
    sms = page.locator("#check-sms .check-outcome")
    expect(sms).to_be_visible()
    assert sms.get_attribute("data-outcome") != "block", "consented texts are held by the clock at most"
    check_accessibility(page, "compliance-tab-1280")
    screenshot(page, "compliance-tab-1280")

    page.get_by_text("Record an opt-out received by phone, mail or in person").click()
    page.get_by_label("Received", exact=True).select_option("voice")
    expect(page.get_by_label("Received at")).not_to_have_value("")
    page.get_by_label("What the debtor said (optional)").fill("Please stop texting me, I will call you.")
    page.get_by_role("button", name="Record opt-out").click()
    expect(page.get_by_role("status").filter(has_text="Opt-out recorded")).to_be_focused()
    expect(sms).to_have_attribute("data-outcome", "block")
    expect(sms.locator(".chip")).to_have_text("BLOCK")
    expect(page.locator("#check-sms")).to_contain_text("OPT-3")
    expect(page.locator("#compliance-opt-outs")).to_contain_text("Opt-out by phone")
    expect(page.locator("#compliance-flags")).to_contain_text("Opt-out on file")
    check_accessibility(page, "compliance-tab-after-opt-out-1280")
    screenshot(page, "compliance-tab-after-opt-out-1280")

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator("#check-sms .check-outcome")).to_have_attribute("data-outcome", "block")
    check_accessibility(page, "compliance-tab-375")
    screenshot(page, "compliance-tab-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Compliance").click()
    page.wait_for_url("**/compliance/")
    expect(page.get_by_role("heading", name="Compliance", exact=True)).to_be_visible()
    expect(page.locator("#compliance-report")).to_be_visible()
    check_accessibility(page, "compliance-page-1280")
    screenshot(page, "compliance-page-1280")
    page.get_by_text("7 days", exact=True).click()
    expect(page).to_have_url(re.compile(r"range=7"))
    expect(page.locator("#report-span")).to_contain_text("decision")
    expect(page.get_by_role("radio", name="7 days")).to_be_checked()

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    check_accessibility(page, "compliance-page-375")
    screenshot(page, "compliance-page-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
