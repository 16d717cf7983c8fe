"""The sandbox simulator: provider traffic without providers. It posts what Twilio and SendGrid would post, signed
with the sandbox secrets, through the app's real webhook routes, so signature checks, parsing, the inbound pipeline
and the status service all run exactly as they do for the real providers.

Requests go through the app's WSGI test client inside a fresh app context: the webhook gets its own database
session and commits on its own, as a separate HTTP request would."""
from __future__ import annotations

import base64
import email.utils
import json
import logging
import secrets
import uuid
from contextlib import contextmanager

from flask import Flask, current_app
from flask.testing import FlaskClient

from app.services.channels import signatures
from app.services.clock import get_clock

log = logging.getLogger(__name__)

ACCOUNT_SID = "ACsandbox"
TWILIO_STATUS_PATH = "/api/v1/webhooks/twilio/status"
SENDGRID_EVENTS_PATH = "/api/v1/webhooks/sendgrid/events"
SENDGRID_INBOUND_PATH = "/api/v1/webhooks/sendgrid/inbound"
PHONE_CHANNELS = ("sms", "whatsapp")
STATUS_SEQUENCE = {"sms": ("sent", "delivered"), "whatsapp": ("sent", "delivered"), "email": ("processed", "delivered")}


def schedule_status_callbacks(db_session, *, channel: str, message_id, external_id: str, business_id=None) -> None:
    """After the commit, queue a job that plays the provider's status callbacks for a sandbox send."""
    if channel not in STATUS_SEQUENCE:
        return
    jobs = current_app.extensions["jobs"]
    jobs.enqueue(db_session, "default", "jobs.sandbox.status_callbacks", channel, str(message_id), external_id,
                 str(business_id) if business_id else None, job_id=f"sandbox-status-{message_id}-{external_id}")


@contextmanager
def _client(app_or_client):
    if isinstance(app_or_client, FlaskClient):
        yield app_or_client
        return
    app: Flask = app_or_client
    with app.app_context():
        yield app.test_client()


def _app_of(app_or_client) -> Flask:
    return app_or_client.application if isinstance(app_or_client, FlaskClient) else app_or_client


def _twilio_address(channel: str, address: str) -> str:
    return f"whatsapp:{address}" if channel == "whatsapp" else address


def _post_twilio(client, config, path: str, form: dict):
    url = signatures.twilio_url(config.PUBLIC_URL, path)
    signature = signatures.twilio_signature(config.TWILIO_AUTH_TOKEN, url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def _post_events(client, app: Flask, events: list):
    payload = json.dumps(events, separators=(",", ":"))
    timestamp = str(int(get_clock().now().timestamp()))
    key = signatures.simulator_private_key(app.instance_path)
    return client.post(SENDGRID_EVENTS_PATH, data=payload, content_type="application/json", headers={
        signatures.EVENT_SIGNATURE_HEADER: signatures.sign_event_payload(key, payload, timestamp),
        signatures.EVENT_TIMESTAMP_HEADER: timestamp})


def post_status_callbacks(app: Flask, db_session, *, channel: str, message_id, external_id: str) -> list[int]:
    """What the provider would report for an accepted message, posted through the real webhook; the HTTP statuses
    the app answered."""
    from app.models import Message

    message = db_session.get(Message, message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(message_id))
    if message is None:
        return []
    to_address, from_address = message.to_address or "", message.from_address or ""
    db_session.rollback()  # read only: hold no transaction while the webhook writes
    config = app.config["CONFIG_OBJECT"]
    answers = []
    with _client(app) as client:
        if channel in PHONE_CHANNELS:
            for state in STATUS_SEQUENCE[channel]:
                form = {"MessageSid": external_id, "SmsSid": external_id, "AccountSid": ACCOUNT_SID,
                        "MessageStatus": state, "SmsStatus": state, "To": _twilio_address(channel, to_address),
                        "From": _twilio_address(channel, from_address), "ApiVersion": "2010-04-01"}
                answers.append(_post_twilio(client, config, f"{TWILIO_STATUS_PATH}?m={message_id}", form).status_code)
        else:
            stamp = int(get_clock().now().timestamp())
            events = [{"email": to_address, "timestamp": stamp, "event": state,
                       "sg_event_id": "sbx-" + secrets.token_urlsafe(16), "sg_message_id": f"{external_id}.sandbox",
                       "message_id": str(message_id), "smtp-id": f"<{external_id}@sandbox>",
                       **({"response": "250 OK"} if state == "delivered" else {})}
                      for state in STATUS_SEQUENCE[channel]]
            answers.append(_post_events(client, app, events).status_code)
    if any(code != 200 for code in answers):
        log.warning("sandbox status callbacks for %s were answered %s", message_id, answers)
    else:
        _mark_outbox(db_session, external_id, STATUS_SEQUENCE[channel][-1])
    return answers


def _mark_outbox(db_session, external_id: str, status: str) -> None:
    """The sandbox outbox shows what the provider last reported, as a provider's own message log would."""
    from sqlalchemy import update

    from app.models import SandboxMessage

    db_session.execute(update(SandboxMessage).where(SandboxMessage.external_id == external_id).values(status=status))
    db_session.commit()


def simulate_inbound(app_or_client, *, channel: str, from_address: str, to_address: str, body: str,
                     subject: str | None = None, external_id: str | None = None) -> dict:
    """Post an inbound message shaped and signed like the provider's through the real route. Returns
    {status, externalId, json, body}; externalId is what the webhook stores as the message's provider id (pass one
    to replay a provider's retry)."""
    app = _app_of(app_or_client)
    config = app.config["CONFIG_OBJECT"]
    with _client(app_or_client) as client:
        if channel in PHONE_CHANNELS:
            sid = external_id or "SM" + secrets.token_hex(16)
            form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
                    "From": _twilio_address(channel, from_address), "To": _twilio_address(channel, to_address),
                    "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                    "ApiVersion": "2010-04-01"}
            response = _post_twilio(client, config, f"/api/v1/webhooks/twilio/{channel}", form)
        elif channel == "email":
            sid = external_id or f"<sbx-{secrets.token_hex(12)}@{config.SANDBOX_EMAIL_DOMAIN}>"
            date = email.utils.format_datetime(get_clock().now())
            headers = (f"Message-ID: {sid}\nDate: {date}\nFrom: {from_address}\nTo: {to_address}\n"
                       f"Subject: {subject or ''}\nContent-Type: text/plain; charset=UTF-8\n")
            form = {"from": from_address, "to": to_address, "subject": subject or "", "text": body,
                    "headers": headers, "envelope": json.dumps({"from": from_address, "to": [to_address]}),
                    "attachments": "0", "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8",
                                                               "text": "UTF-8"}),
                    "SPF": "pass", "sender_ip": "127.0.0.1"}
            credentials = base64.b64encode(
                f"{signatures.INBOUND_PARSE_USER}:{config.SENDGRID_INBOUND_SECRET}".encode()).decode()
            response = client.post(SENDGRID_INBOUND_PATH, data=form, content_type="multipart/form-data",
                                   headers={"Authorization": f"Basic {credentials}"})
        else:
            raise ValueError(f"the simulator has no provider for {channel!r}")
    return {"status": response.status_code, "externalId": sid, "json": response.get_json(silent=True),
            "body": response.get_data(as_text=True)}


def process_waiting(db_session, external_id: str) -> None:
    """Receive now a simulated text the webhook kept for the worker, so the simulator answers with the stored
    message (the worker would do the same moments later; process_event is idempotent)."""
    from sqlalchemy import select

    from app.models import WebhookEvent
    from app.services.channels import inbound
    from app.services.clock import get_clock

    event_id = db_session.scalar(select(WebhookEvent.id).where(
        WebhookEvent.external_id == external_id, WebhookEvent.event_type == inbound.QUEUED_EVENT))
    if event_id is not None:
        inbound.process_event(db_session, event_id, get_clock().now())  # claimed: a no-op if a worker has it


def find_inbound(db_session, business_id, external_id: str):
    """What the inbound pipeline made of a simulated message: (Message, None) for a known sender,
    (None, UnmatchedInbound) for an unknown one, (None, None) when nothing was stored."""
    from sqlalchemy import select

    from app.models import Message, UnmatchedInbound

    message = db_session.scalars(select(Message).where(
        Message.business_id == business_id, Message.direction == "inbound", Message.external_id == external_id)).first()
    if message is not None:
        return message, None
    return None, db_session.scalars(select(UnmatchedInbound).where(
        UnmatchedInbound.business_id == business_id, UnmatchedInbound.external_id == external_id)).first()
