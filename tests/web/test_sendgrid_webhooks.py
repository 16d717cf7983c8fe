"""Do SendGrid's Inbound Parse and Event Webhook accept only authenticated requests, store mail as text with safe
attachments, count each event once and turn unsubscribes into opt-outs?"""
import base64
import dataclasses
import io
import json
import secrets
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from app.extensions import db
from app.models import Document, Message, OptOutEvent, UnmatchedInbound, WebhookEvent
from app.services.channels import signatures
from tests.factories import gen_account, gen_business, gen_conversation

DEBTOR_EMAIL = "jane.debtor@example.com"
INBOUND = "/api/v1/webhooks/sendgrid/inbound"
EVENTS = "/api/v1/webhooks/sendgrid/events"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- Event Webhook ---------------------------------------------------------------------------------------------------
@pytest.fixture
def event_key(app):
    """A P-256 key pair like SendGrid's; its public half configured as SENDGRID_EVENTS_PUBLIC_KEY for the test."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    original = app.config["CONFIG_OBJECT"]
    app.config["CONFIG_OBJECT"] = dataclasses.replace(original, SENDGRID_EVENTS_PUBLIC_KEY=public)
    yield key
    app.config["CONFIG_OBJECT"] = original


def sign_events(key, body: str, timestamp: str | None = None) -> dict:
    """The headers SendGrid sends: base64 DER ECDSA-SHA256 over timestamp + raw body."""
    timestamp = timestamp or str(int(time.time()))
    signature = base64.b64encode(key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()
    return {"X-Twilio-Email-Event-Webhook-Signature": signature, "X-Twilio-Email-Event-Webhook-Timestamp": timestamp}


def post_events(client, key, events, path=EVENTS):
    body = json.dumps(events)
    return client.post(path, data=body, content_type="application/json", headers=sign_events(key, body))


def email_message(business, account, status="sent", sendgrid_id=None) -> Message:
    """An email we handed to SendGrid (its id stored), waiting for events."""
    conversation = gen_conversation(business, account, "email")
    sendgrid_id = sendgrid_id or secrets.token_urlsafe(16).replace(".", "")
    message = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="agent", kind="agent", channel="email", direction="outbound",
                      from_address=business.sender_email, to_address=account.email, subject="Your account",
                      content="Hello", delivery_status=status, provider="sendgrid", external_id=sendgrid_id,
                      sendgrid_id=sendgrid_id)
    db.session.add(message)
    db.session.commit()
    return message


def event(message, kind, **extra) -> dict:
    return {"email": message.to_address, "timestamp": int(time.time()), "event": kind,
            "sg_event_id": secrets.token_urlsafe(16), "sg_message_id": f"{message.external_id}.filter0001.1.0",
            "message_id": str(message.id), **extra}


def test_delivery_events_move_the_message_forward(client, event_key):
    """Do processed, delivered and open events take an email to delivered and then read?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    response = post_events(client, event_key, [event(message, "processed"), event(message, "delivered")])
    assert response.status_code == 200 and response.get_json()["success"] is True
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"
    assert post_events(client, event_key, [event(message, "open")]).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "read"
    assert count(WebhookEvent, WebhookEvent.provider == "sendgrid") == 3


def test_a_replayed_event_changes_nothing(client, event_key):
    """Is a batch SendGrid delivers twice counted once (one webhook_events row per sg_event_id)?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    batch = [event(message, "delivered")]
    assert post_events(client, event_key, batch).get_json()["data"]["applied"] == 1
    second = post_events(client, event_key, batch)
    assert second.status_code == 200 and second.get_json()["data"]["duplicates"] == 1
    assert count(WebhookEvent) == 1


def test_a_late_event_never_moves_a_status_back(client, event_key):
    """Does a bounce arriving after delivery leave the message delivered?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    post_events(client, event_key, [event(message, "delivered")])
    post_events(client, event_key, [event(message, "bounce", reason="550 mailbox full", type="bounce")])
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


@pytest.mark.parametrize("kind", ["bounce", "dropped"])
def test_bounces_and_drops_fail_the_message_with_the_reason(client, event_key, kind):
    """Is a bounced or dropped email failed with SendGrid's reason?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    post_events(client, event_key, [event(message, kind, reason="550 5.1.1 no such user", type="bounce")])
    db.session.expire_all()
    stored = db.session.get(Message, message.id)
    assert stored.delivery_status == "failed" and "550 5.1.1 no such user" in stored.failed_reason


def test_events_find_the_message_by_sendgrid_id_alone(client, event_key):
    """Without our custom arg, is the message found by sg_message_id up to its first dot?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    item = event(message, "delivered")
    del item["message_id"]
    assert post_events(client, event_key, [item]).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


@pytest.mark.parametrize("kind", ["spamreport", "unsubscribe", "group_unsubscribe"])
def test_spam_reports_and_unsubscribes_opt_the_address_out(client, event_key, kind):
    """Does a spam report or unsubscribe record an email opt-out for the business, leaving the status alone?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    message = email_message(business, account, status="delivered")
    assert post_events(client, event_key, [event(message, kind, email=DEBTOR_EMAIL.upper())]).status_code == 200
    opt_out = db.session.scalars(select(OptOutEvent)).one()
    assert (opt_out.business_id, opt_out.account_id, opt_out.channel, opt_out.address, opt_out.rule_id) == (
        business.id, account.id, "email", DEBTOR_EMAIL, "OPT-2")
    assert db.session.get(Message, message.id).delivery_status == "delivered"


def test_events_for_unknown_messages_are_acknowledged(client, event_key):
    """Is a verified event about a message we do not know answered 200 and kept as ignored?"""
    item = {"email": "x@example.com", "timestamp": int(time.time()), "event": "delivered", "sg_event_id": "e1",
            "sg_message_id": "nope.filter", "message_id": "00000000-0000-0000-0000-000000000000"}
    response = post_events(client, event_key, [item])
    assert response.status_code == 200 and response.get_json()["data"]["unknown"] == 1
    assert db.session.scalars(select(WebhookEvent.status)).one() == "ignored"


def test_the_prd_path_answers_too(client, event_key):
    """Does POST /api/v1/webhooks/sendgrid work like /sendgrid/events?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    assert post_events(client, event_key, [event(message, "delivered")], path="/api/v1/webhooks/sendgrid"
                       ).status_code == 200
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


def test_unsigned_or_wrongly_signed_events_are_refused(client, event_key):
    """Is a batch with a missing, garbled or foreign signature, or an altered body, a 403 that changes nothing?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    body = json.dumps([event(message, "delivered")])
    good = sign_events(event_key, body)
    stranger = ec.generate_private_key(ec.SECP256R1())
    attempts = [
        {},
        {"X-Twilio-Email-Event-Webhook-Timestamp": good["X-Twilio-Email-Event-Webhook-Timestamp"]},
        dict(good, **{"X-Twilio-Email-Event-Webhook-Signature": "%%%not base64%%%"}),
        dict(good, **{"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"not DER").decode()}),
        sign_events(stranger, body),
        dict(good, **{"X-Twilio-Email-Event-Webhook-Timestamp": "1"}),
    ]
    for headers in attempts:
        response = client.post(EVENTS, data=body, content_type="application/json", headers=headers)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"
    altered = body.replace("delivered", "open")
    assert client.post(EVENTS, data=altered, content_type="application/json", headers=good).status_code == 403
    assert count(WebhookEvent) == 0
    assert db.session.get(Message, message.id).delivery_status == "sent"


def test_old_timestamps_are_accepted(client, event_key):
    """Is a correctly signed retry from two days ago accepted (SendGrid retries for 72 hours)?"""
    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    body = json.dumps([event(message, "delivered")])
    headers = sign_events(event_key, body, timestamp=str(int(time.time()) - 2 * 86400))
    assert client.post(EVENTS, data=body, content_type="application/json", headers=headers).status_code == 200


def test_malformed_or_oversized_batches(client, event_key):
    """Is a signed body that is not a JSON array a 400, and a body over 1 MB a 413?"""
    for body in ("{not json", '{"event": "delivered"}'):
        response = client.post(EVENTS, data=body, content_type="application/json", headers=sign_events(event_key, body))
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "BAD_REQUEST"
    big = json.dumps([{"event": "processed", "pad": "x" * (1024 * 1024)}])
    response = client.post(EVENTS, data=big, content_type="application/json", headers=sign_events(event_key, big))
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_the_simulator_key_signs_events_in_sandbox_mode(client, app):
    """In sandbox mode, are events signed with the simulator's key (kept in instance/, 0600) accepted?"""
    import os

    business = gen_business()
    message = email_message(business, gen_account(business, email=DEBTOR_EMAIL))
    key = signatures.simulator_private_key(app.instance_path)
    path = os.path.join(app.instance_path, signatures.SIMULATOR_KEY_FILE)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert post_events(client, key, [event(message, "delivered")]).status_code == 200

    original = app.config["CONFIG_OBJECT"]
    app.config["CONFIG_OBJECT"] = dataclasses.replace(original, SENDGRID_API_KEY="SG.real", SENDGRID_FROM_EMAIL="a@b.c")
    try:
        assert post_events(client, key, [event(message, "open")]).status_code == 403, "not once SendGrid is real"
    finally:
        app.config["CONFIG_OBJECT"] = original


# -- Inbound Parse ---------------------------------------------------------------------------------------------------
def basic_auth(password: str | None = None, user: str = "sendgrid", app=None) -> dict:
    password = password if password is not None else app.config["CONFIG_OBJECT"].SENDGRID_INBOUND_SECRET
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def parse_form(business, *, text="I can pay $50 a month.", html=None, subject="About my account",
               sender=DEBTOR_EMAIL, message_id=None, to=None, files=None) -> dict:
    """What Inbound Parse posts for one mail (multipart: text fields plus attachment1..N)."""
    to = to or business.sender_email
    message_id = message_id if message_id is not None else f"<{secrets.token_hex(8)}@mail.example.com>"
    headers = (f"Received: from mail.example.com\nFrom: Jane <{sender}>\nTo: {to}\nSubject: {subject}\n"
               "Date: Wed, 25 Nov 2026 15:00:00 +0000\n")
    if message_id:
        headers += f"Message-ID: {message_id}\n"
    form = {"from": f"Jane Debtor <{sender}>", "to": to, "subject": subject, "headers": headers,
            "envelope": json.dumps({"from": sender, "to": [to]}), "charsets": json.dumps({"text": "UTF-8"}),
            "SPF": "pass", "attachments": str(len(files or []))}
    if text is not None:
        form["text"] = text
    if html is not None:
        form["html"] = html
    info = {}
    for index, (name, content_type, data) in enumerate(files or [], start=1):
        form[f"attachment{index}"] = (io.BytesIO(data), name, content_type)
        info[f"attachment{index}"] = {"filename": name, "name": name, "type": content_type}
    if info:
        form["attachment-info"] = json.dumps(info)
    return form


def post_parse(client, app, form, **headers):
    return client.post(INBOUND, data=form, content_type="multipart/form-data", headers=headers or basic_auth(app=app))


def inbound_messages():
    return db.session.scalars(select(Message).where(Message.direction == "inbound")).all()


def test_a_mail_from_a_debtor_is_stored_once(client, app):
    """Is a parsed mail stored on the debtor's conversation with its subject and Message-ID, once per Message-ID?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    form = parse_form(business, message_id="<abc123@mail.example.com>")
    response = post_parse(client, app, dict(form))
    assert response.status_code == 200, response.get_json()
    stored = inbound_messages()
    assert len(stored) == 1
    message = stored[0]
    assert (message.account_id, message.channel, message.subject) == (account.id, "email", "About my account")
    assert (message.content, message.from_address) == ("I can pay $50 a month.", DEBTOR_EMAIL)
    assert (message.provider, message.external_id) == ("sendgrid", "<abc123@mail.example.com>")
    again = post_parse(client, app, parse_form(business, message_id="<abc123@mail.example.com>"))
    assert again.status_code == 200 and again.get_json()["data"]["duplicate"] is True
    assert len(inbound_messages()) == 1


def test_without_a_message_id_the_mail_is_keyed_by_its_content(client, app):
    """Without a Message-ID, is the same mail posted twice still stored once (a digest of its fields)?"""
    business = gen_business()
    gen_account(business, email=DEBTOR_EMAIL)
    assert post_parse(client, app, parse_form(business, message_id="")).status_code == 200
    assert post_parse(client, app, parse_form(business, message_id="")).status_code == 200
    stored = inbound_messages()
    assert len(stored) == 1 and stored[0].external_id.startswith("sha256:")


def test_the_business_is_found_among_several_recipients(client, app):
    """When a mail is addressed to others too, does it reach the business whose address is among them?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    form = parse_form(business, to=f"Someone <someone@else.example>, Us <{business.sender_email.upper()}>")
    form["envelope"] = json.dumps({"from": DEBTOR_EMAIL, "to": ["someone@else.example",
                                                                business.sender_email.upper()]})
    assert post_parse(client, app, form).status_code == 200
    assert [m.account_id for m in inbound_messages()] == [account.id]


def test_html_mail_is_stored_as_text_without_scripts(client, app):
    """Is an HTML-only mail stored as its visible text, with no markup, script or style left?"""
    business = gen_business()
    gen_account(business, email=DEBTOR_EMAIL)
    html = ("<html><head><style>p{color:red}</style><script>steal()</script></head><body>"
            "<p>I <b>dispute</b> this&nbsp;debt.</p><div>Call me&amp;write.</div>"
            "<img src=x onerror=alert(1)><script>alert('x')</script></body></html>")
    assert post_parse(client, app, parse_form(business, text=None, html=html)).status_code == 200
    content = inbound_messages()[0].content
    assert content == "I dispute this debt.\n\nCall me&write."
    assert "<" not in content and "alert" not in content and "steal" not in content and "color" not in content


def test_small_attachments_are_kept_and_large_ones_dropped_and_noted(client, app):
    """Is a 1 KB PDF kept as a document while a 6 MB one and an executable are dropped, and noted on the message?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    small = b"%PDF-1.4\n" + b"0" * 1024 + b"\n%%EOF\n"
    large = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024) + b"\n%%EOF\n"
    files = [("statement.pdf", "application/pdf", small), ("scan.pdf", "application/pdf", large),
             ("invoice.exe", "application/x-msdownload", b"MZ" + b"\0" * 100)]
    response = post_parse(client, app, parse_form(business, text="See attached.", files=files))
    assert response.status_code == 200, response.get_json()
    message = inbound_messages()[0]
    documents = db.session.scalars(select(Document).where(Document.account_id == account.id)).all()
    assert [d.filename for d in documents] == ["statement.pdf"]
    assert message.attachment_filename == "statement.pdf"
    assert message.content.startswith("See attached.")
    assert "scan.pdf (6.0 MB) was over the 5 MB limit" in message.content
    assert "invoice.exe is a program or web page" in message.content


def test_inbound_parse_needs_its_basic_auth(client, app):
    """Is a post without the configured user and password a 403 that stores nothing?"""
    business = gen_business()
    gen_account(business, email=DEBTOR_EMAIL)
    for headers in ({"X-Nothing": "1"}, basic_auth("wrong", app=app), basic_auth(user="admin", app=app),
                    {"Authorization": "Bearer abc"}):
        response = post_parse(client, app, parse_form(business), **headers)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"
    assert count(Message) == 0 and count(UnmatchedInbound) == 0


def test_too_much_text_or_too_large_a_request_is_refused(client, app):
    """Is more than 1 MB of text, or a request over 12 MB, answered 413 without storing anything?"""
    business = gen_business()
    gen_account(business, email=DEBTOR_EMAIL)
    wordy = parse_form(business, text="a" * (600 * 1024), html="<p>" + "b" * (600 * 1024) + "</p>")
    response = post_parse(client, app, wordy)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    huge = parse_form(business, files=[("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (12 * 1024 * 1024))])
    assert post_parse(client, app, huge).status_code == 413
    assert count(Message) == 0


def test_malformed_posts_are_bad_requests(client, app):
    """Is a post with no sender, unreadable JSON fields, or not a form at all answered 400?"""
    business = gen_business()
    no_sender = parse_form(business)
    del no_sender["from"]
    no_sender["envelope"] = json.dumps({"to": [business.sender_email]})
    bad_envelope = dict(parse_form(business), envelope="{oops")
    no_recipient = parse_form(business)
    no_recipient.update(to="", envelope=json.dumps({"from": DEBTOR_EMAIL, "to": []}))
    for form in (no_sender, bad_envelope, no_recipient):
        response = post_parse(client, app, form)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "BAD_REQUEST"
    as_json = client.post(INBOUND, json={"from": DEBTOR_EMAIL}, headers=basic_auth(app=app))
    assert as_json.status_code == 400
    assert count(Message) == 0


def test_raw_mime_posts_are_understood(client, app):
    """With SendGrid's 'post the raw MIME' option, are the text, subject and Message-ID taken from the message?"""
    business = gen_business()
    account = gen_account(business, email=DEBTOR_EMAIL)
    raw = (f"From: Jane <{DEBTOR_EMAIL}>\r\nTo: {business.sender_email}\r\nSubject: Raw hello\r\n"
           "Message-ID: <raw-1@mail.example.com>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
           "Plain words.\r\n--XX\r\nContent-Type: text/html\r\n\r\n<p>Html words</p>\r\n--XX--\r\n")
    form = {"email": raw, "to": business.sender_email, "from": f"Jane <{DEBTOR_EMAIL}>",
            "envelope": json.dumps({"from": DEBTOR_EMAIL, "to": [business.sender_email]})}
    assert post_parse(client, app, form).status_code == 200
    message = inbound_messages()[0]
    assert (message.account_id, message.subject, message.content, message.external_id) == (
        account.id, "Raw hello", "Plain words.", "<raw-1@mail.example.com>")
