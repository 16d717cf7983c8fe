"""The account grid narrows as you type, keeps filters in the URL, and the account file reads well on a phone."""
import re

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]


def test_search_as_you_type_and_the_account_file(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.get_by_role("link", name="Accounts").first.click()
    page.wait_for_url("**/accounts/**")
    expect(page.locator("#results-count")).to_contain_text(re.compile(r"\d{3} accounts"))
    everyone = page.locator("#results-count").inner_text().split(" · ")[0]
    check_accessibility(page, "accounts-1280")
    screenshot(page, "accounts-1280")

    first_row = page.locator("table.accounts-table tbody tr").first
    name = first_row.locator("td[data-label=Name]").inner_text().strip()
    last_name = name.split()[-1]
    page.get_by_label("Search", exact=True).press_sequentially(last_name[:4], delay=60)
    expect(page).to_have_url(re.compile(r"search=" + re.escape(last_name[:4])))
    expect(page.locator("#results-count")).not_to_contain_text(everyone)
    for cell in page.locator("table.accounts-table tbody tr td[data-label=Name]").all_inner_texts():
        assert last_name[:4].lower() in cell.lower()

    page.get_by_label("Status", exact=True).select_option("legal")
    expect(page).to_have_url(re.compile(r"status=legal"))
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"status=legal"))

    page.locator("table.accounts-table tbody tr td[data-label=Name] a").first.click()
    expect(page.get_by_text("Contact allowed now?")).to_be_visible()
    check_accessibility(page, "account-file-1280")
    screenshot(page, "account-file-1280")
    page.get_by_role("link", name="Notes").click()
    page.get_by_label("Add an internal note").fill("Debtor asked for a call after 5 pm.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#account-notes")).to_contain_text("after 5 pm")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server}/accounts/")
    check_accessibility(page, "accounts-375")
    screenshot(page, "accounts-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
