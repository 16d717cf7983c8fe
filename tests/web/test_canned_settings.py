"""Settings > Canned responses: who may read and edit them, are unknown variables refused inline, and do the HTMX
swaps, tenancy and audit trail hold? Plus the rendering the composer relies on."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Template
from app.services import canned
from app.services.errors import Forbidden, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def _signed_in(client, clock, role="manager", business=None):
    user = gen_user(business or gen_business("Canned Co"), role)
    sign_in(client, user, clock)
    return user


def _principal(user):
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id, email=user.email)


def _make(user, name="payment-options", body="Hi {firstName}, you can pay online.", language="en"):
    row = canned.create(db.session, _principal(user), name=name, body=body, language=language, now=NOW)
    db.session.commit()
    return row


def _new(name, body, language="en"):
    return {"new-name": name, "new-body": body, "new-language": language}


def test_a_manager_creates_a_response_and_the_list_shows_it(client, clock):
    """Does a plain form post store a canned Template of the business, audited, and list it with a preview?"""
    manager = _signed_in(client, clock)
    response = client.post("/settings/canned", data=_new("/Balance", "Hi {firstName}, your balance is ${balance}."))
    assert response.status_code == 302
    row = db.session.scalars(select(Template)).one()
    assert (row.template_type, row.business_id, row.name, row.language) == ("canned", manager.business_id, "balance",
                                                                            "en")
    assert row.variables == ["firstName", "balance"]
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "canned_response_created")).one()
    page = client.get("/settings/canned").get_data(as_text=True)
    assert "<code>/balance</code>" in page
    assert "Hi Jane, your balance is $1,250.00." in page, "previewed with the sample debtor"
    db.session.add(Template(business_id=manager.business_id, template_type="canned", name="hola", language="es",
                            body="Hola {{firstName}}, su saldo es ${{balance}}.", variables=[]))
    db.session.commit()
    page = client.get("/settings/canned").get_data(as_text=True)
    assert "Hola Jane, su saldo es $1,250.00." in page, "rows stored without their variables list preview too"


def test_an_unknown_variable_is_an_inline_error_naming_it(client, clock):
    """Is {fristName} refused on the text field, by name, with nothing stored (plain post and HTMX)?"""
    _signed_in(client, clock)
    page = client.post("/settings/canned", data=_new("hello", "Hi {fristName}, about {{ balance }}."))
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert re.search(r'id="new-body"[^>]*aria-invalid="true"', html) or \
        re.search(r'aria-invalid="true"[^>]*id="new-body"', html)
    error = re.search(r'<div class="error-text" id="new-body-error">([^<]*)</div>', html).group(1)
    assert "{fristName}" in error and "{balance}" not in error.split("Use")[0], "only the unknown one is named"
    assert 'value="hello"' in html, "what was typed is kept"
    partial = client.post("/settings/canned", data=_new("hello", "Dear {debtorName}"), headers=HX)
    assert partial.status_code == 400
    text = partial.get_data(as_text=True)
    assert "<html" not in text and 'id="canned-new"' in text and "{debtorName}" in text
    assert db.session.scalars(select(Template)).all() == []


@pytest.mark.parametrize("name,message", [("", "Enter a shortcut word"), ("two words", "no spaces"),
                                          ("x" * 41, "at most 40")])
def test_a_bad_shortcut_is_an_inline_error_on_the_shortcut(client, clock, name, message):
    """Is a missing, spaced or overlong shortcut shown on the shortcut field?"""
    _signed_in(client, clock)
    html = client.post("/settings/canned", data=_new(name, "Hello")).get_data(as_text=True)
    error = re.search(r'id="new-name-error">([^<]*)<', html).group(1)
    assert message in error


def test_the_same_shortcut_twice_in_one_language_is_refused(client, clock):
    """May /hello exist once per language, and is a second English /hello refused on the shortcut field?"""
    manager = _signed_in(client, clock)
    _make(manager, "hello", "Hello {firstName}")
    assert client.post("/settings/canned", data=_new("hello", "Hola {firstName}", "es")).status_code == 302
    again = client.post("/settings/canned", data=_new("HELLO", "Hi again"), headers=HX)
    assert again.status_code == 400 and "/hello already exists in English" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(Template)).all()) == 2


def test_htmx_create_returns_a_fresh_form_and_appends_the_response(client, clock):
    """Does an HTMX create answer the emptied form plus the new item out of band, and hide the empty state?"""
    _signed_in(client, clock)
    assert re.search(r'<div id="canned-empty"\s*>', client.get("/settings/canned").get_data(as_text=True))
    html = client.post("/settings/canned", data=_new("thanks", "Thank you, {firstName}."), headers=HX).get_data(
        as_text=True)
    assert "<html" not in html and "/thanks saved." in html
    assert 'hx-swap-oob="beforeend:#canned-responses"' in html and "<code>/thanks</code>" in html
    assert re.search(r'<div id="canned-empty" hx-swap-oob="true" hidden>', html)
    assert not re.search(r'id="new-name"[^>]*value="thanks"', html), "the form starts empty again"


def test_edit_in_place_then_save(client, clock):
    """Does Edit swap in a form, Save store the change (audited) and swap the item back, and Cancel restore it?"""
    manager = _signed_in(client, clock)
    row = _make(manager)
    form = client.get(f"/settings/canned/{row.id}/edit", headers=HX).get_data(as_text=True)
    assert form.lstrip().startswith(f'<li class="canned-item" id="canned-{row.id}">')
    assert f'name="edit-{row.id}-body"' in form and "data-autofocus" in form
    page = client.get(f"/settings/canned/{row.id}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="edit-{row.id}-body"' in page, "without script, the page opens in edit mode"
    cancel = client.get(f"/settings/canned/{row.id}", headers=HX).get_data(as_text=True)
    assert "<code>/payment-options</code>" in cancel and "<form method=\"post\" action=\"/settings/canned/" in cancel
    prefix = f"edit-{row.id}-"
    saved = client.post(f"/settings/canned/{row.id}", headers=HX, data={
        prefix + "name": "pay", prefix + "language": "es", prefix + "body": "Hola {firstName}, vence el {dueDate}."})
    assert saved.status_code == 200 and "<code>/pay</code>" in saved.get_data(as_text=True)
    assert "Hola Jane, vence el 31 de diciembre de 2026." in saved.get_data(as_text=True)
    db.session.refresh(row)
    assert (row.name, row.language, row.variables) == ("pay", "es", ["firstName", "dueDate"])
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "canned_response_updated")).one()
    assert audit.changes["name"] == ["payment-options", "pay"]
    bad = client.post(f"/settings/canned/{row.id}", headers=HX, data={
        prefix + "name": "pay", prefix + "language": "en", prefix + "body": "{amount}"})
    assert bad.status_code == 400 and f'id="{prefix}body-error"' in bad.get_data(as_text=True)
    db.session.refresh(row)
    assert row.body == "Hola {firstName}, vence el {dueDate}.", "a refused edit changes nothing"


def test_delete_removes_the_item(client, clock):
    """Does an HTMX delete answer an empty body (the item leaves the list) and remove the row, audited?"""
    manager = _signed_in(client, clock)
    row = _make(manager)
    response = client.post(f"/settings/canned/{row.id}/delete", headers=HX)
    assert response.status_code == 200 and response.data == b""
    assert db.session.scalars(select(Template)).all() == []
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "canned_response_deleted")).one()


def test_agents_read_but_do_not_edit(client, clock):
    """Does an agent see the responses without forms or buttons, and get 403 for every change?"""
    business = gen_business("Readers")
    row = _make(gen_user(business, "manager"))
    _signed_in(client, clock, "agent", business)
    page = client.get("/settings/canned")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<code>/payment-options</code>" in html
    assert 'id="canned-new"' not in html and "/edit" not in html and "Delete" not in html
    assert client.post("/settings/canned", data=_new("mine", "Hello")).status_code == 403
    assert client.get(f"/settings/canned/{row.id}/edit").status_code == 403
    assert client.post(f"/settings/canned/{row.id}", data={}).status_code == 403
    assert client.post(f"/settings/canned/{row.id}/delete").status_code == 403
    assert db.session.scalars(select(Template.name)).all() == ["payment-options"]


def test_another_business_s_response_is_not_found(client, clock):
    """Is another business's canned response 404 everywhere, and never listed?"""
    theirs = _make(gen_user(gen_business("Elsewhere"), "manager"), "secret-reply")
    _signed_in(client, clock, "business_admin")
    assert "secret-reply" not in client.get("/settings/canned").get_data(as_text=True)
    assert client.get(f"/settings/canned/{theirs.id}", headers=HX).status_code == 404
    assert client.get(f"/settings/canned/{theirs.id}/edit").status_code == 404
    assert client.post(f"/settings/canned/{theirs.id}", data=_new("x", "y")).status_code == 404
    assert client.post(f"/settings/canned/{theirs.id}/delete").status_code == 404
    assert client.get("/settings/canned/not-a-uuid/edit").status_code == 404
    assert db.session.get(Template, theirs.id) is not None


def test_the_empty_state_says_what_to_do(client, clock):
    """Does a page with no responses tell a manager to create one and an agent whom to ask?"""
    business = gen_business()
    _signed_in(client, clock, "manager", business)
    assert "Create one above" in client.get("/settings/canned").get_data(as_text=True)
    client.post("/logout")
    _signed_in(client, clock, "agent", business)
    assert "Ask a manager" in client.get("/settings/canned").get_data(as_text=True)


def test_render_fills_the_debtor_s_values_and_leaves_what_is_missing():
    """Does the composer's render fill every known variable (both spellings) and report those the account lacks?"""
    business = gen_business("Acme Recovery")
    account = gen_account(business, first_name="Maria", account_number="ACME-1", current_balance=Decimal("412.5"),
                          due_date=None)
    text, missing = canned.render("Hi {{ firstName }} ({accountNumber}): ${balance} due {dueDate}. {businessName}",
                                  account, business)
    assert text == "Hi Maria (ACME-1): $412.50 due {dueDate}. Acme Recovery"
    assert missing == ["dueDate"]
    account.due_date = dt.date(2027, 1, 5)
    assert canned.render("{dueDate}", account, business)[0] == "January 5, 2027"


def test_the_service_refuses_agents_and_overlong_text():
    """Does the service itself (not only the page) refuse an agent's create and a text over the limit?"""
    business = gen_business()
    agent = _principal(gen_user(business, "agent"))
    with pytest.raises(Forbidden):
        canned.create(db.session, agent, name="x", body="y", now=NOW)
    assert [t.name for t in canned.list_canned(db.session, agent)] == [], "agents read the (empty) list"
    with pytest.raises(ValidationError) as exc:
        canned.validate("ok", "x" * (canned.BODY_MAX + 1), "en")
    assert exc.value.field == "body"
    with pytest.raises(ValidationError) as exc:
        canned.validate("ok", "Hi", "fr")
    assert exc.value.field == "language"
