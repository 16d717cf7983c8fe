"""What staff do to a conversation: status with resolution types, assignment rights and capacity, notes that never
leave, replies through the gate, and the composer's preflight."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Conversation, Message, Notification, SandboxMessage
from app.services import conversation_actions as actions
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_user
from tests.messaging import debtor, messaging_business


def _as(user) -> Principal:
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id)


def _conversation(business, account=None, **fields):
    conversation = gen_conversation(business, account or gen_account(business))
    for key, value in fields.items():
        setattr(conversation, key, value)
    db.session.commit()
    return conversation


def test_resolving_or_closing_needs_a_resolution_type():
    business = gen_business()
    manager = gen_user(business, "manager")
    conversation = _conversation(business)
    for status in ("resolved", "closed"):
        with pytest.raises(ValidationError) as missing:
            actions.set_status(db.session, _as(manager), conversation.id, status, now=NOW)
        assert missing.value.field == "resolutionType"
    actions.set_status(db.session, _as(manager), conversation.id, "resolved", resolution_type="paid", now=NOW)
    db.session.commit()
    assert (conversation.status, conversation.resolution_type, conversation.resolved_at) == ("resolved", "paid", NOW)


def test_reopening_refuses_a_second_open_conversation_on_the_channel():
    business = gen_business()
    manager = gen_user(business, "manager")
    account = gen_account(business)
    old = _conversation(business, account, status="resolved", resolution_type="paid")
    _conversation(business, account)
    with pytest.raises(Conflict):
        actions.set_status(db.session, _as(manager), old.id, "active", now=NOW)


def test_escalation_records_the_reason_and_tells_managers_and_the_assignee():
    business = gen_business()
    manager, other_manager, agent = gen_user(business, "manager"), gen_user(business, "manager"), \
        gen_user(business, "agent")
    conversation = _conversation(business, assigned_agent_id=None)
    conversation.assigned_agent_id = agent.id
    db.session.commit()
    actions.set_status(db.session, _as(manager), conversation.id, "escalated", reason="Asked for a supervisor",
                       now=NOW)
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "escalation")))
    assert told == {other_manager.id, agent.id}, "everyone concerned except the person who escalated"
    assert conversation.escalation_reason == "Asked for a supervisor" and conversation.escalated_at == NOW


def test_an_agent_may_only_take_conversations_from_their_queue():
    business = gen_business()
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    queued = _conversation(business)
    theirs = _conversation(business, assigned_agent_id=colleague.id)
    with pytest.raises(Forbidden):
        actions.assign(db.session, _as(agent), queued.id, colleague.id, now=NOW)
    with pytest.raises(Forbidden):
        actions.take(db.session, _as(agent), theirs.id, now=NOW)
    actions.take(db.session, _as(agent), queued.id, now=NOW)
    db.session.commit()
    assert queued.assigned_agent_id == agent.id


def test_a_manager_cannot_assign_past_an_agents_capacity_or_to_another_business():
    business, other = gen_business(), gen_business()
    manager, agent, outsider = gen_user(business, "manager"), gen_user(business, "agent"), gen_user(other, "agent")
    agent.max_open_conversations = 1
    _conversation(business, assigned_agent_id=agent.id)
    conversation = _conversation(business)
    with pytest.raises(Conflict):
        actions.assign(db.session, _as(manager), conversation.id, agent.id, now=NOW)
    with pytest.raises(NotFound):
        actions.assign(db.session, _as(manager), conversation.id, outsider.id, now=NOW)


def test_another_business_conversation_is_not_found():
    business, other = gen_business(), gen_business()
    manager = gen_user(business, "manager")
    theirs = _conversation(other)
    with pytest.raises(NotFound):
        actions.set_status(db.session, _as(manager), theirs.id, "escalated", now=NOW)


def test_a_note_is_kept_in_the_thread_and_never_sent():
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    conversation = _conversation(business, account)
    note = actions.add_note(db.session, _as(manager), conversation.id, "Called her employer? No: never.", now=NOW)
    db.session.commit()
    assert (note.kind, note.direction, note.delivery_status) == ("note", "internal", "internal")
    assert db.session.scalars(select(SandboxMessage)).all() == []
    with pytest.raises(ValidationError):
        actions.add_note(db.session, _as(manager), conversation.id, "   ", now=NOW)


def test_a_reply_goes_through_the_gate_and_names_the_debtors_message(clock):
    business = messaging_business()
    agent = gen_user(business, "agent")
    account = debtor(business, contacted=True)
    conversation = _conversation(business, account, unread_count=2)
    inbound = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="debtor", kind="inbound", channel="sms", direction="inbound",
                      content="Can I pay Friday?", delivery_status="received", created_at=NOW)
    db.session.add(inbound)
    db.session.commit()
    outcome = actions.reply(db.session, _as(agent), conversation.id, "Yes, Friday works.", now=NOW)
    db.session.commit()
    assert outcome.message.in_reply_to_id == inbound.id and outcome.message.delivery_status == "queued"
    assert conversation.assigned_agent_id == agent.id, "an agent who answers a queued conversation owns it"
    assert conversation.unread_count == 0


def test_a_reply_to_a_debtor_who_opted_out_is_stored_blocked():
    from app.models import OptOutEvent

    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    conversation = _conversation(business, account)
    db.session.add(OptOutEvent(business_id=business.id, account_id=account.id, channel="sms", address=account.phone,
                               rule_id="OPT-1", received_at=NOW - dt.timedelta(days=1),
                               effective_at=NOW - dt.timedelta(days=1)))
    db.session.commit()
    check = actions.preflight(db.session, _as(manager), conversation.id, "Please call us back.", now=NOW)
    assert check.state == "block" and check.rules and check.summary.startswith("Blocked:")
    outcome = actions.reply(db.session, _as(manager), conversation.id, "Please call us back.", now=NOW)
    assert outcome.blocked


def test_preflight_says_when_a_held_message_will_go(clock):
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    conversation = _conversation(business, account)
    late = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.timezone.utc)  # 22:00 in Dallas
    check = actions.preflight(db.session, _as(manager), conversation.id, "A reminder about your account.", now=late)
    assert check.state == "hold" and "TIME-1" in check.rules
    assert check.until_local.startswith("8:00 AM") and "8:00 AM" in check.summary
    now_ok = actions.preflight(db.session, _as(manager), conversation.id, "A reminder about your account.", now=NOW)
    assert now_ok.state == "send" and now_ok.summary.startswith("Will send now")


def test_attachments_are_refused_on_web_chat():
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    conversation = _conversation(business, account, channel="web_chat")
    with pytest.raises(ValidationError) as refused:
        actions.reply(db.session, _as(manager), conversation.id, "See attached.", now=NOW,
                      attachment=("receipt.pdf", "application/pdf", b"%PDF-1.4 tiny"))
    assert refused.value.field == "attachment" and refused.value.message.startswith("Files cannot be sent on web chat")


def test_snooze_needs_a_future_time_and_a_debtor_message_wakes_it():
    business = gen_business()
    manager = gen_user(business, "manager")
    conversation = _conversation(business)
    with pytest.raises(ValidationError):
        actions.snooze(db.session, _as(manager), conversation.id, until=NOW - dt.timedelta(hours=1), now=NOW)
    actions.snooze(db.session, _as(manager), conversation.id, until=NOW + dt.timedelta(hours=4), now=NOW)
    db.session.commit()
    assert db.session.get(Conversation, conversation.id).snoozed_until == NOW + dt.timedelta(hours=4)


def test_an_email_reply_carries_the_attached_document(app):
    """The file is kept on the account and read from storage when the email goes out."""
    from app.models import Document

    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    conversation = gen_conversation(business, account, channel="email")
    conversation.debtor_address = account.email
    db.session.commit()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    outcome = actions.reply(db.session, _as(manager), conversation.id, "Your statement is attached.", now=NOW,
                            attachment=("statement.pdf", "application/pdf", pdf))
    db.session.commit()
    assert outcome.message.delivery_status == "queued"
    assert db.session.scalars(select(Document).where(Document.account_id == account.id)).one().filename == \
        "statement.pdf"
    app.extensions["jobs"].work_burst()
    sent = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == account.email)).one()
    assert [a["filename"] for a in sent.meta["attachments"]] == ["statement.pdf"]
