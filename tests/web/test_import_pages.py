"""Import pages: upload, mapping and preview that write nothing, start, progress that stops polling when done,
the errors CSV, the template, and who may use them."""
import csv
import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AccountImport, AuditLog
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in

GOOD_AND_BAD = (
    "First Name,Last Name,E-mail,Phone,Account Number,Balance,Notes\n"
    "Ima,Good,good@example.com,+12125550101,WEB-1,100.00,\n"
    "Ima,Broken,not-an-email,+12125550102,WEB-2,200.00,\n"
    "Ima,Fine,fine@example.com,+12125550103,WEB-3,300.00,@SUM(1+1)\n"
    "Ima,Negative,neg@example.com,+12125550104,WEB-4,-5,\n"
)


@pytest.fixture
def admin(client, clock):
    business = gen_business("Upload Co")
    sign_in(client, gen_user(business, "business_admin"), clock)
    return business


def _upload(client, text, name="accounts.csv", **form):
    data = {"file": (io.BytesIO(text.encode()), name), "on_duplicate": "skip", **form}
    return client.post("/accounts/import", data=data, content_type="multipart/form-data")


def _accounts():
    return db.session.scalar(select(func.count()).select_from(Account))


def test_upload_preview_start_progress_and_errors(app, client, admin):
    """The whole path: a bad row is shown with its row number before anything is written, then imported around."""
    page = client.get("/accounts/import")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.data and b'for="import-file"' in page.data
    assert b"/accounts/import/template.csv" in page.data

    response = _upload(client, GOOD_AND_BAD)
    assert response.status_code == 303
    review_url = response.headers["Location"]
    review = client.get(review_url).get_data(as_text=True)
    assert "Row 3, email: Invalid email format." in review
    assert "Row 5, currentBalance: currentBalance cannot be negative." in review
    assert re.search(r'<option value="email" selected>', review), "the E-mail column is detected"
    assert 'for="map-6"' in review and "Column 7: Notes" in review
    assert _accounts() == 0, "the preview writes nothing"

    # Changing a select re-renders only the preview (HTMX); a required field left unmapped is named.
    mapping = {f"map-{i}": field for i, field in enumerate(
        ["firstName", "lastName", "email", "phone", "accountNumber", "currentBalance", "notes"])}
    partial = client.post(review_url, data={**mapping, "map-1": "", "on_duplicate": "skip"},
                          headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.data.lstrip().startswith(b'<section class="card" id="import-preview"')
    assert b"<html" not in partial.data and b"Choose the column that holds lastName" in partial.data
    clash = client.post(review_url, data={**mapping, "map-1": "firstName"}, headers={"HX-Request": "true"})
    assert clash.status_code == 400 and b"chosen for more than one column" in clash.data
    refused = client.post(review_url, data={**mapping, "map-1": "", "action": "start"})
    assert refused.status_code == 400 and b"Choose the column that holds lastName" in refused.data
    assert app.extensions["jobs"].queues["default"].count == 0
    saved = client.post(review_url, data={**mapping, "on_duplicate": "update", "action": "preview"})
    assert saved.status_code == 303 and saved.headers["Location"] == review_url
    assert 'id="dup-update" name="on_duplicate" value="update" checked' in client.get(review_url).get_data(as_text=True)

    started = client.post(review_url, data={**mapping, "on_duplicate": "skip", "action": "start"})
    assert started.status_code == 303 and started.headers["Location"].endswith("/progress")
    progress_url = started.headers["Location"]
    assert client.get(review_url).status_code == 302, "a started import is not edited again"
    waiting = client.get(progress_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="import-progress"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert 'hx-swap="outerHTML"' in waiting and "<html" not in waiting

    assert app.extensions["jobs"].work_burst() is True
    done = client.get(progress_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Import completed" in done and "hx-trigger" not in done, "polling stops once finished"
    assert re.search(r'id="import-imported">2<', done) and re.search(r'id="import-failed">2<', done)
    assert "Invalid email format." in done and "Download errors (CSV)" in done
    full = client.get(progress_url).get_data(as_text=True)
    assert "<html" in full and 'id="import-progress"' in full
    assert _accounts() == 2
    assert db.session.scalars(select(Account.notes).where(Account.account_number == "WEB-3")).one() == "@SUM(1+1)"
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.resource_type == "account_import")).all()
    assert sorted(actions) == ["accounts_import_started", "accounts_imported"]
    web3 = db.session.scalars(select(Account).where(Account.account_number == "WEB-3")).one()
    trail = client.get(f"/accounts/{web3.id}?tab=audit").get_data(as_text=True)
    assert "accounts created" in trail and "by a CSV import, with 2 accounts" in trail

    account_import = db.session.scalars(select(AccountImport)).one()
    account_import.errors = account_import.errors + [{"row": 9, "column": "notes", "error": "=HYPERLINK(\"x\")"}]
    db.session.commit()
    download = client.get(f"/accounts/import/{account_import.id}/errors.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["row", "column", "error"]
    assert rows[1] == ["3", "email", "Invalid email format."] and rows[2][0] == "5"
    assert rows[3] == ["9", "notes", "'=HYPERLINK(\"x\")"], "formula cells are neutralized"


def test_bad_files_are_inline_errors(client, admin):
    """Are an empty file, a header without rows, a spreadsheet and a missing file refused inline, storing nothing?"""
    empty = _upload(client, "")
    assert empty.status_code == 400 and b'id="import-file-error"' in empty.data and b"The file is empty." in empty.data
    header_only = _upload(client, "firstName,lastName,currentBalance\n")
    assert header_only.status_code == 400 and b"no accounts" in header_only.data
    binary = client.post("/accounts/import", data={"file": (io.BytesIO(b"PK\x03\x04\x00\x00"), "a.xlsx")},
                         content_type="multipart/form-data")
    assert binary.status_code == 400 and b"Save it as CSV" in binary.data
    missing = client.post("/accounts/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and b"Choose a CSV file" in missing.data
    assert db.session.scalar(select(func.count()).select_from(AccountImport)) == 0


def test_the_template_lists_the_columns_and_previews_clean(client, admin):
    """Does the template carry the PRD columns and the compliance columns, and does its example row pass?"""
    template = client.get("/accounts/import/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(template.get_data(as_text=True))))
    assert header[:7] == ["firstName", "lastName", "email", "phone", "accountNumber", "currentBalance", "dueDate"]
    assert {"itemizationDate", "itemizationAmount", "timeBarred", "smsConsent", "doNotContact"} <= set(header)
    review = client.get(_upload(client, template.get_data(as_text=True)).headers["Location"]).get_data(as_text=True)
    assert "Problem" not in review and 'chip-active">OK<' in review


@pytest.mark.parametrize("role,status", [("agent", 403), ("manager", 200)])
def test_import_pages_follow_the_permission_matrix(client, clock, role, status):
    """May an agent import accounts? (no: 403; managers may)"""
    business = gen_business()
    sign_in(client, gen_user(business, role), clock)
    assert client.get("/accounts/import").status_code == status
    assert client.get("/accounts/import/template.csv").status_code == status
    assert _upload(client, GOOD_AND_BAD).status_code == (403 if status == 403 else 303)


def test_another_business_import_is_not_found(client, clock, admin):
    """Can a user of another business open an import's pages by its id? (404)"""
    review_url = _upload(client, GOOD_AND_BAD).headers["Location"]
    import_id = review_url.rstrip("/").rsplit("/", 1)[1]
    client.post("/logout")
    sign_in(client, gen_user(gen_business(), "business_admin"), clock)
    for path in ("", "/progress", "/errors.csv"):
        assert client.get(f"/accounts/import/{import_id}{path}").status_code == 404
