"""Settings > Payment plans (settings.manage): the plan policy agents work within (smallest installment, longest
plan, smallest down payment, frequencies offered) and the three proposal templates, with what a sample balance
would be offered under the values in force. The service validates and audits; every field shows its own error."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.blueprints.access import page_permission
from app.blueprints.settings import bp
from app.extensions import db
from app.services.clock import get_clock
from app.services.errors import DomainError
from app.services.payments import plan_policy, plans
from app.services.payments.plan_policy import FREQUENCY_LABELS, TEMPLATE_KEYS
from app.models.payment import FREQUENCIES

SAMPLE_BALANCE = Decimal("1250.00")
"""The PRD's example debt: what the preview proposes for."""


def _field(service_field: str) -> str:
    """The service's field (templates.standard.downPercent, minInstallment) -> this form's input name."""
    if service_field.startswith("templates."):
        _, key, *rest = service_field.split(".")
        return f"{key}_{'months' if rest == ['months'] else 'down_percent'}" if key in TEMPLATE_KEYS else "form"
    return {"minInstallment": "min_installment", "maxMonths": "max_months", "minDownPercent": "min_down_percent",
            "frequencies": "frequencies"}.get(service_field, "form")


def _values(policy: plan_policy.PlanPolicy) -> dict:
    values = {"min_installment": f"{policy.min_installment:f}", "max_months": str(policy.max_months),
              "min_down_percent": plan_policy.percent_text(policy.min_down_percent),
              "frequencies": list(policy.frequencies)}
    for template in policy.templates:
        values[f"{template.key}_down_percent"] = plan_policy.percent_text(template.down_percent)
        values[f"{template.key}_months"] = str(template.months)
    return values


def _posted() -> dict:
    values = {name: (request.form.get(name) or "").strip()
              for name in ("min_installment", "max_months", "min_down_percent")}
    values["frequencies"] = [f for f in FREQUENCIES if request.form.get(f"frequency_{f}") == "on"]
    for key in TEMPLATE_KEYS:
        for part in ("down_percent", "months"):
            values[f"{key}_{part}"] = (request.form.get(f"{key}_{part}") or "").strip()
    return values


def _changes(values: dict) -> dict:
    """The form in the service's terms: an empty box returns that value to its default."""
    return {"minInstallment": values["min_installment"] or None, "maxMonths": values["max_months"] or None,
            "minDownPercent": values["min_down_percent"] or None, "frequencies": values["frequencies"],
            "templates": {key: {"downPercent": values[f"{key}_down_percent"] or None,
                                "months": values[f"{key}_months"] or None} for key in TEMPLATE_KEYS}}


def _page(policy, values, errors=None, status=200):
    preview = plans.proposals(policy, SAMPLE_BALANCE, frequency="monthly" if "monthly" in policy.frequencies
                              else policy.frequencies[0], start=get_clock().now().date())
    return render_template("settings/payment_plans.html", policy=policy, values=values, errors=errors or {},
                           form=FlaskForm(), frequencies=FREQUENCIES, frequency_labels=FREQUENCY_LABELS,
                           defaults=plan_policy.DEFAULTS, preview=preview, sample_balance=SAMPLE_BALANCE), status


@bp.get("/payment-plans", endpoint="payment_plans")
@page_permission("settings.manage")
def payment_plans_page():
    policy = plan_policy.get(db.session, g.principal.business_id)
    return _page(policy, _values(policy))


@bp.post("/payment-plans")
@page_permission("settings.manage")
def payment_plans_save():
    form = FlaskForm()
    policy = plan_policy.get(db.session, g.principal.business_id)
    values = _posted()
    if not form.validate_on_submit():
        return _page(policy, values, {"form": "The form expired: save again."}, 400)
    changes = _changes(values)
    errors = {_field(field): message for field, message in plan_policy.errors_of(changes, policy).items()}
    if not errors:
        try:
            plan_policy.update(db.session, g.principal, changes, get_clock().now())
        except DomainError as exc:
            db.session.rollback()
            errors = {_field(exc.field or ""): exc.message}
    if errors:
        return _page(policy, values, errors, 400)
    db.session.commit()
    flash("Payment plan settings saved.", "success")  # the service audits what changed
    return redirect(url_for("settings.payment_plans"))
