"""Does the sandbox simulator play provider traffic through the real webhooks: a debtor's messages in, status
callbacks for what the sandbox sent, and outages on request?"""
import dataclasses
import datetime as dt
import secrets
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Message, SandboxMessage, UnmatchedInbound, WebhookEvent
from app.services.channels import simulator
from tests.api.helpers import api_login, bearer
from tests.factories import gen_account, gen_business, gen_conversation, gen_user

DEBTOR_PHONE = "+12125550123"
DEBTOR_EMAIL = "sim.debtor@example.com"


def headers_for(client, clock, business, role="business_admin") -> dict:
    return bearer(api_login(client, gen_user(business, role), clock)["token"])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sandbox_sent(business, account, channel: str) -> Message:
    """An outbound message the sandbox provider has just accepted (its id stored, status 'sent')."""
    conversation = gen_conversation(business, account, channel)
    external_id = ("SM" + secrets.token_hex(16)) if channel != "email" else "sbx-" + secrets.token_hex(12)
    message = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="agent", kind="agent", channel=channel, direction="outbound",
                      from_address=business.sender_email if channel == "email" else business.sms_number,
                      to_address=account.email if channel == "email" else account.phone, content="Hello",
                      delivery_status="sent", provider="sandbox", external_id=external_id)
    db.session.add(message)
    db.session.commit()
    return message


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_a_simulated_text_reaches_the_debtors_conversation(client, clock, channel):
    """Does POST /sandbox/inbound deliver a debtor's text through Twilio's webhook onto their conversation?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE)
    response = client.post("/api/v1/sandbox/inbound", json={"channel": channel, "from": "(212) 555-0123",
                                                             "body": "When is my payment due?"},
                           headers=headers_for(client, clock, business))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["duplicate"] is False and data["unknownSender"] is False
    message = db.session.get(Message, uuid.UUID(data["messageId"]))
    assert (message.direction, message.channel, message.provider) == ("inbound", channel, "twilio")
    assert (message.content, message.from_address, message.to_address) == (
        "When is my payment due?", DEBTOR_PHONE, business.sms_number)
    assert data["accountId"] == str(account.id) and data["conversationId"] == str(message.conversation_id)
    assert message.external_id == data["externalId"]


def test_a_simulated_email_arrives_through_inbound_parse(client, clock):
    """Does a simulated email reach the account through SendGrid's Inbound Parse route, subject and all?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    response = client.post("/api/v1/sandbox/inbound", json={
        "channel": "email", "from": DEBTOR_EMAIL.upper(), "subject": "Payment plan", "body": "Can we talk?"},
        headers=headers_for(client, clock, business))
    assert response.status_code == 201, response.get_json()
    message = db.session.get(Message, uuid.UUID(response.get_json()["data"]["messageId"]))
    assert (message.provider, message.subject, message.content, message.account_id) == (
        "sendgrid", "Payment plan", "Can we talk?", account.id)
    assert message.to_address == business.sender_email


def test_an_unknown_sender_is_reported_as_such(client, clock):
    """Does a message from an address on no account answer messageId null and unknownSender true?"""
    business = gen_business()
    response = client.post("/api/v1/sandbox/inbound", json={"channel": "sms", "from": "+13125550188", "body": "Who?"},
                           headers=headers_for(client, clock, business))
    data = response.get_json()["data"]
    assert response.status_code == 201 and data["messageId"] is None and data["unknownSender"] is True
    assert db.session.scalars(select(UnmatchedInbound.from_address)).one() == "+13125550188"


def test_replaying_a_provider_id_is_a_duplicate(client, clock):
    """Does posting the same provider id again answer duplicate with the first message, storing nothing new?"""
    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    headers = headers_for(client, clock, business)
    first = client.post("/api/v1/sandbox/inbound", json={"channel": "sms", "from": DEBTOR_PHONE, "body": "One"},
                        headers=headers).get_json()["data"]
    again = client.post("/api/v1/sandbox/inbound", json={"channel": "sms", "from": DEBTOR_PHONE, "body": "One",
                                                         "externalId": first["externalId"]}, headers=headers)
    assert again.status_code == 201
    assert again.get_json()["data"]["duplicate"] is True and again.get_json()["data"]["messageId"] == first["messageId"]
    assert count(Message, Message.direction == "inbound") == 1


def test_bad_simulator_requests_name_the_field(client, clock):
    """Is a wrong channel or sender answered 400 with the field to fix?"""
    business = gen_business()
    headers = headers_for(client, clock, business)
    for body, field in (({"channel": "fax", "from": DEBTOR_PHONE, "body": "x"}, "channel"),
                        ({"channel": "sms", "from": "not a phone", "body": "x"}, "from"),
                        ({"channel": "email", "from": "nobody", "body": "x"}, "from"),
                        ({"channel": "sms", "from": DEBTOR_PHONE}, "body")):
        response = client.post("/api/v1/sandbox/inbound", json=body, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_only_managers_and_admins_use_the_simulator(client, clock):
    """Is an agent refused (403) and an anonymous caller asked to sign in (401)?"""
    business = gen_business()
    body = {"channel": "sms", "from": DEBTOR_PHONE, "body": "x"}
    assert client.post("/api/v1/sandbox/inbound", json=body).status_code == 401
    agent = headers_for(client, clock, business, "agent")
    assert client.post("/api/v1/sandbox/inbound", json=body, headers=agent).status_code == 403
    assert client.post("/api/v1/sandbox/outage", json={"channel": "sms", "seconds": 5}, headers=agent
                       ).status_code == 403
    manager = headers_for(client, clock, business, "manager")
    assert client.post("/api/v1/sandbox/inbound", json=body, headers=manager).status_code == 201


def test_the_simulator_is_absent_outside_sandbox_mode(client, clock, app):
    """With a real provider configured, do the simulator's endpoints answer 404?"""
    business = gen_business()
    headers = headers_for(client, clock, business)
    original = app.config["CONFIG_OBJECT"]
    app.config["CONFIG_OBJECT"] = dataclasses.replace(original, TWILIO_ACCOUNT_SID="AC" + "1" * 32,
                                                      TWILIO_PHONE_NUMBER="+12125550100")
    try:
        for path, body in (("/api/v1/sandbox/inbound", {"channel": "sms", "from": DEBTOR_PHONE, "body": "x"}),
                           ("/api/v1/sandbox/outage", {"channel": "sms", "seconds": 5})):
            assert client.post(path, json=body, headers=headers).status_code == 404
    finally:
        app.config["CONFIG_OBJECT"] = original


def test_simulate_inbound_posts_a_signed_provider_request(app, client):
    """Called directly, with the app or a test client, does simulate_inbound go through the signature check?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE, email=DEBTOR_EMAIL)
    texted = simulator.simulate_inbound(app, channel="sms", from_address=DEBTOR_PHONE, to_address=business.sms_number,
                                        body="From the app")
    assert texted["status"] == 200 and texted["body"].startswith("<?xml")
    mailed = simulator.simulate_inbound(client, channel="email", from_address=DEBTOR_EMAIL,
                                        to_address=business.sender_email, body="From a client", subject="Hi")
    assert mailed["status"] == 200 and mailed["json"]["success"] is True
    app.extensions["jobs"].work_burst()  # the plain text was left for the worker
    db.session.expire_all()
    stored = db.session.scalars(select(Message).where(Message.direction == "inbound").order_by(Message.content)).all()
    assert [(m.content, m.account_id) for m in stored] == [("From a client", account.id), ("From the app", account.id)]


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_status_callbacks_take_a_sandbox_send_to_delivered(app, clock, channel):
    """After the commit, does the simulator's job post the provider's callbacks that mark the message delivered?"""
    business = gen_business()
    message = sandbox_sent(business, gen_account(business, phone=DEBTOR_PHONE, email=DEBTOR_EMAIL), channel)
    simulator.schedule_status_callbacks(db.session, channel=channel, message_id=message.id,
                                        external_id=message.external_id, business_id=business.id)
    assert app.extensions["jobs"].queues["default"].count == 0, "nothing is queued before the commit"
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert stored.delivery_status == "delivered" and stored.delivered_at is not None
    if channel == "email":
        assert count(WebhookEvent, WebhookEvent.provider == "sendgrid") == 2


def test_callbacks_scheduled_in_a_rolled_back_transaction_never_run(app, clock):
    """Does a rollback drop the simulator's callbacks with the send that scheduled them?"""
    business = gen_business()
    message = sandbox_sent(business, gen_account(business, phone=DEBTOR_PHONE), "sms")
    simulator.schedule_status_callbacks(db.session, channel="sms", message_id=message.id,
                                        external_id=message.external_id, business_id=business.id)
    db.session.rollback()
    app.extensions["jobs"].work_burst()
    assert db.session.get(Message, message.id).delivery_status == "sent"


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_sandbox_send_reaches_delivered(app, clock, channel):
    """Does a message sent through the outbound pipeline in sandbox mode end up delivered after the jobs run?"""
    from app.services import channels
    from tests.messaging import debtor, messaging_business

    business = messaging_business()
    account = debtor(business, contacted=True)
    outcome = channels.send(db.session, account=account, channel=channel, body="Your statement is ready.",
                            now=clock.now(), subject="Statement" if channel == "email" else None)
    outcome.raise_if_blocked()
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    message = db.session.get(Message, outcome.message.id)
    assert message.delivery_status == "delivered", (message.delivery_status, message.failed_reason)
    assert message.provider == "sandbox" and message.external_id
    outbox = db.session.scalars(select(SandboxMessage).where(SandboxMessage.message_id == message.id)).one()
    assert outbox.status == "delivered"


def test_an_outage_is_set_until_the_time_asked(client, clock):
    """Does POST /sandbox/outage start an outage on the channel for the seconds asked, and refuse nonsense?"""
    business = gen_business()
    headers = headers_for(client, clock, business)
    response = client.post("/api/v1/sandbox/outage", json={"channel": "email", "seconds": 90}, headers=headers)
    assert response.status_code == 200, response.get_json()
    until = dt.datetime.fromisoformat(response.get_json()["data"]["until"].replace("Z", "+00:00"))
    assert until == clock.now() + dt.timedelta(seconds=90)
    for body in ({"channel": "email", "seconds": -1}, {"channel": "email", "seconds": "ten"},
                 {"channel": "email", "seconds": 10 ** 9}, {"channel": "pigeon", "seconds": 5}):
        assert client.post("/api/v1/sandbox/outage", json=body, headers=headers).status_code == 400


def test_sends_during_an_outage_wait_and_go_out_after_it(client, clock, app):
    """While the simulator says SMS is down, is a text held for retry, and delivered once the outage is over?"""
    from app.services import channels
    from app.services.channels import delivery
    from tests.messaging import debtor, messaging_business

    business = messaging_business()
    account = debtor(business, contacted=True)
    headers = headers_for(client, clock, business)
    assert client.post("/api/v1/sandbox/outage", json={"channel": "sms", "seconds": 60}, headers=headers
                       ).status_code == 200
    outcome = channels.send(db.session, account=account, channel="sms", body="Your statement is ready.",
                            now=clock.now())
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    held = db.session.get(Message, outcome.message.id)
    assert held.delivery_status == "queued" and held.failed_reason.startswith("retrying")
    clock.advance(minutes=5)
    assert delivery.deliver(db.session, held.id, clock.now()) == "sent"
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert db.session.get(Message, held.id).delivery_status == "delivered"
