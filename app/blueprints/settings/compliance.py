"""The business's compliance settings (settings.manage): caps only lower than the platform's, a contact window only
narrower than 08:00-21:00, safe-harbor switches, and the business facts the required texts need. The service
validates and audits; this page shows its errors on the fields they name."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField, TimeField
from wtforms.validators import Length, NumberRange, Optional

from app.blueprints.access import page_permission
from app.blueprints.settings import bp
from app.extensions import db
from app.services.auth import permissions
from app.services.clock import get_clock
from app.services.compliance import settings as compliance_settings
from app.services.errors import DomainError

CAP_FIELDS = {rule: "cap_" + rule.lower().replace("-", "_").replace(":", "_")
              for rule in compliance_settings.CAP_DEFAULTS}
"""Cap rule id -> form field name (FREQ-7:60m -> cap_freq_7_60m)."""

DEFAULT_ATTORNEY_WAIT = compliance_settings.ComplianceSettings().attorney_wait_days
SWITCHES = (
    ("consent3_blocking", "Block email outside the Reg F safe harbor (CONSENT-3, D-10)",
     "Off, an email to an address we did not obtain by a Reg F procedure goes out and the issue is recorded as a "
     "warning; on, it is blocked."),
    ("consent4_blocking", "Hold texts until the reassigned-numbers check is fresh (CONSENT-4, D-10)",
     "Off, a text to a number the debtor has not texted from in 60 days goes with a warning; on, it waits until a "
     "reassigned-numbers check clears the number."),
    ("tp5_blocking", "Require neutral previews (TP-5, D-18)",
     "On, an email subject, sender name or first 40 characters of a text that mention debt or collection must be "
     "rewritten before sending; off, it is a warning."),
    ("nyc_blocking", "Block electronic messages to NYC consumers without NYC consent (STATE-NYC-1, D-18)",
     "On, SMS, WhatsApp and email to New York City consumers need documented NYC consent; off, they go with a "
     "warning."),
    ("time7_blocking", "Hold messages on Sundays and federal holidays (TIME-7)",
     "On, a message that would arrive on a Sunday or a US federal holiday in the debtor's zone waits for the next "
     "day; off, it goes with a warning."),
    ("freq7_enabled", "Limit bursts of messages (FREQ-7, D-11)",
     "On, at most one message per channel per hour and two per local day across channels reach a debtor; later "
     "ones wait."),
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ComplianceSettingsForm(FlaskForm):
    window_start = TimeField("Contact window starts", validators=[Optional()])
    window_end = TimeField("Contact window ends", validators=[Optional()])
    attorney_wait_days = IntegerField("Days to wait for an attorney's answer", validators=[
        Optional(), NumberRange(min=1, max=90, message="Between 1 and 90 days.")])
    dispute_address = TextAreaField("Dispute mailing address", filters=[_strip], validators=[Optional(),
                                                                                            Length(max=500)])
    ca_license_no = StringField("California licence number", filters=[_strip], validators=[Optional(),
                                                                                           Length(max=50)])
    support_phone = StringField("Support phone", filters=[_strip], validators=[Optional(), Length(max=40)])
    support_email = StringField("Support email", filters=[_strip], validators=[Optional(), Length(max=255)])


for _rule, _name in CAP_FIELDS.items():
    setattr(ComplianceSettingsForm, _name, IntegerField(
        f"{_rule}: {compliance_settings.CAP_MEANING[_rule]}",
        validators=[Optional(), NumberRange(min=1, message="At least 1 (stop using the channel instead).")]))
for _name, _label, _ in SWITCHES:
    setattr(ComplianceSettingsForm, _name, BooleanField(_label))


def _initial(current: compliance_settings.ComplianceSettings) -> dict:
    data = {CAP_FIELDS[rule]: limit for rule, limit in current.caps.items() if rule in CAP_FIELDS}
    data.update(window_start=current.window_start, window_end=current.window_end,
                attorney_wait_days=current.attorney_wait_days, dispute_address=current.dispute_address,
                ca_license_no=current.ca_license_no, support_phone=current.support_phone,
                support_email=current.support_email)
    data.update({name: getattr(current, name) for name, _, _ in SWITCHES})
    return data


def _changes(form: ComplianceSettingsForm, current: compliance_settings.ComplianceSettings) -> dict:
    """What the form changes, in the service's terms; an empty field returns to the platform default, and a value
    equal to what is in force is left out (so saving an untouched page changes and audits nothing)."""
    changes: dict = {}
    caps = {}
    for rule, name in CAP_FIELDS.items():
        value = getattr(form, name).data
        if value != current.caps.get(rule):
            caps[rule] = value
    if caps:
        changes["caps"] = caps
    for edge, bound in (("window_start", compliance_settings.WINDOW_START),
                        ("window_end", compliance_settings.WINDOW_END)):
        value = getattr(form, edge).data
        if (value or bound) != getattr(current, edge):
            changes[edge] = value.strftime("%H:%M") if value and value != bound else None
    wait = form.attorney_wait_days.data
    if (wait or DEFAULT_ATTORNEY_WAIT) != current.attorney_wait_days:
        changes["attorney_wait_days"] = wait if wait and wait != DEFAULT_ATTORNEY_WAIT else None
    for name in ("dispute_address", "ca_license_no", "support_phone", "support_email"):
        value = getattr(form, name).data or None
        if value != getattr(current, name):
            changes[name] = value
    for name, _, _ in SWITCHES:
        value = bool(getattr(form, name).data)
        if value != getattr(current, name):
            changes[name] = value
    return changes


def _field_for(field: str | None) -> str | None:
    """The service's field name (caps.FREQ-2, window_start) -> this form's."""
    if not field:
        return None
    if field.startswith("caps."):
        return CAP_FIELDS.get(field[5:])
    return field


def _page(form, current, status=200, **extra):
    return render_template("settings/compliance.html", form=form, current=current,
                           defaults=compliance_settings.CAP_DEFAULTS, cap_fields=CAP_FIELDS, switches=SWITCHES,
                           window=(compliance_settings.WINDOW_START, compliance_settings.WINDOW_END), **extra), status


@bp.get("/compliance", endpoint="compliance")
@page_permission("settings.manage")
def compliance_page():
    current = compliance_settings.get(db.session, g.principal.business_id)
    return _page(ComplianceSettingsForm(formdata=None, data=_initial(current)), current)


@bp.post("/compliance")
@page_permission("settings.manage")
def compliance_save():
    current = compliance_settings.get(db.session, g.principal.business_id)
    form = ComplianceSettingsForm()
    if not form.validate_on_submit():
        return _page(form, current, 400, error="Check the highlighted fields.")
    try:
        compliance_settings.update(db.session, g.principal, _changes(form, current), get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, _field_for(exc.field) or "", None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, exc.message]
            return _page(form, current, 400, error="Check the highlighted fields.")
        return _page(form, current, 400, error=exc.message)
    db.session.commit()
    flash("Compliance settings saved.", "success")  # the service audits what changed
    return redirect(url_for("settings.compliance"))

