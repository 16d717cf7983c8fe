"""Documents on the account file: drop several files, see them listed, download one through its authorized link."""
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import ROOT, check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV = b"date,amount\n2026-11-01,125.00\n2026-11-15,80.50\n"


@pytest.fixture
def remove_stored_files(live_server):
    """The server keeps documents under the repository's instance/documents: remove what this test stored."""
    yield
    with sqlite3.connect(live_server.database) as conn:
        keys = [row[0] for row in conn.execute("SELECT storage_path FROM documents")]
    for key in keys:
        path = ROOT / "instance" / "documents" / key
        path.unlink(missing_ok=True)
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break


def test_upload_two_documents_and_download_one(page, live_server, remove_stored_files):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.goto(f"{live_server}/accounts/")
    page.locator("table.accounts-table tbody tr td[data-label=Name] a").first.click()
    expect(page.get_by_text("Contact allowed now?")).to_be_visible()
    page.locator("nav.tabs").get_by_role("link", name="Documents").click()
    expect(page.get_by_text("No documents yet")).to_be_visible()
    check_accessibility(page, "documents-empty-1280")

    page.get_by_label("Drop files on the box below, or choose them").set_input_files([
        {"name": "statement.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "ledger.csv", "mimeType": "text/csv", "buffer": CSV},
    ])
    expect(page.locator("#document-files-chosen")).to_contain_text("statement.pdf")
    page.get_by_role("button", name="Upload", exact=True).click()
    documents = page.locator("#account-documents")
    expect(documents).to_contain_text("2 documents uploaded")
    table = page.locator("table.documents-table")
    expect(table).to_contain_text("statement.pdf")
    expect(table).to_contain_text("ledger.csv")
    expect(table).to_contain_text("Priya Raman")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download statement.pdf").click()
    download = info.value
    assert download.suggested_filename == "statement.pdf"
    assert Path(download.path()).read_bytes() == PDF
    check_accessibility(page, "documents-1280")
    screenshot(page, "documents-1280")

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator("table.documents-table")).to_contain_text("ledger.csv")
    check_accessibility(page, "documents-375")
    screenshot(page, "documents-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
