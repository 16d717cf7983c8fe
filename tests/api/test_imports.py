"""Large CSV imports through the API: 202 and a job, progress at /api/v1/imports/<id>, row errors, tenancy,
idempotent re-runs, resuming after a crash, and duplicate handling."""
import csv
import io
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AccountImport, AuditLog, User
from app.services.accounts import import_jobs, importer
from app.services.clock import get_clock
from app.services.tenancy import Principal
from tests.api.helpers import api_login, bearer
from tests.factories import gen_business, gen_user

HEADER = ["firstName", "lastName", "email", "phone", "accountNumber", "currentBalance", "dueDate"]


@pytest.fixture
def admin(client, clock):
    business = gen_business("Import Co")
    user = gen_user(business, "business_admin")
    return business, bearer(api_login(client, user, clock)["token"])


def _csv(count, bad=None, balance="100.00", prefix="IMP"):
    """`count` accounts; `bad` maps a spreadsheet row (header = row 1) to the column and value that break it."""
    bad = bad or {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for number in range(2, count + 2):
        row = dict(zip(HEADER, ["Ima", f"Debtor{number}", f"d{number}@example.com", "+12125550101",
                                f"{prefix}-{number}", balance, "2026-12-31"]))
        if number in bad:
            column, value = bad[number]
            row[column] = value
        writer.writerow([row[name] for name in HEADER])
    return buffer.getvalue().encode()


def _post(client, headers, data, **form):
    return client.post("/api/v1/accounts/bulk-import", data={"file": (io.BytesIO(data), "accounts.csv"), **form},
                       headers=headers, content_type="multipart/form-data")


def _accounts():
    return db.session.scalar(select(func.count()).select_from(Account))


def _stored_import(business, data, on_duplicate="skip", role="business_admin"):
    """An uploaded (not yet run) import, created through the service as the page does."""
    user = gen_user(business, role)
    principal = Principal(business_id=business.id, role=role, user_id=user.id)
    account_import = import_jobs.create_import(db.session, principal, "accounts.csv", data, on_duplicate,
                                               now=get_clock().now())
    db.session.commit()
    return account_import


def _state(import_id):
    db.session.expire_all()
    return db.session.get(AccountImport, import_id)


def test_a_large_file_answers_202_and_the_job_imports_it(app, client, admin):
    """Does a 1,200-row file run as a job, with exact counts and the bad rows named by spreadsheet row?"""
    business, headers = admin
    bad = {7: ("email", "not-an-email"), 503: ("currentBalance", "abc"), 1201: ("phone", "12")}
    response = _post(client, headers, _csv(1200, bad))
    assert response.status_code == 202, response.get_json()
    data = response.get_json()["data"]
    import_id = data["importId"]
    assert data["id"] == import_id and data["status"] == "pending" and data["totalRows"] == 1200
    assert response.headers["Location"].endswith(f"/api/v1/imports/{import_id}")
    assert _accounts() == 0, "nothing is imported before the job runs"

    pending = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()["data"]
    assert pending["status"] == "pending" and pending["processedRows"] == 0

    assert app.extensions["jobs"].work_burst() is True
    result = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()["data"]
    assert result["status"] == "completed"
    assert (result["totalRows"], result["processedRows"]) == (1200, 1200)
    assert (result["imported"], result["failed"], result["skipped"]) == (1197, 3, 0)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(7, "email"), (503, "currentBalance"),
                                                                   (1201, "phone")]
    assert result["createdAt"] and result["finishedAt"] and result["errorsTruncated"] is False
    assert _accounts() == 1197
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "accounts_imported")) == 1


def test_another_business_gets_404(client, clock, admin):
    """Can another business read an import, or guess one? (404 either way)"""
    business, headers = admin
    account_import = _stored_import(business, _csv(3))
    other = bearer(api_login(client, gen_user(gen_business(), "business_admin"), clock)["token"])
    assert client.get(f"/api/v1/imports/{account_import.id}", headers=other).status_code == 404
    assert client.get(f"/api/v1/imports/{uuid.uuid4()}", headers=headers).status_code == 404
    assert client.get("/api/v1/imports/not-an-id", headers=headers).status_code == 404
    assert client.get(f"/api/v1/imports/{account_import.id}", headers=headers).status_code == 200


def test_agents_may_not_read_imports(client, clock, admin):
    """May an agent of the same business read an import? (no: importing is for admins and managers)"""
    business, headers = admin
    account_import = _stored_import(business, _csv(3))
    agent = bearer(api_login(client, gen_user(business, "agent"), clock)["token"])
    assert client.get(f"/api/v1/imports/{account_import.id}", headers=agent).status_code == 403


def test_running_the_job_again_changes_nothing(app, client, admin, monkeypatch):
    """Is a completed import left alone when its job runs again (a retry, a second enqueue)?"""
    monkeypatch.setattr(importer, "SYNC_ROW_LIMIT", 5)
    business, headers = admin
    response = _post(client, headers, _csv(8, {4: ("email", "nope")}))
    import_id = response.get_json()["data"]["importId"]
    app.extensions["jobs"].work_burst()
    before = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()["data"]
    assert (before["status"], before["imported"], before["failed"]) == ("completed", 7, 1)

    from jobs.imports import run_account_import

    run_account_import(import_id)
    app.extensions["jobs"].enqueue_now("default", "jobs.imports.run_account_import", import_id)
    app.extensions["jobs"].work_burst()
    after = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()["data"]
    assert after == before
    assert _accounts() == 7


def test_a_crashed_run_resumes_where_it_stopped(monkeypatch):
    """After a crash mid-way, does the re-run import only the rows not yet committed, with the right row numbers?"""
    business = gen_business()
    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 4)
    account_import = _stored_import(business, _csv(10, {3: ("email", "bad"), 10: ("currentBalance", "-1")}))
    real_store = importer.store
    calls = []

    def crash_on_second_batch(db_session, principal, prepared, now, **kwargs):
        calls.append(min([number for number, _ in prepared.rows] + [error["row"] for error in prepared.errors]))
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real_store(db_session, principal, prepared, now, **kwargs)

    monkeypatch.setattr(importer, "store", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        import_jobs.run_import(db.session, account_import.id, get_clock().now())
    state = _state(account_import.id)
    assert (state.status, state.processed_rows, state.imported, state.failed) == ("failed", 4, 3, 1)
    assert "run it again" in state.error_message
    assert _accounts() == 3, "the crashed batch left nothing behind"

    import_jobs.run_import(db.session, account_import.id, get_clock().now())
    assert calls == [2, 6, 6, 10]
    state = _state(account_import.id)
    assert (state.status, state.processed_rows, state.imported, state.failed) == ("completed", 10, 8, 2)
    assert [e["row"] for e in state.errors] == [3, 10] and state.error_message is None
    assert _accounts() == 8


def test_reimporting_with_skip_adds_nothing_and_update_changes_balances(app, client, admin, monkeypatch):
    """Skip: the same file again creates no duplicates. Update: the file's balances replace the stored ones."""
    monkeypatch.setattr(importer, "SYNC_ROW_LIMIT", 5)
    business, headers = admin
    jobs_queue = app.extensions["jobs"]
    first = _post(client, headers, _csv(6)).get_json()["data"]["importId"]
    jobs_queue.work_burst()
    assert _accounts() == 6

    again = _post(client, headers, _csv(6), onDuplicate="skip").get_json()["data"]["importId"]
    jobs_queue.work_burst()
    result = client.get(f"/api/v1/imports/{again}", headers=headers).get_json()["data"]
    assert (result["imported"], result["failed"]) == (0, 6)
    assert {e["error"] for e in result["errors"]} == {"Duplicate account number."}
    assert _accounts() == 6

    update = _post(client, headers, _csv(6, balance="42.50"), onDuplicate="update").get_json()["data"]["importId"]
    jobs_queue.work_burst()
    result = client.get(f"/api/v1/imports/{update}", headers=headers).get_json()["data"]
    assert (result["status"], result["imported"], result["failed"]) == ("completed", 6, 0)
    assert _accounts() == 6
    balances = set(db.session.scalars(select(Account.current_balance)))
    assert balances == {Decimal("42.50")}
    assert first != again != update


def test_bad_large_files_are_refused_before_anything_is_queued(app, client, admin, monkeypatch):
    """Is a large file with no balance column, or a bad onDuplicate, a 400 with nothing stored or queued?"""
    monkeypatch.setattr(importer, "SYNC_ROW_LIMIT", 2)
    business, headers = admin
    no_balance = b"firstName,lastName\n" + b"A,B\n" * 5
    response = _post(client, headers, no_balance)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "file"
    assert "currentBalance" in response.get_json()["error"]["message"]
    response = _post(client, headers, _csv(5), onDuplicate="merge")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "onDuplicate"
    assert db.session.scalar(select(func.count()).select_from(AccountImport)) == 0
    assert app.extensions["jobs"].queues["default"].count == 0


def test_empty_rows_are_skipped_and_the_stored_error_list_is_capped(monkeypatch):
    """Are empty rows counted as skipped, and is the stored error list capped while `failed` counts them all?"""
    business = gen_business()
    monkeypatch.setattr(import_jobs, "MAX_STORED_ERRORS", 2)
    data = _csv(5, {2: ("email", "x"), 3: ("email", "y"), 4: ("email", "z")}) + b",,,,,,\n\n"
    account_import = _stored_import(business, data)
    import_jobs.run_import(db.session, account_import.id, get_clock().now())
    state = _state(account_import.id)
    assert (state.imported, state.failed, state.skipped, state.processed_rows) == (2, 3, 2, 7)
    assert [e["row"] for e in state.errors] == [2, 3] and import_jobs.errors_truncated(state)


def test_an_import_stops_when_its_creator_loses_the_right():
    """Does a queued import stop, writing nothing, once the user who started it may no longer import?"""
    business = gen_business()
    account_import = _stored_import(business, _csv(3), role="manager")
    creator = db.session.get(User, account_import.created_by_id)
    creator.role = "agent"
    db.session.commit()
    import_jobs.run_import(db.session, account_import.id, get_clock().now())
    state = _state(account_import.id)
    assert state.status == "failed" and "can no longer import" in state.error_message
    assert _accounts() == 0


def test_openapi_documents_both_answers(client):
    """Does the OpenAPI document describe bulk import's 200 and 202 answers and the import resource?"""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/accounts/bulk-import"]["post"]["responses"]) >= {"200", "202"}
    assert "get" in paths["/imports/{id}"]


def test_the_preview_reads_only_the_start_of_a_large_file(monkeypatch):
    """Does the preview of a file larger than the part it reads still show whole rows, numbered from row 2?"""
    business = gen_business()
    monkeypatch.setattr(import_jobs, "HEAD_CHARS", 300)
    account_import = _stored_import(business, _csv(40, {4: ("email", "nope")}))
    principal = Principal(business_id=business.id, role="manager")
    preview = import_jobs.preview(db.session, principal, account_import, limit=3)
    assert [line.row for line in preview.rows] == [2, 3, 4]
    assert preview.rows[2].errors == [{"row": 4, "column": "email", "error": "Invalid email format."}]
    assert preview.rows[1].values["lastName"] == "Debtor3"
    longer = import_jobs.preview(db.session, principal, account_import, limit=20)
    assert [line.row for line in longer.rows] == list(range(2, 22)), "falls back to the whole file"
    assert import_jobs.header_of(db.session, account_import) == HEADER
