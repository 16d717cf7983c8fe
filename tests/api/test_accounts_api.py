"""PRD 7.3 accounts through the API: CRUD, list parameters, validation, tenancy, queues, idempotency, import, export."""
import csv
import io
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, ConsentEvent
from tests.api.helpers import api_login, bearer
from tests.factories import gen_business, gen_user

BODY = {"firstName": "Jane", "lastName": "Smith", "email": "Jane.Smith@Example.com", "phone": "(212) 555-0147",
        "address": "123 Main St", "city": "New York", "state": "NY", "zip": "10001", "originalCreditor": "ABC Hospital",
        "currentBalance": 1250.00, "originalBalance": 1500.00, "dueDate": "2026-12-31", "tags": ["Medical"],
        "notes": "Patient recently lost job", "smsConsent": True, "emailConsent": True}


@pytest.fixture
def admin(client, clock):
    business = gen_business("Accounts Co")
    user = gen_user(business, "business_admin")
    return business, bearer(api_login(client, user, clock)["token"])


def _create(client, headers, **overrides):
    response = client.post("/api/v1/accounts", json={**BODY, **overrides}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def test_create_returns_the_full_object_with_exact_money(client, admin):
    business, headers = admin
    response = client.post("/api/v1/accounts", json=BODY, headers=headers)
    assert response.status_code == 201
    assert '"currentBalance": 1250.00' in response.get_data(as_text=True), "money renders with two decimals"
    data = response.get_json()["data"]
    assert data["accountNumber"] == "ACC-000001" and data["email"] == "jane.smith@example.com"
    assert data["phone"] == "+12125550147" and data["tags"] == ["medical"] and data["status"] == "active"
    assert data["timezone"] == "America/New_York" and data["timezoneSource"] in ("zip", "area_code", "state")
    account = db.session.get(Account, __import__("uuid").UUID(data["id"]))
    assert account.current_balance == Decimal("1250.00")
    events = db.session.scalars(select(ConsentEvent).where(ConsentEvent.account_id == account.id)).all()
    assert {(e.channel, e.source) for e in events} >= {("sms", "creditor_attested"), ("email", "creditor_attested")}
    second = _create(client, headers)
    assert second["accountNumber"] == "ACC-000002"


@pytest.mark.parametrize("change,field", [({"lastName": None}, "lastName"), ({"email": "nope"}, "email"),
                                          ({"currentBalance": -5}, "currentBalance"),
                                          ({"currentBalance": "abc"}, "currentBalance"),
                                          ({"currentBalance": 10.005}, "currentBalance"),
                                          ({"dueDate": "31/31/2025"}, "dueDate"), ({"tags": "x"}, "tags"),
                                          ({"phone": "12"}, "phone"), ({"colour": "red"}, "colour")])
def test_validation_names_the_field(client, admin, change, field):
    business, headers = admin
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    response = client.post("/api/v1/accounts", json=body, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_duplicate_account_number_is_409(client, admin):
    business, headers = admin
    _create(client, headers, accountNumber="X-1")
    response = client.post("/api/v1/accounts", json={**BODY, "accountNumber": "X-1"}, headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["field"] == "accountNumber"


def test_list_search_filter_sort_and_pages(client, admin):
    business, headers = admin
    for i, balance in enumerate(["100.00", "250.50", "999.99", "1250.00", "50.00"]):
        _create(client, headers, lastName=f"Zed{i}", currentBalance=balance, accountNumber=f"Z-{i}",
                phone=f"+1212555{2000 + i}")
    _create(client, headers, lastName="Other", currentBalance="10.00", status="legal")
    page = client.get("/api/v1/accounts?search=zed&limit=2&page=3", headers=headers).get_json()
    assert page["meta"] == {"page": 3, "limit": 2, "total": 5, "totalPages": 3} and len(page["data"]) == 1
    by_phone = client.get("/api/v1/accounts", query_string={"search": "(212) 555-2003"}, headers=headers).get_json()
    assert [r["accountNumber"] for r in by_phone["data"]] == ["Z-3"]
    ordered = client.get("/api/v1/accounts?search=zed&sortBy=balance&sortOrder=asc", headers=headers).get_json()
    assert [Decimal(str(r["currentBalance"])) for r in ordered["data"]] == [Decimal(x) for x in (
        "50.00", "100.00", "250.50", "999.99", "1250.00")]
    legal = client.get("/api/v1/accounts?status=legal", headers=headers).get_json()["data"]
    assert [r["lastName"] for r in legal] == ["Other"]
    tagged = client.get("/api/v1/accounts?tags=medical&balanceMin=200&balanceMax=1000", headers=headers).get_json()
    assert sorted(r["lastName"] for r in tagged["data"]) == ["Zed1", "Zed2"]
    capped = client.get("/api/v1/accounts?limit=500", headers=headers).get_json()["meta"]
    assert capped["limit"] == 100
    assert client.get("/api/v1/accounts?sortBy=nonsense", headers=headers).status_code == 400
    assert client.get("/api/v1/accounts?page=abc", headers=headers).status_code == 400


def test_patch_delete_and_tenancy(client, clock, admin):
    business, headers = admin
    account = _create(client, headers)
    other = bearer(api_login(client, gen_user(gen_business("Other Co"), "business_admin"), clock)["token"])
    path = f"/api/v1/accounts/{account['id']}"
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"notes": "mine now"}} if method == "patch" else {}
        assert getattr(client, method)(path, headers=other, **kwargs).status_code == 404
    assert client.get(f"/api/v1/accounts?search={account['lastName']}", headers=other).get_json()["data"] == []
    patched = client.patch(path, json={"status": "in_payment_plan", "tags": ["a", "b"], "phone": "+13125550100"},
                           headers=headers).get_json()["data"]
    assert patched["status"] == "in_payment_plan" and patched["tags"] == ["a", "b"]
    assert patched["timezone"] is None, "NY address with a Chicago phone: no single zone, so none is guessed"
    assert client.get(path, headers=headers).get_json()["data"]["status"] == "in_payment_plan"
    assert client.delete(path, headers=headers).status_code == 200
    assert client.get(path, headers=headers).status_code == 404
    assert client.delete(path, headers=headers).status_code == 404
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.resource_type == "account")).all()
    assert {"account_created", "account_updated", "account_deleted", "account_viewed"} <= set(actions)


def test_agents_see_their_queue_only(client, clock, admin):
    business, headers = admin
    agent, other_agent = gen_user(business, "agent"), gen_user(business, "agent")
    mine = _create(client, headers, assignedAgentId=str(agent.id), lastName="Mine")
    theirs = _create(client, headers, assignedAgentId=str(other_agent.id), lastName="Theirs")
    queued = _create(client, headers, lastName="Queued")
    agent_headers = bearer(api_login(client, agent, clock)["token"])
    listed = {r["lastName"] for r in client.get("/api/v1/accounts", headers=agent_headers).get_json()["data"]}
    assert listed == {"Mine", "Queued"}
    assert client.get(f"/api/v1/accounts/{theirs['id']}", headers=agent_headers).status_code == 403
    assert client.patch(f"/api/v1/accounts/{mine['id']}", json={"notes": "x"}, headers=agent_headers).status_code == 403
    assert client.post("/api/v1/accounts", json=BODY, headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/accounts/{queued['id']}", headers=agent_headers).status_code == 403


def test_idempotency_key_replays_and_conflicts(client, admin):
    business, headers = admin
    keyed = {**headers, "Idempotency-Key": "key-1"}
    first = client.post("/api/v1/accounts", json=BODY, headers=keyed)
    again = client.post("/api/v1/accounts", json=BODY, headers=keyed)
    assert first.status_code == again.status_code == 201 and first.data == again.data
    assert again.headers.get("Idempotent-Replayed") == "true"
    conflict = client.post("/api/v1/accounts", json={**BODY, "lastName": "Different"}, headers=keyed)
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1


def test_concurrent_requests_with_one_key_create_one_account(app, client, admin, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("needs concurrent writers (PostgreSQL)")
    business, headers = admin
    keyed = {**headers, "Idempotency-Key": "race-1"}
    statuses = []

    def post():
        with app.test_client() as c:
            statuses.append(c.post("/api/v1/accounts", json=BODY, headers=keyed).status_code)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1


def _csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_bulk_import_reports_rows_and_imports_the_good_ones(client, admin):
    business, headers = admin
    data = _csv([
        ["First Name", "Last Name", "Email", "Phone", "Account Number", "Balance", "Due Date"],
        ["Ima", "Good1", "g1@example.com", "+12125550101", "IMP-1", "300.00", "2026-12-31"],
        ["Ima", "Bad2", "not-an-email", "+12125550102", "IMP-2", "300.00", "12/31/2026"],
        ["Ima", "Good3", "g3@example.com", "(212) 555-0103", "IMP-3", "1,300.50", "31-Dec-2026"],
        ["Ima", "Bad4", "g4@example.com", "+12125550104", "IMP-4", "abc", "2026-12-31"],
        ["=HYPERLINK(\"http://evil\")", "Good5", "g5@example.com", "+12125550105", "IMP-5", "5", ""],
    ])
    response = client.post("/api/v1/accounts/bulk-import", data={"file": (io.BytesIO(b"\xef\xbb\xbf" + data), "a.csv")},
                           headers=headers, content_type="multipart/form-data")
    result = response.get_json()["data"]
    assert result["imported"] == 3 and result["failed"] == 2
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "email"), (5, "currentBalance")]
    again = client.post("/api/v1/accounts/bulk-import", data={"file": (io.BytesIO(data), "a.csv")},
                        headers=headers, content_type="multipart/form-data").get_json()["data"]
    assert again["imported"] == 0 and all(e["error"] == "Duplicate account number." or e["row"] in (3, 5)
                                          for e in again["errors"])
    assert db.session.scalar(select(func.count()).select_from(Account)) == 3

    export = client.get("/api/v1/accounts/export?format=csv&search=good", headers=headers)
    assert export.mimetype == "text/csv"
    cells = [c for row in csv.reader(io.StringIO(export.get_data(as_text=True))) for c in row]
    assert any("HYPERLINK" in c for c in cells) and not any(c[:1] in "=+-@" for c in cells if c)
    xlsx = client.get("/api/v1/accounts/export?format=xlsx", headers=headers)
    assert xlsx.data[:2] == b"PK"
