"""The account grid and file in the browser: search, filters, forms with inline errors, notes, queues, tenancy."""
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Account, AccountNote
from tests.factories import gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in


def test_grid_full_page_and_htmx_fragment(client, clock):
    business = gen_business()
    gen_account(business, first_name="Maria", last_name="Lopez", phone="+13055550111", tags=["medical"])
    gen_account(business, first_name="John", last_name="Brown", phone="+12125550112", status="legal")
    sign_in(client, gen_user(business, "manager"), clock)
    page = client.get("/accounts/").get_data(as_text=True)
    assert "Lopez" in page and "Brown" in page and 'id="account-search"' in page
    fragment = client.get("/accounts/?search=lop", headers={"HX-Request": "true", "HX-Target": "account-results"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "Lopez" in html and "Brown" not in html
    by_phone = client.get("/accounts/?search=305-555-0111", headers={"HX-Request": "true", "HX-Target": "account-results"})
    assert "Lopez" in by_phone.get_data(as_text=True)
    legal = client.get("/accounts/?status=legal").get_data(as_text=True)
    assert "Brown" in legal and "Lopez" not in legal
    empty = client.get("/accounts/?search=nobody-here").get_data(as_text=True)
    assert "No accounts match" in empty
    bad = client.get("/accounts/?balanceMin=abc").get_data(as_text=True)
    assert "balanceMin" in bad


def test_empty_business_gets_a_call_to_action(client, clock):
    sign_in(client, gen_user(gen_business(), "business_admin"), clock)
    page = client.get("/accounts/").get_data(as_text=True)
    assert "No debtor accounts yet" in page and 'href="/accounts/new"' in page


def test_create_with_inline_errors_then_success(client, clock):
    business = gen_business()
    sign_in(client, gen_user(business, "business_admin"), clock)
    bad = client.post("/accounts/new", data={"firstName": "Ana", "lastName": "Diaz", "currentBalance": "12.345",
                                             "email": "ana@example.com"})
    assert bad.status_code == 400 and b'id="f-currentBalance-error"' in bad.data and b'value="Ana"' in bad.data
    ok = client.post("/accounts/new", data={"firstName": "Ana", "lastName": "Diaz", "currentBalance": "1,234.50",
                                            "email": "ana@example.com", "phone": "212 555 0188", "state": "NY",
                                            "zip": "10001", "tags": "medical, hardship", "smsConsent": "true"})
    assert ok.status_code == 302
    account = db.session.scalars(select(Account)).one()
    assert account.current_balance == Decimal("1234.50") and account.tags == ["medical", "hardship"]
    assert account.sms_consent and account.timezone == "America/New_York"
    page = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Ana Diaz" in page and "$1,234.50" in page and "Contact allowed now?" in page


def test_edit_and_delete(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "manager"), clock)
    form = client.get(f"/accounts/{account.id}/edit").get_data(as_text=True)
    assert f'value="{account.last_name}"' in form
    response = client.post(f"/accounts/{account.id}/edit", data={"firstName": "Janet", "lastName": account.last_name,
                                                                 "currentBalance": "99.00", "status": "active"})
    assert response.status_code == 302
    db.session.refresh(account)
    assert account.first_name == "Janet" and account.current_balance == Decimal("99.00")
    assert client.post(f"/accounts/{account.id}/delete").status_code == 302
    assert client.get(f"/accounts/{account.id}").status_code == 404


def test_agents_add_notes_in_their_queue_and_cannot_edit(client, clock):
    business = gen_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    mine = gen_account(business, assigned_agent_id=agent.id)
    theirs = gen_account(business, assigned_agent_id=other.id)
    sign_in(client, agent, clock)
    listing = client.get("/accounts/").get_data(as_text=True)
    assert mine.last_name in listing and theirs.last_name not in listing
    assert client.get(f"/accounts/{theirs.id}").status_code == 403
    assert client.get(f"/accounts/{mine.id}/edit").status_code == 403
    assert client.get("/accounts/new").status_code == 403
    note = client.post(f"/accounts/{mine.id}/notes", data={"body": "Called back, promised Friday."},
                       headers={"HX-Request": "true"})
    assert note.status_code == 200 and b"promised Friday" in note.data and b"<html" not in note.data
    assert db.session.scalars(select(AccountNote)).one().author_id == agent.id
    empty = client.post(f"/accounts/{mine.id}/notes", data={"body": "  "}, headers={"HX-Request": "true"})
    assert b"Write something first" in empty.data


def test_another_business_account_is_404(client, clock):
    theirs = gen_account(gen_business())
    sign_in(client, gen_user(gen_business(), "business_admin"), clock)
    for path in (f"/accounts/{theirs.id}", f"/accounts/{theirs.id}/edit"):
        assert client.get(path).status_code == 404
    assert client.post(f"/accounts/{theirs.id}/notes", data={"body": "x"}).status_code == 404
    assert client.post(f"/accounts/{theirs.id}/delete").status_code == 404


def test_file_tabs_show_compliance_and_audit(client, clock):
    business = gen_business()
    account = gen_account(business, sms_consent=True)
    sign_in(client, gen_user(business, "business_admin"), clock)
    client.get(f"/accounts/{account.id}")
    compliance = client.get(f"/accounts/{account.id}?tab=compliance").get_data(as_text=True)
    assert "Contact flags" in compliance
    trail = client.get(f"/accounts/{account.id}?tab=audit").get_data(as_text=True)
    assert "account viewed" in trail


def test_bulk_actions_on_ticked_rows_and_on_the_whole_filter(client, clock):
    from app.models import AuditLog

    business = gen_business()
    a = gen_account(business, last_name="Alpha", tags=["medical"])
    b = gen_account(business, last_name="Beta", tags=[])
    c = gen_account(business, last_name="Gamma", status="legal")
    other = gen_account(gen_business(), last_name="Alpha")
    sign_in(client, gen_user(business, "manager"), clock)
    client.post("/accounts/bulk", data={"action": "add_tag", "value": "Hardship", "scope": "selected",
                                        "ids": [str(a.id), str(b.id), str(other.id)]})
    db.session.expire_all()
    assert db.session.get(Account, a.id).tags == ["medical", "hardship"]
    assert db.session.get(Account, b.id).tags == ["hardship"]
    assert db.session.get(Account, other.id).tags != ["hardship"], "another business's id in the form changes nothing"
    client.post("/accounts/bulk", data={"action": "status", "value": "closed", "scope": "all", "f_status": "legal"})
    db.session.expire_all()
    assert db.session.get(Account, c.id).status == "closed" and db.session.get(Account, a.id).status == "active"
    client.post("/accounts/bulk", data={"action": "delete", "scope": "all", "f_search": "beta"})
    db.session.expire_all()
    assert db.session.get(Account, b.id).deleted_at is not None and db.session.get(Account, a.id).deleted_at is None
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert {"accounts_bulk_add_tag", "accounts_bulk_status", "accounts_bulk_delete"} <= set(actions)


def test_agents_cannot_bulk_edit(client, clock):
    business = gen_business()
    account = gen_account(business)
    sign_in(client, gen_user(business, "agent"), clock)
    assert client.post("/accounts/bulk", data={"action": "status", "value": "closed", "scope": "all"}).status_code == 403
    db.session.refresh(account)
    assert account.status == "active"


def test_saved_views_are_private_unless_shared(client, clock, app):
    from app.models import SavedFilter

    business = gen_business()
    manager, agent = gen_user(business, "manager"), gen_user(business, "agent")
    sign_in(client, manager, clock)
    client.post("/accounts/presets", data={"name": "Legal only", "f_status": "legal", "f_bogus": "x", "shared": "true"})
    client.post("/accounts/presets", data={"name": "Mine", "f_tags": "medical"})
    saved = {p.name: p for p in db.session.scalars(select(SavedFilter)).all()}
    assert saved["Legal only"].query == {"status": "legal"} and saved["Legal only"].shared
    page = client.get("/accounts/").get_data(as_text=True)
    assert "Legal only" in page and "Mine" in page and "status=legal" in page
    other = app.test_client()
    clock.advance(seconds=30)
    sign_in(other, agent, clock)
    page = other.get("/accounts/").get_data(as_text=True)
    assert "Legal only" in page and ">Mine<" not in page
    assert other.post(f"/accounts/presets/{saved['Legal only'].id}/delete").status_code == 403
