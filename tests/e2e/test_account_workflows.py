"""The grid's daily work in a browser: a saved view, a bulk tag on ticked rows, and a CSV import whose bad row is
shown before anything is written while the good rows arrive behind a progress bar that reaches 100%."""
import re
import uuid

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]


def test_a_saved_view_brings_its_filter_back(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.goto(f"{live_server}/accounts/")
    page.get_by_label("Status", exact=True).select_option("in_payment_plan")
    expect(page).to_have_url(re.compile(r"status=in_payment_plan"))
    count = page.locator("#results-count").inner_text()
    name = f"Legal queue {uuid.uuid4().hex[:4]}"
    page.get_by_text("Save this view", exact=True).click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Share with the team").check()
    page.get_by_role("button", name="Save view").click()
    preset = page.locator(".presets").get_by_role("link", name=name)
    expect(preset).to_be_visible()

    page.goto(f"{live_server}/accounts/")
    expect(page.locator("#results-count")).not_to_have_text(count)
    page.locator(".presets").get_by_role("link", name=name).click()
    expect(page).to_have_url(re.compile(r"status=in_payment_plan"))
    expect(page.locator("#results-count")).to_have_text(count)
    expect(page.get_by_label("Status", exact=True)).to_have_value("in_payment_plan")

    page.locator(".export-menu summary").click()
    expect(page.get_by_label("Balance column", exact=False).first).to_be_checked()
    check_accessibility(page, "accounts-export-1280")
    screenshot(page, "accounts-export-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    screenshot(page, "accounts-export-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_bulk_tag_on_ticked_rows(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.goto(f"{live_server}/accounts/?sortBy=balance&sortOrder=desc")
    rows = page.locator("table.accounts-table tbody tr")
    numbers = [rows.nth(i).locator("td[data-label='Account #']").inner_text().strip() for i in range(2)]
    for i in range(2):
        rows.nth(i).get_by_role("checkbox").check()
    tag = f"e2e-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Bulk action").select_option("add_tag")
    page.get_by_label("Tag, agent id or status").fill(tag)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("2")

    page.goto(f"{live_server}/accounts/?tags={tag}")
    expect(page.locator("#results-count")).to_contain_text("2 accounts")
    tagged = page.locator("table.accounts-table tbody td[data-label='Account #']").all_inner_texts()
    assert sorted(t.strip() for t in tagged) == sorted(numbers)


def test_import_shows_the_bad_row_first_then_imports_the_good_ones(page, live_server, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    batch = uuid.uuid4().hex[:6].upper()
    csv_file = tmp_path / "creditor-export.csv"
    csv_file.write_text(
        "First Name,Last Name,Email,Phone,Account Number,Balance,Due Date\n"
        f"Rosa,Imported{batch},rosa.{batch}@example.com,(305) 555-0199,E2E-{batch}-1,410.25,2026-12-31\n"
        f"Bad,Row{batch},not-an-email,(305) 555-0198,E2E-{batch}-2,99.00,12/31/2026\n"
        f"Tom,Imported{batch},tom.{batch}@example.com,212-555-0142,E2E-{batch}-3,\"1,200.00\",31-Dec-2026\n")
    page.goto(f"{live_server}/accounts/import")
    check_accessibility(page, "import-upload-1280")
    page.get_by_label(re.compile("CSV file")).set_input_files(str(csv_file))
    page.get_by_role("button", name="Upload and preview").click()

    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("Row 3, email")
    expect(preview).to_contain_text("Invalid email format.")
    check_accessibility(page, "import-preview-1280")
    screenshot(page, "import-preview-1280")
    page.goto(f"{live_server}/accounts/?search=Imported{batch}")
    expect(page.get_by_text("No accounts match")).to_be_visible()
    page.go_back()

    page.get_by_role("button", name="Start import").click()
    bar = page.locator("#import-progress-bar")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "completed", timeout=30_000)
    assert bar.get_attribute("value") == bar.get_attribute("max") == "3"
    expect(page.locator("#import-imported")).to_have_text("2")
    expect(page.locator("#import-failed")).to_have_text("1")
    expect(page.locator("#import-progress")).to_contain_text("Invalid email format.")
    check_accessibility(page, "import-done-1280")
    screenshot(page, "import-done-1280")

    page.goto(f"{live_server}/accounts/?search=Imported{batch}")
    expect(page.locator("#results-count")).to_contain_text("2 accounts")
