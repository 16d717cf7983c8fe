"""The chat widget through the test client and the Socket.IO test client: is nothing about a debt shown before the
identity step, does a debtor see only their own chat, is a resend stored once, do our replies keep the contact hours,
and does the debtor's socket hear only its own room?"""
from __future__ import annotations

import datetime as dt
import html
import re
import uuid

from sqlalchemy import func, select

from app.extensions import db, socketio
from app.models import Message, OptOutEvent
from app.services import channels, conversation_actions
from app.services.portal import links
from app.services.tenancy import Principal
from tests.api.helpers import api_login
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business

HX = {"HX-Request": "true"}
LATE = dt.datetime(2026, 11, 26, 5, 0, tzinfo=dt.timezone.utc)  # 23:00 in Dallas


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def _identify(client, business, account, **fields):
    data = {"business": str(business.id), "account_number": account.account_number, "last_name": "Lopez",
            "zip_code": "75201", **fields}
    return client.post("/widget/identify", data=data)


def _signed_in(app, business, account):
    client = app.test_client()
    response = _identify(client, business, account)
    assert response.status_code == 303, _text(response)[:400]
    return client


def _say(client, body, client_id=None):
    return client.post("/widget/messages", data={"body": body, "client_message_id": client_id or uuid.uuid4().hex},
                       headers=HX)


def _manager(business):
    user = gen_user(business, "manager")
    return user, Principal(business_id=business.id, role="manager", user_id=user.id)


def test_the_embed_script_is_cacheable_javascript_that_checks_the_origin(client):
    """Is /widget.js served as JavaScript a browser may keep, opening /widget and obeying only our frame?"""
    response = client.get("/widget.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "public" in response.headers["Cache-Control"] and "max-age=3600" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    assert "/widget?business=" in script and "event.origin !== origin" in script
    assert "event.source !== frame.contentWindow" in script


def test_the_frame_asks_who_you_are_and_shows_no_debt_before(client):
    """TP-1: does the frame on a business's site show the business and the identity form, and nothing about the
    debt (creditor, balance, account number, name), while other sites may frame it?"""
    business = messaging_business()
    account = debtor(business)
    response = client.get(f"/widget?business={business.id}")
    page = _text(response)
    assert response.status_code == 200 and business.name in page
    assert 'name="account_number"' in page and 'autocomplete="family-name"' in page
    for secret in ("First Bank", "412.50", account.account_number, "Maria"):
        assert secret not in page
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    assert client.get("/widget").status_code == 404
    assert client.get(f"/widget?business={uuid.uuid4()}").status_code == 404


def test_identity_errors_are_inline_and_the_right_answers_open_the_chat(client):
    """Does a missing field show an inline error, a wrong or unknown answer one generic message (no attempt count to
    tell real account numbers from guesses), and the right answers the chat?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    empty = _identify(client, business, account, last_name="")
    assert empty.status_code == 422 and 'aria-invalid="true"' in _text(empty)
    assert "Enter your last name." in _text(empty)
    wrong = _text(_identify(client, business, account, zip_code="10001"))
    unknown = _text(_identify(client, business, account, account_number="NOPE-123"))
    for page in (wrong, unknown):
        assert "don't match our records" in page and "attempts left" not in page and "First Bank" not in page
    passed = _identify(client, business, account, last_name="LÓPEZ")
    assert passed.status_code == 303 and passed.headers["Location"].endswith(f"/widget?business={business.id}")
    chat = _text(client.get(passed.headers["Location"]))
    assert 'role="log"' in chat and "No messages yet" in chat and 'id="chat-input"' in chat


def test_five_wrong_answers_lock_the_widget_too(client):
    """Does the widget share the portal's lockout: locked after five wrong answers, even for the right ones?"""
    business = messaging_business()
    account = debtor(business)
    for _ in range(5):
        response = _identify(client, business, account, zip_code="10001")
    assert "This page is locked for now" in _text(response) and "30 minutes" in _text(response)
    assert _identify(client, business, account).status_code == 422


def test_a_portal_session_opens_the_chat_without_asking_again(client):
    """A debtor who came through a portal link is verified: does the portal offer the chat, and does the frame open
    it directly?"""
    business = messaging_business()
    account = debtor(business)
    _, url = links.issue(db.session, account, now=NOW, channel="sms")
    db.session.commit()
    path = url.replace("http://127.0.0.1:5000", "")
    assert client.post(path, data={"last_name": "Lopez", "zip_code": "75201"}).status_code == 302
    portal = _text(client.get("/p/account"))
    assert f'href="/widget?business={business.id}" data-funnelchat-open' in portal
    assert f'src="/widget.js" data-business="{business.id}" data-launcher="off"' in portal
    chat = _text(client.get(f"/widget?business={business.id}"))
    assert 'id="chat-input"' in chat and 'name="account_number"' not in chat


def test_messages_need_the_identity_step(client):
    """Without a verified portal session, is posting or fetching messages refused?"""
    assert _say(client, "hello").status_code == 401
    assert client.get("/widget/messages?after=x", headers=HX).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_resend_with_the_same_client_id_is_one_message(app):
    """A page that lost its connection posts again: is the same bubble answered and one message stored?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    client = _signed_in(app, business, account)
    first = _say(client, "Can I pay on Friday?", "client-id-0001")
    assert first.status_code == 201
    again = _say(client, "Can I pay on Friday?", "client-id-0001")
    assert again.status_code == 200
    ids = [re.search(r'data-message-id="([^"]+)"', r.get_data(as_text=True)).group(1) for r in (first, again)]
    assert ids[0] == ids[1] and 'data-client-id="client-id-0001"' in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1
    too_long = _say(client, "x" * 2001)
    assert too_long.status_code == 422 and "2,000 characters" in _text(too_long)


def test_message_text_is_escaped_and_its_links_are_clickable(app):
    """Is markup in a message shown as text, and a web address turned into a link (without the full stop)?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    client = _signed_in(app, business, account)
    answer = _say(client, "<b>bold?</b> see https://pay.example.com/a?b=1&c=2.").get_data(as_text=True)
    assert "&lt;b&gt;bold?&lt;/b&gt;" in answer and "<b>" not in answer
    assert '<a href="https://pay.example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">' in answer
    assert "</a>." in answer


def test_another_accounts_messages_are_never_visible(app):
    """Two debtors of one business chat: does either page, or a catch-up naming the other's message id, ever show
    the other's words?"""
    business = messaging_business()
    mine = debtor(business, contacted=True)
    theirs = debtor(business, contacted=True, phone="+12145550166", email="theirs@example.com")
    me, them = _signed_in(app, business, mine), _signed_in(app, business, theirs)
    assert _say(me, "My own question").status_code == 201
    answer = _say(them, "Their secret question")
    their_id = re.search(r'data-message-id="([^"]+)"', answer.get_data(as_text=True)).group(1)
    page = _text(me.get(f"/widget?business={business.id}"))
    assert "My own question" in page and "Their secret question" not in page
    caught_up = _text(me.get(f"/widget/messages?after={their_id}", headers=HX))
    assert "Their secret question" not in caught_up
    assert "Their secret question" not in _text(me.get(f"/widget?business={business.id}&account={theirs.id}"))


def test_a_reply_at_night_goes_out_within_15_minutes_and_waits_after(app, clock):
    """TIME-5: the debtor writes at 23:00 their time; does a reply 5 minutes later reach the chat, while one 16
    minutes later is held (not shown) until the morning?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    clock.set(LATE)
    client = _signed_in(app, business, account)
    asked = _say(client, "Are you open now?")
    message_id = re.search(r'data-message-id="([^"]+)"', asked.get_data(as_text=True)).group(1)
    conversation_id = db.session.get(Message, uuid.UUID(message_id)).conversation_id
    _, manager = _manager(business)
    clock.advance(minutes=5)
    quick = conversation_actions.reply(db.session, manager, conversation_id, "Yes, we can help now.", now=clock.now())
    db.session.commit()
    clock.advance(minutes=11)
    late = conversation_actions.reply(db.session, manager, conversation_id, "Still there?", now=clock.now())
    db.session.commit()
    assert (quick.message.delivery_status, late.message.delivery_status) == ("sent", "scheduled")
    caught_up = _text(client.get(f"/widget/messages?after={message_id}", headers=HX))
    assert "Yes, we can help now." in caught_up and "Still there?" not in caught_up


def test_stop_in_the_widget_opts_out_and_confirms_in_the_chat(app):
    """Does STOP typed in the widget record the opt-out (every channel) and answer once in the chat?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    client = _signed_in(app, business, account)
    assert _say(client, "stop").status_code == 201
    assert db.session.scalars(select(OptOutEvent)).one().scope == "all"
    page = _text(client.get(f"/widget?business={business.id}"))
    assert page.count('class="chat-bubble chat-theirs" id="msg-') == 1
    assert channels.send(db.session, account=account, channel="email", subject="Hi", body="Hello", now=NOW).blocked


def test_a_plain_form_post_works_without_the_page_script(app):
    """Without JavaScript the composer is an ordinary form: does it store the message and return to the chat?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    client = _signed_in(app, business, account)
    response = client.post("/widget/messages", data={"body": "Sent without the script"})
    assert response.status_code == 303 and "/widget" in response.headers["Location"]
    assert "Sent without the script" in _text(client.get(response.headers["Location"]))


# -- Socket.IO -------------------------------------------------------------------------------------------------------
def _events(sio, name):
    return [m["args"][0] for m in sio.get_received() if m["name"] == name]


def test_the_debtor_socket_hears_its_own_room_only(app, clock):
    """Does a verified debtor's socket join its portal room and nothing else, receive the agent's reply and typing,
    and send its own typing to the agent viewing the conversation?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    other = debtor(business, contacted=True, phone="+12145550155", email="else@example.com")
    client = _signed_in(app, business, account)
    assert socketio.test_client(app, flask_test_client=app.test_client()).is_connected() is False
    debtor_socket = socketio.test_client(app, flask_test_client=client)
    assert debtor_socket.is_connected()
    sid = socketio.server.manager.sid_from_eio_sid(debtor_socket.eio_sid, "/")
    assert set(socketio.server.rooms(sid)) == {sid, f"portal:{account.id}"}

    asked = _say(client, "Is anyone there?")
    message_id = re.search(r'data-message-id="([^"]+)"', asked.get_data(as_text=True)).group(1)
    conversation_id = db.session.get(Message, uuid.UUID(message_id)).conversation_id
    own = _events(debtor_socket, "message.created")
    assert [e["id"] for e in own] == [message_id] and own[0]["clientMessageId"]  # the debtor's other tabs

    user, manager = _manager(business)
    agent_socket = socketio.test_client(app, auth={"token": api_login(app.test_client(), user, clock)["token"]})
    assert agent_socket.emit("join", {"conversationId": str(conversation_id)}, callback=True)["ok"]
    agent_socket.get_received()
    agent_socket.emit("typing", {"conversationId": str(conversation_id), "typing": True, "channel": "web_chat",
                                 "accountId": str(account.id)})
    assert _events(debtor_socket, "typing") == [{"typing": True, "from": "agent"}]
    debtor_socket.emit("typing", {"typing": True})
    heard = _events(agent_socket, "typing")
    assert heard and heard[0]["from"] == "debtor" and heard[0]["conversationId"] == str(conversation_id)

    clock.advance(minutes=1)
    conversation_actions.reply(db.session, manager, conversation_id, "Yes, Maria, I'm here.", now=clock.now())
    db.session.commit()
    conversation_actions.add_note(db.session, manager, conversation_id, "Internal: promising", now=clock.now())
    db.session.commit()
    other_client = _signed_in(app, business, other)
    _say(other_client, "Someone else's words")
    pushed = _events(debtor_socket, "message.created")
    assert [(e["content"].split("\n")[0], e["senderType"], e["room"]) for e in pushed] == \
        [("Yes, Maria, I'm here.", "agent", f"portal:{account.id}")]
    assert pushed[0]["eventId"] and set(pushed[0]) >= {"id", "content", "senderType", "createdAt"}
    debtor_socket.disconnect()
    agent_socket.disconnect()


def test_a_reconnecting_debtor_gets_the_reply_sent_while_offline_once(app, clock):
    """The agent answers while the debtor's socket is gone: does the catch-up fetch show it, and does `resume`
    replay it, so the page has it exactly once?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    client = _signed_in(app, business, account)
    asked = _say(client, "I'll be on the train, reply when you can")
    message_id = re.search(r'data-message-id="([^"]+)"', asked.get_data(as_text=True)).group(1)
    conversation_id = db.session.get(Message, uuid.UUID(message_id)).conversation_id
    first = socketio.test_client(app, flask_test_client=client)
    _, manager = _manager(business)
    conversation_actions.reply(db.session, manager, conversation_id, "First answer", now=clock.now())
    db.session.commit()
    seen = _events(first, "message.created")[-1]
    first.disconnect()
    clock.advance(minutes=1)
    conversation_actions.reply(db.session, manager, conversation_id, "Sent while you were offline", now=clock.now())
    db.session.commit()

    again = socketio.test_client(app, flask_test_client=client)
    missed = again.emit("resume", {"since": {seen["room"]: seen["eventId"]}}, callback=True)["events"]
    assert [e["data"]["content"].split("\n")[0] for e in missed] == ["Sent while you were offline"]
    caught_up = _text(client.get(f"/widget/messages?after={seen['id']}", headers=HX))
    assert caught_up.count("Sent while you were offline") == 1 and "First answer" not in caught_up
    again.disconnect()


def test_a_spanish_speaking_debtor_chats_in_spanish(app):
    """Does the chat speak the debtor's preferred language, and the identity step Spanish when asked?"""
    business = messaging_business()
    account = debtor(business, contacted=True, preferred_language="es")
    anonymous = app.test_client()
    assert "Número de cuenta" in _text(anonymous.get(f"/widget?business={business.id}&lang=es"))
    client = _signed_in(app, business, account)
    _say(client, "Hola")
    page = _text(client.get(f"/widget?business={business.id}"))
    assert '<html lang="es">' in page and f"Chat con {business.name}" in page and ">Enviar<" in page
