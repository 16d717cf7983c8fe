"""Who gets a conversation: the business's rule, availability, skills, capacity and what happens when an agent
leaves."""
import datetime as dt

import pytest

from app.extensions import db
from app.models import Conversation, Notification
from app.services import assignment
from app.services.errors import Forbidden, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_user


def _rule(business, rule, capacity=25, reassign=True):
    business.settings = {**(business.settings or {}), "assignment": {"rule": rule, "capacity": capacity,
                                                                      "reassignOnOffline": reassign}}
    db.session.commit()


def _agent(business, *, online=True, skills=(), capacity=None):
    user = gen_user(business, "agent")
    user.availability = "online" if online else "offline"
    user.skills = list(skills)
    user.max_open_conversations = capacity
    db.session.commit()
    return user


def _assign_new(business, **account_fields):
    account = gen_account(business, **account_fields)
    conversation = gen_conversation(business, account)
    agent = assignment.auto_assign(db.session, conversation, account, now=NOW)
    db.session.commit()
    return conversation, agent


def test_manual_rule_leaves_conversations_in_the_queue():
    business = gen_business()
    _agent(business)
    conversation, agent = _assign_new(business)
    assert agent is None and conversation.assigned_agent_id is None


def test_round_robin_takes_turns_among_online_agents_only():
    business = gen_business()
    _rule(business, "round_robin")
    first, second = _agent(business), _agent(business)
    _agent(business, online=False)
    picked = [_assign_new(business)[1].id for _ in range(4)]
    assert set(picked) == {first.id, second.id}
    assert picked[0] != picked[1] and picked[0] == picked[2] and picked[1] == picked[3]


def test_least_active_picks_the_agent_with_fewest_open_conversations():
    business = gen_business()
    _rule(business, "least_active")
    busy, idle = _agent(business), _agent(business)
    for _ in range(2):
        conversation = gen_conversation(business, gen_account(business))
        conversation.assigned_agent_id = busy.id
    db.session.commit()
    assert _assign_new(business)[1].id == idle.id


def test_skill_based_matches_language_and_claimed_tags():
    """A Spanish-speaking debtor with a medical tag goes to the agent with both skills; a tag no agent claims
    ('vip') does not narrow the choice."""
    business = gen_business()
    _rule(business, "skill_based")
    _agent(business, skills=["es"])
    both = _agent(business, skills=["es", "medical"])
    _agent(business, skills=["medical"])
    _, agent = _assign_new(business, preferred_language="es", tags=["medical", "vip"])
    assert agent.id == both.id


def test_skill_based_with_nobody_qualified_leaves_it_queued():
    business = gen_business()
    _rule(business, "skill_based")
    _agent(business, skills=["medical"])
    conversation, agent = _assign_new(business, preferred_language="es")
    assert agent is None and conversation.assigned_agent_id is None


def test_capacity_is_respected():
    business = gen_business()
    _rule(business, "least_active", capacity=1)
    agent = _agent(business)
    assert _assign_new(business)[1].id == agent.id
    assert _assign_new(business)[1] is None, "at capacity: the next one waits in the queue"
    agent.max_open_conversations = 2
    db.session.commit()
    assert _assign_new(business)[1].id == agent.id, "a personal capacity overrides the business default"


def test_assignment_notifies_the_agent():
    business = gen_business()
    _rule(business, "round_robin")
    agent = _agent(business)
    conversation, _ = _assign_new(business)
    note = db.session.query(Notification).filter_by(user_id=agent.id).one()
    assert note.kind == "assignment" and note.conversation_id == conversation.id


def test_going_offline_hands_conversations_to_another_agent():
    business = gen_business()
    _rule(business, "least_active")
    leaving, staying = _agent(business), _agent(business)
    conversation = gen_conversation(business, gen_account(business))
    conversation.assigned_agent_id = leaving.id
    db.session.commit()
    assert assignment.set_availability(db.session, leaving, "offline", now=NOW)
    db.session.commit()
    assert db.session.get(Conversation, conversation.id).assigned_agent_id == staying.id


def test_going_offline_under_the_manual_rule_returns_conversations_to_the_queue():
    business = gen_business()
    leaving = _agent(business)
    _agent(business)
    conversation = gen_conversation(business, gen_account(business))
    conversation.assigned_agent_id = leaving.id
    db.session.commit()
    assignment.set_availability(db.session, leaving, "offline", now=NOW)
    db.session.commit()
    assert db.session.get(Conversation, conversation.id).assigned_agent_id is None


def test_presence_never_overrides_the_agents_own_choice():
    business = gen_business()
    agent = _agent(business)
    assignment.set_availability(db.session, agent, "away", now=NOW)
    assert not assignment.set_availability(db.session, agent, "online", now=NOW, by_presence=True)
    assert agent.availability == "away"
    assert assignment.set_availability(db.session, agent, "offline", now=NOW, by_presence=True), \
        "losing every connection still takes an agent offline"
    assert assignment.set_availability(db.session, agent, "online", now=NOW, by_presence=True)


def test_presence_sweep_waits_for_the_grace_period(app):
    business = gen_business()
    agent = _agent(business)
    redis = app.extensions["jobs"].connection
    assignment.socket_connected(db.session, redis, agent.id, "sid-1", now=NOW)
    assignment.socket_disconnected(db.session, redis, agent.id, "sid-1", now=NOW)
    db.session.commit()
    assert assignment.sweep_presence(db.session, redis, NOW + dt.timedelta(seconds=30)) == 0
    assert agent.availability == "online", "a page load reconnects within the grace period"
    assert assignment.sweep_presence(db.session, redis, NOW + dt.timedelta(seconds=61)) == 1
    assert agent.availability == "offline"


def test_a_connected_agent_is_never_swept(app):
    business = gen_business()
    agent = _agent(business)
    redis = app.extensions["jobs"].connection
    assignment.socket_connected(db.session, redis, agent.id, "sid-2", now=NOW)
    db.session.commit()
    assert assignment.sweep_presence(db.session, redis, NOW + dt.timedelta(hours=1)) == 0


def test_settings_are_for_admins_and_validated():
    business = gen_business()
    admin, manager = gen_user(business, "business_admin"), gen_user(business, "manager")
    as_admin = Principal(business_id=business.id, role="business_admin", user_id=admin.id)
    as_manager = Principal(business_id=business.id, role="manager", user_id=manager.id)
    with pytest.raises(Forbidden):
        assignment.update_settings(db.session, as_manager, rule="round_robin", now=NOW)
    with pytest.raises(ValidationError) as bad_rule:
        assignment.update_settings(db.session, as_admin, rule="lottery", now=NOW)
    assert bad_rule.value.field == "rule"
    with pytest.raises(ValidationError) as bad_capacity:
        assignment.update_settings(db.session, as_admin, capacity=0, now=NOW)
    assert bad_capacity.value.field == "capacity"
    saved = assignment.update_settings(db.session, as_admin, rule="skill_based", capacity=10, now=NOW)
    assert assignment.settings_of(business) == saved and saved.rule == "skill_based"


def test_deactivating_an_agent_hands_their_conversations_on():
    from app.services.auth import team

    business = gen_business()
    _rule(business, "least_active")
    admin = gen_user(business, "business_admin")
    leaving, staying = _agent(business), _agent(business)
    conversation = gen_conversation(business, gen_account(business))
    conversation.assigned_agent_id = leaving.id
    db.session.commit()
    team.update_user(db.session, Principal(business_id=business.id, role="business_admin", user_id=admin.id),
                     leaving, status="inactive", now=NOW)
    db.session.commit()
    assert db.session.get(Conversation, conversation.id).assigned_agent_id == staying.id


def test_an_inbound_message_is_auto_assigned_and_the_agent_hears_of_the_next_one(clock):
    from app.services.channels import inbound
    from tests.messaging import debtor, messaging_business

    business = messaging_business()
    _rule(business, "least_active")
    agent = _agent(business)
    account = debtor(business, contacted=True)

    def text(sid, body):
        return inbound.receive_committed(db.session, inbound.InboundMessage(
            channel="sms", from_address=account.phone, to_address=business.sms_number, body=body, external_id=sid,
            provider="twilio"), clock.now())

    first = text("SMauto1", "Hi, who is this?")
    assert first.conversation.assigned_agent_id == agent.id
    text("SMauto2", "Can I pay next week?")
    kinds = [n.kind for n in db.session.query(Notification).filter_by(user_id=agent.id).order_by(
        Notification.created_at)]
    assert kinds.count("assignment") == 1 and "message" in kinds
