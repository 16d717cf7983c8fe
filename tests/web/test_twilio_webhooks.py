"""Do Twilio's inbound-message and status webhooks accept only Twilio-signed requests, store each message once, and
move delivery statuses forward only?"""
import logging
import secrets

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import Message, OptOutEvent, UnmatchedInbound, WebhookEvent
from tests.factories import gen_account, gen_business, gen_conversation

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DEBTOR_PHONE = "+12125550123"


def sign(app, path: str, form: dict, token: str | None = None) -> str:
    """X-Twilio-Signature as Twilio computes it: the public URL it called plus the sorted form fields."""
    config = app.config["CONFIG_OBJECT"]
    return RequestValidator(token or config.TWILIO_AUTH_TOKEN).compute_signature(config.PUBLIC_URL + path, form)


def post_signed(client, app, path: str, form: dict, *, worker: bool = True, **kwargs):
    """Post as Twilio does, then let the worker run (a plain text is stored and routed by a job)."""
    response = client.post(path, data=form, headers={"X-Twilio-Signature": sign(app, path, form, **kwargs)})
    if worker:
        app.extensions["jobs"].work_burst()
        db.session.expire_all()
    return response


def sms_form(business, body="Can I pay next week?", sender=DEBTOR_PHONE, sid=None, prefix="") -> dict:
    return {"MessageSid": sid or "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
            "From": prefix + sender, "To": prefix + business.sms_number, "Body": body, "NumMedia": "0",
            "NumSegments": "1", "ApiVersion": "2010-04-01"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def outbound(business, account, channel="sms", status="sending", sid=None) -> Message:
    """A message we handed to Twilio: the row the status callbacks talk about."""
    conversation = gen_conversation(business, account, channel)
    sid = sid or "SM" + secrets.token_hex(16)
    message = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="agent", kind="agent", channel=channel, direction="outbound",
                      from_address=business.sms_number, to_address=account.phone, content="Your balance is due.",
                      delivery_status=status, provider="twilio", external_id=sid, twilio_sid=sid)
    db.session.add(message)
    db.session.commit()
    return message


def status_form(message, state, **extra) -> dict:
    return {"MessageSid": message.external_id, "MessageStatus": state, "AccountSid": "AC" + "0" * 32,
            "To": message.to_address, "From": message.from_address, **extra}


def test_a_signed_sms_is_stored_once_and_answered_with_empty_twiml(client, app):
    """Is a signed SMS stored as an inbound message (once, however often Twilio retries) and answered with TwiML?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE)
    form = sms_form(business)
    first = post_signed(client, app, "/api/v1/webhooks/twilio/sms", form)
    assert first.status_code == 200
    assert first.mimetype == "text/xml" and first.get_data(as_text=True) == EMPTY_TWIML
    stored = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert (stored.account_id, stored.channel, stored.content) == (account.id, "sms", "Can I pay next week?")
    assert (stored.provider, stored.external_id, stored.from_address) == ("twilio", form["MessageSid"], DEBTOR_PHONE)

    replay = post_signed(client, app, "/api/v1/webhooks/twilio/sms", form)
    assert replay.status_code == 200 and replay.get_data(as_text=True) == EMPTY_TWIML
    assert count(Message, Message.direction == "inbound") == 1


def test_whatsapp_addresses_lose_their_prefix(client, app):
    """Does a WhatsApp message land on the whatsapp channel with plain E.164 addresses?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE)
    form = sms_form(business, body="Hola", prefix="whatsapp:")
    form["To"] = "whatsapp:" + business.whatsapp_number
    assert post_signed(client, app, "/api/v1/webhooks/twilio/whatsapp", form).status_code == 200
    stored = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert (stored.channel, stored.account_id, stored.from_address) == ("whatsapp", account.id, DEBTOR_PHONE)
    assert stored.to_address == business.whatsapp_number


def test_a_national_format_sender_is_matched_in_e164(client, app):
    """Is a sender number Twilio spelled without the country code still matched to the debtor's account?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE)
    assert post_signed(client, app, "/api/v1/webhooks/twilio/sms", sms_form(business, sender="(212) 555-0123")
                       ).status_code == 200
    assert db.session.scalars(select(Message.account_id).where(Message.direction == "inbound")).one() == account.id


def test_unsigned_or_wrongly_signed_requests_are_refused_and_never_stored(client, app, caplog):
    """Is anything but Twilio's exact signature a 403 that stores nothing and logs no body?"""
    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    path = "/api/v1/webhooks/twilio/sms"
    form = sms_form(business, body="secret words 12345")
    config = app.config["CONFIG_OBJECT"]
    tampered = dict(form, Body="something else")
    attempts = [
        {},  # no signature
        {"X-Twilio-Signature": sign(app, path, form, token="not-the-token")},
        {"X-Twilio-Signature": RequestValidator(config.TWILIO_AUTH_TOKEN).compute_signature(
            "http://localhost" + path, form)},  # the URL the server saw, not the public one Twilio called
        {"X-Twilio-Signature": sign(app, path + "?extra=1", form)},
        {"X-Twilio-Signature": "garbage"},
    ]
    with caplog.at_level(logging.WARNING):
        for headers in attempts:
            response = client.post(path, data=form, headers=headers)
            assert response.status_code == 403
            assert response.get_json()["error"]["code"] == "FORBIDDEN"
        tampered_response = client.post(path, data=tampered, headers={"X-Twilio-Signature": sign(app, path, form)})
        assert tampered_response.status_code == 403
    assert count(Message) == 0 and count(UnmatchedInbound) == 0
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == len(attempts) + 1
    assert all(path in r.getMessage() and "127.0.0.1" in r.getMessage() for r in refusals)
    assert not any("secret words" in r.getMessage() for r in caplog.records)


def test_the_signature_covers_the_query_string(client, app):
    """Is a request whose query string differs from the one Twilio signed refused?"""
    business = gen_business()
    form = sms_form(business)
    signature = sign(app, "/api/v1/webhooks/twilio/sms?a=1", form)
    assert client.post("/api/v1/webhooks/twilio/sms?a=2", data=form,
                       headers={"X-Twilio-Signature": signature}).status_code == 403
    assert client.post("/api/v1/webhooks/twilio/sms?a=1", data=form,
                       headers={"X-Twilio-Signature": signature}).status_code == 200


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_a_message_without_its_id_or_sender_is_a_bad_request(client, app, missing):
    """Is a signed form missing MessageSid or From answered 400 without storing anything?"""
    business = gen_business()
    form = sms_form(business)
    del form[missing]
    response = post_signed(client, app, "/api/v1/webhooks/twilio/sms", form)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "BAD_REQUEST"
    assert count(Message) == 0


def test_bodies_over_one_megabyte_are_refused(client, app):
    """Is a webhook body over 1 MB answered 413 before it is read?"""
    business = gen_business()
    form = sms_form(business, body="x" * (1024 * 1024 + 10))
    response = post_signed(client, app, "/api/v1/webhooks/twilio/sms", form)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert count(Message) == 0


def test_message_text_is_stored_as_text(client, app):
    """Is markup in an SMS kept as the literal text the debtor typed (escaped when shown, never interpreted)?"""
    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    body = '<script>alert("x")</script> & <b>bold</b>'
    assert post_signed(client, app, "/api/v1/webhooks/twilio/sms", sms_form(business, body=body)).status_code == 200
    assert db.session.scalars(select(Message.content).where(Message.direction == "inbound")).one() == body


def test_status_callbacks_move_forward_and_never_back(client, app):
    """Does a late 'sent' callback after 'delivered' leave the message delivered?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE))
    path = f"/api/v1/webhooks/twilio/status?m={message.id}"
    for state, expected in (("sent", "sent"), ("delivered", "delivered"), ("sent", "delivered"),
                            ("queued", "delivered")):
        response = post_signed(client, app, path, status_form(message, state))
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(Message, message.id).delivery_status == expected, state
    assert db.session.get(Message, message.id).delivered_at is not None


def test_status_callbacks_find_the_message_by_sid_without_our_id(client, app):
    """Is a callback without ?m= (an old message, a number configured by hand) matched by Twilio's MessageSid?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE), status="sent")
    response = post_signed(client, app, "/api/v1/webhooks/twilio/status", status_form(message, "delivered"))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


def test_the_prd_status_path_answers_too(client, app):
    """Does the PRD's /twilio/sms/status path work like /twilio/status, signature included?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE))
    path = f"/api/v1/webhooks/twilio/sms/status?m={message.id}"
    assert client.post(path, data=status_form(message, "delivered")).status_code == 403
    assert post_signed(client, app, path, status_form(message, "delivered")).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


def test_whatsapp_read_receipts_mark_the_message_read(client, app):
    """Does WhatsApp's 'read' status reach the message?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE), channel="whatsapp", status="sent")
    path = f"/api/v1/webhooks/twilio/status?m={message.id}"
    assert post_signed(client, app, path, status_form(message, "read")).status_code == 200
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert stored.delivery_status == "read" and stored.read_at is not None


@pytest.mark.parametrize("state", ["undelivered", "failed", "canceled"])
def test_failures_carry_twilios_reason(client, app, state):
    """Is an undelivered, failed or canceled message marked failed with Twilio's code and explanation?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE))
    path = f"/api/v1/webhooks/twilio/status?m={message.id}"
    assert post_signed(client, app, path, status_form(message, state, ErrorCode="30003")).status_code == 200
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert stored.delivery_status == "failed"
    assert stored.failed_reason.startswith("Twilio 30003: unreachable destination handset")
    assert count(OptOutEvent) == 0


def test_twilio_error_messages_are_preferred_to_our_texts(client, app):
    """When Twilio explains a failure itself, is its explanation the one stored?"""
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE))
    form = status_form(message, "failed", ErrorCode="30008", ErrorMessage="Carrier said no")
    assert post_signed(client, app, f"/api/v1/webhooks/twilio/status?m={message.id}", form).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).failed_reason.startswith("Twilio 30008: Carrier said no")


def test_error_21610_opts_the_recipient_out(client, app):
    """Does Twilio's 'unsubscribed recipient' error (21610) record an opt-out for that number and business?"""
    business = gen_business()
    account = gen_account(business, phone=DEBTOR_PHONE)
    message = outbound(business, account)
    path = f"/api/v1/webhooks/twilio/status?m={message.id}"
    assert post_signed(client, app, path, status_form(message, "undelivered", ErrorCode="21610")).status_code == 200
    assert post_signed(client, app, path, status_form(message, "undelivered", ErrorCode="21610")).status_code == 200
    event = db.session.scalars(select(OptOutEvent)).one()
    assert (event.business_id, event.account_id, event.channel, event.address, event.rule_id) == (
        business.id, account.id, "sms", DEBTOR_PHONE, "OPT-2")
    assert db.session.get(Message, message.id).delivery_status == "failed"


def test_status_callbacks_for_unknown_messages_are_acknowledged(client, app):
    """Is a signed callback about a message we never sent answered 200 (Twilio would retry otherwise)?"""
    form = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    response = post_signed(client, app, "/api/v1/webhooks/twilio/status?m=not-a-uuid", form)
    assert response.status_code == 200 and response.get_json()["data"]["applied"] is False


def test_a_status_callback_without_a_status_is_a_bad_request(client, app):
    """Is a signed callback with no MessageStatus answered 400?"""
    response = post_signed(client, app, "/api/v1/webhooks/twilio/status", {"MessageSid": "SM" + "a" * 32})
    assert response.status_code == 400


def test_webhooks_are_never_rate_limited(client, app):
    """Do 200 signed webhooks within one minute all answer 200 (a 429 would lose a provider's message)?"""
    from app.extensions import limiter

    assert limiter.enabled
    business = gen_business()
    message = outbound(business, gen_account(business, phone=DEBTOR_PHONE))
    path = f"/api/v1/webhooks/twilio/status?m={message.id}"
    form = status_form(message, "delivered")
    signature = sign(app, path, form)
    answers = {client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code
               for _ in range(200)}
    assert answers == {200}
    assert db.session.get(Message, message.id).delivery_status == "delivered"
    public = {client.get("/api/v1/accounts").status_code for _ in range(25)}
    assert 429 in public, "the same caller is limited on the public API (20 per minute)"


def test_a_plain_text_is_acknowledged_at_once_and_routed_by_the_worker(client, app):
    """The webhook answers once the text is stored as a provider event; the worker makes it a message (and a
    replay before or after changes nothing)."""
    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    form = sms_form(business, body="Can I pay half now?")
    first = post_signed(client, app, "/api/v1/webhooks/twilio/sms", form, worker=False)
    assert first.status_code == 200 and count(Message) == 0
    assert count(WebhookEvent, WebhookEvent.external_id == form["MessageSid"]) == 1
    post_signed(client, app, "/api/v1/webhooks/twilio/sms", form, worker=False)
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert count(Message, Message.direction == "inbound") == 1
    assert db.session.scalars(select(WebhookEvent.status).where(
        WebhookEvent.external_id == form["MessageSid"])).one() == "processed"


def test_a_stop_takes_effect_before_any_worker_runs(client, app):
    """OPT-9: keywords are received in the request itself, so the opt-out exists the moment Twilio hears 200."""
    from app.models import OptOutEvent

    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    response = post_signed(client, app, "/api/v1/webhooks/twilio/sms", sms_form(business, body="STOP"), worker=False)
    assert response.status_code == 200
    assert count(OptOutEvent, OptOutEvent.address == DEBTOR_PHONE) == 1


@pytest.mark.parametrize("body, at_once", [
    ("Stop texting me, I am not paying this", True),  # cease (D-17: at once)
    ("Talk to my lawyer, Smith & Jones", True),  # attorney (ATTY-3)
    ("Wrong number, I don't know this person", True),  # not the debtor: this number must stop now
    ("STOP", True),
    ("I already paid this last week.", False),  # a dispute waits moments for the worker, like any other text
    ("Please don't text me before noon", False),
    ("HELP", False),
])
def test_only_texts_that_must_act_at_ingestion_are_received_in_the_request(client, app, body, at_once):
    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    form = sms_form(business, body=body)
    assert post_signed(client, app, "/api/v1/webhooks/twilio/sms", form, worker=False).status_code == 200
    assert count(Message, Message.direction == "inbound") == (1 if at_once else 0)
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    inbound = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert inbound.external_id == form["MessageSid"] and inbound.compliance_record["labels"]


def test_a_text_whose_job_was_lost_is_picked_up_by_the_clock(client, app, clock):
    from jobs import clock as clock_jobs

    business = gen_business()
    gen_account(business, phone=DEBTOR_PHONE)
    post_signed(client, app, "/api/v1/webhooks/twilio/sms", sms_form(business), worker=False)
    app.extensions["jobs"].connection.flushdb()  # Redis lost the job
    clock.advance(minutes=1)
    clock_jobs.tick(app)
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert count(Message, Message.direction == "inbound") == 1
