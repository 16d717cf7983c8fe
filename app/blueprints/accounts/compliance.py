"""The account file's Compliance tab: "Can we contact now?" and the forms that record compliance facts.

Every form posts to /accounts/<id>/compliance/<section>[/<item>]:
- an HTMX request gets the whole tab back (so the contact check reflects the change at once), with the form's
  inline errors (400) or a notice (200);
- a plain post redirects to the tab with a flash, or re-renders the account page (400) with the inline errors.
The tab itself is rendered by accounts/_compliance.html through `compliance_tab(account)`, so the account page's
own view needs to know nothing about it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.accounts import bp
from app.blueprints.compliance import account_forms as forms
from app.extensions import db
from app.services.accounts import records
from app.services.clock import get_clock
from app.services.compliance import account_records, contact_check
from app.services.errors import ValidationError
from app.templating import format_phone

TAB_TEMPLATE = "compliance/_account_tab.html"


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string or None}


def _date(value: dt.date | None, now: dt.datetime) -> dt.datetime | None:
    return account_records.day_start(value, now) if value else None


def _label(address: str) -> str:
    return address if "@" in address else format_phone(address)


def _address_choices(account, channels=("sms", "email"), blank: str | None = None) -> list:
    choices = [("", blank)] if blank else []
    for channel in channels:
        kind = "Email" if channel == "email" else "Phone"
        choices.extend((a, f"{kind} {_label(a)}") for a in account_records.addresses_on_file(account, channel))
    return forms.options(choices)


# -- saving, one function per section: form -> service call -> the notice shown --------------------------------
def _grant_consent(form, account, item, now):
    account_records.grant_consent(db.session, g.principal, account, channel=form.channel.data,
                                  address=form.address.data, granted_at=_date(form.granted_at.data, now),
                                  source=form.source.data, evidence=form.evidence.data, now=now, **_client())
    return f"{forms.CHANNEL_LABELS[form.channel.data]} consent recorded."


def _revoke_consent(form, account, item, now):
    account_records.revoke_consent(db.session, g.principal, account, channel=form.channel.data,
                                   address=form.address.data, revoked_at=_date(form.revoked_at.data, now),
                                   source=form.source.data, note=form.note.data, now=now, **_client())
    return f"{forms.CHANNEL_LABELS[form.channel.data]} consent withdrawn."


def _opt_out(form, account, item, now):
    event = account_records.record_opt_out(db.session, g.principal, account, received_via=form.received_via.data,
                                           received_at=form.received_utc(), address=form.address.data or None,
                                           note=form.note.data, now=now, **_client())
    if account_records.recorded_late(event):
        return "Opt-out recorded. It was received more than 24 hours ago: OPT-9 asks for a record within 24 hours."
    return "Opt-out recorded: automated messages on every channel stop."


def _dnc_add(form, account, item, now):
    account_records.add_do_not_contact(db.session, g.principal, account, kind=form.kind.data,
                                       value=form.value.data or None, reason=form.reason.data, now=now, **_client())
    return "Added to the do-not-contact list."


def _dnc_remove(form, account, item, now):
    account_records.remove_do_not_contact(db.session, g.principal, account, entry_id=item, reason=form.reason.data,
                                          now=now, **_client())
    return "Removed from the do-not-contact list."


def _cease(form, account, item, now):
    account_records.record_cease(db.session, g.principal, account, received_at=_date(form.received_at.data, now),
                                 cease_type=form.cease_type.data, only_this_debt=form.only_this_debt.data,
                                 channel=form.channel.data or None, now=now, **_client())
    return "Cease recorded: collection messages stop."


def _cease_review(form, account, item, now):
    confirm = form.decision.data == "confirm"
    account_records.review_cease_candidate(db.session, g.principal, account, confirm=confirm,
                                           cease_type=form.cease_type.data, only_this_debt=form.only_this_debt.data,
                                           reason=form.reason.data, now=now, **_client())
    return "Cease confirmed." if confirm else "Cease candidate cleared."


def _cease_withdraw(form, account, item, now):
    account_records.withdraw_cease(db.session, g.principal, account, reason=form.reason.data, now=now, **_client())
    return "Cease withdrawn."


def _attorney(form, account, item, now):
    account_records.save_attorney(db.session, g.principal, account, name=form.name.data, address=form.address.data,
                                  email=form.email.data, phone=form.phone.data,
                                  known_at=_date(form.known_at.data, now),
                                  consented_direct_at=_date(form.consented_direct_at.data, now), now=now, **_client())
    return "Attorney saved."


def _attorney_remove(form, account, item, now):
    account_records.remove_attorney(db.session, g.principal, account, reason=form.reason.data, now=now, **_client())
    return "Attorney removed."


def _attorney_mention(form, account, item, now):
    account_records.record_attorney_mention(db.session, g.principal, account,
                                            mentioned_at=_date(form.mentioned_at.data, now), note=form.note.data,
                                            now=now, **_client())
    return "Attorney mention recorded: messages stop until a manager reviews it."


def _attorney_review(form, account, item, now):
    confirm = form.decision.data == "confirm"
    account_records.review_attorney_pending(db.session, g.principal, account, confirm=confirm,
                                            reason=form.reason.data, now=now, **_client())
    return "Representation confirmed." if confirm else "Attorney mention cleared."


def _dispute(form, account, item, now):
    account_records.record_dispute(db.session, g.principal, account, kind=form.kind.data,
                                   received_at=_date(form.received_at.data, now), written=form.written.data,
                                   channel=form.channel.data or None, portion=form.portion.data, note=form.note.data,
                                   now=now, **_client())
    return "Dispute recorded."


def _dispute_answer(form, account, item, now):
    account_records.answer_dispute(db.session, g.principal, account, dispute_id=item,
                                   answered_at=_date(form.answered_at.data, now), now=now, **_client())
    return "Dispute marked answered."


def _weekdays(field) -> list[int]:
    return [int(d) for d in field.data or [] if str(d).isdigit()]


def _workplace(form, account, item, now):
    account_records.save_workplace(db.session, g.principal, account, objected_at=_date(form.objected_at.data, now),
                                   start=form.start.data, end=form.end.data, weekdays=_weekdays(form.weekdays),
                                   now=now, **_client())
    return "Workplace objection saved."


def _workplace_clear(form, account, item, now):
    account_records.clear_workplace(db.session, g.principal, account, reason=form.reason.data, now=now, **_client())
    return "Workplace objection cleared."


def _inconvenient_add(form, account, item, now):
    account_records.add_inconvenient_time(db.session, g.principal, account, start=form.start.data, end=form.end.data,
                                          weekdays=_weekdays(form.weekdays), now=now, **_client())
    return "Inconvenient time added."


def _inconvenient_remove(form, account, item, now):
    if not str(item).isdigit():
        abort(404)
    account_records.remove_inconvenient_time(db.session, g.principal, account, index=int(item), now=now, **_client())
    return "Inconvenient time removed."


def _stops(form, account, item, now):
    changed = account_records.save_account_stops(db.session, g.principal, account, bankruptcy=form.bankruptcy.data,
                                                 deceased=form.deceased.data,
                                                 representative_address=form.representative_address.data,
                                                 now=now, **_client())
    return "Bankruptcy and deceased status saved." if changed else "Nothing changed."


def _privacy(form, account, item, now):
    changed = account_records.save_privacy(db.session, g.principal, account, ccpa=form.ccpa.data,
                                           ccpa_at=_date(form.ccpa_at.data, now),
                                           ccpa_denied_reason=form.ccpa_denied_reason.data,
                                           gdpr_scope=form.gdpr_scope.data,
                                           marketing_objection=form.marketing_objection.data, now=now, **_client())
    return "Privacy requests saved." if changed else "Nothing changed."


def _email_facts(form, account, item, now):
    changed = account_records.save_email_facts(db.session, g.principal, account, provenance=form.provenance.data,
                                               is_work=form.is_work.data, employer_domain=form.employer_domain.data,
                                               now=now, **_client())
    return "Email address facts saved." if changed else "Nothing changed."


def _consent_dates(form, account, item, now):
    changed = account_records.save_consent_dates(db.session, g.principal, account,
                                                 nyc_consent_at=_date(form.nyc_consent_at.data, now),
                                                 esign_consent_at=_date(form.esign_consent_at.data, now), now=now,
                                                 **_client())
    return "Consent dates saved." if changed else "Nothing changed."


def _collection(form, account, item, now):
    changed = account_records.save_collection_flags(db.session, g.principal, account,
                                                    time_barred=form.time_barred.data,
                                                    legal_action_approved=form.legal_action_approved.data,
                                                    now=now, **_client())
    return "Time-barred and legal-action flags saved." if changed else "Nothing changed."


def _validation_mailed(form, account, item, now):
    from app.services.portal import notice

    period_end = notice.mark_letter_mailed(db.session, g.principal, account, mailed_on=form.mailed_on.data, now=now,
                                           **_client())
    return f"Recorded: the notice was mailed on {form.mailed_on.data:%Y-%m-%d}; the validation period ends {period_end:%Y-%m-%d}."


@dataclass(frozen=True)
class Section:
    form: type
    kind: str  # what account_records.can_record checks: the four protective kinds, or anything else (editors)
    save: Callable
    anchor: str  # the <section> the form lives in
    per_item: bool = False


SECTIONS: dict[str, Section] = {
    "consent-grant": Section(forms.ConsentGrantForm, "consent", _grant_consent, "compliance-consent"),
    "consent-revoke": Section(forms.ConsentRevokeForm, "consent", _revoke_consent, "compliance-consent"),
    "opt-out": Section(forms.OptOutForm, "opt_out", _opt_out, "compliance-opt-outs"),
    "dnc-add": Section(forms.DncAddForm, "dnc", _dnc_add, "compliance-dnc"),
    "dnc-remove": Section(forms.ReasonForm, "dnc", _dnc_remove, "compliance-dnc", per_item=True),
    "cease": Section(forms.CeaseForm, "cease", _cease, "compliance-cease"),
    "cease-review": Section(forms.CeaseReviewForm, "cease_review", _cease_review, "compliance-cease"),
    "cease-withdraw": Section(forms.ReasonForm, "cease_remove", _cease_withdraw, "compliance-cease"),
    "attorney": Section(forms.AttorneyForm, "attorney", _attorney, "compliance-attorney"),
    "attorney-remove": Section(forms.ReasonForm, "attorney", _attorney_remove, "compliance-attorney"),
    "attorney-mention": Section(forms.AttorneyMentionForm, "attorney_mention", _attorney_mention,
                                "compliance-attorney"),
    "attorney-review": Section(forms.ReviewForm, "attorney_review", _attorney_review, "compliance-attorney"),
    "dispute": Section(forms.DisputeForm, "dispute", _dispute, "compliance-disputes"),
    "dispute-answer": Section(forms.DisputeAnswerForm, "dispute_answer", _dispute_answer, "compliance-disputes",
                              per_item=True),
    "workplace": Section(forms.WorkplaceForm, "workplace", _workplace, "compliance-times"),
    "workplace-clear": Section(forms.ReasonForm, "workplace", _workplace_clear, "compliance-times"),
    "inconvenient-add": Section(forms.InconvenientForm, "inconvenient_time", _inconvenient_add, "compliance-times"),
    "inconvenient-remove": Section(forms.EmptyForm, "inconvenient_time", _inconvenient_remove, "compliance-times",
                                   per_item=True),
    "stops": Section(forms.StopsForm, "stops", _stops, "compliance-stops"),
    "privacy": Section(forms.PrivacyForm, "privacy", _privacy, "compliance-privacy"),
    "email-facts": Section(forms.EmailFactsForm, "email_facts", _email_facts, "compliance-email"),
    "consent-dates": Section(forms.ConsentDatesForm, "consent_dates", _consent_dates, "compliance-consent"),
    "collection": Section(forms.CollectionFlagsForm, "collection_flags", _collection, "compliance-collection"),
    "validation-mailed": Section(forms.ValidationMailedForm, "validation_mailed", _validation_mailed,
                                 "compliance-validation"),
}


# -- the tab --------------------------------------------------------------------------------------------------
class ComplianceTab:
    """What accounts/_compliance.html renders: the contact check, the records, and a form per section."""

    def __init__(self, account, *, submitted: dict | None = None, notice: tuple[str, str] | None = None):
        principal = g.principal
        self.account = account
        self.now = get_clock().now()
        self.visible = principal is not None and principal.role in ("business_admin", "manager", "agent")
        self.can_edit = account_records.can_edit(principal)
        self.submitted = submitted or {}
        self.notice = notice
        self.sections = SECTIONS
        if not self.visible:
            return
        self.file = account_records.load_file(db.session, principal, account)
        self.checks = contact_check.check_now(db.session, principal, account, self.now)

    late_after = account_records.OPT9_WINDOW

    @staticmethod
    def weekday_names(weekdays) -> str:
        names = dict(forms.WEEKDAYS)
        days = sorted(int(d) for d in weekdays)
        if days == list(range(7)):
            return "every day"
        if days == list(range(5)):
            return "Mon–Fri"
        return ", ".join(names[str(d)] for d in days)

    @staticmethod
    def provenance_label(value: str | None) -> str:
        return forms.PROVENANCE_LABELS.get(value or "", "Unknown (outside the Reg F safe harbor)")

    def flags(self) -> list[tuple[str, str]]:
        """The protections on file, each with the section that explains it."""
        a, f = self.account, self.file
        found = []
        if any(o.action == "opt_out" for o in f.opt_outs):
            found.append(("Opt-out on file", "compliance-opt-outs"))
        if f.do_not_contact or f.account_flag_only:
            found.append(("Do not contact", "compliance-dnc"))
        channels = [label for label, on in (("SMS", a.do_not_sms), ("email", a.do_not_email),
                                            ("WhatsApp", a.do_not_whatsapp), ("calls", a.do_not_call)) if on]
        if channels:
            found.append((f"Do not use: {', '.join(channels)}", "compliance-dnc"))
        if a.cease_received_at:
            found.append(("Cease on file", "compliance-cease"))
        if a.cease_candidate_at:
            found.append(("Cease waiting for review", "compliance-cease"))
        if f.attorney is not None:
            found.append(("Represented by an attorney", "compliance-attorney"))
        if a.attorney_pending or a.attorney_pending_at:
            found.append(("Attorney mention waiting for review", "compliance-attorney"))
        if any(d.answered_at is None for d in f.disputes):
            found.append(("Open dispute", "compliance-disputes"))
        if f.workplace_at:
            found.append(("Workplace objection", "compliance-times"))
        if f.inconvenient:
            found.append(("Inconvenient times", "compliance-times"))
        if a.bankruptcy:
            found.append(("Bankruptcy", "compliance-stops"))
        if a.deceased:
            found.append(("Deceased", "compliance-stops"))
        if a.ccpa_deleted_at:
            found.append(("CCPA deletion executed", "compliance-privacy"))
        return found

    def may(self, section: str) -> bool:
        return account_records.can_record(g.principal, SECTIONS[section].kind)

    def form(self, section: str, item=None):
        """The submitted form (with its errors) or a fresh one filled from the account."""
        prefix = section if item is None else f"{section}-{item}"
        if prefix in self.submitted:
            return self.submitted[prefix]
        form = SECTIONS[section].form(formdata=None, prefix=prefix, data=self._initial(section))
        configure(form, self.account)
        self.submitted[prefix] = form
        return form

    def is_open(self, section: str, item=None) -> bool:
        """A form reopens after a failed submit so its errors are in view."""
        prefix = section if item is None else f"{section}-{item}"
        form = self.submitted.get(prefix)
        return bool(form is not None and (form.errors or getattr(form, "form_errors", None)))

    def action(self, section: str, item=None) -> str:
        if item is None:
            return url_for("accounts.compliance_record", account_id=self.account.id, section=section)
        return url_for("accounts.compliance_record_item", account_id=self.account.id, section=section, item=item)

    def _initial(self, section: str) -> dict:
        a = self.account
        if section == "stops":
            return {"bankruptcy": a.bankruptcy, "deceased": a.deceased,
                    "representative_address": a.representative_address}
        if section == "privacy":
            ccpa = "executed" if a.ccpa_deleted_at else ("denied" if a.ccpa_denied_reason else "none")
            return {"ccpa": ccpa, "ccpa_at": a.ccpa_deleted_at.date() if a.ccpa_deleted_at else None,
                    "ccpa_denied_reason": a.ccpa_denied_reason, "gdpr_scope": a.gdpr_scope,
                    "marketing_objection": a.marketing_objection_at is not None}
        if section == "email-facts":
            return {"provenance": a.email_provenance or "", "is_work": a.email_is_work,
                    "employer_domain": a.employer_domain}
        if section == "consent-dates":
            return {"nyc_consent_at": a.nyc_consent_at.date() if a.nyc_consent_at else None,
                    "esign_consent_at": a.esign_consent_at.date() if a.esign_consent_at else None}
        if section == "collection":
            return {"time_barred": a.time_barred or "unknown", "legal_action_approved": a.legal_action_approved}
        if section == "attorney":
            details = self.file.attorney or {}
            known = account_records.parse_time(details.get("knownAt")) if details.get("knownAt") else None
            return {"name": details.get("name"), "address": details.get("address"), "email": details.get("email"),
                    "phone": details.get("phone"), "known_at": known.date() if known else None,
                    "consented_direct_at": a.attorney_consented_direct_at.date()
                    if a.attorney_consented_direct_at else None}
        if section == "workplace" and self.file.workplace_at:
            hours = self.file.work_hours[0] if self.file.work_hours else None
            return {"objected_at": self.file.workplace_at.date(), "start": hours.start if hours else None,
                    "end": hours.end if hours else None,
                    "weekdays": [str(d) for d in sorted(hours.weekdays)] if hours else ["0", "1", "2", "3", "4"]}
        return {}


def configure(form, account) -> None:
    """Choices that depend on the account (its addresses on file)."""
    if isinstance(form, (forms.ConsentGrantForm, forms.ConsentRevokeForm)):
        form.address.choices = _address_choices(account)
    elif isinstance(form, forms.OptOutForm):
        form.address.choices = _address_choices(account, blank="Every address (the whole account)")
    elif isinstance(form, forms.DncAddForm):
        form.value.choices = _address_choices(account, blank="Not needed for the whole account")


@bp.context_processor
def _compliance_tab():
    return {"compliance_tab": lambda account: g.get("compliance_tab_view") or ComplianceTab(account)}


# -- routes ----------------------------------------------------------------------------------------------------
@bp.get("/<account_id>/validation-notice.pdf", endpoint="validation_notice_pdf")
@page_permission("accounts.view")
def validation_notice_pdf(account_id):
    """The notice as the debtor would receive it, for staff to mail or to answer a question (audited)."""
    from app.services import audit
    from app.services.portal import notice

    if g.principal.role not in ("business_admin", "manager", "agent"):
        abort(403)
    account = records.get_account(db.session, g.principal, account_id)
    now = get_clock().now()
    language = "es" if request.args.get("lang") == "es" else notice.language_of(account)
    data = notice.notice_pdf(db.session, account, now=now, language=language)
    audit.record(db.session, "validation_notice_downloaded_by_staff", principal=g.principal, now=now,
                 resource_type="account", resource_id=account.id, description=account.account_number,
                 meta={"language": language}, **_client())
    db.session.commit()
    name = f"validation-notice-{account.account_number}{'-es' if language == 'es' else ''}.pdf"
    return current_app.response_class(data, mimetype="application/pdf",
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/<account_id>/compliance/<section>", endpoint="compliance_record")
@page_permission("accounts.view")
def compliance_record(account_id, section):
    return _record(account_id, section, None)


@bp.post("/<account_id>/compliance/<section>/<item>", endpoint="compliance_record_item")
@page_permission("accounts.view")
def compliance_record_item(account_id, section, item):
    return _record(account_id, section, item)


def _record(account_id, section, item):
    spec = SECTIONS.get(section)
    if spec is None or spec.per_item != (item is not None):
        abort(404)
    if g.principal.role not in ("business_admin", "manager", "agent"):
        abort(403)
    account = records.get_account(db.session, g.principal, account_id)
    if not account_records.can_record(g.principal, spec.kind):
        abort(403)
    prefix = section if item is None else f"{section}-{item}"
    form = spec.form(prefix=prefix)
    configure(form, account)
    if not form.validate_on_submit():
        return _invalid(account, prefix, form)
    now = get_clock().now()
    try:
        message = spec.save(form, account, item, now)
    except ValidationError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return _invalid(account, prefix, form)
    db.session.commit()
    return _saved(account, spec.anchor, message)


def _apply_error(form, exc: ValidationError) -> None:
    """A service error shows on the field it names, else at the top of the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors") and not callable(getattr(field, "errors")):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _invalid(account, prefix: str, form):
    db.session.rollback()
    tab = ComplianceTab(account, submitted={prefix: form}, notice=("error", "Check the highlighted fields."))
    if _is_htmx():
        return render_template(TAB_TEMPLATE, account=account, ctab=tab), 400
    g.compliance_tab_view = tab
    return _account_page(account), 400


def _saved(account, anchor: str, message: str):
    if _is_htmx():
        db.session.refresh(account)
        tab = ComplianceTab(account, notice=("success", message))
        return render_template(TAB_TEMPLATE, account=account, ctab=tab)
    flash(message, "success")
    return redirect(url_for("accounts.show", account_id=account.id, tab="compliance", _anchor=anchor))


def _account_page(account):
    from app.blueprints.accounts.views import account_page

    return account_page(account, "compliance", get_clock().now())
