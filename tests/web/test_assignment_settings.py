"""Settings > Assignment: may admins set the rule and managers only read it, are bad values shown on their fields,
does the team table show availability and load, and can managers set an agent's skills and capacity?"""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business, User
from app.services import assignment
from tests.factories import gen_account, gen_business, gen_conversation, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def _signed_in(client, clock, role="business_admin", business=None):
    user = gen_user(business or gen_business("Assign Co"), role)
    sign_in(client, user, clock)
    return user


def _settings(business_id):
    db.session.expire_all()
    return assignment.settings_of(db.session.get(Business, business_id))


def _open_conversations(business, agent, count):
    for _ in range(count):
        conversation = gen_conversation(business, gen_account(business))
        conversation.assigned_agent_id, conversation.status = agent.id, "active"
    db.session.commit()


@pytest.mark.parametrize("role,status,form", [("business_admin", 200, True), ("manager", 200, False),
                                              ("agent", 403, False)])
def test_who_may_open_and_change_the_rule(client, clock, role, status, form):
    """Do admins get the rule form, managers a read-only summary, and agents a 403?"""
    _signed_in(client, clock, role)
    page = client.get("/settings/assignment")
    assert page.status_code == status
    if status == 200:
        html = page.get_data(as_text=True)
        assert ('name="rule"' in html) == form
        assert form or "Business admins change the rule." in html


def test_an_admin_saves_the_rule_and_it_is_audited(client, clock):
    """Does saving round robin, capacity 10 and no hand-on store them, audit the change and swap the card?"""
    admin = _signed_in(client, clock)
    html = client.post("/settings/assignment", headers=HX, data={"rule": "round_robin", "capacity": "10"}) \
        .get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="assignment-rules"')
    assert "Assignment settings saved." in html
    assert re.search(r'value="round_robin"[^>]*checked', html) and 'value="10"' in html
    assert '<section class="card team-load" id="assignment-team"' in html and 'hx-swap-oob="true"' in html
    assert "0 of 10" in html, "the team's capacities follow the new default at once"
    assert _settings(admin.business_id) == assignment.AssignmentSettings(rule="round_robin", capacity=10,
                                                                         reassign_on_offline=False)
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "assignment_settings_updated")).one()
    plain = client.post("/settings/assignment", data={"rule": "skill_based", "capacity": "10",
                                                      "reassign_on_offline": "on"})
    assert plain.status_code == 302
    assert _settings(admin.business_id).rule == "skill_based" and _settings(admin.business_id).reassign_on_offline


@pytest.mark.parametrize("data,field,message", [
    ({"rule": "least_active", "capacity": "0"}, "capacity", "between 1 and 500"),
    ({"rule": "least_active", "capacity": "lots"}, "capacity", "whole number"),
    ({"rule": "least_active", "capacity": ""}, "capacity", "Enter how many"),
    ({"rule": "by_mood", "capacity": "5"}, "rule", "Choose one of")])
def test_bad_rule_values_are_shown_on_their_fields(client, clock, data, field, message):
    """Is each refused value shown on its own field, kept as typed, with nothing saved?"""
    admin = _signed_in(client, clock)
    response = client.post("/settings/assignment", headers=HX, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error_id = "assignment-capacity-error" if field == "capacity" else "rule-error"
    assert re.search(rf'id="{error_id}">[^<]*{message}', html)
    if field == "capacity":
        assert re.search(r'id="assignment-capacity"[^>]*aria-invalid="true"', html, re.S)
    assert _settings(admin.business_id) == assignment.AssignmentSettings()
    page = client.post("/settings/assignment", data=data)
    assert page.status_code == 400 and "<html" in page.get_data(as_text=True)


def test_a_manager_may_not_change_the_rule(client, clock):
    """Is a manager's post to the rule refused (403) and the rule unchanged?"""
    manager = _signed_in(client, clock, "manager")
    assert client.post("/settings/assignment", data={"rule": "round_robin", "capacity": "5"}).status_code == 403
    assert _settings(manager.business_id).rule == "manual"


def test_the_team_table_shows_availability_and_load(client, clock):
    """Does each active staff member appear with their availability in words, open conversations against their
    capacity (Full at the limit), and a hook for live presence updates; and nobody from another business?"""
    business = gen_business("Load Co")
    busy = gen_user(business, "agent")
    busy.first_name, busy.max_open_conversations, busy.availability = "Busy", 2, "online"
    idle = gen_user(business, "agent")
    idle.first_name, idle.availability = "Idle", "away"
    gone = gen_user(business, "agent")
    gone.first_name, gone.status = "Gone", "inactive"
    stranger = gen_user(gen_business(), "agent")
    stranger.first_name = "Stranger"
    db.session.commit()
    _open_conversations(business, busy, 2)
    manager = _signed_in(client, clock, "manager", business)
    html = client.get("/settings/assignment").get_data(as_text=True)
    busy_row = re.search(rf'<tr id="agent-{busy.id}">.*?</tr>', html, re.S).group(0)
    assert f'data-presence-for="{busy.id}"' in busy_row and ">Online</span>" in busy_row
    assert "2 of 2" in busy_row and ">Full</span>" in busy_row
    idle_row = re.search(rf'<tr id="agent-{idle.id}">.*?</tr>', html, re.S).group(0)
    assert ">Away</span>" in idle_row and "0 of 25" in idle_row and "Full" not in idle_row
    assert f'id="agent-{manager.id}"' in html, "managers can take conversations too"
    assert "Gone" not in html and "Stranger" not in html
    assert re.search(r'data-presence-count="online">1</span> online.*data-presence-count="away">1</span> away', html,
                     re.S)


def test_a_manager_sets_an_agent_s_skills_and_capacity(client, clock):
    """Does a row save normalise skills, set and clear the personal capacity, audit it and swap the row?"""
    business = gen_business()
    agent = gen_user(business, "agent")
    _signed_in(client, clock, "manager", business)
    row = client.post(f"/settings/assignment/agents/{agent.id}", headers=HX,
                      data={"skills": " ES, Medical,es ", "capacity": "3"})
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and html.lstrip().startswith(f'<tr id="agent-{agent.id}">')
    assert 'value="es, medical"' in html and 'value="3"' in html and "Saved" in html and "0 of 3" in html
    db.session.expire_all()
    stored = db.session.get(User, agent.id)
    assert (stored.skills, stored.max_open_conversations) == (["es", "medical"], 3)
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "agent_updated")).first()
    client.post(f"/settings/assignment/agents/{agent.id}", headers=HX, data={"skills": "", "capacity": ""})
    db.session.expire_all()
    stored = db.session.get(User, agent.id)
    assert (stored.skills, stored.max_open_conversations) == ([], None)


def test_a_bad_agent_capacity_is_shown_in_the_row(client, clock):
    """Is an impossible capacity refused on that row's field, as typed, with nothing saved?"""
    business = gen_business()
    agent = gen_user(business, "agent")
    _signed_in(client, clock, "business_admin", business)
    row = client.post(f"/settings/assignment/agents/{agent.id}", headers=HX, data={"skills": "es", "capacity": "0"})
    html = row.get_data(as_text=True)
    assert row.status_code == 400
    assert re.search(rf'id="capacity-{agent.id}-error">Capacity must be between 1 and 500', html)
    assert 'value="0"' in html
    page = client.post(f"/settings/assignment/agents/{agent.id}", data={"skills": "es", "capacity": "-4"})
    assert page.status_code == 400 and f'id="capacity-{agent.id}-error"' in page.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, agent.id)
    assert (stored.skills, stored.max_open_conversations) == ([], None)


def test_agents_and_other_businesses_cannot_edit_rows(client, clock):
    """Is an agent refused (403), and another business's person not found (404)?"""
    business = gen_business()
    colleague = gen_user(business, "agent")
    stranger = gen_user(gen_business(), "agent")
    _signed_in(client, clock, "manager", business)
    assert client.post(f"/settings/assignment/agents/{stranger.id}", data={"skills": "es"}).status_code == 404
    assert client.post("/settings/assignment/agents/not-a-uuid", data={"skills": "es"}).status_code == 404
    client.post("/logout")
    _signed_in(client, clock, "agent", business)
    assert client.post(f"/settings/assignment/agents/{colleague.id}", data={"skills": "es"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, stranger.id).skills == [] and db.session.get(User, colleague.id).skills == []
