"""PRD 7.5 payment plans: POST /api/v1/payment-plans (set one up), GET /api/v1/payment-plans?accountId= (an
account's plans), GET /api/v1/payment-plans/<id> (with its schedule, payments and earlier schedules) and PATCH
/api/v1/payment-plans/<id> (pause, resume, reschedule, adjust the amount, extend, cancel), and a debtor's change
requests: GET /api/v1/payment-plans/<id>/change-requests, POST .../change-requests/<rid>/approve and .../decline.

Business admins and managers set up any plan; agents within the business's plan policy (a plan outside it is a 400
naming the field); changes and decisions on requests are for business admins and managers (plan_records says
why)."""
from __future__ import annotations

from decimal import Decimal

from flask import g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.openapi import account_list_parameters, document
from app.blueprints.api.params import pagination
from app.extensions import db
from app.models.payment import FREQUENCIES, PLAN_STATUSES
from app.services.accounts import fields, records
from app.services.clock import get_clock
from app.services.errors import ValidationError
from app.services.payments import plan_changes, plan_records
from app.services.payments.plan_records import NewPlan, PlanChange

READERS = ("business_admin", "manager", "agent", "debtor")
MAX_NOTES = 2000


def _account_id(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("accountId is required.", field="accountId")
    return value.strip()


def _count(body: dict, *, required: bool) -> int | None:
    value = body.get("numberOfInstallments")
    if value is None:
        if required:
            raise ValidationError("numberOfInstallments is required.", field="numberOfInstallments")
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("numberOfInstallments must be a whole number of at least 1.",
                              field="numberOfInstallments")
    return value


def _frequency(body: dict) -> str:
    value = body.get("frequency", "monthly")
    frequency = value.strip().lower() if isinstance(value, str) else None
    if frequency not in FREQUENCIES:
        raise ValidationError("frequency must be weekly, biweekly or monthly.", field="frequency")
    return frequency


def _payment_method(body: dict) -> tuple[str | None, str]:
    for name in ("stripePaymentMethodId", "paymentMethodId"):
        value = body.get(name)
        if value is not None:
            if not isinstance(value, str) or not value.strip() or len(value) > 255:
                raise ValidationError(f"{name} must be the PaymentMethod id from Stripe.js.", field=name)
            return value.strip(), name
    return None, "stripePaymentMethodId"


def _new_plan(body: dict) -> NewPlan:
    method_id, method_field = _payment_method(body)
    return NewPlan(
        total=fields.money(body.get("totalAmount"), "totalAmount"),
        down_payment=fields.money(body.get("downPayment"), "downPayment") or Decimal("0.00"),
        count=_count(body, required=True), frequency=_frequency(body),
        start=fields.date(body.get("startDate"), "startDate"),
        installment_amount=fields.money(body.get("installmentAmount"), "installmentAmount"),
        auto_pay=bool(fields.boolean(body.get("autoPayEnabled"), "autoPayEnabled")),
        payment_method_id=method_id, payment_method_field=method_field,
        notes=optional_str(body, "notes", max_length=MAX_NOTES))


@bp.post("/payment-plans")
@api_auth(*READERS)
@idempotent
def create_payment_plan():
    """201 with the plan (status pending) and its schedule; 409 ACTIVE_PLAN when the account has an open plan."""
    body = json_body()
    account = records.get_account(db.session, g.principal, _account_id(body.get("accountId")))
    plan = plan_records.create(db.session, g.principal, account, _new_plan(body), now=get_clock().now(),
                               ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok(plan_records.plan_json(plan), status=201)


def _statuses() -> list[str]:
    wanted = [part.strip().lower() for value in request.args.getlist("status") for part in value.split(",")
              if part.strip()]
    if any(s not in PLAN_STATUSES for s in wanted):
        raise ValidationError(f"status must be one of {', '.join(PLAN_STATUSES)}.", field="status")
    return wanted


@bp.get("/payment-plans")
@api_auth(*READERS, action="accounts.view")
def list_payment_plans():
    """One account's plans, newest first, paginated."""
    account = records.get_account(db.session, g.principal, _account_id(request.args.get("accountId")))
    statuses = _statuses()
    page, limit = pagination()
    rows, total = plan_records.list_plans(db.session, account, statuses=statuses, page=page, limit=limit)
    staff = g.principal.role != "debtor"
    return ok([plan_records.plan_json(plan, staff=staff) for plan in rows], meta=page_meta(page, limit, total))


@bp.get("/payment-plans/<plan_id>")
@api_auth(*READERS, action="accounts.view")
def get_payment_plan(plan_id):
    """The plan with its schedule, the payments made on it and the schedules a reschedule replaced."""
    plan = plan_records.get_plan(db.session, g.principal, plan_id)
    return ok(plan_records.plan_json(plan, payments=plan_records.plan_payments(db.session, plan), versions=True,
                                     staff=g.principal.role != "debtor"))


def _change(body: dict) -> PlanChange:
    status = body.get("status")
    if status is not None and not isinstance(status, str):
        raise ValidationError("status must be paused, active or canceled.", field="status")
    return PlanChange(status=status.strip().lower() if status else None,
                      start=fields.date(body.get("startDate"), "startDate"),
                      next_payment_date=fields.date(body.get("nextPaymentDate"), "nextPaymentDate"),
                      count=_count(body, required=False),
                      installment_amount=fields.money(body.get("installmentAmount"), "installmentAmount"),
                      reason=optional_str(body, "reason", max_length=plan_records.MAX_REASON))


@bp.patch("/payment-plans/<plan_id>")
@api_auth(*READERS)
def update_payment_plan(plan_id):
    """Pause or resume (status), reschedule the unpaid part (nextPaymentDate, startDate, numberOfInstallments, or
    installmentAmount with the count following), or cancel (status canceled with a reason)."""
    plan = plan_records.change(db.session, g.principal, plan_id, _change(json_body()), now=get_clock().now(),
                               ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok(plan_records.plan_json(plan, payments=plan_records.plan_payments(db.session, plan), versions=True))


# -- a debtor's change requests ----------------------------------------------------------------------------------
def change_request_json(change) -> dict:
    return {"id": str(change.id), "planId": str(change.plan_id), "accountId": str(change.account_id),
            "kind": change.kind, "requestedDate": change.requested_date,
            "requestedAmount": change.requested_amount, "requestedCount": change.requested_count,
            "pausePeriods": change.pause_periods, "reason": change.reason, "status": change.status,
            "decidedById": str(change.decided_by_id) if change.decided_by_id else None,
            "decidedAt": change.decided_at, "decisionReason": change.decision_reason,
            "planVersion": change.plan_version, "resumesOn": change.resumes_on,
            "createdAt": change.created_at, "updatedAt": change.updated_at}


@bp.get("/payment-plans/<plan_id>/change-requests")
@api_auth(*READERS, action="accounts.view")
def list_change_requests(plan_id):
    """The plan's change requests, newest first."""
    plan = plan_records.get_plan(db.session, g.principal, plan_id)
    return ok([change_request_json(c) for c in plan_changes.for_plan(db.session, plan)])


@bp.post("/payment-plans/<plan_id>/change-requests/<request_id>/approve")
@api_auth(*READERS)
def approve_change_request(plan_id, request_id):
    """Apply the request (a new schedule version) and tell the debtor."""
    change = plan_changes.approve(db.session, g.principal, plan_id, request_id, now=get_clock().now(),
                                  ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    plan = plan_records.get_plan(db.session, g.principal, plan_id)
    return ok({**change_request_json(change), "plan": plan_records.plan_json(plan, versions=True)})


@bp.post("/payment-plans/<plan_id>/change-requests/<request_id>/decline")
@api_auth(*READERS)
def decline_change_request(plan_id, request_id):
    """Refuse the request with the reason the debtor is told."""
    body = json_body()
    change = plan_changes.decline(db.session, g.principal, plan_id, request_id,
                                  optional_str(body, "reason", max_length=plan_changes.MAX_REASON),
                                  now=get_clock().now(), ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok(change_request_json(change))


# -- OpenAPI -----------------------------------------------------------------------------------------------------
_MONEY = {"type": "number", "description": "Dollars with two decimals"}
_DATE = {"type": "string", "format": "date"}
_ROW = {"type": "object", "properties": {
    "installmentNumber": {"type": "integer", "description": "0 is the down payment, due on the start date"},
    "amount": _MONEY, "dueDate": _DATE,
    "status": {"enum": ["scheduled", "processing", "paid", "failed", "skipped", "canceled"]},
    "paidAt": {"type": ["string", "null"], "format": "date-time"}}}
_VERSION = {"type": "object", "properties": {
    "version": {"type": "integer"}, "replacedAt": {"type": "string", "format": "date-time"},
    "replacedById": {"type": ["string", "null"]}, "startDate": _DATE, "numberOfInstallments": {"type": "integer"},
    "installmentAmount": _MONEY, "nextPaymentDate": _DATE, "schedule": {"type": "array", "items": _ROW}}}
PLAN_SCHEMA = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "accountId": {"type": "string", "format": "uuid"},
    "totalAmount": _MONEY, "downPayment": _MONEY,
    "installmentAmount": {**_MONEY, "description": "Each installment; the last absorbs the rounding"},
    "numberOfInstallments": {"type": "integer"}, "frequency": {"enum": list(FREQUENCIES)}, "startDate": _DATE,
    "nextPaymentDate": _DATE, "status": {"enum": list(PLAN_STATUSES)},
    "pausedUntil": {**_DATE, "description": "A hardship pause: the day the plan resumes by itself"},
    "autoPayEnabled": {"type": "boolean"},
    "stripePaymentMethodId": {"type": ["string", "null"]}, "paymentsMade": {"type": "integer"},
    "amountPaid": _MONEY, "amountRemaining": _MONEY, "missedCount": {"type": "integer"},
    "agreementSigned": {"type": "boolean"}, "notes": {"type": ["string", "null"], "description": "Staff only"},
    "version": {"type": "integer", "description": "1, plus one per reschedule"},
    "schedule": {"type": "array", "items": _ROW},
    "payments": {"type": "array", "items": {"type": "object"},
                 "description": "GET and PATCH: the payments made on the plan (the PRD 7.5 payment shape)"},
    "previousSchedules": {"type": "array", "items": _VERSION,
                          "description": "GET and PATCH: the schedules reschedules replaced, oldest first"}}}
_PATH_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
_RESPONSE = {"content": {"application/json": {"schema": PLAN_SCHEMA}}}

document("/payment-plans", "post", "Set up a payment plan (Idempotency-Key supported)", tags=["payment plans"],
         parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
         request_body={"type": "object", "required": ["accountId", "numberOfInstallments"], "properties": {
             "accountId": {"type": "string", "format": "uuid"},
             "totalAmount": {**_MONEY, "description": "At most the balance less payments being processed (the "
                                                      "default); agents must cover all of it"},
             "downPayment": {**_MONEY, "default": 0, "description": "Due on the start date, when the debtor "
                                                                    "accepts"},
             "numberOfInstallments": {"type": "integer", "minimum": 1},
             "installmentAmount": {**_MONEY, "description": "Optional: checked against the computed amount"},
             "frequency": {"enum": list(FREQUENCIES), "default": "monthly"},
             "startDate": {**_DATE, "description": "Default today; the first installment is one period later"},
             "autoPayEnabled": {"type": "boolean", "default": False},
             "stripePaymentMethodId": {"type": "string", "description": "Card PaymentMethod id from Stripe.js; "
                                                                        "required if autoPayEnabled"},
             "paymentMethodId": {"type": "string", "description": "Same as stripePaymentMethodId"},
             "notes": {"type": "string", "maxLength": MAX_NOTES}}},
         responses={"201": {"description": "Created: the plan, status pending, with its schedule", **_RESPONSE},
                    "400": {"description": "VALIDATION_ERROR with field: amounts, count, frequency, start date, or "
                                           "(agents) outside the business's plan policy"},
                    "402": {"description": "PAYMENT_FAILED: the auto-pay card was declined"},
                    "403": {"description": "FORBIDDEN: a debtor (plans are accepted in the portal), an agent "
                                           "outside their queue"},
                    "404": {"description": "NOT_FOUND"},
                    "409": {"description": "ACTIVE_PLAN: the account has a pending, active or paused plan"}})
document("/payment-plans", "get", "List one account's payment plans", tags=["payment plans"],
         parameters=account_list_parameters(PLAN_STATUSES),
         responses={"200": {"description": "The plans, newest first", "content": {"application/json": {
             "schema": {"type": "array", "items": PLAN_SCHEMA}}}},
             "400": {"description": "VALIDATION_ERROR: accountId missing or status unknown"}})
document("/payment-plans/{id}", "get", "One payment plan with its schedule, payments and earlier schedules",
         tags=["payment plans"], parameters=[_PATH_ID],
         responses={"200": {"description": "The plan", **_RESPONSE}, "404": {"description": "NOT_FOUND"}})
document("/payment-plans/{id}", "patch", "Pause, resume, reschedule, adjust, extend or cancel a plan (business admins "
         "and managers)", tags=["payment plans"], parameters=[_PATH_ID],
         request_body={"type": "object", "properties": {
             "status": {"enum": ["paused", "active", "canceled"],
                        "description": "paused (an active plan), active (resume), canceled (with reason: what is "
                                       "not charged yet is canceled and the debtor told why)"},
             "reason": {"type": "string", "maxLength": plan_records.MAX_REASON,
                        "description": "Required with status canceled"},
             "installmentAmount": {**_MONEY, "description": "At most this per installment: the count of the unpaid "
                                                            "part follows (the fewest that fit, split evenly)"},
             "nextPaymentDate": {**_DATE, "description": "The first unpaid payment falls due on it, the rest one "
                                                         "period apart"},
             "startDate": {**_DATE, "description": "Only before anything is paid: the plan starts again on it"},
             "numberOfInstallments": {"type": "integer", "minimum": 1, "description": "The plan's installments in "
                                                                                     "all, paid ones included (more "
                                                                                     "extends the plan)"}}},
         responses={"200": {"description": "The plan after the change; a reschedule keeps paid installments and "
                                           "the replaced schedule in previousSchedules. No late fees are ever "
                                           "added, so there are none to waive", **_RESPONSE},
                    "400": {"description": "VALIDATION_ERROR with field"},
                    "403": {"description": "FORBIDDEN: agents and debtors"},
                    "404": {"description": "NOT_FOUND"},
                    "409": {"description": "CONFLICT: the plan is completed, defaulted or canceled, or the status "
                                           "change does not apply (only an active plan pauses)"}})

_CHANGE_REQUEST = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "planId": {"type": "string", "format": "uuid"},
    "accountId": {"type": "string", "format": "uuid"},
    "kind": {"enum": ["date_change", "amount_change", "hardship_pause"]},
    "requestedDate": {**_DATE, "description": "date_change: the new next payment date"},
    "requestedAmount": {**_MONEY, "description": "amount_change: at most this per installment"},
    "requestedCount": {"type": ["integer", "null"], "description": "amount_change: or this many installments in all"},
    "pausePeriods": {"type": ["integer", "null"], "description": "hardship_pause: payments skipped (1 to 3)"},
    "reason": {"type": "string", "description": "The debtor's reason"},
    "status": {"enum": ["pending", "approved", "declined", "withdrawn"]},
    "decidedById": {"type": ["string", "null"]}, "decidedAt": {"type": ["string", "null"], "format": "date-time"},
    "decisionReason": {"type": ["string", "null"], "description": "Why it was declined"},
    "planVersion": {"type": ["integer", "null"], "description": "The plan version the approval produced"},
    "resumesOn": {**_DATE, "description": "hardship_pause approved: the day the plan resumes by itself"}}}
_REQUEST_ID = {"name": "rid", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}

document("/payment-plans/{id}/change-requests", "get", "A plan's change requests from the debtor, newest first",
         tags=["payment plans"], parameters=[_PATH_ID],
         responses={"200": {"description": "The requests", "content": {"application/json": {
             "schema": {"type": "array", "items": _CHANGE_REQUEST}}}}, "404": {"description": "NOT_FOUND"}})
document("/payment-plans/{id}/change-requests/{rid}/approve", "post",
         "Approve a change request: the plan gets a new schedule version (business admins and managers)",
         tags=["payment plans"], parameters=[_PATH_ID, _REQUEST_ID],
         responses={"200": {"description": "The request, approved, with the plan after the change", "content": {
             "application/json": {"schema": {**_CHANGE_REQUEST, "properties": {
                 **_CHANGE_REQUEST["properties"], "plan": PLAN_SCHEMA}}}}},
             "400": {"description": "VALIDATION_ERROR: the request can no longer be applied as asked"},
             "403": {"description": "FORBIDDEN: agents and debtors"}, "404": {"description": "NOT_FOUND"},
             "409": {"description": "CONFLICT: already decided, or the plan is closed"}})
document("/payment-plans/{id}/change-requests/{rid}/decline", "post",
         "Decline a change request with the reason the debtor is told (business admins and managers)",
         tags=["payment plans"], parameters=[_PATH_ID, _REQUEST_ID],
         request_body={"type": "object", "required": ["reason"], "properties": {
             "reason": {"type": "string", "maxLength": plan_changes.MAX_REASON}}},
         responses={"200": {"description": "The request, declined", "content": {"application/json": {
             "schema": _CHANGE_REQUEST}}},
             "400": {"description": "VALIDATION_ERROR: reason missing"},
             "403": {"description": "FORBIDDEN: agents and debtors"}, "404": {"description": "NOT_FOUND"},
             "409": {"description": "CONFLICT: already decided"}})
