"""Web chat, the debtor's side: does a debtor's message go through the inbound pipeline once per client id, does the
debtor see only their own sent messages, do the gate's hours apply to our replies, and does the widget's identity step
keep the portal's check and lockout?"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, AuditLog, Conversation, Message, OptOutEvent, PortalLink
from app.services import channels, conversation_actions, web_chat
from app.services.channels import delivery
from app.services.errors import NotFound, ValidationError
from app.services.portal import identity
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.messaging import PHONE, debtor, messaging_business

LATE = dt.datetime(2026, 11, 26, 5, 0, tzinfo=dt.timezone.utc)
"""23:00 in Dallas (CST), where the suite's debtor lives: outside 08:00-21:00."""


def _client_id() -> str:
    return uuid.uuid4().hex


def _post(account, body, client_id=None, now=NOW):
    return web_chat.post_from_debtor(db.session, account, body, client_id or _client_id(), now=now)


def _manager(business):
    user = gen_user(business, "manager")
    return Principal(business_id=business.id, role="manager", user_id=user.id)


def test_a_debtors_message_lands_in_their_web_chat_conversation():
    """Is the message stored as the debtor's inbound on web chat, in an open conversation of that account, and found
    by open_conversation_id (what the typing indicator uses)?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _post(account, "  What do I owe?  ")
    message = result.message
    assert (message.channel, message.direction, message.sender_type, message.content) == \
        ("web_chat", "inbound", "debtor", "What do I owe?")
    assert message.account_id == account.id and message.provider == "web"
    conversation = db.session.get(Conversation, message.conversation_id)
    assert conversation.channel == "web_chat" and conversation.status == "active"
    assert web_chat.open_conversation_id(db.session, account.id) == conversation.id
    assert web_chat.open_conversation_id(db.session, debtor(business, phone="+12145550199").id) is None


def test_a_resend_with_the_same_client_id_is_stored_once():
    """A page that lost its connection sends again: is it one message, and the same one?"""
    account = debtor(messaging_business(), contacted=True)
    first = _post(account, "Can I pay $100 a month?", "retry-client-id-1")
    again = _post(account, "Can I pay $100 a month?", "retry-client-id-1")
    assert again.duplicate and again.message.id == first.message.id
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    assert web_chat.client_id_of(first.message) == "retry-client-id-1"


def test_two_debtors_using_the_same_client_id_get_their_own_messages():
    """Client ids are kept per account: could one debtor's id ever return another debtor's message?"""
    business = messaging_business()
    mine = debtor(business, contacted=True)
    theirs = debtor(business, contacted=True, phone="+12145550188", email="other@example.com")
    first = _post(theirs, "Their private question", "shared-client-id")
    second = _post(mine, "My question", "shared-client-id")
    assert not second.duplicate and second.message.id != first.message.id
    assert second.message.account_id == mine.id and second.message.content == "My question"


def test_empty_long_or_malformed_messages_are_refused():
    """Are an empty message, one over 2,000 characters and a bad client id refused before anything is stored?"""
    account = debtor(messaging_business(), contacted=True)
    for body, client_id, field in (("   ", _client_id(), "body"), ("x" * 2001, _client_id(), "body"),
                                   ("hello", "bad id!", "clientMessageId"), ("hello", None, "clientMessageId")):
        with pytest.raises(ValidationError) as caught:
            web_chat.post_from_debtor(db.session, account, body, client_id, now=NOW)
        assert caught.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_history_shows_only_what_reached_the_debtor(clock):
    """Are notes, blocked and scheduled replies and other debtors' messages left out, and does `after` give only
    what came later?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    other = debtor(business, contacted=True, phone="+12145550177", email="someone@example.com")
    manager = _manager(business)
    asked = _post(account, "Hello?")
    _post(other, "Someone else's question")
    conversation_id = asked.message.conversation_id
    clock.advance(minutes=1)
    sent = conversation_actions.reply(db.session, manager, conversation_id, "Hi Maria, how can we help?",
                                      now=clock.now())
    conversation_actions.add_note(db.session, manager, conversation_id, "Staff only: seems ready to pay",
                                  now=clock.now())
    blocked = channels.send(db.session, account=account, channel="web_chat", body="Hello", now=clock.now(),
                            conversation=db.session.get(Conversation, conversation_id))
    blocked.message.delivery_status = "blocked"  # as if the gate had stopped it
    db.session.commit()
    assert sent.message.delivery_status == "sent"

    shown = web_chat.history(db.session, account)
    assert [m.id for m in shown] == [asked.message.id, sent.message.id]
    assert web_chat.history(db.session, account, after_message_id=asked.message.id) == [sent.message]
    assert web_chat.history(db.session, account, after_message_id=sent.message.id) == []
    foreign = web_chat.history(db.session, other)[0]
    assert web_chat.history(db.session, account, after_message_id=foreign.id) == shown  # not theirs: the latest


def test_a_reply_within_15_minutes_of_a_late_message_goes_out_and_a_later_one_waits(clock):
    """TIME-5: the debtor writes at 23:00 their time; is a reply 10 minutes later sent at once, and one 20 minutes
    later held for the morning (and shown only once it is released)?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    manager = _manager(business)
    clock.set(LATE)
    asked = _post(account, "I can't sleep, can we sort this out?", now=clock.now())
    clock.advance(minutes=10)
    quick = conversation_actions.reply(db.session, manager, asked.message.conversation_id, "Yes, we're here.",
                                       now=clock.now())
    db.session.commit()
    assert quick.message.delivery_status == "sent"
    assert "TIME-5" in [issue.rule for issue in quick.decision.issues]
    clock.advance(minutes=10)
    late = conversation_actions.reply(db.session, manager, asked.message.conversation_id, "Are you still there?",
                                      now=clock.now())
    db.session.commit()
    assert late.message.delivery_status == "scheduled"
    morning = late.message.scheduled_for.astimezone(dt.timezone(dt.timedelta(hours=-6)))
    assert morning.hour == 8 and morning.date() == dt.date(2026, 11, 26)
    assert [m.id for m in web_chat.history(db.session, account)] == [asked.message.id, quick.message.id]

    clock.set(late.message.scheduled_for)
    assert delivery.deliver(db.session, late.message.id, clock.now()) == "sent"
    released = db.session.get(Message, late.message.id)
    assert released.delivery_status == "sent" and released.sent_at == clock.now()
    assert web_chat.history(db.session, account, after_message_id=quick.message.id) == [released]


def test_stop_in_web_chat_opts_the_debtor_out():
    """OPT-1 / D-3: does STOP typed in the chat record an opt-out for every channel, answer once in the chat, and
    block a later text?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _post(account, "STOP")
    event = db.session.scalars(select(OptOutEvent)).one()
    assert (event.action, event.scope, event.account_id) == ("opt_out", "all", account.id)
    replies = [m for m in web_chat.history(db.session, account) if m.direction == "outbound"]
    assert len(replies) == 1 and replies[0].id == event.confirmation_message_id
    assert result.labels >= {"opt_out"}
    later = channels.send(db.session, account=account, channel="sms", body="Hello Maria", now=NOW)
    assert later.blocked and any(rule.startswith("OPT") for rule in later.decision.rules)


def test_a_cease_in_web_chat_is_acknowledged_once_and_resolves_the_conversation():
    """D-17: is a written cease request in the chat acknowledged in the chat and the conversation resolved?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _post(account, "Stop contacting me about this debt. I refuse to pay.")
    assert result.conversation.status == "resolved" and result.conversation.resolution_type == "cease"
    acknowledgements = [m for m in web_chat.history(db.session, account) if m.purpose == "cease_terminate"]
    assert len(acknowledgements) == 1 and "stopped our efforts" in acknowledgements[0].content


# -- the identity step ----------------------------------------------------------------------------------------------
def _check(business, account_number, last_name="Lopez", zip_code="75201", birth_date=None):
    result = web_chat.check_identity(db.session, business, account_number=account_number, last_name=last_name,
                                     zip_code=zip_code, birth_date=birth_date, now=NOW, ip="198.51.100.7",
                                     user_agent="test")
    db.session.commit()
    return result


def test_the_widget_identity_step_passes_with_the_details_on_file():
    """Account number, last name and ZIP (or date of birth): does it pass through a widget link that authenticates
    no phone or email address?"""
    business = messaging_business()
    account = debtor(business, unverified_addresses=[PHONE])
    passed = _check(business, account.account_number, last_name="lópez")
    assert passed.passed and passed.account.id == account.id
    assert passed.link.channel == "web_chat" and passed.link.verified_at == NOW
    assert passed.token and db.session.get(Account, account.id).unverified_addresses == [PHONE]
    db.session.get(Account, account.id).date_of_birth_encrypted = identity.seal_date_of_birth(
        account.id, dt.date(1980, 4, 30))
    db.session.commit()
    by_birth = _check(business, account.account_number, zip_code=None, birth_date=dt.date(1980, 4, 30))
    assert by_birth.passed and by_birth.link.id == passed.link.id  # one live widget link per account
    assert db.session.scalar(select(func.count()).select_from(PortalLink)) == 1


def test_wrong_answers_and_unknown_account_numbers_fail_alike_and_five_lock():
    """Does an unknown account number fail like a wrong answer (audited, nothing revealed), and do five wrong answers
    lock the account for 30 minutes even for the right answer?"""
    business = messaging_business()
    account = debtor(business)
    unknown = _check(business, "NO-SUCH-NUMBER")
    assert not unknown.passed and unknown.account is None and unknown.locked_until is None
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "widget_identity_check")).one()
    assert audited.success is False and audited.business_id == business.id
    for attempt in range(5):
        result = _check(business, account.account_number, zip_code="10001")
        assert not result.passed and result.account is None
    assert result.locked_until == NOW + identity.LOCK_FOR
    assert not _check(business, account.account_number).passed
    other_business = messaging_business()
    assert not _check(other_business, account.account_number).passed  # account numbers are per business


def test_an_incomplete_form_is_refused_before_any_lookup():
    """Is a form without the account number, the last name or both ZIP and birth date refused the same way for a
    real and an unknown account number, counting nothing?"""
    business = messaging_business()
    account = debtor(business)
    for number in (account.account_number, "NO-SUCH-NUMBER"):
        for fields, field in ((dict(account_number=""), "account_number"), (dict(last_name=" "), "last_name"),
                              (dict(zip_code=None), "zip_code"), (dict(zip_code="123"), "zip_code")):
            values = {"account_number": number, "last_name": "Lopez", "zip_code": "75201", **fields}
            with pytest.raises(ValidationError) as caught:
                web_chat.check_identity(db.session, business, now=NOW, **values)
            assert caught.value.field == field
    db.session.rollback()
    assert db.session.get(Account, account.id).portal_failed_attempts == 0


def test_an_unknown_or_removed_business_has_no_widget():
    """Is the business a site names checked (404 for a bad id, an unknown one or a removed one)?"""
    business = messaging_business()
    assert web_chat.business_for_widget(db.session, str(business.id)).id == business.id
    business.deleted_at = NOW
    db.session.commit()
    for value in ("not-a-uuid", str(uuid.uuid4()), str(business.id)):
        with pytest.raises(NotFound):
            web_chat.business_for_widget(db.session, value)
