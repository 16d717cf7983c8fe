"""The account file's Compliance tab forms. Each form has its own prefix (its section, plus the item for per-row
forms), so field names and ids never collide on the page; service errors land on the field of the same name."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, HiddenField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, TimeField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.account import EMAIL_PROVENANCES
from app.services.clock import get_clock
from app.services.compliance import account_records as records
from app.services.timezones import is_valid_zone

WEEKDAYS = (("0", "Mon"), ("1", "Tue"), ("2", "Wed"), ("3", "Thu"), ("4", "Fri"), ("5", "Sat"), ("6", "Sun"))
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "Email"}
SOURCE_LABELS = {"oral": "Orally (call recording)", "written": "In writing (signed document)",
                 "web": "Web form (IP address)", "creditor_attested": "Attested by the creditor",
                 "portal": "Debtor's portal"}
VIA_LABELS = {"voice": "By phone", "mail": "By mail", "in_person": "In person"}
CEASE_CHANNEL_LABELS = {"mail": "Mail", "email": "Email", "sms": "SMS", "whatsapp": "WhatsApp", "web_chat": "Web chat",
                        "fax": "Fax", "in_person": "Handed over in person"}
DISPUTE_CHANNEL_LABELS = {"mail": "Mail", "email": "Email", "sms": "SMS", "whatsapp": "WhatsApp",
                          "web_chat": "Web chat", "portal": "Portal", "voice": "Phone call"}
PROVENANCE_LABELS = {
    "consumer_emailed": "The debtor emailed us from it about the debt",
    "consumer_consent": "The debtor gave it to us with consent",
    "creditor_notice": "Creditor notice with a 35-day opt-out window",
    "prior_collector": "The prior collector used it",
    "other": "Other (outside the Reg F safe harbor)",
}


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _today() -> dt.date:
    return get_clock().now().date()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _past(form, field):
    """Dates may be today (anywhere on earth) but not later."""
    if field.data and isinstance(field.data, dt.date) and \
            field.data > (get_clock().now() + records.FUTURE_DATE_SLACK).date():
        raise ValidationError("This date is in the future.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReasonForm(FlaskForm):
    """Removing or clearing a protection: the reason goes on the audit trail."""

    reason = TextAreaField("Reason", filters=[_strip], validators=[
        DataRequired(message="Say why."), Length(max=2000)])


class ConsentGrantForm(FlaskForm):
    channel = SelectField("Channel", choices=options((c, CHANNEL_LABELS[c]) for c in records.CONSENT_CHANNELS))
    address = SelectField("Address", choices=[], validate_choice=False)
    granted_at = DateField("Consent given on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    source = SelectField("How it was given", choices=options((s, SOURCE_LABELS[s]) for s in records.STAFF_CONSENT_SOURCES))
    evidence = StringField("Evidence reference", filters=[_strip], validators=[Optional(), Length(max=255)])


class ConsentRevokeForm(FlaskForm):
    channel = SelectField("Channel", choices=options((c, CHANNEL_LABELS[c]) for c in records.CONSENT_CHANNELS))
    address = SelectField("Address", choices=[], validate_choice=False)
    revoked_at = DateField("Withdrawn on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    source = SelectField("How it was withdrawn", choices=options(
        (s, SOURCE_LABELS[s]) for s in ("oral", "written", "web", "portal")))
    note = TextAreaField("Note (optional)", filters=[_strip], validators=[Optional(), Length(max=2000)])


class OptOutForm(FlaskForm):
    received_via = SelectField("Received", choices=options(list(VIA_LABELS.items())))
    received_at = DateTimeLocalField("Received at", format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(message="Enter the date and time it was received.")])
    tz = HiddenField(default="UTC")
    address = SelectField("Address it concerns", choices=[], validate_choice=False)
    note = TextAreaField("What the debtor said (optional)", filters=[_strip], validators=[Optional(), Length(max=2000)])

    def received_utc(self) -> dt.datetime | None:
        """The local date and time typed, in the browser's zone (UTC when the page could not tell)."""
        if self.received_at.data is None:
            return None
        zone = self.tz.data if is_valid_zone(self.tz.data) else "UTC"
        return self.received_at.data.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.timezone.utc)


class DncAddForm(FlaskForm):
    kind = SelectField("What", choices=options([("account", "The whole account"), ("phone", "One phone number"),
                                        ("email", "One email address")]))
    value = SelectField("Phone or email", choices=[], validate_choice=False)
    reason = TextAreaField("Reason (optional)", filters=[_strip], validators=[Optional(), Length(max=2000)])


class CeaseForm(FlaskForm):
    received_at = DateField("Received on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    cease_type = RadioField("The debtor", choices=options([("cease", "asked us to stop communicating"),
                                                    ("refuse_to_pay", "refused to pay")]), default="cease")
    channel = SelectField("Arrived by", choices=options([("", "Not recorded"), *CEASE_CHANNEL_LABELS.items()]),
                          default="")
    only_this_debt = BooleanField("The notice names only this debt")


class CeaseReviewForm(FlaskForm):
    decision = RadioField("Decision", choices=options([("confirm", "Confirm: it is a cease"),
                                               ("clear", "Clear: it was not a cease")]),
                          validators=[InputRequired(message="Choose confirm or clear.")])
    cease_type = SelectField("Type when confirmed", choices=options([("cease", "Stop communicating"),
                                                             ("refuse_to_pay", "Refusal to pay")]), default="cease")
    only_this_debt = BooleanField("It names only this debt")
    reason = TextAreaField("Reason (needed to clear)", filters=[_strip], validators=[Optional(), Length(max=2000)])


class AttorneyForm(FlaskForm):
    name = StringField("Attorney's name", filters=[_strip], validators=[Optional(), Length(max=255)])
    address = TextAreaField("Mailing address", filters=[_strip], validators=[Optional(), Length(max=500)])
    email = StringField("Email", filters=[_strip], validators=[Optional(), Length(max=255)])
    phone = StringField("Phone", filters=[_strip], validators=[Optional(), Length(max=40)])
    known_at = DateField("We learned of the attorney on", validators=[Optional(), _past])
    consented_direct_at = DateField("Attorney consented to direct contact on (optional)",
                                    validators=[Optional(), _past])


class AttorneyMentionForm(FlaskForm):
    mentioned_at = DateField("Mentioned on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    note = TextAreaField("What was said (optional)", filters=[_strip], validators=[Optional(), Length(max=2000)])


class ReviewForm(FlaskForm):
    decision = RadioField("Decision", choices=options([("confirm", "Confirm"), ("clear", "Clear")]),
                          validators=[InputRequired(message="Choose confirm or clear.")])
    reason = TextAreaField("Reason (needed to clear)", filters=[_strip], validators=[Optional(), Length(max=2000)])


def _cents(form, field):
    if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
        raise ValidationError("Enter an amount in dollars and cents.")


class DisputeForm(FlaskForm):
    kind = SelectField("Kind", choices=options([("dispute", "Dispute of the debt"),
                                        ("original_creditor", "Request for the original creditor")]))
    received_at = DateField("Received on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    written = BooleanField("In writing", default=True)
    channel = SelectField("Arrived by", choices=options([("", "Not recorded"), *DISPUTE_CHANNEL_LABELS.items()]),
                          default="")
    portion = DecimalField("Disputed portion in $ (empty = the whole debt)", places=2,
                           validators=[Optional(), _cents], render_kw={"inputmode": "decimal"})
    note = TextAreaField("Note (optional)", filters=[_strip], validators=[Optional(), Length(max=2000)])


class DisputeAnswerForm(FlaskForm):
    answered_at = DateField("Answer sent on", default=_today, validators=[InputRequired(message="Enter the date."), _past])


class WorkplaceForm(FlaskForm):
    objected_at = DateField("Objected on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
    start = TimeField("Working hours from (debtor's local time)", validators=[Optional()])
    end = TimeField("to", validators=[Optional()])
    weekdays = MultiCheckboxField("Working days", choices=options(WEEKDAYS), default=["0", "1", "2", "3", "4"])


class InconvenientForm(FlaskForm):
    start = TimeField("From (debtor's local time)", validators=[InputRequired(message="Enter the start time.")])
    end = TimeField("To", validators=[InputRequired(message="Enter the end time.")])
    weekdays = MultiCheckboxField("Days", choices=options(WEEKDAYS), default=[d for d, _ in WEEKDAYS])


class EmptyForm(FlaskForm):
    """Only the CSRF token: the URL says what to do."""


class StopsForm(FlaskForm):
    bankruptcy = BooleanField("In bankruptcy (automatic stay)")
    deceased = BooleanField("Deceased")
    representative_address = StringField("Estate representative's phone or email", filters=[_strip],
                                         validators=[Optional(), Length(max=255)])


class PrivacyForm(FlaskForm):
    ccpa = RadioField("CCPA deletion request", choices=options([("none", "None"), ("executed", "Executed"),
                                                        ("denied", "Denied")]), default="none")
    ccpa_at = DateField("Executed on", validators=[Optional(), _past])
    ccpa_denied_reason = TextAreaField("Reason for denial", filters=[_strip],
                                       validators=[Optional(), Length(max=2000)])
    gdpr_scope = BooleanField("GDPR applies to this debtor")
    marketing_objection = BooleanField("Objected to marketing")


class EmailFactsForm(FlaskForm):
    provenance = SelectField("How we obtained the address", choices=options(
        [("", "Unknown"), *((p, PROVENANCE_LABELS[p]) for p in EMAIL_PROVENANCES)]), default="")
    is_work = BooleanField("It is a work (employer-provided) address")
    employer_domain = StringField("Employer's email domain (optional)", filters=[_strip],
                                  validators=[Optional(), Length(max=255)])


class ConsentDatesForm(FlaskForm):
    nyc_consent_at = DateField("NYC electronic-communication consent on", validators=[Optional(), _past])
    esign_consent_at = DateField("E-SIGN consent on", validators=[Optional(), _past])


class CollectionFlagsForm(FlaskForm):
    time_barred = RadioField("Time-barred", choices=options([("unknown", "Unknown"), ("true", "Yes"), ("false", "No")]),
                             default="unknown")
    legal_action_approved = BooleanField("Legal action approved (human agents only; never on time-barred debt)")


class ValidationMailedForm(FlaskForm):
    """D-4: staff mailed the validation notice as a letter."""

    mailed_on = DateField("Mailed on", default=_today, validators=[InputRequired(message="Enter the date."), _past])
