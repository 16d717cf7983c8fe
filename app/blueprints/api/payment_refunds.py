"""POST /api/v1/payments/<id>/refund: refund a payment whole or in part (business admins and managers)."""
from __future__ import annotations

from flask import g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str
from app.blueprints.api.envelope import ok
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.openapi import document
from app.extensions import db
from app.services.clock import get_clock
from app.services.payments import receipts, refunds
from app.services.payments.serialize import payment_json


@bp.post("/payments/<payment_id>/refund")
@api_auth(*refunds.ROLES)
@idempotent
def refund_payment(payment_id):
    """200 with the payment as it is after the refund (status refunded or partially_refunded)."""
    body = json_body()
    payment = refunds.refund(db.session, g.principal, payment_id, body.get("amount"), now=get_clock().now(),
                             reason=optional_str(body, "reason", max_length=refunds.MAX_REASON),
                             ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok(payment_json(payment, receipt_url=receipts.page_url(payment) if payment.receipt_number else None))


document("/payments/{id}/refund", "post", "Refund a payment in full or in part (Idempotency-Key supported)",
         tags=["payments"],
         parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
                     {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
         request_body={"type": "object", "properties": {
             "amount": {"type": "number", "minimum": 0.01,
                        "description": "Omit to refund everything not refunded yet"},
             "reason": {"type": "string", "maxLength": refunds.MAX_REASON}}},
         responses={"200": {"description": "The payment after the refund: refundedAmount and status "
                                           "(partially_refunded or refunded); the balance is back up"},
                    "400": {"description": "VALIDATION_ERROR (amount over what is left to refund)"},
                    "402": {"description": "PAYMENT_FAILED: Stripe refused the refund"},
                    "403": {"description": "FORBIDDEN: only managers and business admins refund"},
                    "404": {"description": "NOT_FOUND"},
                    "409": {"description": "CONFLICT: the payment has not succeeded or is refunded already"}})
