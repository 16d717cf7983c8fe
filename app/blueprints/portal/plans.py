"""Portal pages for a payment plan offered to the debtor: the agreement to read and sign (PRD 4.4.3 FR-PAY-022),
then the confirmation and the signed copy as a PDF. Only the plans of the verified debtor's own account."""
from __future__ import annotations

import hashlib
import re
import uuid

from flask import current_app, g, make_response, redirect, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField

from app.blueprints.portal import bp
from app.blueprints.portal.views import _client, _language, _local_time, _message, _portal_page, portal_required
from app.extensions import db
from app.models import Message, PaymentPlan
from app.services import audit
from app.services.errors import Conflict, ValidationError
from app.services.payments import agreements
from app.services.portal import debtor_principal, overview, texts
from app.services.storage import ObjectMissing, storage_for

_HEADING = re.compile(r"^\d+\. ")


class AgreementForm(FlaskForm):
    typed_name = StringField("Type your full name")
    consent = BooleanField("I have read this agreement and I agree to it.")
    text_sha256 = HiddenField()


def _plan(plan_id) -> PaymentPlan | None:
    """The plan when it is on the session's account; None for anything else (another account's plan included)."""
    account = g.portal.account
    try:
        key = uuid.UUID(str(plan_id))
    except ValueError:
        return None
    plan = db.session.get(PaymentPlan, key)
    if plan is None or plan.account_id != account.id or plan.business_id != account.business_id:
        return None
    return plan


def _missing(lang: str):
    business = overview.business_facts(db.session, g.portal.account.business_id)
    return _message("agreement_missing_title", [texts.t("agreement_missing_body", lang)], lang=lang,
                    business=business, status=404, action_url=url_for("portal.account"),
                    action_label=texts.t("back_to_account", lang))


def blocks(text: str) -> list[dict]:
    """The agreement text as page blocks, word for word: a numbered line is a heading, indented lines a list, every
    other line a paragraph."""
    out: list[dict] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("  "):
            if not out or out[-1]["kind"] != "list":
                out.append({"kind": "list", "items": []})
            out[-1]["items"].append(line.strip())
        elif _HEADING.match(line):
            out.append({"kind": "heading", "text": line})
        else:
            out.append({"kind": "para", "text": line})
    return out


def _page(plan: PaymentPlan, form: AgreementForm, *, status: int = 200, notice: str | None = None):
    account = g.portal.account
    lang = _language(account)
    text = agreements.text_for(db.session, plan, lang)
    signed = None
    if plan.agreement_signed:
        signed = {"when": _local_time(plan.agreement_signed_at, account, lang), "name": plan.agreement_signed_name,
                  "document": agreements.agreement_document(db.session, plan),
                  "copy_sent": _copy_sent(plan),
                  "down_due": plan.status == "pending" and not agreements.down_payment_settled(db.session, plan)}
    else:
        form.text_sha256.data = agreements.digest(text)
    if not plan.agreement_signed and plan.status not in agreements.SIGNABLE:
        notice = texts.t("agreement_closed", lang)
    rows = agreements.schedule_rows(plan)
    return _portal_page("portal/plan_agreement.html", status=status, plan=plan, form=form, signed=signed,
                        blocks=blocks(text), title=text.splitlines()[0], rows=rows, notice=notice,
                        signable=plan.status in agreements.SIGNABLE)


def _copy_sent(plan: PaymentPlan) -> bool:
    """Whether the signed copy went to the debtor (a copy the gate blocked, or no address, is not said to have)."""
    return db.session.scalar(select(Message.id).where(
        Message.business_id == plan.business_id, Message.account_id == plan.account_id,
        Message.purpose == agreements.PURPOSE, Message.delivery_status != "blocked",
        Message.created_at >= plan.agreement_signed_at).limit(1)) is not None


def _form() -> AgreementForm:
    form = AgreementForm()
    form.typed_name.errors, form.consent.errors = [], []
    return form


@bp.route("/p/plans/<plan_id>/agreement", methods=["GET", "POST"])
@portal_required
def plan_agreement(plan_id):
    """The agreement to read and sign; once signed, the confirmation and the signed copy. A POST signs with the
    typed name and the ticked box (errors inline), refusing a text that changed since the page was shown."""
    account = g.portal.account
    lang = _language(account)
    plan = _plan(plan_id)
    if plan is None:
        return _missing(lang)
    form = _form()
    if request.method == "GET" or plan.agreement_signed:
        if request.method == "POST":
            return redirect(url_for("portal.plan_agreement", plan_id=plan.id), code=303)
        return _page(plan, form)
    try:
        agreements.sign(db.session, plan, typed_name=form.typed_name.data, consent=bool(form.consent.data),
                        now=g.now, lang=lang, expected_sha256=form.text_sha256.data or None,
                        storage=storage_for(current_app), **_client())
    except ValidationError as exc:
        db.session.rollback()
        key = exc.extra.get("text") or "err_agreement_name"
        getattr(form, "consent" if exc.field == "consent" else "typed_name").errors = [texts.t(key, lang)]
        return _page(plan, form, status=422)
    except Conflict as exc:
        db.session.rollback()
        plan = _plan(plan_id)
        key = "agreement_changed" if exc.code == "AGREEMENT_CHANGED" else "agreement_closed"
        return _page(plan, form, status=409, notice=texts.t(key, lang))
    db.session.commit()
    return redirect(url_for("portal.plan_agreement", plan_id=plan.id) + "#signed", code=303)


@bp.get("/p/plans/<plan_id>/agreement.pdf")
@portal_required
def plan_agreement_pdf(plan_id):
    """The signed copy exactly as it was kept when the debtor signed (checked against its digest); the download is
    audited like a staff download of a document."""
    account = g.portal.account
    lang = _language(account)
    plan = _plan(plan_id)
    document = agreements.agreement_document(db.session, plan) if plan is not None and plan.agreement_signed \
        else None
    if document is None:
        return _missing(lang)
    try:
        data = storage_for(current_app).get(document.storage_path)
    except ObjectMissing:
        return _missing(lang)
    if document.sha256 and hashlib.sha256(data).hexdigest() != document.sha256:
        return _missing(lang)
    audit.record(db.session, "document_downloaded", now=g.now, principal=debtor_principal(account),
                 resource_type="account", resource_id=account.id, description=account.account_number,
                 meta={"documentId": str(document.id), "fileType": document.file_type,
                       "fileSize": document.file_size, "sha256": document.sha256, "planId": str(plan.id),
                       "channel": "portal"}, **_client())
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
