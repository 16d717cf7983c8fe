"""The inbox page (/conversations): who sees what, the list's filters and counts, and whether every reply goes
through the compliance gate while private notes never leave."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db, socketio
from app.models import Conversation, Message, PortalLink, SandboxMessage, Template
from app.services.channels.inbound import InboundMessage, receive
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def inbound(business, account, body: str, at=NOW, external_id: str | None = None) -> Conversation:
    """The debtor texts the business (the real inbound pipeline); returns the conversation it landed in."""
    result = receive(db.session, InboundMessage(channel="sms", from_address=account.phone,
                                                to_address=business.sms_number, body=body, provider="twilio",
                                                external_id=external_id or f"SM{abs(hash((body, at)))}"), at)
    db.session.commit()
    return db.session.get(Conversation, result.conversation.id)


def htmx(target: str) -> dict:
    return {**HX, "HX-Target": target}


@pytest.fixture
def shop(client, clock):
    """A business with sandbox addresses, a Dallas debtor who has written in, and a manager signed in."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    conversation = inbound(business, account, "Can I set up a payment plan?")
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    return business, account, conversation, manager


# -- pages and partials ----------------------------------------------------------------------------------------------
def test_the_page_is_whole_and_an_htmx_filter_gets_the_list_alone(client, shop):
    """Does /conversations render the split view, and an HTMX request only the list, with the URL to push?"""
    business, account, conversation, _ = shop
    page = client.get("/conversations")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="inbox-thread"' in html
    assert f'id="conv-row-{conversation.id}"' in html and "Maria Lopez" in html and "Choose a conversation" in html

    partial = client.get("/conversations?view=unassigned&q=payment", headers=htmx("inbox-list"))
    body = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in body and f'id="conv-row-{conversation.id}"' in body
    assert partial.headers["HX-Push-Url"] == "/conversations?view=unassigned&q=payment"
    assert 'id="view-count-unassigned" hx-swap-oob="true"' in body

    opened = client.get(f"/conversations?q=payment&open={conversation.id}", headers=htmx("inbox-list"))
    assert opened.headers["HX-Push-Url"] == f"/conversations/{conversation.id}?q=payment"


def test_opening_a_conversation_shows_the_thread_header_and_composer(client, shop):
    """Does /conversations/<id> show the thread (debtor grey, ours blue) with the account header, and HTMX get the
    thread alone?"""
    business, account, conversation, _ = shop
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert "<html" in html and 'class="inbox has-thread"' in html
    assert "Can I set up a payment plan?" in html and 'class="bubble bubble-in' in html
    assert "$412.50" in html and "04/30/26" in html and "Contact now?" in html and "America/Chicago" in html
    assert 'id="composer-body"' in html and 'aria-current="true"' in html
    thread = client.get(f"/conversations/{conversation.id}", headers=htmx("inbox-thread")).get_data(as_text=True)
    assert "<html" not in thread and thread.lstrip().startswith("<article") and "inbox-filters" in thread


def test_an_agent_sees_only_their_queue_and_another_business_is_not_found(client, clock):
    """Is a conversation in another agent's queue 403 to an agent, absent from their list, and another business's
    conversation 404, for the page, the row and a bubble?"""
    business = messaging_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    theirs = gen_conversation(business, gen_account(business, assigned_agent_id=other.id, first_name="Hidden"))
    queued = gen_conversation(business, gen_account(business, first_name="Visible"))
    elsewhere = messaging_business("Elsewhere")
    foreign = inbound(elsewhere, debtor(elsewhere, contacted=True), "not yours")
    sign_in(client, agent, clock)

    listing = client.get("/conversations").get_data(as_text=True)
    assert f"conv-row-{queued.id}" in listing and f"conv-row-{theirs.id}" not in listing and "Hidden" not in listing
    assert client.get(f"/conversations/{theirs.id}").status_code == 403
    assert client.get(f"/conversations/{theirs.id}/row", headers=HX).status_code == 403
    assert client.post(f"/conversations/{theirs.id}/reply", data={"body": "hi"}, headers=HX).status_code == 403
    assert client.get(f"/conversations/{foreign.id}").status_code == 404
    foreign_message = db.session.scalars(select(Message.id).where(Message.conversation_id == foreign.id)).first()
    assert client.get(f"/conversations/{foreign.id}/messages/{foreign_message}", headers=HX).status_code == 404
    assert client.get(f"/conversations/{queued.id}/messages/{foreign_message}", headers=HX).status_code == 404
    assert count(Message, Message.conversation_id == theirs.id) == 0


def test_filters_search_and_views_in_the_query_string(client, clock):
    """Do the status, channel and search parameters narrow the list, and does a bad value say why?"""
    business = messaging_business()
    manager = gen_user(business, "manager")
    plan = inbound(business, debtor(business, contacted=True), "About a payment plan", external_id="SMa")
    resolved = gen_conversation(business, gen_account(business, first_name="Closedcase"))
    resolved.status, resolved.resolution_type = "resolved", "paid"
    email = gen_conversation(business, gen_account(business, first_name="Mailer"), channel="email")
    db.session.commit()
    sign_in(client, manager, clock)

    def rows(query):
        html = client.get(f"/conversations?{query}", headers=htmx("inbox-list")).get_data(as_text=True)
        return set(re.findall(r'id="conv-row-([0-9a-f-]{36})"', html))
    assert rows("") == {str(plan.id), str(email.id)}
    assert rows("status=resolved") == {str(resolved.id)}
    assert rows("channel=email") == {str(email.id)}
    assert rows("q=payment+plan") == {str(plan.id)}
    assert rows("q=closedcase&status=any") == {str(resolved.id)}
    bad = client.get("/conversations?channel=fax", headers=htmx("inbox-list")).get_data(as_text=True)
    assert "channel must be one of" in bad and 'role="alert"' in bad
    empty = client.get("/conversations?q=nothing+like+this", headers=htmx("inbox-list")).get_data(as_text=True)
    assert "No conversations match" in empty and "Clear search and filters" in empty


def test_unread_counts_show_and_reading_clears_them(client, shop):
    """Does a new debtor message show as unread on the row and in the view counts, and does opening the thread
    (POST /read) clear it and refresh the row out of band?"""
    business, account, conversation, _ = shop
    assert conversation.unread_count == 1
    listing = client.get("/conversations").get_data(as_text=True)
    assert 'class="row-unread">1<' in listing and "with unread messages" in listing
    thread = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert f'hx-post="/conversations/{conversation.id}/read" hx-trigger="load"' in thread

    answer = client.post(f"/conversations/{conversation.id}/read", data={"listArgs": "view=all"}, headers=HX)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and f'id="conv-row-{conversation.id}"' in body and 'hx-swap-oob="true"' in body
    assert "row-unread" not in body
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).unread_count == 0


# -- replies go through the gate; notes never leave -----------------------------------------------------------------
def test_a_reply_is_sent_through_the_gate_and_lands_in_the_sandbox_outbox(app, client, shop):
    """Does a reply become a queued message with the gate's disclosures, shown as a bubble, and reach the sandbox
    provider once the worker runs?"""
    business, account, conversation, _ = shop
    answer = client.post(f"/conversations/{conversation.id}/reply", data={"body": "Yes, we can set up a plan."},
                         headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Sent." in html and 'hx-swap-oob="beforeend:#thread-messages"' in html
    message = db.session.scalars(select(Message).where(Message.direction == "outbound")).one()
    assert message.conversation_id == conversation.id and message.delivery_status == "queued"
    assert message.compliance_checked and "Reply STOP to opt out." in message.content
    assert f'id="msg-{message.id}"' in html and "bubble-out" in html
    app.extensions["jobs"].work_burst()
    outbox = db.session.scalars(select(SandboxMessage)).one()
    assert outbox.message_id == message.id and outbox.to_address == account.phone


def test_a_blocked_reply_names_the_rule_and_is_stored_blocked(client, clock):
    """Does a reply the gate blocks (the debtor asked us in writing to stop) answer 422 with the rule inline, and
    stay in the thread as blocked, never queued?"""
    business = messaging_business()
    account = debtor(business, contacted=True, cease_received_at=NOW - dt.timedelta(days=1), cease_type="written",
                     cease_channel="mail", cease_written=True)
    conversation = gen_conversation(business, account)
    sign_in(client, gen_user(business, "manager"), clock)
    answer = client.post(f"/conversations/{conversation.id}/reply", data={"body": "Please call us."}, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Not sent. Blocked by CEASE" in html and 'aria-invalid="true"' in html and 'id="composer-error"' in html
    assert "Please call us." in html, "the text stays in the composer"
    message = db.session.scalars(select(Message)).one()
    assert message.delivery_status == "blocked" and any(r.startswith("CEASE") for r in message.compliance_issues)
    assert "is-blocked" in html and "Not sent: blocked by CEASE" in html


def test_a_reply_outside_contact_hours_is_held_with_its_release_time(client, clock):
    """Is a reply written at night (Dallas) stored scheduled and shown held until 8:00 AM debtor time?"""
    business = messaging_business()
    account = debtor(business, contacted=True, timezone="America/Chicago", timezone_source="staff")
    conversation = inbound(business, account, "ok")
    clock.set(dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.timezone.utc))  # 22:00 in Dallas, hours after the text
    sign_in(client, gen_user(business, "manager"), clock)
    preflight = client.post(f"/conversations/{conversation.id}/preflight", data={"body": "Good morning"},
                            headers=HX).get_data(as_text=True)
    assert "preflight-hold" in preflight and "8:00 AM debtor time" in preflight and "TIME-" in preflight
    html = client.post(f"/conversations/{conversation.id}/reply", data={"body": "Good morning"},
                       headers=HX).get_data(as_text=True)
    message = db.session.scalars(select(Message).where(Message.direction == "outbound")).one()
    assert message.delivery_status == "scheduled"
    assert message.scheduled_for == dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.timezone.utc)
    assert "Held:" in html and "Held until 8:00 AM debtor time (America/Chicago)" in html and "is-scheduled" in html


def test_preflight_says_send_or_blocked_and_stores_nothing(client, clock):
    """Does the composer's preflight say 'will send' for an allowed text, 'blocked' with the rule for an opted-out
    debtor, and write no message either way?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    conversation = inbound(business, account, "hello")
    sign_in(client, gen_user(business, "agent"), clock)
    allowed = client.post(f"/conversations/{conversation.id}/preflight", data={"body": "Hi Maria"},
                          headers=HX).get_data(as_text=True)
    assert "preflight-send" in allowed and "Will send now" in allowed
    idle = client.post(f"/conversations/{conversation.id}/preflight", data={"body": "  "}, headers=HX)
    assert "preflight-idle" in idle.get_data(as_text=True)
    inbound(business, account, "STOP", at=clock.advance(minutes=2), external_id="SMstop")
    blocked = client.post(f"/conversations/{conversation.id}/preflight", data={"body": "Hi Maria"},
                          headers=HX).get_data(as_text=True)
    assert "preflight-block" in blocked and "OPT-" in blocked
    assert count(Message, Message.direction == "outbound", Message.kind == "agent") == 0


def test_a_private_note_never_leaves(app, client, shop):
    """Is a note stored as staff-only, shown as a note, and never handed to a provider (nothing in the sandbox
    outbox once the worker has run)?"""
    business, account, conversation, _ = shop
    answer = client.post(f"/conversations/{conversation.id}/notes", data={"body": "Debtor sounded upset; go slow."},
                         headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Note saved" in html and "bubble-note" in html
    assert "Private note · staff only" in html
    note = db.session.scalars(select(Message).where(Message.kind == "note")).one()
    assert note.direction == "internal" and note.delivery_status == "internal" and note.sender_type == "agent"
    app.extensions["jobs"].work_burst()
    assert count(SandboxMessage) == 0
    db.session.refresh(note)
    assert note.delivery_status == "internal" and note.provider is None and note.external_id is None
    empty = client.post(f"/conversations/{conversation.id}/notes", data={"body": " "}, headers=HX)
    assert empty.status_code == 400 and 'id="composer-error"' in empty.get_data(as_text=True)


def test_an_attachment_on_a_web_chat_conversation_is_refused_inline(client, shop):
    """Is a file on a web chat conversation (no file input there) an inline error, with nothing sent?"""
    import io

    business, account, _, _ = shop
    conversation = gen_conversation(business, account, channel="web_chat")
    answer = client.post(f"/conversations/{conversation.id}/reply", headers=HX, content_type="multipart/form-data",
                         data={"body": "See attached", "attachment": (io.BytesIO(b"%PDF-1.4 test"), "plan.pdf")})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and 'id="composer-error" role="alert">Files cannot be sent on web chat' in html
    assert 'id="composer-attachment"' not in html
    assert 'aria-invalid="true"' not in html, "the text itself was fine"
    assert count(Message, Message.direction == "outbound") == 0


# -- conversation actions -------------------------------------------------------------------------------------------
def test_resolving_without_a_resolution_type_is_an_inline_error(client, shop):
    """Does 'Resolve' with no resolution type answer 400 with the error next to the select, leaving the status?"""
    business, account, conversation, _ = shop
    answer = client.post(f"/conversations/{conversation.id}/status", data={"status": "resolved"}, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="resolution-error"' in html and 'aria-invalid="true" aria-describedby="resolution-error"' in html
    assert re.search(r'<details class="action-menu" open>\s*<summary class="btn btn-secondary btn-small">Resolve',
                     html)
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).status == "active"

    done = client.post(f"/conversations/{conversation.id}/status",
                       data={"status": "resolved", "resolutionType": "payment_plan", "listArgs": ""}, headers=HX)
    assert done.status_code == 200
    db.session.expire_all()
    resolved = db.session.get(Conversation, conversation.id)
    assert resolved.status == "resolved" and resolved.resolution_type == "payment_plan"
    assert f'<li id="conv-row-{conversation.id}" hx-swap-oob="delete">' in done.get_data(as_text=True), \
        "a resolved conversation leaves the open list"


def test_an_agent_takes_from_the_queue_and_a_manager_assigns(client, clock):
    """Can an agent take an unassigned conversation (and not assign to someone else), and a manager give it to
    another agent?"""
    business = messaging_business()
    agent, other, manager = gen_user(business, "agent"), gen_user(business, "agent"), gen_user(business, "manager")
    conversation = gen_conversation(business, gen_account(business))
    sign_in(client, agent, clock)
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert ">Take</button>" in html and "Assign to" not in html
    assert client.post(f"/conversations/{conversation.id}/assign", data={"agentId": str(other.id)},
                       headers=HX).status_code == 403
    taken = client.post(f"/conversations/{conversation.id}/take", headers=HX)
    assert taken.status_code == 200 and ">Take</button>" not in taken.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).assigned_agent_id == agent.id

    client.post("/logout")
    sign_in(client, manager, clock)
    assert "Assign to" in client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    moved = client.post(f"/conversations/{conversation.id}/assign", data={"agentId": str(other.id)}, headers=HX)
    assert moved.status_code == 200
    db.session.expire_all()
    assert db.session.get(Conversation, conversation.id).assigned_agent_id == other.id


def test_escalating_and_snoozing(client, clock, shop):
    """Does escalating record the reason for the inbox, and does snoozing hide the conversation from the list until
    the time passes?"""
    business, account, conversation, manager = shop
    html = client.post(f"/conversations/{conversation.id}/status", data={"status": "escalated",
                                                                        "reason": "Disputes the amount"},
                       headers=HX).get_data(as_text=True)
    assert "Escalated: Disputes the amount" in html
    snoozed = client.post(f"/conversations/{conversation.id}/snooze", data={"until": "4h"}, headers=HX)
    assert snoozed.status_code == 200 and "Snoozed until" in snoozed.get_data(as_text=True)
    assert f"conv-row-{conversation.id}" not in client.get("/conversations").get_data(as_text=True)
    assert f"conv-row-{conversation.id}" in client.get("/conversations?snoozed=1").get_data(as_text=True)
    bad = client.post(f"/conversations/{conversation.id}/snooze", data={"until": "forever"}, headers=HX)
    assert bad.status_code == 400 and 'id="snooze-error"' in bad.get_data(as_text=True)
    clock.advance(hours=5)
    sign_in(client, manager, clock)  # the old session timed out while the clock moved
    assert f"conv-row-{conversation.id}" in client.get("/conversations").get_data(as_text=True)


def test_the_payment_link_goes_out_through_the_gate_in_the_conversation(client, shop):
    """Does 'Send payment link' send a portal link on the conversation's channel through the gate, shown in the
    thread?"""
    business, account, conversation, _ = shop
    answer = client.post(f"/conversations/{conversation.id}/payment-link", headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Payment link sent." in html
    message = db.session.scalars(select(Message).where(Message.purpose == "payment_link")).one()
    assert message.conversation_id == conversation.id and message.delivery_status == "queued"
    link = db.session.scalars(select(PortalLink).where(PortalLink.message_id == message.id)).one()
    assert link.purpose == "payment" and link.revoked_at is None and "/p/" in message.content


def test_canned_responses_are_offered_filled_in_the_composer(client, shop):
    """Does the composer list the business's canned responses with this debtor's values, and not another
    business's?"""
    business, account, conversation, _ = shop
    db.session.add(Template(business_id=business.id, template_type="canned", name="plan-options",
                            body="Hi {firstName}, your balance of ${balance} can be split into payments."))
    other = gen_business()
    db.session.add(Template(business_id=other.id, template_type="canned", name="theirs", body="Not ours"))
    db.session.commit()
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    assert 'role="listbox"' in html and "/plan-options" in html
    assert 'data-text="Hi Maria, your balance of $412.50 can be split into payments."' in html
    assert "Not ours" not in html


def test_a_bubble_shows_delivery_as_it_changes(client, shop):
    """Does the one-bubble URL render a message's current delivery state (so a status callback can turn the
    tick)?"""
    from app.services.channels import status as statuses

    business, account, conversation, _ = shop
    client.post(f"/conversations/{conversation.id}/reply", data={"body": "Thanks"}, headers=HX)
    message = db.session.scalars(select(Message).where(Message.direction == "outbound")).one()
    url = f"/conversations/{conversation.id}/messages/{message.id}"
    assert "ticks-queued" in client.get(url, headers=HX).get_data(as_text=True)
    statuses.apply(db.session, message=message, status="delivered", at=NOW)
    db.session.commit()
    html = client.get(url, headers=HX).get_data(as_text=True)
    assert "ticks-delivered" in html and "&#10003;&#10003;" in html


def test_a_reply_reaches_other_staff_sockets_after_the_commit(app, client, clock, shop):
    """Does a reply reach a colleague who has the conversation open (message.created in its room) and move the row
    for everyone in the business?"""
    from flask.testing import FlaskClient

    business, account, conversation, _ = shop
    colleague = gen_user(business, "manager")
    other_client = FlaskClient(app, use_cookies=True)
    sign_in(other_client, colleague, clock)
    sio = socketio.test_client(app, flask_test_client=other_client)
    assert sio.emit("join", {"conversationId": str(conversation.id)}, callback=True)["ok"] is True
    sio.get_received()
    client.post(f"/conversations/{conversation.id}/reply", data={"body": "On it"}, headers=HX)
    events = [(m["name"], m["args"][0].get("room")) for m in sio.get_received()]
    assert ("message.created", f"conversation:{conversation.id}") in events
    assert ("message.created", f"business:{business.id}") in events
    sio.disconnect()
