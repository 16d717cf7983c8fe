"""The chat widget on a business's own site, where the browser sends the frame no cookie: does the identity step
hand the page a token that opens the chat, posts messages and logs the socket in, renewed with every answer, refused
when forged, idle for 30 minutes, revoked or shown to another business, and never a way around the CSRF check of a
cookie session?"""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from app.extensions import db, socketio
from app.models import Message, PortalLink
from app.services import conversation_actions
from app.services.portal import widget_tokens
from app.services.tenancy import Principal
from tests.factories import gen_user
from tests.messaging import debtor, messaging_business

HX = {"HX-Request": "true"}
HEADER = widget_tokens.HEADER


def _frame(app):
    """A browser frame on another site: no cookie ever reaches us."""
    return app.test_client(use_cookies=False)


def _identify(frame, business, account, **fields):
    data = {"business": str(business.id), "account_number": account.account_number, "last_name": "Lopez",
            "zip_code": "75201", **fields}
    return frame.post("/widget/identify", data=data, headers=HX)


def _token(app, business, account) -> str:
    passed = _identify(_frame(app), business, account)
    assert passed.status_code == 200, passed.get_data(as_text=True)[:300]
    return passed.headers[HEADER]


def _say(frame, token, body):
    return frame.post("/widget/messages", data={"body": body, "client_message_id": uuid.uuid4().hex},
                      headers={**HX, HEADER: token})


def test_the_identity_step_answers_the_chat_and_a_token(app):
    """Does a passed identity step, posted by the page script, answer the chat itself with a token, a failed one the
    inline errors and no token, and a plain form post still a redirect?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    frame = _frame(app)
    wrong = _identify(frame, business, account, zip_code="10001")
    assert wrong.status_code == 422 and HEADER not in wrong.headers
    page = wrong.get_data(as_text=True)
    assert "match our records" in page and "<html" not in page and 'id="widget-identify"' in page
    passed = _identify(frame, business, account)
    chat = passed.get_data(as_text=True)
    assert passed.status_code == 200 and 'id="chat-input"' in chat and "<html" not in chat
    assert passed.headers[HEADER] and passed.headers["Cache-Control"] == "no-store"
    plain = _frame(app).post("/widget/identify", data={"business": str(business.id),
                                                       "account_number": account.account_number,
                                                       "last_name": "Lopez", "zip_code": "75201"})
    assert plain.status_code == 303 and HEADER not in plain.headers


def test_a_token_opens_the_chat_and_posts_without_a_cookie(app):
    """With the token and no cookie: does the next page of the site resume the chat, the debtor's message go in once
    and come back with a fresh token, and the catch-up fetch work, while the same requests without it get 401?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    token = _token(app, business, account)
    frame = _frame(app)
    resumed = frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token})
    assert resumed.status_code == 200 and 'id="chat-input"' in resumed.get_data(as_text=True)
    assert resumed.headers[HEADER]
    said = _say(frame, token, "Hello from your website")
    assert said.status_code == 201 and "Hello from your website" in said.get_data(as_text=True)
    fresh = said.headers[HEADER]
    assert widget_tokens.read(app.config["SECRET_KEY"], fresh)["account"] == str(account.id)
    stored = db.session.scalars(select(Message).where(Message.account_id == account.id)).all()
    assert [m.content for m in stored] == ["Hello from your website"]
    caught_up = frame.get(f"/widget/messages?after=", headers={**HX, HEADER: fresh})
    assert caught_up.status_code == 200 and "Hello from your website" in caught_up.get_data(as_text=True)

    assert frame.get(f"/widget/chat?business={business.id}", headers=HX).status_code == 401
    assert frame.post("/widget/messages", data={"body": "no proof", "client_message_id": "x" * 16},
                      headers=HX).status_code == 401
    assert frame.get(f"/widget?business={business.id}").status_code == 200  # the identity step, as before


def test_forged_idle_revoked_and_foreign_tokens_are_refused(app, clock):
    """Is a token refused when its signature does not hold, after 30 idle minutes, once its link is revoked, and on
    another business's widget, while an answer within the idle time renews it?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    token = _token(app, business, account)
    frame = _frame(app)
    facts = widget_tokens.read(app.config["SECRET_KEY"], token)
    forged = widget_tokens.issue("not-our-secret", facts, clock.now())
    assert frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: forged}).status_code == 401
    assert frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token[:-2] + "xx"}).status_code \
        == 401
    other_business = messaging_business(name="Another Agency")
    assert frame.get(f"/widget/chat?business={other_business.id}", headers={**HX, HEADER: token}).status_code == 401

    clock.advance(minutes=29)
    renewed = frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token})
    assert renewed.status_code == 200
    clock.advance(minutes=29)
    assert frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token}).status_code == 401
    token = renewed.headers[HEADER]
    assert frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token}).status_code == 200

    link = db.session.get(PortalLink, uuid.UUID(facts["link"]))
    link.revoked_at = clock.now()
    db.session.commit()
    assert frame.get(f"/widget/chat?business={business.id}", headers={**HX, HEADER: token}).status_code == 401


def test_a_cookie_session_still_needs_its_csrf_token(app):
    """The message endpoint takes no CSRF token from a frame with a token; does a cookie session still need one?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = app.test_client()
        page = browser.get(f"/widget?business={business.id}").get_data(as_text=True)
        csrf_value = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        passed = browser.post("/widget/identify", data={
            "business": str(business.id), "account_number": account.account_number, "last_name": "Lopez",
            "zip_code": "75201", "csrf_token": csrf_value})
        assert passed.status_code == 303
        refused = browser.post("/widget/messages", data={"body": "no token", "client_message_id": "a" * 16},
                               headers=HX)
        assert refused.status_code == 400
        accepted = browser.post("/widget/messages", data={"body": "with token", "client_message_id": "b" * 16},
                                headers={**HX, "X-CSRFToken": csrf_value})
        assert accepted.status_code == 201
        tokened = _say(_frame(app), _token(app, business, account), "from the site")
        assert tokened.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_socket_logs_in_with_the_token_and_hears_the_agent(app, clock):
    """Does a socket with the token in its auth join the debtor's portal room only, and receive the agent's reply;
    is a forged token refused?"""
    business = messaging_business()
    account = debtor(business, contacted=True)
    token = _token(app, business, account)
    said = _say(_frame(app), token, "Anyone there?")
    message_id = re.search(r'data-message-id="([^"]+)"', said.get_data(as_text=True)).group(1)
    conversation_id = db.session.get(Message, uuid.UUID(message_id)).conversation_id

    refused = socketio.test_client(app, flask_test_client=_frame(app), auth={"widgetToken": token[:-2] + "xx"})
    assert refused.is_connected() is False
    debtor_socket = socketio.test_client(app, flask_test_client=_frame(app), auth={"widgetToken": token})
    assert debtor_socket.is_connected()
    sid = socketio.server.manager.sid_from_eio_sid(debtor_socket.eio_sid, "/")
    assert set(socketio.server.rooms(sid)) == {sid, f"portal:{account.id}"}
    debtor_socket.get_received()

    manager = gen_user(business, "manager")
    principal = Principal(business_id=business.id, role="manager", user_id=manager.id)
    conversation_actions.reply(db.session, principal, conversation_id, "Yes, we're here.", now=clock.now())
    db.session.commit()
    pushed = [e["args"][0] for e in debtor_socket.get_received() if e["name"] == "message.created"]
    assert [e["content"].split("\n")[0] for e in pushed] == ["Yes, we're here."]
    debtor_socket.disconnect()
