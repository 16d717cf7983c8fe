"""The inbox list query: who sees which conversations, views, filters, search, unread counts and keyset pages."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.extensions import db
from app.models import Conversation, Message, Template
from app.services import inbox_list
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.inbox_list import InboxQuery, query_from_mapping
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_user


def _principal(user) -> Principal:
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id)


def _conversation(business, account, *, status="active", agent=None, channel="sms", minutes_ago=None,
                  sentiment=None, unread=0, snoozed_until=None, texts=()) -> Conversation:
    """A conversation whose messages end `minutes_ago` before NOW (None: never messaged)."""
    at = NOW - dt.timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    conversation = Conversation(business_id=business.id, account_id=account.id, channel=channel, status=status,
                                assigned_agent_id=agent.id if agent else None, sentiment=sentiment, unread_count=unread,
                                snoozed_until=snoozed_until, last_message_at=at, debtor_address=account.phone,
                                created_at=NOW - dt.timedelta(days=1))
    db.session.add(conversation)
    db.session.flush()
    for offset, (direction, text) in enumerate(texts):
        stamp = (at or NOW) - dt.timedelta(seconds=len(texts) - offset)
        db.session.add(Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                               sender_type="debtor" if direction == "inbound" else "agent",
                               kind="inbound" if direction == "inbound" else "agent", channel=channel,
                               direction=direction, content=text, delivery_status="delivered", created_at=stamp))
    db.session.commit()
    return conversation


def _ids(page) -> list:
    return [row.conversation.id for row in page.rows]


def _list(user, **query):
    return inbox_list.list_page(db.session, _principal(user), InboxQuery(**query), now=NOW)


@pytest.fixture
def team():
    business = gen_business()
    return business, gen_user(business, "manager"), gen_user(business, "agent"), gen_user(business, "agent")


def test_an_agent_sees_their_conversations_and_the_unassigned_ones_in_their_queue(team):
    """Does an agent's list hold only their queue (DESIGN.md section 12), while a manager sees every one?"""
    business, manager, agent, other = team
    mine = _conversation(business, gen_account(business), agent=agent, minutes_ago=5)
    queued = _conversation(business, gen_account(business), minutes_ago=6)
    on_my_account = _conversation(business, gen_account(business, assigned_agent_id=agent.id), minutes_ago=7)
    others = _conversation(business, gen_account(business), agent=other, minutes_ago=8)
    on_their_account = _conversation(business, gen_account(business, assigned_agent_id=other.id), minutes_ago=9)

    assert _ids(_list(agent)) == [mine.id, queued.id, on_my_account.id]
    assert _ids(_list(manager)) == [mine.id, queued.id, on_my_account.id, others.id, on_their_account.id]
    assert _ids(_list(agent, view="mine")) == [mine.id]
    assert _ids(_list(agent, view="unassigned")) == [queued.id, on_my_account.id]
    with pytest.raises(Forbidden):
        inbox_list.row_for(db.session, _principal(agent), others.id, InboxQuery(), now=NOW)


def test_another_business_never_shows_and_its_row_is_not_found(team):
    """Is another business's conversation absent from the list and a 404 when asked for by id?"""
    business, manager, _, _ = team
    elsewhere = gen_business()
    theirs = _conversation(elsewhere, gen_account(elsewhere), minutes_ago=1, texts=[("inbound", "secret words")])
    ours = _conversation(business, gen_account(business), minutes_ago=2)
    assert _ids(_list(manager)) == [ours.id]
    assert _list(manager, search="secret words").rows == []
    with pytest.raises(NotFound):
        inbox_list.row_for(db.session, _principal(manager), theirs.id, InboxQuery(), now=NOW)
    with pytest.raises(NotFound):
        inbox_list.bubble(db.session, _principal(manager), ours.id,
                          db.session.query(Message).filter_by(conversation_id=theirs.id).one().id)


def test_views_and_filters_narrow_the_list(team):
    """Do the escalated view and the status, channel, agent and sentiment filters each keep only what they name?"""
    business, manager, agent, _ = team
    escalated = _conversation(business, gen_account(business), status="escalated", agent=agent, minutes_ago=1,
                              sentiment="hostile")
    email = _conversation(business, gen_account(business), channel="email", minutes_ago=2, sentiment="neutral")
    resolved = _conversation(business, gen_account(business), status="resolved", minutes_ago=3)
    closed = _conversation(business, gen_account(business), status="closed", minutes_ago=4)

    assert _ids(_list(manager)) == [escalated.id, email.id], "open (active and escalated) by default"
    assert _ids(_list(manager, view="escalated")) == [escalated.id]
    assert _ids(_list(manager, status="resolved")) == [resolved.id]
    assert _ids(_list(manager, status="any")) == [escalated.id, email.id, resolved.id, closed.id]
    assert _ids(_list(manager, channels=("email",))) == [email.id]
    assert _ids(_list(manager, agent_id=agent.id)) == [escalated.id]
    assert _ids(_list(manager, sentiments=("hostile",))) == [escalated.id]
    assert _ids(_list(manager, view="mine")) == []


def test_search_finds_message_text_names_and_account_numbers_but_no_wildcards(team):
    """Does search match a word in any message, part of the debtor's name, or the account number, and treat % and _
    as plain characters?"""
    business, manager, _, _ = team
    plan = _conversation(business, gen_account(business, first_name="Rosa", last_name="Delgado"), minutes_ago=1,
                         texts=[("outbound", "Hello"), ("inbound", "Could I set up a PAYMENT plan?")])
    named = _conversation(business, gen_account(business, first_name="Tomas", last_name="Okafor"), minutes_ago=2,
                          texts=[("inbound", "hi")])
    numbered = _conversation(business, gen_account(business, account_number="ZX-4471"), minutes_ago=3)

    assert _ids(_list(manager, search="payment pl")) == [plan.id]
    assert _ids(_list(manager, search="as okaf")) == [named.id]
    assert _ids(_list(manager, search="zx-4471")) == [numbered.id]
    assert _list(manager, search="%%").rows == [] and _list(manager, search="__").rows == []
    with pytest.raises(ValidationError) as error:
        _list(manager, search="p")
    assert error.value.field == "q"


def test_unread_counts_per_row_and_per_view_and_snoozed_ones_leave_the_list(team):
    """Are unread messages counted per row and summed per view, and does a snoozed conversation leave the list
    (counted apart) until it wakes?"""
    business, manager, agent, _ = team
    mine = _conversation(business, gen_account(business), agent=agent, minutes_ago=1, unread=3)
    queued = _conversation(business, gen_account(business), minutes_ago=2, unread=1)
    _conversation(business, gen_account(business), status="escalated", minutes_ago=3)
    snoozed = _conversation(business, gen_account(business), minutes_ago=4, unread=2,
                            snoozed_until=NOW + dt.timedelta(hours=1))

    page = _list(agent)
    assert {row.conversation.id: row.conversation.unread_count for row in page.rows}[mine.id] == 3
    assert page.totals["mine"] == inbox_list.ViewTotal(conversations=1, unread_conversations=1, unread_messages=3)
    assert page.totals["unassigned"] == inbox_list.ViewTotal(conversations=2, unread_conversations=1,
                                                             unread_messages=1)
    assert page.totals["all"].conversations == 3 and page.totals["escalated"].conversations == 1
    assert page.snoozed == 1 and snoozed.id not in _ids(page)
    assert _ids(_list(agent, snoozed=True)) == [snoozed.id]
    later = inbox_list.list_page(db.session, _principal(agent), InboxQuery(), now=NOW + dt.timedelta(hours=2))
    assert snoozed.id in _ids(later) and later.snoozed == 0
    assert queued.id in _ids(page)


def test_keyset_pages_cover_every_row_once_in_activity_order(team):
    """Do pages follow latest activity first (ties by id, never-messaged last) with no row repeated or skipped?"""
    business, manager, _, _ = team
    account = gen_account(business)
    made = [_conversation(business, account, channel=channel, minutes_ago=minutes)
            for channel, minutes in (("sms", 5), ("email", 5), ("whatsapp", 1), ("web_chat", None))]
    for index in range(3):
        made.append(_conversation(business, gen_account(business), minutes_ago=5))
    made.append(_conversation(business, gen_account(business), minutes_ago=None))

    seen, before = [], None
    while True:
        page = inbox_list.list_page(db.session, _principal(manager), InboxQuery(before=before), now=NOW, limit=3)
        seen += _ids(page)
        assert page.total == len(made)
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert sorted(seen) == sorted(c.id for c in made) and len(seen) == len(set(seen))
    by_id = {c.id: c for c in made}
    keys = [(by_id[i].last_message_at is None, -(by_id[i].last_message_at or NOW).timestamp(), -int(i.hex, 16))
            for i in seen]
    assert keys == sorted(keys)


def test_the_row_shows_the_last_message_not_a_private_note(team):
    """Does a row preview the latest message to or from the debtor, leaving private notes out?"""
    business, manager, _, _ = team
    conversation = _conversation(business, gen_account(business), minutes_ago=1,
                                 texts=[("outbound", "first"), ("inbound", "I can pay  on Friday")])
    db.session.add(Message(business_id=business.id, conversation_id=conversation.id,
                           account_id=conversation.account_id, sender_type="agent", kind="note", channel="sms",
                           direction="internal", content="internal remark", delivery_status="internal",
                           created_at=NOW))
    db.session.commit()
    row = _list(manager).rows[0]
    assert row.preview == "I can pay on Friday" and row.preview_from == "debtor"


def test_query_string_values_are_checked_and_name_their_field():
    """Is a bad view, channel, sentiment, agent id or page cursor refused with the parameter's name?"""
    for args, field in (({"view": "everything"}, "view"), ({"channel": "fax"}, "channel"),
                        ({"sentiment": "angry"}, "sentiment"), ({"agent": "bob"}, "agent"),
                        ({"before": "yesterday"}, "before"), ({"status": "open,closed"}, "status")):
        with pytest.raises(ValidationError) as error:
            query_from_mapping(args)
        assert error.value.field == field, args
    query = query_from_mapping({"view": "mine", "status": "resolved", "channel": "sms,email", "q": "  plan  "})
    assert query.statuses == ("resolved",) and query.channels == ("sms", "email") and query.search == "plan"
    assert query_from_mapping(query.args()) == query


def test_canned_responses_are_filled_with_the_debtors_values(team):
    """Does the composer get the business's canned responses, the debtor's language first, with variables filled
    and the ones the account lacks named?"""
    business, manager, _, _ = team
    account = gen_account(business, first_name="Ana", preferred_language="es", due_date=None)
    for name, language, body in (("hola", "es", "Hola {firstName}, su saldo es ${balance}."),
                                 ("due", "en", "Hi {{firstName}}, due {dueDate}.")):
        db.session.add(Template(business_id=business.id, template_type="canned", name=name, language=language,
                                body=body))
    elsewhere = gen_business()
    db.session.add(Template(business_id=elsewhere.id, template_type="canned", name="theirs", body="x"))
    db.session.commit()
    choices = inbox_list.canned_choices(db.session, _principal(manager), account, business)
    assert [c.name for c in choices] == ["hola", "due"]
    assert choices[0].text == "Hola Ana, su saldo es $1,250.00."
    assert choices[1].text == "Hi Ana, due {dueDate}." and choices[1].missing == ("dueDate",)


def test_a_held_message_is_told_in_the_debtors_zone():
    """Is a scheduled message's release time given in the one zone the gate weighed, and in UTC alone when
    several zones apply?"""
    account = type("A", (), {"timezone": None})()
    message = Message(delivery_status="scheduled",
                      scheduled_for=dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.timezone.utc),
                      compliance_record={"candidate_zones": ["America/Chicago"]})
    held = inbox_list.held_until(message, account)
    assert held.zone == "America/Chicago" and held.local.hour == 8
    message.compliance_record = {"candidate_zones": ["America/Chicago", "America/Denver"]}
    assert inbox_list.held_until(message, account).local is None
    message.delivery_status = "queued"
    assert inbox_list.held_until(message, account) is None


def test_a_message_id_from_another_conversation_is_not_found(team):
    """Does the bubble lookup refuse a message that belongs to a different conversation of the same business?"""
    business, manager, _, _ = team
    first = _conversation(business, gen_account(business), minutes_ago=1, texts=[("inbound", "one")])
    second = _conversation(business, gen_account(business), minutes_ago=2, texts=[("inbound", "two")])
    message = db.session.query(Message).filter_by(conversation_id=second.id).one()
    with pytest.raises(NotFound):
        inbox_list.bubble(db.session, _principal(manager), first.id, message.id)
    with pytest.raises(NotFound):
        inbox_list.bubble(db.session, _principal(manager), first.id, uuid.uuid4())
    assert inbox_list.bubble(db.session, _principal(manager), second.id, message.id).sender.startswith("Jane")


def test_a_deleted_accounts_conversations_leave_the_list_and_the_counts(team):
    """Are conversations of a soft-deleted account gone from the list, the view totals and search, for managers and
    agents alike?"""
    business, manager, agent, _ = team
    kept = _conversation(business, gen_account(business), minutes_ago=1, unread=1, texts=[("inbound", "keep me")])
    gone_account = gen_account(business)
    _conversation(business, gone_account, minutes_ago=2, unread=4, texts=[("inbound", "remove me")])
    gone_account.deleted_at = NOW
    db.session.commit()
    for user in (manager, agent):
        page = _list(user)
        assert _ids(page) == [kept.id] and page.total == 1
        assert page.totals["all"] == inbox_list.ViewTotal(conversations=1, unread_conversations=1, unread_messages=1)
        assert _list(user, search="remove me").rows == [] and _list(user, search="remove me").total == 0
