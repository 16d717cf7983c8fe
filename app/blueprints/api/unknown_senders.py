"""GET /api/v1/unknown-senders: messages from addresses that match no account of the caller's business."""
from flask import g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.openapi import document
from app.blueprints.api.params import pagination
from app.extensions import db
from app.models.conversation import CHANNELS
from app.services import unknown_senders
from app.services.errors import ValidationError


@bp.get("/unknown-senders")
@api_auth(*unknown_senders.STAFF)
def list_unknown_senders():
    """Newest first; `channel` filters, `resolved=true` includes the ones staff already dealt with."""
    page, limit = pagination()
    channel = request.args.get("channel")
    if channel and channel not in CHANNELS:
        raise ValidationError("channel must be sms, whatsapp, email or web_chat.", field="channel")
    rows, total = unknown_senders.list_for(db.session, g.principal, page=page, limit=limit, channel=channel,
                                           include_resolved=request.args.get("resolved") == "true")
    return ok([unknown_senders.serialize(r) for r in rows], meta=page_meta(page, limit, total))


document("/unknown-senders", "get", "Messages from addresses on no account (each got one reply naming the business)",
         tags=["Conversations"], parameters=[
             {"name": "channel", "in": "query", "schema": {"type": "string", "enum": list(CHANNELS)}},
             {"name": "resolved", "in": "query", "schema": {"type": "boolean"}}])
