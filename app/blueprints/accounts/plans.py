"""The Plans tab of the account file (PRD 4.4.4, FR-PAY-030/031): the open plan with its schedule and earlier
versions, the debtor's change requests to approve or decline, the staff changes (pause, resume, move the next
date, adjust the amount, extend, cancel with a confirm step) and, when there is no open plan, "Set up a plan" with
a live preview.

HTMX posts get the section back with inline errors; a request without HTMX gets the whole page. A stored change
answers with a redirect to the tab (HX-Redirect for HTMX), so the figures at the top of the page are read afresh.
The tab's content is built when the account file is rendered on it (the `plans_tab` template global), so the
account file's own view needs nothing of it; an error re-render leaves its state in `g.plans_state`."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.accounts import bp
from app.extensions import db
from app.models.payment import FREQUENCIES
from app.services.accounts import fields, records
from app.services.auth import permissions
from app.services.clock import get_clock
from app.services.errors import DomainError, ValidationError
from app.services.money import format_usd
from app.services.payments import one_time, plan_changes, plan_policy, plan_records
from app.services.payments.plan_records import NewPlan, PlanChange

CREATE_FIELDS = ("totalAmount", "downPayment", "numberOfInstallments", "frequency", "startDate", "notes")
ACTIONS = ("pause", "resume", "reschedule", "adjust", "extend", "cancel")
PLAN_TONES = {"pending": "pending", "active": "active", "paused": "escalated", "completed": "completed",
              "defaulted": "failed", "canceled": "closed"}
ROW_LABELS = {"scheduled": "Scheduled", "processing": "Being charged", "paid": "Paid", "failed": "Failed, retrying",
              "skipped": "Missed", "canceled": "Canceled"}
ROW_TONES = {"scheduled": "pending", "processing": "sent", "paid": "completed", "failed": "failed",
             "skipped": "payment_failed", "canceled": "closed"}
REQUEST_TONES = {"pending": "pending", "approved": "completed", "declined": "failed", "withdrawn": "closed"}


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


def section(account, now, *, values: dict | None = None, errors: dict | None = None,
            confirm_cancel: str | None = None, preview: dict | None = None) -> dict:
    """Everything the tab shows. `confirm_cancel` is the reason typed at the cancel step awaiting confirmation."""
    principal = g.principal
    plan = plan_records.open_plan(db.session, account.id)
    if plan is not None and plan.business_id != account.business_id:
        plan = None
    closed, _ = plan_records.list_plans(db.session, account, statuses=("completed", "defaulted", "canceled"),
                                        limit=10)
    can_create = permissions.scope(principal.role, "plans.create") in ("all", "within_policy")
    policy = plan_policy.get(db.session, account.business_id)
    available = one_time.available_amount(db.session, account)
    default_start = plan_records.earliest_start(now).isoformat()
    return {
        "plan": plan, "closed": closed,
        "rows": sorted(plan.installments, key=lambda r: r.number) if plan else [],
        "versions": plan_records.previous_schedules(plan) if plan else [],
        "requests": plan_changes.for_plan(db.session, plan) if plan else [],
        "can_change": permissions.scope(principal.role, "plans.approve_changes") == "all",
        "can_create": can_create and plan is None and available > 0,
        "within_policy": permissions.scope(principal.role, "plans.create") == "within_policy",
        "policy": policy, "available": available, "frequencies": FREQUENCIES,
        "frequency_labels": plan_policy.FREQUENCY_LABELS,
        "form": values or {"totalAmount": f"{available:.2f}" if available > 0 else "", "downPayment": "0.00",
                           "numberOfInstallments": "6", "frequency": "monthly", "startDate": default_start},
        "errors": errors or {}, "confirm_cancel": confirm_cancel, "preview": preview,
        "today": plan_records.earliest_start(now).isoformat(),
        "describe": plan_changes.describe, "plan_tones": PLAN_TONES, "row_labels": ROW_LABELS,
        "row_tones": ROW_TONES, "request_tones": REQUEST_TONES, "kind_labels": plan_changes.KIND_LABELS,
    }


@bp.app_template_global("plans_tab")
def plans_tab(account, now) -> dict:
    """The Plans tab's content for the account file (after an error, the state the failed post left)."""
    return g.get("plans_state") or section(account, now)


def _render(account, status: int = 200, **state):
    now = get_clock().now()
    g.plans_state = section(account, now, **state)
    if _is_htmx():
        return render_template("accounts/_plans.html", account=account, now=now), status
    from app.blueprints.accounts.views import account_page

    return account_page(account, "plans", now), status


def _done(account, message: str):
    flash(message, "success")
    target = url_for("accounts.show", account_id=account.id, tab="plans")
    if _is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


def _refuse(exc: DomainError):
    """Permission and lookup errors are pages, not inline errors."""
    db.session.rollback()
    if exc.status in (403, 404):
        raise exc


# -- setting one up ----------------------------------------------------------------------------------------------
def _new_plan(values: dict) -> NewPlan:
    count = values["numberOfInstallments"]
    if not count.isdigit() or int(count) < 1:
        raise ValidationError("Enter how many installments: a whole number of at least 1.",
                              field="numberOfInstallments")
    return NewPlan(total=fields.money(values["totalAmount"], "totalAmount"),
                   down_payment=fields.money(values["downPayment"], "downPayment") or Decimal("0.00"),
                   count=int(count), frequency=values["frequency"] or "monthly",
                   start=fields.date(values["startDate"], "startDate"), notes=values["notes"] or None)


def _create_values() -> dict:
    return {name: request.form.get(name, "").strip() for name in CREATE_FIELDS}


@bp.post("/<account_id>/plans/preview", endpoint="plan_preview")
@page_permission("plans.create")
def plan_preview(account_id):
    """The live preview under the set-up form: the schedule the values make, or what is wrong with them."""
    account = records.get_account(db.session, g.principal, account_id)
    values = _create_values()
    try:
        total, rows = plan_records.preview(db.session, g.principal, account, _new_plan(values),
                                           now=get_clock().now())
        result = {"total": total, "rows": rows}
    except DomainError as exc:
        _refuse(exc)
        result = {"error": exc.message}
    return render_template("accounts/_plan_preview.html", preview=result)


@bp.post("/<account_id>/plans", endpoint="create_plan")
@page_permission("plans.create")
def create_plan(account_id):
    """A pending plan the debtor then signs in the portal (agents within the plan policy)."""
    account = records.get_account(db.session, g.principal, account_id)
    values = _create_values()
    try:
        plan = plan_records.create(db.session, g.principal, account, _new_plan(values), now=get_clock().now(),
                                   **_client())
    except DomainError as exc:
        _refuse(exc)
        return _render(account, 400, values=values, errors={exc.field or "form": exc.message})
    db.session.commit()
    return _done(account, f"{format_usd(plan.total_amount)} plan set up: {plan.number_of_installments} "
                          f"{plan.frequency} installments of {format_usd(plan.installment_amount)}. The debtor "
                          f"signs the agreement in the portal.")


# -- changing one ------------------------------------------------------------------------------------------------
def _plan_change(action: str, form) -> PlanChange:
    if action == "pause":
        return PlanChange(status="paused")
    if action == "resume":
        return PlanChange(status="active")
    if action == "reschedule":
        day = fields.date(form.get("nextPaymentDate", "").strip(), "nextPaymentDate")
        if day is None:
            raise ValidationError("Choose the new date of the next payment.", field="nextPaymentDate")
        return PlanChange(next_payment_date=day)
    if action == "adjust":
        amount = fields.money(form.get("installmentAmount", "").strip(), "installmentAmount")
        if amount is None:
            raise ValidationError("Enter the new installment amount.", field="installmentAmount")
        return PlanChange(installment_amount=amount)
    if action == "extend":
        count = form.get("numberOfInstallments", "").strip()
        if not count.isdigit():
            raise ValidationError("Enter the number of installments in all, as a whole number.",
                                  field="numberOfInstallments")
        return PlanChange(count=int(count))
    return PlanChange(status="canceled", reason=form.get("reason", "").strip())


MESSAGES = {"pause": "Plan paused: nothing is charged until it is resumed.", "resume": "Plan resumed.",
            "reschedule": "Next payment moved.", "adjust": "Installment amount adjusted.",
            "extend": "Plan extended.", "cancel": "Plan canceled. The debtor has been told why."}


@bp.post("/<account_id>/plans/<plan_id>/change", endpoint="change_plan")
@page_permission("plans.approve_changes")
def change_plan(account_id, plan_id):
    """One staff change (form field `action`); cancel asks to confirm first."""
    account = records.get_account(db.session, g.principal, account_id)
    if g.permission_scope != "all":
        abort(403)
    plan = plan_records.get_plan(db.session, g.principal, plan_id)
    if plan.account_id != account.id:
        abort(404)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    try:
        change = _plan_change(action, request.form)
        if action == "cancel" and request.form.get("confirm") != "yes":
            if not change.reason:
                raise ValidationError("Give the reason for canceling the plan: the debtor is told it.",
                                      field="reason")
            if len(change.reason) > plan_records.MAX_REASON:
                raise ValidationError(f"The reason can be at most {plan_records.MAX_REASON} characters.",
                                      field="reason")
            return _render(account, confirm_cancel=change.reason)
        plan = plan_records.change(db.session, g.principal, plan.id, change, now=get_clock().now(), **_client())
    except DomainError as exc:
        _refuse(exc)
        return _render(account, 400, errors={action: exc.message}, values=None)
    db.session.commit()
    return _done(account, MESSAGES[action])


# -- the debtor's requests ---------------------------------------------------------------------------------------
def _request_plan(account, plan_id):
    if g.permission_scope != "all":
        abort(403)
    plan = plan_records.get_plan(db.session, g.principal, plan_id)
    if plan.account_id != account.id:
        abort(404)
    return plan


@bp.post("/<account_id>/plans/<plan_id>/requests/<request_id>/approve", endpoint="approve_plan_request")
@page_permission("plans.approve_changes")
def approve_plan_request(account_id, plan_id, request_id):
    account = records.get_account(db.session, g.principal, account_id)
    plan = _request_plan(account, plan_id)
    try:
        change = plan_changes.approve(db.session, g.principal, plan.id, request_id, now=get_clock().now(),
                                      **_client())
    except DomainError as exc:
        _refuse(exc)
        return _render(account, 400 if exc.status == 400 else 409, errors={f"request:{request_id}": exc.message})
    db.session.commit()
    return _done(account, f"Request approved: {plan_changes.describe(change).lower()}. The debtor has been told.")


@bp.post("/<account_id>/plans/<plan_id>/requests/<request_id>/decline", endpoint="decline_plan_request")
@page_permission("plans.approve_changes")
def decline_plan_request(account_id, plan_id, request_id):
    account = records.get_account(db.session, g.principal, account_id)
    plan = _request_plan(account, plan_id)
    reason = request.form.get("reason", "").strip()
    try:
        plan_changes.decline(db.session, g.principal, plan.id, request_id, reason, now=get_clock().now(),
                             **_client())
    except DomainError as exc:
        _refuse(exc)
        return _render(account, 400 if exc.status == 400 else 409,
                       errors={f"decline:{request_id}": exc.message, f"decline_value:{request_id}": reason})
    db.session.commit()
    return _done(account, "Request declined. The debtor has been told the reason.")
