"""GET /api/v1/sandbox/messages: what the sandbox providers recorded for the caller's business."""
from flask import current_app, g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.params import pagination
from app.extensions import db
from app.services.errors import NotFound
from app.services.sandbox_outbox import list_messages, serialize

STAFF = ("business_admin", "manager", "agent", "super_admin")


@bp.get("/sandbox/messages")
@api_auth("business_admin", "manager", "super_admin")
def sandbox_messages():
    """Newest first; `to` filters by recipient (phones in E.164, emails case-insensitive)."""
    if not current_app.config["CONFIG_OBJECT"].sandbox:
        raise NotFound("The sandbox outbox exists only in sandbox mode.")
    page, limit = pagination(default_limit=50)
    rows, total = list_messages(db.session, g.principal, to=request.args.get("to"), page=page, limit=limit)
    return ok([serialize(r) for r in rows], meta=page_meta(page, limit, total))
