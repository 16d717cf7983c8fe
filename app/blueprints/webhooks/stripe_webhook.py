"""POST /api/v1/webhooks/stripe: Stripe's events, signed with STRIPE_WEBHOOK_SECRET.

Handled inside the request, like SendGrid's events: applying one is a few conditional row updates, and answering
2xx only after the commit means a failure leaves Stripe retrying (for days) instead of losing the event. A bad
or missing signature, or a body that is not an event, is 400 (Stripe's convention) and nothing of it is stored."""
from __future__ import annotations

import json
import logging

from flask import current_app, request

from app.blueprints.api.envelope import ok
from app.blueprints.webhooks import bp
from app.blueprints.webhooks.common import bad_request
from app.extensions import db
from app.services.clock import get_clock
from app.services.payments import gateway, stripe_events

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300


def _verified_body() -> str:
    """The raw body once its signature checks out (the HMAC covers the exact bytes Stripe sent)."""
    raw = request.get_data(cache=True)
    secret = current_app.config["CONFIG_OBJECT"].STRIPE_WEBHOOK_SECRET
    try:
        payload = raw.decode("utf-8")
        gateway.verify_webhook(payload, request.headers.get(SIGNATURE_HEADER), secret, tolerance=TOLERANCE_SECONDS)
    except (UnicodeDecodeError, gateway.SignatureInvalid):
        log.warning("Stripe webhook refused: missing or invalid signature (from %s, %s)", request.remote_addr,
                    request.path, extra={"path": request.path})
        raise bad_request("The Stripe-Signature header is missing or invalid.") from None
    return payload


@bp.post("/stripe")
def stripe_event():
    """One event: stored once by its id, applied to our payment, committed, then 200 (a replay answers 200 too)."""
    payload = _verified_body()
    try:
        event = json.loads(payload)
    except ValueError:
        raise bad_request("The body is not valid JSON.") from None
    try:
        outcome = stripe_events.handle(db.session, event, now=get_clock().now())
    except stripe_events.MalformedEvent as exc:
        db.session.rollback()
        raise bad_request(str(exc)) from None
    db.session.commit()
    if outcome.duplicate:
        log.info("Stripe replayed event %s: already received", event.get("id"))
    return ok(outcome.as_json())
