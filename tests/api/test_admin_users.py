"""PRD 7.8 users endpoints under the permission matrix: role x action x same/other tenant."""
import pytest

from app.extensions import db
from app.models import SandboxMessage, User
from tests.api.helpers import api_login, bearer
from tests.factories import gen_business, gen_user

ROLES = ("business_admin", "manager", "agent")


@pytest.fixture
def tenants(client, clock):
    a, b = gen_business("Tenant A"), gen_business("Tenant B")
    people = {role: gen_user(a, role) for role in ROLES}
    people["other_admin"] = gen_user(b, "business_admin")
    tokens = {role: api_login(client, people[role], clock)["token"] for role in ROLES}
    return a, b, people, tokens


@pytest.mark.parametrize("role,status", [("business_admin", 200), ("manager", 200), ("agent", 403)])
def test_listing_users(client, tenants, role, status):
    a, b, people, tokens = tenants
    response = client.get("/api/v1/admin/users", headers=bearer(tokens[role]))
    assert response.status_code == status
    if status == 200:
        emails = {u["email"] for u in response.get_json()["data"]}
        assert people["agent"].email in emails and people["other_admin"].email not in emails
        assert all("passwordHash" not in u and "mfaSecret" not in u for u in response.get_json()["data"])


@pytest.mark.parametrize("role", ROLES)
def test_another_tenants_user_is_404_for_everyone_who_may_manage(client, tenants, role):
    a, b, people, tokens = tenants
    response = client.patch(f"/api/v1/admin/users/{people['other_admin'].id}", json={"status": "inactive"},
                            headers=bearer(tokens[role]))
    assert response.status_code == (403 if role == "agent" else 404)
    db.session.refresh(people["other_admin"])
    assert people["other_admin"].status == "active"


@pytest.mark.parametrize("role,target,change,status", [
    ("business_admin", "agent", {"role": "manager"}, 200),
    ("business_admin", "manager", {"status": "inactive"}, 200),
    ("manager", "agent", {"status": "inactive"}, 200),
    ("manager", "agent", {"role": "business_admin"}, 403),
    ("manager", "business_admin", {"status": "inactive"}, 403),
    ("agent", "agent", {"status": "inactive"}, 403),
    ("business_admin", "business_admin", {"status": "inactive"}, 400),
    ("business_admin", "agent", {"role": "super_admin"}, 400),
    ("business_admin", "agent", {"status": "banished"}, 400),
])
def test_role_and_status_changes(client, tenants, role, target, change, status):
    a, b, people, tokens = tenants
    response = client.patch(f"/api/v1/admin/users/{people[target].id}", json=change, headers=bearer(tokens[role]))
    assert response.status_code == status, response.get_json()


def test_invite_creates_an_invited_user_and_emails_a_link(client, tenants):
    a, b, people, tokens = tenants
    response = client.post("/api/v1/admin/users", json={"email": "New.Agent@Example.com", "role": "agent",
                                                        "firstName": "New", "lastName": "Agent"},
                           headers=bearer(tokens["manager"]))
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["status"] == "invited" and data["businessId"] == str(a.id) and data["email"] == "new.agent@example.com"
    mail = db.session.query(SandboxMessage).filter_by(to_address="new.agent@example.com").one()
    assert "/invite/" in mail.body and mail.business_id == a.id
    again = client.post("/api/v1/admin/users", json={"email": "new.agent@example.com", "role": "agent"},
                        headers=bearer(tokens["business_admin"]))
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "EMAIL_EXISTS"
    promote = client.post("/api/v1/admin/users", json={"email": "boss@example.com", "role": "business_admin"},
                          headers=bearer(tokens["manager"]))
    assert promote.status_code == 403


def test_accepting_an_invitation_activates_the_user(client, tenants, clock):
    import re

    from app.services.auth import account_flows

    a, b, people, tokens = tenants
    client.post("/api/v1/admin/users", json={"email": "joiner@example.com", "role": "agent"},
                headers=bearer(tokens["business_admin"]))
    token = re.search(r"/invite/(\S+)", db.session.query(SandboxMessage).filter_by(
        to_address="joiner@example.com").one().body).group(1)
    user = account_flows.accept_invite(db.session, token, "Welcome-Aboard-2026!", clock.now())
    db.session.commit()
    assert user.status == "active" and user.email_verified and user.mfa_secret is None
    with pytest.raises(Exception):
        account_flows.accept_invite(db.session, token, "Welcome-Aboard-2026!", clock.now())
