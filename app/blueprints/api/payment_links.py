"""POST /api/v1/accounts/<id>/payment-link: a portal link (purpose "payment") for the debtor, sent through the
outbound pipeline unless `send` is false. A send the gate blocks answers 422 COMPLIANCE_BLOCKED with its rules and
leaves the link revoked (it was never delivered, so nobody should be able to use it)."""
from __future__ import annotations

from flask import g

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body
from app.blueprints.api.envelope import error, ok
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.openapi import document
from app.extensions import db
from app.services.accounts import records
from app.services.clock import get_clock
from app.services.errors import ComplianceBlocked, ValidationError
from app.services.portal.payment_links import issue_payment_link

CHANNELS = ("sms", "email", "whatsapp")


def _address(account, channel: str) -> str | None:
    return account.email if channel == "email" else account.phone


def _channel(body: dict, account, send: bool) -> str | None:
    """The channel asked for, else the debtor's preferred one when it has an address, else texts, else email."""
    value = body.get("channel")
    if value is not None:
        if not isinstance(value, str) or value.strip().lower() not in CHANNELS:
            raise ValidationError("channel must be sms, email or whatsapp.", field="channel")
        channel = value.strip().lower()
        if send and not _address(account, channel):
            raise ValidationError(f"This account has no {'email address' if channel == 'email' else 'phone number'} "
                                  f"on file.", field="channel")
        return channel
    preferred = account.preferred_contact_method
    for channel in ([preferred] if preferred in CHANNELS else []) + ["sms", "email"]:
        if _address(account, channel):
            return channel
    if send:
        raise ValidationError("This account has no phone number or email address on file.", field="channel")
    return None


@bp.post("/accounts/<account_id>/payment-link")
@api_auth("business_admin", "manager", "agent", action="conversations.respond")
@idempotent
def create_payment_link(account_id):
    """201 {url, expiresAt, messageId, deliveryStatus}; 422 COMPLIANCE_BLOCKED when the gate stops the message."""
    account = records.get_account(db.session, g.principal, account_id)
    body = json_body()
    send = body.get("send", True)
    if not isinstance(send, bool):
        raise ValidationError("send must be true or false.", field="send")
    channel = _channel(body, account, send)
    issued = issue_payment_link(db.session, g.principal, account, channel=channel, now=get_clock().now(), send=send)
    link, url, outcome = issued.link, issued.url, issued.outcome
    db.session.commit()
    if outcome is not None and outcome.blocked:
        try:
            outcome.raise_if_blocked()
        except ComplianceBlocked as exc:
            return error(exc.code, exc.message, exc.status, **{"rules": [], **exc.extra,
                                                                 "messageId": str(outcome.message.id)})
    data = {"url": url, "expiresAt": link.expires_at, "messageId": str(outcome.message.id) if outcome else None,
            "deliveryStatus": outcome.message.delivery_status if outcome else None, "channel": channel}
    if outcome is not None and outcome.scheduled:
        data["scheduledFor"] = outcome.message.scheduled_for
    return ok(data, status=201)


document("/accounts/{id}/payment-link", "post",
         "Create a portal payment link for the debtor and send it (Idempotency-Key supported)", tags=["accounts"],
         parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
         request_body={"type": "object", "properties": {
             "channel": {"enum": list(CHANNELS)}, "send": {"type": "boolean", "default": True}}},
         responses={"201": {"description": "Created: {url, expiresAt, messageId, deliveryStatus}"},
                    "422": {"description": "COMPLIANCE_BLOCKED with the rules that stopped the message"}})
