"""Team, API keys and audit pages: who may open them, and do their actions work and get audited?"""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiKey, AuditLog, SandboxMessage, User
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in


@pytest.mark.parametrize("role,team,keys,audit", [
    ("business_admin", 200, 200, 200), ("manager", 200, 403, 200), ("agent", 403, 403, 403)])
def test_pages_follow_the_permission_matrix(client, clock, role, team, keys, audit):
    sign_in(client, gen_user(gen_business(), role), clock)
    assert client.get("/settings/team").status_code == team
    assert client.get("/settings/api-keys").status_code == keys
    assert client.get("/settings/audit").status_code == audit
    index = client.get("/settings/").get_data(as_text=True)
    assert ("/settings/team" in index) == (team == 200)
    assert ("/settings/api-keys" in index) == (keys == 200)


def test_invite_from_the_team_page_and_deactivate_with_htmx(client, clock):
    business = gen_business("Team Co")
    admin = gen_user(business, "business_admin")
    agent = gen_user(business, "agent")
    sign_in(client, admin, clock)
    response = client.post("/settings/team/invite", data={"email": "Newbie@Example.com", "role": "agent",
                                                          "first_name": "New", "last_name": "Bie"})
    assert response.status_code == 302
    assert db.session.scalars(select(User).where(User.email == "newbie@example.com")).one().status == "invited"
    assert db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == "newbie@example.com")).one()
    bad = client.post("/settings/team/invite", data={"email": "not-an-email", "role": "agent"})
    assert bad.status_code == 400 and b'id="invite-email-error"' in bad.data
    row = client.post(f"/settings/team/{agent.id}", data={"status": "inactive"}, headers={"HX-Request": "true"})
    assert row.status_code == 200 and row.data.lstrip().startswith(b"<tr") and b"Inactive" in row.data
    db.session.refresh(agent)
    assert agent.status == "inactive"
    mine = client.post(f"/settings/team/{admin.id}", data={"status": "inactive"}, headers={"HX-Request": "true"})
    assert b"cannot deactivate yourself" in mine.data
    other = gen_user(gen_business(), "agent")
    assert client.post(f"/settings/team/{other.id}", data={"status": "inactive"}).status_code == 404


def test_api_key_is_shown_once_and_revocable(client, clock):
    business = gen_business()
    sign_in(client, gen_user(business, "business_admin"), clock)
    page = client.post("/settings/api-keys", data={"name": "CRM sync", "role": "manager"})
    assert page.status_code == 201
    plain = re.search(rb'id="new-api-key">(fc_[^<]+)<', page.data).group(1).decode()
    assert plain.encode() not in client.get("/settings/api-keys").data, "shown only once"
    key = db.session.scalars(select(ApiKey)).one()
    assert key.key_hash != plain
    api = client.application.test_client()
    assert api.get("/api/v1/admin/users", headers={"X-API-Key": plain}).status_code == 200
    client.post(f"/settings/api-keys/{key.id}/revoke")
    assert api.get("/api/v1/admin/users", headers={"X-API-Key": plain}).status_code == 401
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "api_key_created" in actions and "api_key_revoked" in actions
    assert client.post("/settings/api-keys", data={"name": "", "role": "manager"}).status_code == 400


def test_audit_page_searches_and_exports_only_its_business(client, clock):
    business, other = gen_business("Audited"), gen_business("Other")
    admin = gen_user(business, "business_admin")
    outsider = gen_user(other, "business_admin")
    client.post("/api/v1/auth/login", json={"email": outsider.email, "password": "nope-nope-nope"})
    sign_in(client, admin, clock)
    page = client.get("/settings/audit").get_data(as_text=True)
    assert admin.email in page and outsider.email not in page
    partial = client.get("/settings/audit?action=login", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "login" in partial
    csv_text = client.get("/settings/audit/export.csv?action=login").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("seq,created_at") and admin.email in csv_text
    assert outsider.email not in csv_text
    assert "audit_exported" in db.session.scalars(select(AuditLog.action)).all()
