"""Does every reply come back into the right conversation, exactly once, with its keywords acted on?"""
from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Account, ConsentEvent, Conversation, DebtDispute, Message, Notification, OptOutEvent,
                        UnmatchedInbound)
from app.services import channels
from app.services.channels import usage
from app.services.channels.inbound import InboundMessage, receive, receive_committed
from app.services.compliance.facts import Attempt
from app.services.compliance.gate import decide
from app.services.compliance.inbound import observe
from app.services.compliance.loader import DbLoader
from app.services.compliance import facts as facts_module
from tests.factories import NOW, gen_user
from tests.messaging import EMAIL, PHONE, debtor, messaging_business


def _inbound(business, body, *, sender=PHONE, channel="sms", external_id=None, **kwargs):
    to = business.sender_email if channel == "email" else business.sms_number
    return InboundMessage(channel=channel, from_address=sender, to_address=to, body=body,
                          external_id=external_id or f"SM{uuid.uuid4().hex}", provider="twilio", **kwargs)


def _receive(business, body, **kwargs):
    result = receive(db.session, _inbound(business, body, **kwargs), NOW)
    db.session.commit()
    return result


def _replies(account):
    return db.session.scalars(select(Message).where(Message.account_id == account.id, Message.direction == "outbound")
                              .order_by(Message.created_at)).all()


def test_a_reply_lands_in_the_debtors_conversation_once():
    """Business by our number, account by the sender, a conversation created, counted once; a replay changes
    nothing."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    first = _receive(business, "Can I pay half now?", external_id="SMreplay1")
    assert first.account.id == account.id and not first.duplicate
    conversation = db.session.get(Conversation, first.conversation.id)
    assert conversation.unread_count == 1 and conversation.last_message_from == "debtor"
    assert conversation.last_inbound_at == NOW
    again = _receive(business, "Can I pay half now?", external_id="SMreplay1")
    assert again.duplicate and again.message.id == first.message.id
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    assert usage.current(db.session, business.id, NOW).received == 1


def test_another_business_does_not_see_the_reply():
    """The receiving number decides the business: the same debtor phone at another agency is not matched."""
    business = messaging_business()
    other = messaging_business()
    mine = debtor(business, contacted=True)
    debtor(other, contacted=True)
    result = _receive(business, "hello")
    assert result.account.id == mine.id and result.business.id == business.id


def test_stop_opts_the_debtor_out_everywhere_and_confirms_once():
    """OPT-1, D-3, OPT-4: STOP records an opt-out for every channel, one confirmation without a START invitation
    goes out, and a later collection email is blocked."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _receive(business, " STOP!!! ")
    event = db.session.scalars(select(OptOutEvent)).one()
    assert (event.action, event.scope, event.rule_id, event.address) == ("opt_out", "all", "OPT-1", PHONE)
    replies = _replies(account)
    assert len(replies) == 1 and replies[0].purpose == "optout_confirm" and replies[0].delivery_status == "queued"
    assert "START" not in replies[0].content and event.confirmation_message_id == replies[0].id
    _receive(business, "stop")
    assert len(_replies(account)) == 1  # no second confirmation
    later = channels.send(db.session, account=account, channel="email", subject="Hi", body="Hello Maria", now=NOW)
    assert later.blocked
    assert result.labels >= {"opt_out"}


def test_start_after_stop_opts_back_in_with_consent_evidence():
    """OPT-7: START records an opt-in and a keyword consent tied to the inbound, and confirms with STOP text."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    _receive(business, "STOP")
    result = _receive(business, "START")
    consent = db.session.scalars(select(ConsentEvent).where(ConsentEvent.source == "keyword")).one()
    assert consent.inbound_message_id == result.message.id and consent.granted
    replies = _replies(account)
    assert [r.purpose for r in replies] == ["optout_confirm", "optin_confirm"]
    assert "Reply STOP to opt out." in replies[1].content


def test_help_answers_with_the_brand_and_nothing_about_a_debt():
    business = messaging_business()
    account = debtor(business, contacted=True)
    _receive(business, "HELP")
    reply = _replies(account)[0]
    assert reply.purpose == "help_reply" and business.name in reply.content
    assert "debt" not in reply.content.lower() and "balance" not in reply.content.lower()


def test_spanish_alto_opts_out_and_confirms_in_spanish():
    business = messaging_business()
    account = debtor(business, contacted=True, preferred_language="es")
    _receive(business, "ALTO")
    reply = _replies(account)[0]
    assert reply.purpose == "optout_confirm" and "Ya no recibirá" in reply.content


def test_a_free_text_cease_blocks_collection_resolves_and_asks_a_manager():
    """D-17: the cease takes effect at once, one acknowledgement goes out, the conversation is resolved and the
    managers are asked to review it."""
    business = messaging_business()
    manager = gen_user(business, "manager")
    account = debtor(business, contacted=True)
    result = _receive(business, "I refuse to pay the debt")
    account = db.session.get(Account, account.id)
    assert account.cease_candidate_at == NOW
    conversation = db.session.get(Conversation, result.conversation.id)
    assert conversation.status == "resolved" and conversation.resolution_type == "cease"
    acks = _replies(account)
    assert [(m.purpose, m.delivery_status) for m in acks] == [("cease_terminate", "queued")]
    assert db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).one().kind == "cease_review"
    later = channels.send(db.session, account=account, channel="sms", body="Can we talk about a plan?", now=NOW)
    assert later.blocked


def test_a_stop_request_that_is_also_a_cease_gets_one_reply():
    """'Stop contacting me about this debt' is an opt-out and a cease: the cease acknowledgement (CEASE-2(i)) is the
    one reply, and it is recorded as the opt-out's confirmation."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    _receive(business, "Stop contacting me about this debt. I refuse to pay.")
    replies = _replies(account)
    assert [(m.purpose, m.delivery_status) for m in replies] == [("cease_terminate", "queued")]
    assert db.session.get(Account, account.id).cease_candidate_at == NOW
    assert db.session.scalars(select(OptOutEvent)).one().confirmation_message_id == replies[0].id


def test_an_attorney_mention_holds_messages_and_escalates():
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _receive(business, "Talk to my lawyer, I have an attorney handling this.")
    assert db.session.get(Account, account.id).attorney_pending_at == NOW
    assert db.session.get(Conversation, result.conversation.id).status == "escalated"
    assert channels.send(db.session, account=account, channel="sms", body="Hi Maria", now=NOW).blocked


def test_a_dispute_by_text_is_recorded_as_a_written_dispute():
    business = messaging_business()
    account = debtor(business, contacted=True)
    _receive(business, "I dispute this debt, it is not mine")
    dispute = db.session.scalars(select(DebtDispute)).one()
    assert dispute.account_id == account.id and dispute.written and dispute.channel == "sms"


def test_an_unknown_sender_gets_one_reply_that_names_the_business_and_nothing_else():
    """TP-1: the reply names the business and says nothing about a debt; the sender lands in the unknown list and a
    second message gets no second reply."""
    business = messaging_business()
    result = _receive(business, "Who is this?", sender="+14695550100")
    assert result.unknown_sender is not None and result.message is None
    reply = result.replies[0].message
    assert business.name in reply.content and "debt" not in reply.content.lower()
    assert reply.to_address == "+14695550100" and reply.delivery_status == "queued"
    _receive(business, "Hello??", sender="+14695550100")
    assert db.session.scalar(select(func.count()).select_from(UnmatchedInbound)) == 2
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound")) == 1


def test_an_email_reply_finds_the_account_by_address():
    business = messaging_business()
    account = debtor(business, contacted=True)
    result = _receive(business, "Please send the statement", sender=EMAIL.upper(), channel="email",
                      subject="Re: your account")
    assert result.account.id == account.id and result.conversation.channel == "email"


def test_a_replay_racing_the_original_is_stored_once(app):
    """Twilio retries while the first request is still open: one row, and both requests end well."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    business = messaging_business()
    debtor(business, contacted=True)
    barrier = threading.Barrier(2)
    results, errors = [], []
    copy = _inbound(business, "hello", external_id="SMrace")

    def one():
        try:
            with app.app_context():
                barrier.wait()
                results.append(receive_committed(db.session, copy, NOW).duplicate)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(results) == [False, True]
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_stored_facts_match_what_the_gate_observes():
    """The database twin of observe(): after receive(), the loader reads the same holds observe() adds in memory."""
    texts = ["Stop contacting me about this debt", "my lawyer is handling this", "I dispute this debt",
             "don't text me at work", "please don't call before 10am", "I live in California now", "wrong number",
             "STOP"]
    for text in texts:
        business = messaging_business()
        account = debtor(business, contacted=True)
        attempt = Attempt(business_id=business.id, account_id=account.id, channel="sms", to_address=PHONE,
                          body="Hi", now=NOW + dt.timedelta(minutes=1))
        before = DbLoader(db.session).load(attempt)
        result = _receive(business, text)
        inbound = facts_module.Inbound(id=str(result.message.id), channel="sms", received_at=NOW, body=text,
                                       address=PHONE)
        expected = observe(before, inbound)
        stored = DbLoader(db.session, exclude_message_ids=[m.id for m in _replies(account)]).load(attempt)
        for name in ("cease_candidate_at", "attorney_pending_at", "stated_tz", "workplace_objection_at",
                     "unverified_addresses"):
            assert getattr(stored.debtor, name) == getattr(expected.debtor, name), (text, name)
        assert len(stored.debtor.disputes) == len(expected.debtor.disputes), text
        assert [(b.start, b.end) for b in stored.debtor.inconvenient_times] == \
            [(b.start, b.end) for b in expected.debtor.inconvenient_times], text
        assert {(o.address, o.action) for o in stored.history.optouts} == \
            {(o.address, o.action) for o in expected.history.optouts}, text
        assert decide(attempt, stored).outcome == decide(attempt, expected).outcome, text


def test_two_webhooks_racing_for_a_new_debtor_make_one_conversation(app):
    """The unique index on open conversations: two replies received at once create one conversation (the loser
    starts again and joins the winner's)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    business = messaging_business()
    account = debtor(business, contacted=True)
    barrier = threading.Barrier(2)
    errors = []
    messages = [_inbound(business, f"message {n}") for n in range(2)]  # built here: the threads share no session

    def one(n):
        try:
            with app.app_context():
                barrier.wait()
                receive_committed(db.session, messages[n], NOW)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.account_id == account.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.account_id == account.id)) == 2

