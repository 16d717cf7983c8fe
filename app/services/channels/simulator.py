"""The sandbox simulator: provider traffic without providers. It posts what Twilio and SendGrid would post, signed
with the sandbox secrets, through the app's real webhook routes, so signature checks, parsing, the inbound pipeline
and the status service all run exactly as they do for the real providers.

Requests go through the app's WSGI test client inside a fresh app context: the webhook gets its own database
session and commits on its own, as a separate HTTP request would.

Besides the automatic "sent, delivered" callbacks after each sandbox send, staff can report what a provider would
report later (delivered, failed with the provider's error, an email opened or bounced), write as a debtor, and turn
the automatic callbacks off for their business so a send stays "sent" until they report something."""
from __future__ import annotations

import base64
import email.utils
import json
import logging
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app
from flask.testing import FlaskClient

from app.services.channels import signatures
from app.services.clock import get_clock
from app.services.errors import Conflict, DomainError, ValidationError

log = logging.getLogger(__name__)

ACCOUNT_SID = "ACsandbox"
TWILIO_STATUS_PATH = "/api/v1/webhooks/twilio/status"
SENDGRID_EVENTS_PATH = "/api/v1/webhooks/sendgrid/events"
SENDGRID_INBOUND_PATH = "/api/v1/webhooks/sendgrid/inbound"
PHONE_CHANNELS = ("sms", "whatsapp")
STATUS_SEQUENCE = {"sms": ("sent", "delivered"), "whatsapp": ("sent", "delivered"), "email": ("processed", "delivered")}
CHANNELS = ("sms", "whatsapp", "email")
SETTINGS_KEY = "sandbox"

REPORTS = {"delivered": "delivered", "failed": "failed", "opened": "read", "bounced": "failed"}
"""What staff can report for a sent message, and the status the outbox then shows (our delivery vocabulary)."""
EMAIL_ONLY_REPORTS = ("opened", "bounced")
PHONE_FAILURES = {  # Twilio error code: (the status callback's MessageStatus, what it means)
    "30003": ("undelivered", "Unreachable handset"),
    "30005": ("undelivered", "Unknown handset"),
    "30006": ("undelivered", "Landline or unreachable carrier"),
    "30007": ("undelivered", "Filtered by the carrier"),
    "21610": ("failed", "Recipient had replied STOP"),
}
EMAIL_DROPS = {  # SendGrid `dropped` reason: what it means
    "Invalid": "Invalid address",
    "Spam Content": "Spam content",
    "Unsubscribed Address": "Unsubscribed address",
}
HARD_BOUNCE = {"type": "bounce", "status": "5.1.1", "bounce_classification": "Invalid Address",
               "reason": "550 5.1.1 The email account that you tried to reach does not exist."}


def schedule_status_callbacks(db_session, *, channel: str, message_id, external_id: str, business_id=None) -> None:
    """After the commit, queue a job that plays the provider's status callbacks for a sandbox send."""
    if channel not in STATUS_SEQUENCE:
        return
    if business_id is not None and not auto_reports(db_session, business_id):
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


def _status_form(channel: str, external_id: str, state: str, to_address: str, from_address: str,
                 error_code: str | None = None) -> dict:
    """The form of a Twilio status callback."""
    form = {"MessageSid": external_id, "SmsSid": external_id, "AccountSid": ACCOUNT_SID, "MessageStatus": state,
            "SmsStatus": state, "To": _twilio_address(channel, to_address),
            "From": _twilio_address(channel, from_address), "ApiVersion": "2010-04-01"}
    if error_code:
        form["ErrorCode"] = error_code
    return form


def _email_event(state: str, to_address: str, external_id: str, message_id, **extra) -> dict:
    """One SendGrid Event Webhook event; our message id rides in the custom args, as the SendGrid adapter sends it."""
    return {"email": to_address, "timestamp": int(get_clock().now().timestamp()), "event": state,
            "sg_event_id": "sbx-" + secrets.token_urlsafe(16), "sg_message_id": f"{external_id}.sandbox",
            "message_id": str(message_id), "smtp-id": f"<{external_id}@sandbox>", **extra}


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
                form = _status_form(channel, external_id, state, to_address, from_address)
                answers.append(_post_twilio(client, config, f"{TWILIO_STATUS_PATH}?m={message_id}", form).status_code)
        else:
            events = [_email_event(state, to_address, external_id, message_id,
                                   **({"response": "250 OK"} if state == "delivered" else {}))
                      for state in STATUS_SEQUENCE[channel]]
            answers.append(_post_events(client, app, events).status_code)
    if any(code != 200 for code in answers):
        log.warning("sandbox status callbacks for %s were answered %s", message_id, answers)
    else:
        _mark_outbox(db_session, external_id, STATUS_SEQUENCE[channel][-1])
    return answers


def _mark_outbox(db_session, external_id: str, status: str) -> None:
    """The sandbox outbox shows what the provider last reported, as a provider's own message log would; the
    business's open simulator pages hear of it after the commit."""
    from sqlalchemy import select

    from app.models import SandboxMessage
    from app.services.sandbox_outbox import announce

    for row in db_session.scalars(select(SandboxMessage).where(SandboxMessage.external_id == external_id)):
        row.status = status
        announce(db_session, row)
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


# -- what staff drive from the simulator page -----------------------------------------------------------------------
def auto_reports(db_session, business_id) -> bool:
    """Whether the provider's "sent, delivered" callbacks follow each sandbox send of this business (the default)."""
    from app.models import Business

    business = db_session.get(Business, business_id)
    settings = ((business.settings or {}).get(SETTINGS_KEY) or {}) if business is not None else {}
    return settings.get("autoReports", True) is not False


def set_auto_reports(db_session, business_id, on: bool) -> None:
    """Off: the business's sandbox sends stay "sent" until someone reports what happened (the caller commits)."""
    from app.models import Business

    business = db_session.get(Business, business_id)
    if business is None:
        raise DomainError("No such business.", code="NOT_FOUND", status=404)
    settings = dict(business.settings or {})
    settings[SETTINGS_KEY] = {**(settings.get(SETTINGS_KEY) or {}), "autoReports": bool(on)}
    business.settings = settings


def reports_for(row) -> tuple[str, ...]:
    """The reports that can still change an outbox row's message: a status never moves backwards, and system mail
    has no message of ours to report on."""
    from app.services.channels.status import moves_forward

    if row.kind != "debtor" or row.message_id is None or row.channel not in CHANNELS:
        return ()
    names = ("delivered", "failed") + (EMAIL_ONLY_REPORTS if row.channel == "email" else ())
    return tuple(name for name in names if moves_forward(row.status, REPORTS[name]))


def failure_reasons(channel: str) -> tuple[tuple[str, str], ...]:
    """(value, label) of the failures a provider reports on this channel, the first being the default."""
    if channel == "email":
        return tuple(EMAIL_DROPS.items())
    return tuple((code, f"{label} ({code})") for code, (_, label) in PHONE_FAILURES.items())


@dataclass(frozen=True)
class Reported:
    """What the app's webhook answered for a simulated report, and the status the outbox now shows."""

    http_status: int
    outbox_status: str | None


def report(app: Flask, db_session, row, event: str, *, reason: str | None = None) -> Reported:
    """Post the provider's report of `event` for an outbox row through the real, signed webhook: Twilio's status
    callback (`delivered`, or `undelivered`/`failed` with an error code) for texts, SendGrid's Event Webhook
    (`delivered`, `open`, `bounce`, `dropped`) for email. Conflict when the report can no longer apply."""
    if event not in REPORTS:
        raise ValidationError("Choose delivered, failed, opened or bounced.", field="event")
    if event not in reports_for(row):
        raise Conflict(f"The message is already {row.status}: a provider would not report {event} now.")
    channel, external_id, message_id = row.channel, row.external_id, row.message_id
    to_address, from_address = row.to_address, row.from_address
    db_session.commit()  # the webhook runs as its own request with its own session: hold nothing open
    config = app.config["CONFIG_OBJECT"]
    with _client(app) as client:
        if channel in PHONE_CHANNELS:
            code = None
            if event == "delivered":
                state = "delivered"
            else:
                code = reason if reason in PHONE_FAILURES else next(iter(PHONE_FAILURES))
                state = PHONE_FAILURES[code][0]
            form = _status_form(channel, external_id, state, to_address, from_address, error_code=code)
            response = _post_twilio(client, config, f"{TWILIO_STATUS_PATH}?m={message_id}", form)
        else:
            if event == "delivered":
                event_body = _email_event("delivered", to_address, external_id, message_id, response="250 OK")
            elif event == "opened":
                event_body = _email_event("open", to_address, external_id, message_id, useragent="Mozilla/5.0",
                                          ip="203.0.113.7", sg_machine_open=False)
            elif event == "bounced":
                event_body = _email_event("bounce", to_address, external_id, message_id, **HARD_BOUNCE)
            else:
                drop = reason if reason in EMAIL_DROPS else next(iter(EMAIL_DROPS))
                event_body = _email_event("dropped", to_address, external_id, message_id, reason=drop)
            response = _post_events(client, app, [event_body])
    if response.status_code != 200:
        log.warning("the simulated %s report for %s was answered %s", event, message_id, response.status_code)
        return Reported(response.status_code, None)
    _mark_outbox(db_session, external_id, REPORTS[event])
    return Reported(200, REPORTS[event])


def debtor_writes(app: Flask, db_session, business_id, *, channel: str, sender: str, body: str,
                  subject: str | None = None, replay_of: str | None = None) -> dict:
    """A debtor's message to the business's own address on `channel`, through the provider's real webhook, received
    at once (as the worker would moments later). Returns {messageId, conversationId, accountId, externalId,
    duplicate, unknownSender}; ValidationError names the field to fix."""
    from app.models import Business
    from app.services.timezones import normalize_e164

    if channel not in CHANNELS:
        raise ValidationError("Choose sms, whatsapp or email.", field="channel")
    sender = (sender or "").strip()
    if channel == "email":
        sender = sender.lower()
        if "@" not in sender or len(sender) > 255:
            raise ValidationError("Give the sender's email address.", field="from")
    else:
        sender = normalize_e164(sender.removeprefix("whatsapp:")) or ""
        if not sender:
            raise ValidationError("Give the sender's phone number.", field="from")
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write the debtor's message.", field="body")
    if len(body) > 10000:
        raise ValidationError("A message is limited to 10,000 characters.", field="body")
    subject = (subject or "").strip() or None
    if subject and len(subject) > 255:
        raise ValidationError("A subject is limited to 255 characters.", field="subject")
    business = db_session.get(Business, business_id) if business_id else None
    if business is None:
        raise ValidationError("The simulator sends to a business's address: sign in as its staff.", field="channel")
    ours = {"sms": business.sms_number, "whatsapp": business.whatsapp_number, "email": business.sender_email}[channel]
    if not ours:
        raise ValidationError(f"This business has no {channel} address.", field="channel")
    business_id = business.id
    existed = replay_of is not None and any(find_inbound(db_session, business_id, replay_of))
    db_session.commit()  # the webhook runs as its own request with its own session: hold nothing open

    result = simulate_inbound(app, channel=channel, from_address=sender, to_address=ours, body=body, subject=subject,
                              external_id=replay_of)
    if result["status"] != 200:
        error = (result["json"] or {}).get("error") or {}
        raise DomainError(error.get("message") or f"The provider webhook answered {result['status']}.",
                          code=error.get("code") or "BAD_REQUEST", status=result["status"])
    process_waiting(db_session, result["externalId"])  # a plain text the webhook left for the worker
    message, unmatched = find_inbound(db_session, business_id, result["externalId"])
    return {"messageId": str(message.id) if message else None,
            "conversationId": str(message.conversation_id) if message and message.conversation_id else None,
            "accountId": str(message.account_id) if message and message.account_id else None,
            "externalId": result["externalId"], "duplicate": existed, "unknownSender": unmatched is not None}
