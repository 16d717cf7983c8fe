"""Twilio's webhook shapes: an inbound SMS/WhatsApp form as our InboundMessage, a status callback as our status."""
from __future__ import annotations

import datetime as dt
import uuid

from app.blueprints.webhooks.common import bad_request
from app.services.timezones import normalize_e164

IGNORED_STATUSES = ("queued", "accepted", "scheduled", "sending", "receiving", "received")
FAILED_STATUSES = ("undelivered", "failed", "canceled")
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "read"}
OPT_OUT_ERROR = "21610"

# Texts for the codes a status callback most often carries without an ErrorMessage.
KNOWN_ERRORS = {
    "21211": "invalid 'To' phone number",
    "21408": "permission to send to this region is not enabled",
    "21610": "the recipient replied STOP (unsubscribed)",
    "21612": "this 'To' number cannot be reached from this 'From' number",
    "21614": "'To' is not a valid mobile number",
    "30001": "queue overflow",
    "30002": "account suspended",
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown error",
    "30032": "toll-free number has not been verified",
    "30034": "message from an unregistered number",
    "63016": "outside the WhatsApp 24-hour session window (use a template)",
}


def phone(value: str | None) -> str:
    """E.164 without Twilio's 'whatsapp:' prefix; numbers phonenumbers cannot place (short codes, the sandbox's
    555 numbers) are kept as sent so they still match the business or sender they belong to."""
    raw = (value or "").strip()
    raw = raw[len("whatsapp:"):] if raw.lower().startswith("whatsapp:") else raw
    return normalize_e164(raw) or raw


def inbound_message(channel: str, form, now: dt.datetime):
    """The form Twilio posts for an incoming message, as the pipeline's InboundMessage."""
    from app.services.channels.inbound import InboundMessage

    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    sender = phone(form.get("From"))
    recipient = phone(form.get("To"))
    if not sid:
        raise bad_request("MessageSid is required.")
    if not sender:
        raise bad_request("From is required.")
    if not recipient:
        raise bad_request("To is required.")
    return InboundMessage(channel=channel, from_address=sender, to_address=recipient, body=form.get("Body") or "",
                          external_id=sid, provider="twilio", received_at=now)


def status_reason(status: str, code: str | None, message: str | None) -> str:
    """'Twilio <code>: <text>' for people reading why a message failed."""
    text = (message or "").strip() or KNOWN_ERRORS.get(code or "") or f"message {status}"
    return f"Twilio {code}: {text}" if code else f"Twilio: {text}"


def message_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
