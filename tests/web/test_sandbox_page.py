"""The sandbox simulator page: who may open it, what it lists, and whether its replies and delivery reports go
through the real provider webhooks and reach the app's messages, live."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db, socketio
from app.models import Message, OptOutEvent, SandboxMessage, WebhookEvent
from app.services import channels
from app.services.channels import sandbox as sandbox_channel, simulator
from tests.factories import gen_user
from tests.messaging import EMAIL, PHONE, debtor, messaging_business
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sent(app, clock, business, account, channel: str = "sms", body: str = "Your statement is ready.",
         auto: bool = False) -> SandboxMessage:
    """A message through the real outbound pipeline, taken by the sandbox provider; with `auto` off the provider's
    callbacks wait for someone to report what happened."""
    simulator.set_auto_reports(db.session, business.id, auto)
    db.session.commit()
    outcome = channels.send(db.session, account=account, channel=channel, body=body, now=clock.now(),
                            subject="Your statement" if channel == "email" else None)
    outcome.raise_if_blocked()
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    return db.session.scalars(select(SandboxMessage).where(SandboxMessage.message_id == outcome.message.id)).one()


@pytest.fixture
def shop(app, client, clock):
    """A business with its sandbox addresses, a Dallas debtor, and its admin signed in."""
    business = messaging_business()
    account = debtor(business, contacted=True)
    admin = gen_user(business, "business_admin")
    sign_in(client, admin, clock)
    return business, account, admin


# -- who may open it ------------------------------------------------------------------------------------------------
def test_the_outbox_lists_this_business_newest_first_and_nothing_of_another(app, client, clock, shop):
    """Does /sandbox list the business's sends newest first, with the full text, and leave out another business's?"""
    business, account, _ = shop
    first = sent(app, clock, business, account, body="First notice about your account.")
    clock.advance(minutes=1)
    second = sent(app, clock, business, account, channel="email", body="Second notice. " + "Long text. " * 30)
    other = messaging_business("Other Agency")
    theirs = sent(app, clock, other, debtor(other, contacted=True, phone="+12145550199"),
                  body="Someone else's business.")
    page = client.get("/sandbox").get_data(as_text=True)
    assert page.index(f'id="outbox-{second.id}"') < page.index(f'id="outbox-{first.id}"')
    assert "First notice about your account." in page and second.body.strip() in page
    assert "Show the full text" in page, "a long body is previewed and expands to the full text"
    assert str(theirs.id) not in page and "Someone else" not in page
    assert 'data-total="2">2 messages<' in page and f"<code>{first.message_id}</code>" in page


def test_the_filter_and_htmx_get_only_the_outbox(app, client, clock, shop):
    """Does an HTMX request for the outbox get the list alone, filtered by recipient in any phone format?"""
    business, account, _ = shop
    sms = sent(app, clock, business, account)
    email = sent(app, clock, business, account, channel="email")
    response = client.get("/sandbox", query_string={"to": "(214) 555-0143"},
                          headers={**HX, "HX-Target": "sandbox-outbox"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Provider behaviour" not in html
    assert f'id="outbox-{sms.id}"' in html and f'id="outbox-{email.id}"' not in html
    assert '<span class="outbox-total" data-total="1">1 message</span> to (214) 555-0143' in html
    empty = client.get("/sandbox", query_string={"to": "nobody@example.com"}).get_data(as_text=True)
    assert "Nothing was sent to nobody@example.com" in empty


def test_an_empty_outbox_says_what_will_appear(client, shop):
    """With nothing sent yet, does the page say what lands here and how to make something land?"""
    html = client.get("/sandbox").get_data(as_text=True)
    assert "Nothing sent yet" in html and "Messages tab" in html


def test_an_agent_is_refused(client, clock):
    """Is the simulator closed to agents (403), on the page and on every action?"""
    business = messaging_business()
    sign_in(client, gen_user(business, "agent"), clock)
    assert client.get("/sandbox").status_code == 403
    assert client.post("/sandbox/inbound", data={"channel": "sms", "sender": PHONE, "body": "x"}).status_code == 403
    assert client.post("/sandbox/switches", data={"action": "auto_reports"}).status_code == 403


def test_a_manager_may_use_it(client, clock):
    """May a manager open the simulator (sandbox.use)?"""
    business = messaging_business()
    sign_in(client, gen_user(business, "manager"), clock)
    assert client.get("/sandbox").status_code == 200


def test_a_super_admin_without_a_business_is_told_whose_outbox_it_is(app, client, clock, shop):
    """Does a super admin (no business of their own) get an explanation instead of any business's outbox, and a
    404 for a business's row?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    platform = app.test_client()
    sign_in(platform, gen_user(None, "super_admin"), clock)
    page = platform.get("/sandbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "The outbox belongs to a business" in html and str(row.id) not in html
    assert platform.get(f"/sandbox/messages/{row.id}", headers=HX).status_code == 404


def test_another_business_row_is_not_found(app, client, clock, shop):
    """Is another business's outbox row 404 to fetch, reply to or report on?"""
    other = messaging_business("Other Agency")
    theirs = sent(app, clock, other, debtor(other, contacted=True, phone="+12145550199"))
    assert client.get(f"/sandbox/messages/{theirs.id}", headers=HX).status_code == 404
    assert client.get(f"/sandbox/messages/{theirs.id}/reply", headers=HX).status_code == 404
    assert client.post(f"/sandbox/messages/{theirs.id}/reply", data={"body": "x"}, headers=HX).status_code == 404
    assert client.post(f"/sandbox/messages/{theirs.id}/report", data={"event": "delivered"},
                       headers=HX).status_code == 404
    assert client.get("/sandbox/messages/not-a-uuid", headers=HX).status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, theirs.message_id).delivery_status == "sent"


def test_the_page_does_not_exist_outside_sandbox_mode(app, client, clock, shop):
    """With a real SMS provider configured, is /sandbox a 404, and gone from the navigation?"""
    original = app.config["CONFIG_OBJECT"]
    assert 'href="/sandbox"' in client.get("/dashboard").get_data(as_text=True)
    app.config["CONFIG_OBJECT"] = dataclasses.replace(original, TWILIO_ACCOUNT_SID="AC" + "1" * 32,
                                                      TWILIO_PHONE_NUMBER="+12125550100")
    try:
        assert client.get("/sandbox").status_code == 404
        assert client.post("/sandbox/inbound", data={"channel": "sms", "sender": PHONE, "body": "x"}
                           ).status_code == 404
        assert 'href="/sandbox"' not in client.get("/dashboard").get_data(as_text=True)
    finally:
        app.config["CONFIG_OBJECT"] = original


# -- replying as the debtor -----------------------------------------------------------------------------------------
def test_reply_as_the_debtor_reaches_the_conversation_through_twilio(app, client, clock, shop):
    """Does "Reply as the debtor" post a signed Twilio webhook whose message lands in the sent message's
    conversation?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    form = client.get(f"/sandbox/messages/{row.id}/reply", headers=HX).get_data(as_text=True)
    assert "<html" not in form and 'name="body"' in form and "Twilio" in form
    response = client.post(f"/sandbox/messages/{row.id}/reply", data={"body": "I can pay $50 on Friday."},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Received through the SMS webhook into Maria Lopez" in html, html
    outbound = db.session.get(Message, row.message_id)
    reply = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert (reply.content, reply.provider, reply.from_address) == ("I can pay $50 on Friday.", "twilio", PHONE)
    assert reply.to_address == business.sms_number and reply.external_id.startswith("SM")
    assert reply.conversation_id == outbound.conversation_id and reply.account_id == account.id
    where = (f"/conversations/{reply.conversation_id}" if "inbox.show" in app.view_functions
             else f"/accounts/{account.id}?tab=messages")
    assert f'href="{where}">Open the conversation' in html


def test_an_email_reply_goes_through_inbound_parse_with_its_subject(app, client, clock, shop):
    """Does an email reply arrive through SendGrid's Inbound Parse route, with the "Re:" subject offered?"""
    business, account, _ = shop
    row = sent(app, clock, business, account, channel="email")
    form = client.get(f"/sandbox/messages/{row.id}/reply", headers=HX).get_data(as_text=True)
    assert 'value="Re: Your statement"' in form
    client.post(f"/sandbox/messages/{row.id}/reply", data={"subject": "Re: Your statement", "body": "Got it."},
                headers=HX)
    reply = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert (reply.provider, reply.subject, reply.content, reply.from_address) == (
        "sendgrid", "Re: Your statement", "Got it.", EMAIL)


def test_an_empty_reply_is_refused_inline(app, client, clock, shop):
    """Is a reply without text refused next to the field, with nothing posted?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    response = client.post(f"/sandbox/messages/{row.id}/reply", data={"body": "  "}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'aria-invalid="true"' in html and "Write the debtor&#39;s message." in html
    assert count(Message, Message.direction == "inbound") == 0


def test_a_reply_without_htmx_is_a_page_then_a_redirect(app, client, clock, shop):
    """Without HTMX, is the reply form a page of its own, and does sending it come back to the outbox?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    page = client.get(f"/sandbox/messages/{row.id}/reply").get_data(as_text=True)
    assert "<h1>Reply as the debtor</h1>" in page
    response = client.post(f"/sandbox/messages/{row.id}/reply", data={"body": "Call me"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/sandbox#outbox-{row.id}")
    assert count(Message, Message.direction == "inbound") == 1


def test_a_debtor_can_write_first(client, shop):
    """Does "Write as a debtor" post to the business's own number through Twilio and say whose conversation it
    reached; is a bad sender refused inline?"""
    business, account, _ = shop
    html = client.post("/sandbox/inbound", data={"channel": "whatsapp", "sender": "(214) 555-0143",
                                                 "body": "Hola, can we talk?"}, headers=HX).get_data(as_text=True)
    assert "Received through the WhatsApp webhook into Maria Lopez" in html
    message = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert (message.channel, message.provider, message.account_id) == ("whatsapp", "twilio", account.id)
    bad = client.post("/sandbox/inbound", data={"channel": "sms", "sender": "nobody", "body": "x"}, headers=HX)
    assert bad.status_code == 400 and "Give the sender&#39;s phone number." in bad.get_data(as_text=True)


# -- delivery reports -----------------------------------------------------------------------------------------------
def test_delivered_moves_the_message_to_delivered(app, client, clock, shop):
    """Does "Delivered" post Twilio's signed status callback and mark the message and the outbox row delivered?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    assert db.session.get(Message, row.message_id).delivery_status == "sent", "no automatic callback ran"
    response = client.post(f"/sandbox/messages/{row.id}/report", data={"event": "delivered"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Reported delivered: the webhook answered 200." in html
    db.session.expire_all()
    message = db.session.get(Message, row.message_id)
    assert message.delivery_status == "delivered" and message.delivered_at == clock.now()
    assert db.session.get(SandboxMessage, row.id).status == "delivered"
    assert 'value="delivered"' not in html and 'value="failed"' not in html, "a delivered text has nothing left"


@pytest.mark.parametrize("code, reason", [("30003", "Twilio 30003: unreachable destination handset"),
                                          ("30006", "Twilio 30006: landline or unreachable carrier")])
def test_failed_records_the_providers_reason(app, client, clock, shop, code, reason):
    """Does "Failed" post Twilio's undelivered callback with the chosen error code, so the message fails with it?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    html = client.post(f"/sandbox/messages/{row.id}/report", data={"event": "failed", "reason": code},
                       headers=HX).get_data(as_text=True)
    db.session.expire_all()
    message = db.session.get(Message, row.message_id)
    assert (message.delivery_status, message.failed_reason) == ("failed", reason)
    assert db.session.get(SandboxMessage, row.id).status == "failed"
    assert reason in html and count(OptOutEvent) == 0


def test_failed_as_unsubscribed_records_the_opt_out(app, client, clock, shop):
    """Does a failure with Twilio's 21610 (the number replied STOP) record the opt-out the status route records?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    client.post(f"/sandbox/messages/{row.id}/report", data={"event": "failed", "reason": "21610"}, headers=HX)
    opt_out = db.session.scalars(select(OptOutEvent)).one()
    assert (opt_out.address, opt_out.rule_id, opt_out.account_id) == (PHONE, "OPT-2", account.id)
    assert db.session.get(Message, row.message_id).delivery_status == "failed"


def test_an_opened_email_is_recorded_as_read(app, client, clock, shop):
    """Does "Opened" post SendGrid's signed open event, so the email is read (and so delivered)?"""
    business, account, _ = shop
    row = sent(app, clock, business, account, channel="email")
    html = client.post(f"/sandbox/messages/{row.id}/report", data={"event": "opened"}, headers=HX
                       ).get_data(as_text=True)
    db.session.expire_all()
    message = db.session.get(Message, row.message_id)
    assert (message.delivery_status, message.read_at, message.delivered_at) == ("read", clock.now(), clock.now())
    assert count(WebhookEvent, WebhookEvent.provider == "sendgrid", WebhookEvent.event_type == "open") == 1
    assert ">Opened</span>" in html or "Opened" in re.sub(r"\s+", " ", html)


def test_a_bounced_email_fails_as_the_event_webhook_records_it(app, client, clock, shop):
    """Does "Bounced" post SendGrid's bounce event, failing the email with the bounce reason as the events path
    does (a bounce is a failure, not an opt-out: no opt-out is recorded for it)?"""
    business, account, _ = shop
    row = sent(app, clock, business, account, channel="email")
    client.post(f"/sandbox/messages/{row.id}/report", data={"event": "bounced"}, headers=HX)
    db.session.expire_all()
    message = db.session.get(Message, row.message_id)
    assert message.delivery_status == "failed"
    assert message.failed_reason.startswith("SendGrid bounced: 550 5.1.1")
    event = db.session.scalars(select(WebhookEvent).where(WebhookEvent.provider == "sendgrid")).one()
    assert (event.event_type, event.status) == ("bounce", "processed")
    assert count(OptOutEvent) == 0


def test_a_report_that_can_no_longer_apply_is_refused(app, client, clock, shop):
    """After delivery, is "Failed" refused (409) without posting anything, the message staying delivered?"""
    business, account, _ = shop
    row = sent(app, clock, business, account, auto=True)
    assert db.session.get(Message, row.message_id).delivery_status == "delivered"
    before = count(WebhookEvent)
    response = client.post(f"/sandbox/messages/{row.id}/report", data={"event": "failed"}, headers=HX)
    assert response.status_code == 409 and "already delivered" in response.get_data(as_text=True)
    assert count(WebhookEvent) == before
    assert db.session.get(Message, row.message_id).delivery_status == "delivered"


def test_text_rows_offer_no_email_reports(app, client, clock, shop):
    """Does a text offer Delivered and Failed only, and an email also Opened and Bounced?"""
    business, account, _ = shop
    sms = sent(app, clock, business, account)
    clock.advance(minutes=1)
    email = sent(app, clock, business, account, channel="email")
    page = client.get("/sandbox").get_data(as_text=True)
    sms_html = page[page.index(f'id="outbox-{sms.id}"'):]
    email_html = page[page.index(f'id="outbox-{email.id}"'):page.index(f'id="outbox-{sms.id}"')]
    assert 'value="opened"' in email_html and 'value="bounced"' in email_html
    assert 'value="delivered"' in sms_html and 'value="opened"' not in sms_html


# -- switches -------------------------------------------------------------------------------------------------------
def test_automatic_reports_can_be_turned_off_and_on(app, client, clock, shop):
    """With automatic reports off, does a send stay sent; back on, does the next one reach delivered?"""
    business, account, _ = shop
    response = client.post("/sandbox/switches", data={"action": "auto_reports"}, headers=HX)
    assert response.status_code == 200 and "stay Sent until you report" in response.get_data(as_text=True)
    assert simulator.auto_reports(db.session, business.id) is False
    outcome = channels.send(db.session, account=account, channel="sms", body="One", now=clock.now())
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert db.session.get(Message, outcome.message.id).delivery_status == "sent"
    client.post("/sandbox/switches", data={"action": "auto_reports", "auto_reports": "on"}, headers=HX)
    outcome = channels.send(db.session, account=account, channel="sms", body="Two", now=clock.now())
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert db.session.get(Message, outcome.message.id).delivery_status == "delivered"


def test_an_outage_starts_and_ends_from_the_page(client, clock, shop):
    """Does "Simulate an outage" make the channel down for the minutes chosen, and "End" bring it back?"""
    import datetime as dt

    html = client.post("/sandbox/switches", data={"action": "outage_start", "channel": "email", "minutes": "15"},
                       headers=HX).get_data(as_text=True)
    assert sandbox_channel.outage_until(db.session, "email") == clock.now() + dt.timedelta(minutes=15)
    assert "End the Email outage" in html
    client.post("/sandbox/switches", data={"action": "outage_end", "channel": "email"}, headers=HX)
    assert sandbox_channel.outage_until(db.session, "email") is None
    bad = client.post("/sandbox/switches", data={"action": "outage_start", "channel": "email", "minutes": "999"},
                      headers=HX)
    assert bad.status_code == 400 and sandbox_channel.outage_until(db.session, "email") is None


# -- live -----------------------------------------------------------------------------------------------------------
def _events(sio, name):
    return [m["args"][0] for m in sio.get_received() if m["name"] == name]


def test_a_send_is_announced_to_the_business_after_commit_without_its_text(app, client, clock, shop):
    """Is `sandbox.message` {id, channel, status} pushed to the business room only once the sandbox's send commits
    (never for one rolled back), and never with the message text?"""
    from app.services.channels.providers.base import Envelope
    from app.services.channels.providers.sandbox import SandboxProvider

    business, account, _ = shop
    simulator.set_auto_reports(db.session, business.id, False)
    db.session.commit()
    sio = socketio.test_client(app, flask_test_client=client)
    assert sio.is_connected()
    sio.get_received()

    def envelope(body):
        message = Message(business_id=business.id, account_id=account.id, sender_type="agent", kind="agent",
                          channel="sms", direction="outbound", content=body, to_address=account.phone,
                          from_address=business.sms_number, delivery_status="sending")
        db.session.add(message)
        db.session.flush()
        return Envelope(message_id=message.id, channel="sms", from_address=business.sms_number,
                        to_address=account.phone, body=body, created_at=clock.now(), business_id=business.id)

    SandboxProvider(db.session).send(envelope("Rolled back balance text"))
    assert _events(sio, "sandbox.message") == [], "nothing is pushed before the commit"
    db.session.rollback()
    SandboxProvider(db.session).send(envelope("Private balance text"))
    assert _events(sio, "sandbox.message") == []
    db.session.commit()
    received = _events(sio, "sandbox.message")
    row = db.session.scalars(select(SandboxMessage)).one()
    assert [(e["id"], e["channel"], e["status"]) for e in received] == [(str(row.id), "sms", "sent")]
    assert set(received[0]) <= {"id", "channel", "status", "room", "eventId"}
    assert "balance text" not in str(received)
    sio.disconnect()


def test_a_report_is_announced_and_the_row_can_be_fetched(app, client, clock, shop):
    """After "Delivered", do the page's listeners hear sandbox.message (delivered) and message.updated, and does
    the row they then fetch show the new status?"""
    business, account, _ = shop
    row = sent(app, clock, business, account)
    sio = socketio.test_client(app, flask_test_client=client)
    sio.get_received()
    client.post(f"/sandbox/messages/{row.id}/report", data={"event": "delivered"}, headers=HX)
    received = sio.get_received()
    names = [m["name"] for m in received]
    assert "message.updated" in names
    assert [e["status"] for e in (m["args"][0] for m in received if m["name"] == "sandbox.message")] == ["delivered"]
    fetched = client.get(f"/sandbox/messages/{row.id}", headers=HX).get_data(as_text=True)
    assert fetched.startswith(f'<li class="card outbox-item" id="outbox-{row.id}"')
    assert 'data-status="delivered"' in fetched
    assert client.get(f"/sandbox/messages/{row.id}", query_string={"to": "someone@else.example"},
                      headers=HX).status_code == 204, "a row outside the page's filter is not inserted"
    sio.disconnect()


def test_another_business_hears_nothing(app, client, clock, shop):
    """Is a send of one business never announced to another business's staff?"""
    business, account, _ = shop
    other = messaging_business("Other Agency")
    other_client = app.test_client()
    sign_in(other_client, gen_user(other, "business_admin"), clock)
    sio = socketio.test_client(app, flask_test_client=other_client)
    sio.get_received()
    sent(app, clock, business, account)
    assert _events(sio, "sandbox.message") == []
    sio.disconnect()
