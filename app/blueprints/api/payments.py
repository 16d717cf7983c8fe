"""PRD 7.5 payments: POST /api/v1/payments (a card or bank payment charged through Stripe, or a check, cash, money
order or other payment staff record) and GET /api/v1/payments?accountId=&status= (one account's payments).

A debtor pays on their own account; business admins, managers and agents may take a payment for the debtor on an
account they can see (an agent: their queue). The card itself never reaches us: the body carries the PaymentMethod
id Stripe.js made."""
from __future__ import annotations

from flask import g, request
from sqlalchemy import func, select

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str
from app.blueprints.api.envelope import error, ok, page_meta
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.openapi import account_list_parameters, document
from app.blueprints.api.params import pagination
from app.extensions import db
from app.models import Payment
from app.models.payment import PAYMENT_METHODS, PAYMENT_STATUSES
from app.services.accounts import records
from app.services.clock import get_clock
from app.services.errors import ValidationError
from app.services.payments import one_time, receipts
from app.services.payments.serialize import payment_json

PAYERS = ("debtor", "business_admin", "manager", "agent")
CHARGED = one_time.METHODS
RECORDED = tuple(m for m in PAYMENT_METHODS if m not in CHARGED)


def _json(payment: Payment) -> dict:
    return payment_json(payment, receipt_url=receipts.page_url(payment) if payment.receipt_number else None)


def _method(body: dict) -> str:
    value = body.get("paymentMethod", "card")
    method = value.strip().lower() if isinstance(value, str) else None
    if method not in PAYMENT_METHODS:
        raise ValidationError(f"paymentMethod must be one of {', '.join(PAYMENT_METHODS)}.", field="paymentMethod")
    return method


def _account_id(body: dict):
    value = body.get("accountId")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("accountId is required.", field="accountId")
    return value.strip()


def _payment_method_id(body: dict) -> str:
    for name in ("stripePaymentMethodId", "paymentMethodId"):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, str) or not value.strip() or len(value) > 255:
                raise ValidationError(f"{name} must be the PaymentMethod id from Stripe.js.", field=name)
            return value.strip()
    raise ValidationError("A payment method is required: send stripePaymentMethodId (from Stripe.js).",
                          field="stripePaymentMethodId")


@bp.post("/payments")
@api_auth(*PAYERS)
@idempotent
def create_payment():
    """201 with the payment (status succeeded, processing, or requires_action with clientSecret for Stripe.js's
    confirmCardPayment); 402 PAYMENT_FAILED with the decline reason; 409 CONFLICT while another payment holds the
    amount."""
    body = json_body()
    account = records.get_account(db.session, g.principal, _account_id(body))
    method = _method(body)
    amount = one_time.parse_amount(body.get("amount"))
    now = get_clock().now()
    if method in RECORDED:
        return _record_manual(body, account, amount, method, now)
    staff = g.principal.role != "debtor"
    result = one_time.start(
        db.session, account, amount, method=method, payment_method_id=_payment_method_id(body), now=now,
        by_user_id=g.principal.user_id if staff else None, ip=request.remote_addr,
        user_agent=request.user_agent.string, idempotency_key=(request.headers.get("Idempotency-Key") or "").strip()
        or None, description=optional_str(body, "description", max_length=500))
    if result.status == "failed":
        return error("PAYMENT_FAILED", result.error or "The payment failed.", 402, paymentId=str(result.payment.id))
    data = _json(result.payment)
    if result.status == "requires_action":
        data["clientSecret"] = result.client_secret
    return ok(data, status=201)


def _record_manual(body: dict, account, amount, method: str, now):
    """A check, cash, money order or other payment received outside Stripe, recorded by staff."""
    from app.services.payments import manual

    payment = manual.record_manual(
        db.session, g.principal, account.id, amount, method, reference=body.get("reference"),
        note=body.get("notes", body.get("note")), received_on=body.get("receivedOn"), now=now,
        ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok(_json(payment), status=201)


def _statuses() -> list[str]:
    wanted = [part.strip().lower() for value in request.args.getlist("status") for part in value.split(",")
              if part.strip()]
    unknown = [s for s in wanted if s not in PAYMENT_STATUSES]
    if unknown:
        raise ValidationError(f"status must be one of {', '.join(PAYMENT_STATUSES)}.", field="status")
    return wanted


@bp.get("/payments")
@api_auth(*PAYERS, action="accounts.view")
def list_payments():
    """One account's payments, newest first, paginated."""
    account_id = (request.args.get("accountId") or "").strip()
    if not account_id:
        raise ValidationError("accountId is required.", field="accountId")
    account = records.get_account(db.session, g.principal, account_id)
    statuses = _statuses()
    page, limit = pagination()
    query = select(Payment).where(Payment.business_id == account.business_id, Payment.account_id == account.id)
    if statuses:
        query = query.where(Payment.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Payment.created_at.desc(), Payment.id.desc())
                              .offset((page - 1) * limit).limit(limit)).all()
    return ok([_json(p) for p in rows], meta=page_meta(page, limit, total))


PAYMENT_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "accountId": {"type": "string", "format": "uuid"},
    "amount": {"type": "number"}, "currency": {"type": "string"},
    "status": {"enum": list(PAYMENT_STATUSES) + ["requires_action"]},
    "paymentMethod": {"enum": list(PAYMENT_METHODS)},
    "cardBrand": {"type": "string", "description": "Stripe's card brand code (visa, mastercard...); only when known"},
    "bankName": {"type": "string", "description": "The bank of a bank debit (ach); only when known"},
    "last4": {"type": "string", "description": "Last 4 digits of the card or bank account; only when known"},
    "refundedAmount": {"type": "number"},
    "receiptNumber": {"type": ["string", "null"]}, "receiptUrl": {"type": ["string", "null"]},
    "balanceAfter": {"type": ["number", "null"]}, "failureReason": {"type": ["string", "null"]},
    "clientSecret": {"type": "string", "description": "Only with status requires_action: for confirmCardPayment"},
    "createdAt": {"type": "string", "format": "date-time"}}}

document("/payments", "post", "Make a one-time payment, or record one received outside Stripe (Idempotency-Key "
         "supported)", tags=["payments"],
         parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
         request_body={"type": "object", "required": ["accountId", "amount"], "properties": {
             "accountId": {"type": "string", "format": "uuid"},
             "amount": {"type": ["number", "string"], "description": "Dollars, at most two decimal places; from "
                                                                    "$1.00 to the balance"},
             "paymentMethod": {"enum": list(PAYMENT_METHODS), "default": "card"},
             "stripePaymentMethodId": {"type": "string", "description": "PaymentMethod id from Stripe.js (card, "
                                                                        "ach)"},
             "paymentMethodId": {"type": "string", "description": "Same as stripePaymentMethodId"},
             "description": {"type": "string", "maxLength": 500},
             "reference": {"type": "string", "description": "Check or money order number (recorded methods)"},
             "notes": {"type": "string", "description": "Recorded methods"},
             "receivedOn": {"type": "string", "format": "date", "description": "Recorded methods"}}},
         responses={"201": {"description": "Created: the payment (succeeded, processing, or requires_action with "
                                           "clientSecret)",
                            "content": {"application/json": {"schema": PAYMENT_SCHEMA}}},
                    "400": {"description": "VALIDATION_ERROR with field (amount outside $1..balance, more than two "
                                           "decimals, no payment method)"},
                    "402": {"description": "PAYMENT_FAILED: declined, with the reason in the message"},
                    "403": {"description": "FORBIDDEN (a debtor recording a check, an agent outside their queue)"},
                    "404": {"description": "NOT_FOUND"},
                    "409": {"description": "CONFLICT: another payment in flight holds the amount"}})
document("/payments", "get", "List one account's payments", tags=["payments"],
         parameters=account_list_parameters(PAYMENT_STATUSES),
         responses={"200": {"description": "The payments, newest first",
                            "content": {"application/json": {"schema": {"type": "array", "items": PAYMENT_SCHEMA}}}},
                    "400": {"description": "VALIDATION_ERROR: accountId missing or status unknown"}})
