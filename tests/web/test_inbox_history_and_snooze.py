"""The inbox thread in pages ("Show earlier messages") and snoozing until a time the agent picks, through the real
views: what the agent's browser is sent, and what is stored."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from app.extensions import db
from app.models import Conversation, Message
from tests.factories import NOW, gen_account, gen_conversation, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}
BUBBLE = re.compile(r'<li id="msg-([0-9a-f-]{36})"')
EARLIER = re.compile(r'id="thread-earlier-button"\s+hx-get="([^"]+)"')


def _thread_of(business, account, count: int) -> Conversation:
    conversation = gen_conversation(business, account)
    for index in range(count):
        at = NOW - dt.timedelta(hours=4) + dt.timedelta(minutes=index)
        inbound = index % 2 == 0
        db.session.add(Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                               sender_type="debtor" if inbound else "agent", kind="inbound" if inbound else "agent",
                               channel="sms", direction="inbound" if inbound else "outbound",
                               content=f"Message number {index:03d}", delivery_status="delivered", created_at=at,
                               updated_at=at))
    conversation.last_message_at = NOW - dt.timedelta(hours=4) + dt.timedelta(minutes=count - 1)
    db.session.commit()
    return conversation


@pytest.fixture
def desk(client, clock):
    business = messaging_business()
    account = debtor(business, contacted=True)
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    return business, account, manager


def _numbers(html: str) -> list[int]:
    """The numbers of the bubbles in a thread or a page of it (the list's previews left out)."""
    bubbles = html[html.index('id="thread-messages"'):] if 'id="thread-messages"' in html else html
    return [int(n) for n in re.findall(r'<p class="bubble-text">Message number (\d{3})</p>', bubbles)]


# -- earlier messages ------------------------------------------------------------------------------------------------
def test_a_long_thread_opens_on_its_newest_50_and_pages_back_to_the_start(client, desk):
    """Does a 120-message thread show its 50 newest bubbles and a "Show earlier messages" button, each press
    bring the 50 before (oldest first, the button for the page before leading them), and the last page the start
    of the conversation with no button, every message shown exactly once?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 120)
    page = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert _numbers(page) == list(range(70, 120))
    assert len(BUBBLE.findall(page)) == 50 and "Show earlier messages" in page
    seen = BUBBLE.findall(page)

    url = EARLIER.search(page).group(1).replace("&amp;", "&")
    assert url.startswith(f"/conversations/{conversation.id}/messages?before=")
    second = client.get(url, headers={**HX, "HX-Target": "thread-earlier"})
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<li class="thread-earlier" id="thread-earlier">'), "the next button leads"
    assert _numbers(html) == list(range(20, 70))
    seen = BUBBLE.findall(html) + seen

    third = client.get(EARLIER.search(html).group(1).replace("&amp;", "&"), headers=HX).get_data(as_text=True)
    assert _numbers(third) == list(range(0, 20))
    assert "thread-earlier-button" not in third and "Start of the conversation" in third
    seen = BUBBLE.findall(third) + seen
    assert len(seen) == len(set(seen)) == 120


def test_a_short_thread_has_no_earlier_button(client, desk):
    """Is the button absent when the whole conversation fits on one page?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 12)
    page = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert _numbers(page) == list(range(12)) and "Show earlier messages" not in page


def test_earlier_messages_stay_in_the_business_and_refuse_a_bad_start(client, desk):
    """Is another business's conversation 404, and a `before` that is not a message of this conversation an
    inline error in place of the button?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 60)
    elsewhere = messaging_business("Elsewhere")
    theirs = _thread_of(elsewhere, gen_account(elsewhere), 3)
    their_message = db.session.query(Message.id).filter(Message.conversation_id == theirs.id).first()[0]
    assert client.get(f"/conversations/{theirs.id}/messages?before={their_message.hex}", headers=HX).status_code \
        == 404
    refused = client.get(f"/conversations/{conversation.id}/messages?before={their_message.hex}", headers=HX)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'role="alert"' in html and 'id="thread-earlier"' in html
    assert "msg-" not in html
    assert client.get(f"/conversations/{conversation.id}/messages?before=nonsense", headers=HX).status_code == 400


# -- snoozing until a chosen time ------------------------------------------------------------------------------------
def _snooze(client, conversation, **form):
    return client.post(f"/conversations/{conversation.id}/snooze", data=form, headers=HX)


def test_the_snooze_menu_offers_durations_and_a_date_and_time(client, desk):
    """Does the snooze form keep the fixed durations and add a date-and-time field labelled with its zone?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert all(f'<option value="{key}"' in html for key in ("1h", "4h", "1d", "3d", "1w"))
    assert '<option value="at"' in html and ">Pick a date and time</option>" in html
    assert re.search(r'<input id="snooze-at" name="untilAt" type="datetime-local"', html)
    assert '<input type="hidden" name="tz" value="UTC" data-browser-zone>' in html
    assert 'data-zone-label>(UTC)</span>' in html and 'data-max-days="90"' in html


def test_snoozing_until_a_time_picked_in_the_agents_zone(client, desk):
    """Is 09:30 picked in Chicago stored as 15:30 UTC, shown as "Snoozed until" on the thread and on the row of
    the snoozed list, and the conversation out of the open list until then?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    answer = _snooze(client, conversation, until="at", untilAt="2026-11-27T09:30", tz="America/Chicago")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).snoozed_until == dt.datetime(2026, 11, 27, 15, 30,
                                                                                        tzinfo=dt.timezone.utc)
    assert re.search(r'Snoozed until <time datetime="2026-11-27T15:30:00\+00:00" data-local-time>', html)
    assert f'<li id="conv-row-{conversation.id}" hx-swap-oob="delete">' in html
    listing = client.get("/conversations?snoozed=1").get_data(as_text=True)
    row = listing[listing.index(f'id="conv-row-{conversation.id}"'):]
    row = row[:row.index("</li>")]
    assert 'class="row-snoozed">Snoozed until <time datetime="2026-11-27T15:30:00+00:00"' in row
    assert f"conv-row-{conversation.id}" not in client.get("/conversations").get_data(as_text=True)


def test_a_picked_time_without_a_known_zone_is_read_as_utc(client, desk):
    """When the page could not tell the browser's zone (or sent a made-up one), is the time read as UTC, as the
    field's label then says?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    assert _snooze(client, conversation, until="at", untilAt="2026-11-26T08:00", tz="Mars/Olympus").status_code \
        == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).snoozed_until == dt.datetime(2026, 11, 26, 8, 0,
                                                                                        tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("typed", "message"), [
    ("2026-11-25T08:00", "Choose a time in the future."),           # 14:00 UTC, an hour ago
    ("2027-02-23T09:01", "Snooze for at most 90 days."),             # a minute past 90 days
    ("", "Choose the date and time to snooze until."),
    ("tomorrow morning", "Enter the date and time as shown"),
])
def test_a_bad_picked_time_is_an_inline_error_keeping_what_was_typed(client, desk, typed, message):
    """Is a picked time in the past, beyond 90 days, missing or unreadable answered 400 with the error under the
    date field (not the duration), the menu open with "pick" still chosen and the text kept, nothing stored?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    answer = _snooze(client, conversation, until="at", untilAt=typed, tz="America/Chicago")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r'id="snooze-at-error" role="alert"\s*>' + re.escape(message), html)
    assert 'aria-invalid="true"' in html and 'aria-describedby="snooze-at-hint snooze-at-error"' in html
    assert 'id="snooze-error"' not in html
    assert '<details class="action-menu snooze-menu" open>' in html
    assert '<option value="at" selected>' in html and f'value="{typed}"' in html
    assert 'data-zone-label>(America/Chicago)</span>' in html
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).snoozed_until is None


def test_exactly_90_days_ahead_is_allowed(client, desk):
    """Is the last allowed minute (90 days from now, 09:00 in Chicago) accepted?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    assert _snooze(client, conversation, until="at", untilAt="2027-02-23T09:00", tz="America/Chicago").status_code \
        == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).snoozed_until == NOW + dt.timedelta(days=90)


def test_a_time_the_clocks_skip_is_refused(client, clock, desk):
    """Is 02:30 on the night Chicago's clocks go forward refused by name rather than silently moved?"""
    business, account, manager = desk
    conversation = _thread_of(business, account, 2)
    clock.set(dt.datetime(2027, 3, 1, 15, 0, tzinfo=dt.timezone.utc))
    sign_in(client, manager, clock)
    answer = _snooze(client, conversation, until="at", untilAt="2027-03-14T02:30", tz="America/Chicago")
    assert answer.status_code == 400
    assert "does not exist in America/Chicago" in answer.get_data(as_text=True)


def test_a_fixed_duration_still_works_and_its_error_stays_on_the_choice(client, desk):
    """Do the fixed durations work as before, with a bad choice reported next to the select?"""
    business, account, _ = desk
    conversation = _thread_of(business, account, 2)
    assert _snooze(client, conversation, until="1d", untilAt="", tz="America/Chicago").status_code == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).snoozed_until == NOW + dt.timedelta(days=1)
    bad = _snooze(client, conversation, until="someday").get_data(as_text=True)
    assert 'id="snooze-error" role="alert">Choose how long to snooze.' in bad
    assert re.search(r'id="snooze-at-error" role="alert"\s+hidden>', bad)
