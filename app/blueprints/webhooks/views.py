"""Provider webhook routes: verify the provider's signature, turn its payload into our terms, hand it to the inbound
pipeline or the status service, commit, and answer what the provider expects.

A request that fails its signature check is refused (403) and logged with its address and path, never its body,
and nothing of it is stored."""
from __future__ import annotations

import json
import logging

from flask import Response, abort, current_app, request

from app.blueprints.api.envelope import ok
from app.blueprints.webhooks import bp, sendgrid, sendgrid_events, twilio
from app.blueprints.webhooks.common import bad_request
from app.extensions import db
from app.services.channels import signatures
from app.services.clock import get_clock
from app.services.errors import Forbidden

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_INBOUND_PARSE_BYTES = 12 * 1024 * 1024
INBOUND_PARSE_ENDPOINT = "webhooks.sendgrid_inbound"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@bp.before_request
def _limit_body():
    """1 MB per webhook (12 MB for inbound mail with attachments), refused before anything reads the body."""
    inbound_mail = request.endpoint == INBOUND_PARSE_ENDPOINT
    limit = MAX_INBOUND_PARSE_BYTES if inbound_mail else MAX_BODY_BYTES
    request.max_content_length = limit
    request.max_form_memory_size = limit  # per text part; inbound mail's text is limited as a whole later
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def _config():
    return current_app.config["CONFIG_OBJECT"]


def _refuse(provider: str):
    log.warning("%s webhook refused: missing or invalid signature (from %s, %s)", provider, request.remote_addr,
                request.path, extra={"path": request.path})
    raise Forbidden("The request signature is missing or invalid.")


def _check_twilio_signature() -> None:
    config = _config()
    url = signatures.twilio_url(config.PUBLIC_URL, request.full_path)
    if not signatures.twilio_valid(config.TWILIO_AUTH_TOKEN, url, request.form,
                                   request.headers.get("X-Twilio-Signature")):
        _refuse("Twilio")


def _twiml() -> Response:
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


# -- Twilio ----------------------------------------------------------------------------------------------------------
@bp.post("/twilio/sms")
def twilio_sms():
    """An SMS from a debtor (or anyone) to one of our numbers."""
    return _twilio_inbound("sms")


@bp.post("/twilio/whatsapp")
def twilio_whatsapp():
    """A WhatsApp message to one of our WhatsApp senders."""
    return _twilio_inbound("whatsapp")


def _twilio_inbound(channel: str) -> Response:
    from app.services.channels.inbound import accept

    _check_twilio_signature()
    now = get_clock().now()
    inbound = twilio.inbound_message(channel, request.form, now)
    received = accept(db.session, inbound, now)
    if getattr(received, "duplicate", False):
        log.info("Twilio replayed message %s: already received", inbound.external_id)
    return _twiml()


@bp.post("/twilio/status")
@bp.post("/twilio/sms/status")
def twilio_status():
    """Twilio's word on a message we sent; our id travels in the callback URL (?m=)."""
    from app.services.channels import status as statuses
    from app.services.channels.optouts import provider_opt_out

    _check_twilio_signature()
    form = request.form
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    state = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or not state:
        raise bad_request("MessageSid and MessageStatus are required.")
    if state in twilio.IGNORED_STATUSES:
        return ok({"applied": False, "status": state})
    if state in twilio.STATUS_MAP:
        status, reason, code = twilio.STATUS_MAP[state], None, None
    elif state in twilio.FAILED_STATUSES:
        code = (form.get("ErrorCode") or "").strip() or None
        status, reason = "failed", twilio.status_reason(state, code, form.get("ErrorMessage"))
    else:
        log.info("Twilio status %r ignored for %s", state[:40], sid)
        return ok({"applied": False, "status": state})
    now = get_clock().now()
    message = statuses.apply(db.session, status=status, at=now, provider="twilio", external_id=sid,
                             message_id=twilio.message_uuid(request.args.get("m")), reason=reason, error_code=code)
    if message is None:
        log.info("Twilio status for a message we do not know (%s)", sid)
    elif code == twilio.OPT_OUT_ERROR:
        address = message.to_address or twilio.phone(form.get("To"))
        provider_opt_out(db.session, business_id=message.business_id, channel=message.channel, address=address,
                         reason=reason, at=now, rule_id="OPT-2")
    db.session.commit()
    return ok({"applied": message is not None, "status": status})


# -- SendGrid --------------------------------------------------------------------------------------------------------
@bp.post("/sendgrid/inbound")
def sendgrid_inbound():
    """Inbound Parse: a mail to one of our sender addresses, behind basic auth (Parse itself signs nothing)."""
    from app.services.channels.inbound import receive_committed

    config = _config()
    if not signatures.basic_auth_valid(request.authorization, signatures.INBOUND_PARSE_USER,
                                       config.SENDGRID_INBOUND_SECRET):
        _refuse("SendGrid Inbound Parse")
    if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        raise bad_request("Inbound Parse posts multipart/form-data.")
    now = get_clock().now()
    try:
        inbound = sendgrid.inbound_message(db.session, request.form, request.files, now)
    except sendgrid.TooLarge:
        abort(413)
    received = receive_committed(db.session, inbound, now)
    return ok({"received": True, "duplicate": bool(getattr(received, "duplicate", False))})


@bp.post("/sendgrid/events")
@bp.post("/sendgrid")
def sendgrid_event_batch():
    """Event Webhook: a JSON array of delivery and engagement events, ECDSA-signed over timestamp + raw body."""
    payload = request.get_data(as_text=True)
    keys = signatures.event_public_keys(_config(), current_app.instance_path)
    if not signatures.event_valid(payload, request.headers.get(signatures.EVENT_SIGNATURE_HEADER),
                                  request.headers.get(signatures.EVENT_TIMESTAMP_HEADER), keys):
        _refuse("SendGrid events")
    try:
        events = json.loads(payload)
    except ValueError:
        raise bad_request("The body is not valid JSON.") from None
    if not isinstance(events, list):
        raise bad_request("The body must be a JSON array of events.")
    counts = sendgrid_events.process(db.session, events, get_clock().now())
    db.session.commit()
    return ok(counts)
