"""The sandbox simulator's API (sandbox mode only): the outbox the sandbox providers recorded, messages from a
debtor played through the real provider webhooks, and provider outages."""
import datetime as dt

from flask import current_app, g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str, required_str
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.openapi import document
from app.blueprints.api.params import pagination
from app.extensions import db
from app.services.channels import simulator
from app.services.channels.sandbox import set_outage
from app.services.clock import get_clock
from app.services.errors import NotFound, ValidationError
from app.services.sandbox_outbox import list_messages, serialize

SIMULATOR_ROLES = ("business_admin", "manager", "super_admin")
CHANNELS = ("sms", "whatsapp", "email")
MAX_OUTAGE_SECONDS = 24 * 60 * 60


def _require_sandbox(what: str) -> None:
    if not current_app.config["CONFIG_OBJECT"].sandbox:
        raise NotFound(f"{what} exists only in sandbox mode.")


def _channel(body: dict) -> str:
    channel = required_str(body, "channel")
    if channel not in CHANNELS:
        raise ValidationError("Choose sms, whatsapp or email.", field="channel")
    return channel


@bp.get("/sandbox/messages")
@api_auth(*SIMULATOR_ROLES)
def sandbox_messages():
    """Newest first; `to` filters by recipient (phones in E.164, emails case-insensitive)."""
    _require_sandbox("The sandbox outbox")
    page, limit = pagination(default_limit=50)
    rows, total = list_messages(db.session, g.principal, to=request.args.get("to"), page=page, limit=limit)
    return ok([serialize(r) for r in rows], meta=page_meta(page, limit, total))


@bp.post("/sandbox/inbound")
@api_auth(*SIMULATOR_ROLES)
def sandbox_inbound():
    """A debtor's message to the business's sender address, posted through the provider's real webhook."""
    _require_sandbox("The simulator")
    body = json_body()
    result = simulator.debtor_writes(current_app._get_current_object(), db.session, g.principal.business_id,
                                     channel=required_str(body, "channel"),
                                     sender=required_str(body, "from", max_length=255),
                                     body=required_str(body, "body", max_length=10000),
                                     subject=optional_str(body, "subject", max_length=255),
                                     replay_of=optional_str(body, "externalId", max_length=255))
    return ok(result, status=201)


@bp.post("/sandbox/outage")
@api_auth(*SIMULATOR_ROLES)
def sandbox_outage():
    """Make the sandbox provider of a channel answer like a provider that is down (5xx) until `seconds` from now;
    0 ends an outage."""
    _require_sandbox("The simulator")
    body = json_body()
    channel = _channel(body)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= MAX_OUTAGE_SECONDS:
        raise ValidationError(f"seconds must be a number from 0 to {MAX_OUTAGE_SECONDS}.", field="seconds")
    until = get_clock().now() + dt.timedelta(seconds=seconds)
    set_outage(db.session, channel, until)
    db.session.commit()
    return ok({"channel": channel, "until": until})


_T = ["sandbox"]
document("/sandbox/inbound", "post", "Play a debtor's message through the provider's real webhook (sandbox mode only): "
         "201 {messageId, conversationId, accountId, externalId, duplicate, unknownSender}", tags=_T,
         request_body={"type": "object", "required": ["channel", "from", "body"], "properties": {
             "channel": {"enum": list(CHANNELS)}, "from": {"type": "string"}, "body": {"type": "string"},
             "subject": {"type": "string"},
             "externalId": {"type": "string", "description": "a provider id already used: replays that message"}}},
         responses={"201": {"description": "Received (or a duplicate of an earlier message)"}})
document("/sandbox/outage", "post", "Make a channel's sandbox provider fail like a provider that is down, until "
         "`seconds` from now (0 ends it; sandbox mode only)", tags=_T,
         request_body={"type": "object", "required": ["channel", "seconds"], "properties": {
             "channel": {"enum": list(CHANNELS)},
             "seconds": {"type": "number", "minimum": 0, "maximum": MAX_OUTAGE_SECONDS}}})
