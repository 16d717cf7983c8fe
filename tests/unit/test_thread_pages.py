"""The open thread in pages: the newest messages first, earlier ones before a message of the thread, keyset on
(created_at, id) so pages meet without gaps or repeats, scoped to the caller's business and queue."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.extensions import db
from app.models import Message
from app.services import inbox_list
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_user


def _principal(user) -> Principal:
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id)


def _messages(business, conversation, count: int, *, shared_every: int = 7) -> list[Message]:
    """`count` messages a minute apart, oldest first; every `shared_every`-th pair shares a timestamp so the id
    has to break the tie. Returned in the thread's order (created_at, id)."""
    made = []
    for index in range(count):
        minute = index - (index % shared_every == 1)  # message 1, 8, 15... has the same time as the one before
        at = NOW - dt.timedelta(hours=3) + dt.timedelta(minutes=minute)
        message = Message(business_id=business.id, conversation_id=conversation.id,
                          account_id=conversation.account_id, sender_type="debtor" if index % 2 else "agent",
                          kind="inbound" if index % 2 else "agent", channel="sms",
                          direction="inbound" if index % 2 else "outbound", content=f"message {index:03d}",
                          delivery_status="delivered", created_at=at, updated_at=at)
        db.session.add(message)
        made.append(message)
    db.session.commit()
    return sorted(made, key=lambda m: (m.created_at, m.id))


@pytest.fixture
def long_thread():
    business = gen_business()
    manager = gen_user(business, "manager")
    conversation = gen_conversation(business, gen_account(business))
    return business, manager, conversation, _messages(business, conversation, 120)


def test_the_first_page_is_the_50_newest_oldest_first(long_thread):
    """Does the thread open on its 50 newest messages, in the order they happened, with a way to earlier ones?"""
    business, manager, conversation, messages = long_thread
    thread = inbox_list.thread(db.session, _principal(manager), conversation.id, now=NOW)
    assert [m.id for m in thread.messages] == [m.id for m in messages[-50:]]
    assert thread.has_earlier and thread.earlier_cursor == messages[-50].id.hex


def test_pages_meet_without_gaps_or_repeats_and_end_at_the_start(long_thread):
    """Walking back page by page from the newest, is every message seen exactly once, in order, and does the way
    to earlier messages disappear on the page that holds the first one?"""
    business, manager, conversation, messages = long_thread
    principal = _principal(manager)
    page = inbox_list.thread_page(db.session, principal, conversation.id)
    pages = [page]
    while page.earlier_cursor:
        page = inbox_list.thread_page(db.session, principal, conversation.id, before=page.earlier_cursor)
        pages.append(page)
    assert [len(p.messages) for p in pages] == [50, 50, 20]
    assert [p.has_earlier for p in pages] == [True, True, False] and pages[-1].earlier_cursor is None
    walked = [m.id for p in reversed(pages) for m in p.messages]
    assert walked == [m.id for m in messages], "no gaps, no repeats, oldest first"


def test_a_page_is_cut_inside_messages_that_share_a_time(long_thread):
    """When the page boundary falls between two messages with the same created_at, does the id decide, so neither
    is lost nor shown twice?"""
    business, manager, conversation, messages = long_thread
    tied = next(i for i in range(4, len(messages)) if messages[i].created_at == messages[i - 1].created_at)
    page = inbox_list.thread_page(db.session, _principal(manager), conversation.id, before=messages[tied].id,
                                  limit=3)
    assert [m.id for m in page.messages] == [m.id for m in messages[tied - 3:tied]]


def test_new_messages_do_not_move_the_earlier_pages(long_thread):
    """Does a message arriving after the thread opened leave the next earlier page exactly as it was?"""
    business, manager, conversation, messages = long_thread
    principal = _principal(manager)
    first = inbox_list.thread_page(db.session, principal, conversation.id)
    _messages(business, conversation, 3)
    older = inbox_list.thread_page(db.session, principal, conversation.id, before=first.earlier_cursor)
    assert [m.id for m in older.messages] == [m.id for m in messages[20:70]]


def test_a_short_thread_has_no_way_to_earlier_messages():
    """Does a thread shorter than a page show everything, with no button?"""
    business = gen_business()
    manager = gen_user(business, "manager")
    conversation = gen_conversation(business, gen_account(business))
    messages = _messages(business, conversation, 50)
    thread = inbox_list.thread(db.session, _principal(manager), conversation.id, now=NOW)
    assert [m.id for m in thread.messages] == [m.id for m in messages]
    assert not thread.has_earlier and thread.earlier_cursor is None
    empty = gen_conversation(business, gen_account(business))
    assert inbox_list.thread_page(db.session, _principal(manager), empty.id).messages == []


def test_pages_stay_in_the_business_and_the_queue(long_thread):
    """Is another business's conversation NotFound, a conversation outside an agent's queue Forbidden, and a
    message of another conversation (or business) refused as the start of a page?"""
    business, manager, conversation, messages = long_thread
    other_business = gen_business()
    outsider = gen_user(other_business, "manager")
    with pytest.raises(NotFound):
        inbox_list.thread_page(db.session, _principal(outsider), conversation.id)
    theirs = gen_conversation(other_business, gen_account(other_business))
    foreign = _messages(other_business, theirs, 2)
    with pytest.raises(ValidationError) as refused:
        inbox_list.thread_page(db.session, _principal(manager), conversation.id, before=foreign[-1].id)
    assert refused.value.field == "before"
    sibling = gen_conversation(business, gen_account(business))
    sibling_message = _messages(business, sibling, 1)[0]
    with pytest.raises(ValidationError):
        inbox_list.thread_page(db.session, _principal(manager), conversation.id, before=sibling_message.id)
    for bad in ("not-an-id", uuid.uuid4().hex):
        with pytest.raises(ValidationError):
            inbox_list.thread_page(db.session, _principal(manager), conversation.id, before=bad)

    agent, other_agent = gen_user(business, "agent"), gen_user(business, "agent")
    conversation.assigned_agent_id = other_agent.id
    db.session.commit()
    with pytest.raises(Forbidden):
        inbox_list.thread_page(db.session, _principal(agent), conversation.id)


def test_the_page_size_is_bounded(long_thread):
    """Is a page size outside 1..MAX_THREAD_PAGE refused rather than loading the whole thread?"""
    business, manager, conversation, _ = long_thread
    for limit in (0, inbox_list.MAX_THREAD_PAGE + 1):
        with pytest.raises(ValidationError):
            inbox_list.thread_page(db.session, _principal(manager), conversation.id, limit=limit)
