"""Portal pages for payment plans (PRD 4.4.3 FR-PAY-022, 9.5): choosing a plan the business's policy offers (one of
the three proposals, recomputed for what the debtor can afford, or their own within the policy, with auto-pay by
card or not), the agreement to read and sign, then the confirmation and the signed copy as a PDF; with auto-pay on,
signing charges the down payment at once. Only the plans of the verified debtor's own account."""
from __future__ import annotations

import hashlib
import re
import uuid

import datetime as dt
from decimal import Decimal

from flask import current_app, g, make_response, redirect, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField

from app.blueprints.portal import bp
from app.blueprints.api.envelope import error, ok
from app.blueprints.portal.views import (
    SETUP_LIMIT, _client, _language, _local_time, _message, _portal_account_key, _portal_page, portal_required)
from app.extensions import db, limiter
from app.models import Message, PaymentPlan
from app.services import audit
from app.services.errors import Conflict, DomainError, ValidationError
from app.services.money import format_usd
from app.services.payments import agreements, gateway, plan_offers
from app.services.payments.plan_policy import FREQUENCY_LABELS
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
                  "down_due": plan.status == "pending" and not agreements.down_payment_settled(db.session, plan),
                  "down_failure": _down_failure(plan, lang)}
    else:
        form.text_sha256.data = agreements.digest(text)
    if not plan.agreement_signed and plan.status not in agreements.SIGNABLE:
        notice = texts.t("agreement_closed", lang)
    rows = agreements.schedule_rows(plan)
    pay_next = plan_offers.next_to_pay(db.session, plan) if plan.agreement_signed else None
    return _portal_page("portal/plan_agreement.html", status=status, plan=plan, form=form, signed=signed,
                        blocks=blocks(text), title=text.splitlines()[0], rows=rows, notice=notice,
                        signable=plan.status in agreements.SIGNABLE, pay_next=pay_next)


def _down_failure(plan: PaymentPlan, lang: str) -> str | None:
    """Why the down payment's last charge did not go through, when it did not (the page offers to pay it now)."""
    from app.models import Payment
    from app.services.portal import payments as portal_payments

    down = next((r for r in plan.installments if r.number == 0), None)
    if down is None or down.status == "paid":
        return None
    last = db.session.scalars(select(Payment).where(
        Payment.business_id == plan.business_id, Payment.installment_id == down.id)
        .order_by(Payment.created_at.desc()).limit(1)).first()
    if last is None or last.status != "failed":
        return None
    key = portal_payments.failure_reason_key(last.failure_code, last.payment_method)
    reason = texts.t(key, lang) if key else (last.failure_reason or texts.t("reason_unknown", lang))
    return texts.t("plan_down_failed", lang, reason=reason)


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
    # With auto-pay, the down payment is charged now to the card just saved (the debtor is here, on-session).
    plan_offers.charge_down_payment(db.session, plan, now=g.now, **_client())
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


# -- choosing a plan (PRD 9.5) ---------------------------------------------------------------------------------------
CHOICES = ("standard", "flexible", "hardship", "custom")


def _frequency(found: plan_offers.OfferFacts, value: str | None) -> str:
    """The frequency asked for when the policy offers it, else the policy's first (monthly by default)."""
    if value in found.policy.frequencies:
        return value
    return "monthly" if "monthly" in found.policy.frequencies else found.policy.frequencies[0]


def _affordable(text: str | None, lang: str) -> tuple[Decimal | None, str | None]:
    """What the debtor says they can pay each period, or (None, the inline error) when it is not an amount."""
    raw = (text or "").strip()
    if not raw:
        return None, None
    try:
        amount = plan_offers.one_time.parse_amount(raw)
    except ValidationError:
        return None, texts.t("err_plan_affordable", lang)
    if amount <= 0:
        return None, texts.t("err_plan_affordable", lang)
    return amount, None


def _proposal_view(found, values: dict, lang: str) -> dict:
    """The three proposals for the frequency and the amount the debtor can afford (their inline error, if any)."""
    frequency = _frequency(found, values.get("proposal_frequency"))
    affordable, affordable_error = _affordable(values.get("affordable"), lang)
    options = plan_offers.proposals(found, frequency=frequency, affordable=affordable)
    return {"options": options, "proposal_frequency": frequency, "affordable": affordable,
            "affordable_text": (values.get("affordable") or "").strip(), "affordable_error": affordable_error}


def _custom_values(found, values: dict) -> dict:
    """The "Choose your own" fields as typed, with the defaults a first visit shows."""
    return {"count": (values.get("count") or "").strip() or "6",
            "frequency": _frequency(found, values.get("frequency")),
            "down_payment": (values.get("down_payment") or "").strip() or f"{found.minimum_down:.2f}",
            "start_date": (values.get("start_date") or "").strip() or found.earliest.isoformat()}


def _preview(found, custom: dict, lang: str) -> dict:
    """The custom plan's schedule, or its inline error on the field it is about."""
    try:
        offer = plan_offers.parse(custom)
        rows = plan_offers.check(found, offer)
    except ValidationError as exc:
        return {"rows": None, "field": exc.field, "error": _error_text(exc, lang, found)}
    return {"rows": rows, "field": None, "error": None, "total": sum((r.amount for r in rows), Decimal("0.00"))}


def _error_text(exc: DomainError, lang: str, found=None) -> str:
    """An offer's error in the debtor's language, with the policy's figures."""
    key = exc.extra.get("text") if exc.extra else None
    if key not in texts.TEXTS:
        return exc.message
    values = {}
    if found is not None:
        values = {"minimum_down": format_usd(found.minimum_down), "min_installment":
                  format_usd(found.policy.min_installment), "months": found.policy.max_months,
                  "last": _long(found.latest, lang), "amount": format_usd(found.available)}
    return texts.t(key, lang, **values) if values else texts.t(key, lang)


def _long(day: dt.date, lang: str) -> str:
    from app.services.compliance import snippets

    return snippets.long_date(day, lang)


def _plan_new_page(found, values: dict, *, status: int = 200, errors: dict | None = None,
                   form_error: str | None = None):
    account = g.portal.account
    lang = _language(account)
    config = current_app.config["CONFIG_OBJECT"]
    custom = _custom_values(found, values)
    choice = values.get("choice") if values.get("choice") in CHOICES else None
    return _portal_page(
        "portal/plan_new.html", status=status, found=found, proposals=_proposal_view(found, values, lang),
        custom=custom, preview=_preview(found, custom, lang), choice=choice, errors=errors or {},
        form_error=form_error, auto_pay=values.get("auto_pay") == "card", frequency_words=_frequency_words(lang),
        stripe_js_url=gateway.js_url(config), publishable_key=gateway.publishable_key(config),
        bank_offered=gateway.supports_bank_debits(config))


def _frequency_words(lang: str) -> dict:
    return {f: {"label": texts.t(f"plan_freq_{f}", lang), "per": texts.t(f"plan_per_{f}", lang)}
            for f in FREQUENCY_LABELS}


def _blocked_page(found, lang: str):
    """No plan to choose: the open plan to go to, or why none can be offered, with what to do instead."""
    if found.open_plan is not None:
        return redirect(url_for("portal.plan_agreement", plan_id=found.open_plan.id),
                        code=303 if request.method == "POST" else 302)
    business = overview.business_facts(db.session, g.portal.account.business_id)
    return _message("plan_none_title", [texts.t(found.blocked, lang)], lang=lang, business=business,
                    action_url=url_for("portal.account"), action_label=texts.t("back_to_account", lang))


@bp.route("/p/plans/new", methods=["GET", "POST"])
@portal_required
def plan_new():
    """The plans the policy offers for what the account owes (GET; with HX-Request and `part` only the proposals or
    the custom plan's preview), and the choice of one (POST), set up pending and then signed on its agreement."""
    account = g.portal.account
    lang = _language(account)
    found = plan_offers.facts(db.session, account, g.now)
    if found.blocked is not None:
        if request.headers.get("HX-Request"):
            return "", 204
        return _blocked_page(found, lang)
    if request.method == "GET":
        part = request.args.get("part")
        if request.headers.get("HX-Request") and part == "proposals":
            return _portal_page("portal/plan_proposals.html", found=found,
                                proposals=_proposal_view(found, request.args, lang), choice=None,
                                frequency_words=_frequency_words(lang))
        if request.headers.get("HX-Request") and part == "preview":
            custom = _custom_values(found, request.args)
            return _portal_page("portal/plan_preview.html", preview=_preview(found, custom, lang),
                                frequency_words=_frequency_words(lang), custom=custom)
        return _plan_new_page(found, request.args)
    values = request.form
    choice = values.get("choice")
    try:
        offer = _offer_of(found, values, choice, lang)
        plan = plan_offers.accept(db.session, account, offer, now=g.now, **_client())
    except ValidationError as exc:
        db.session.rollback()
        return _plan_new_page(found, values, status=422,
                              errors={exc.field or "choice": _error_text(exc, lang, found)})
    except Conflict as exc:
        db.session.rollback()
        if exc.code == "ACTIVE_PLAN" and exc.extra and exc.extra.get("planId"):
            return redirect(url_for("portal.plan_agreement", plan_id=exc.extra["planId"]), code=303)
        return _plan_new_page(found, values, status=409, form_error=texts.t("pay_error", lang))
    except DomainError as exc:
        db.session.rollback()
        return _plan_new_page(found, values, status=exc.status,
                              errors={"auto_pay": _error_text(exc, lang)})
    db.session.commit()
    return redirect(url_for("portal.plan_agreement", plan_id=plan.id), code=303)


def _offer_of(found, values, choice: str | None, lang: str) -> plan_offers.Offer:
    """The plan the form chose: a proposal recomputed here from its key (the form's numbers are not trusted), or
    the debtor's own plan, checked against the policy by plan_offers."""
    auto_pay = values.get("auto_pay") == "card"
    method = (values.get("payment_method_id") or "").strip() or None
    if choice == "custom":
        offer = plan_offers.parse(values)
        plan_offers.check(found, offer)
        return offer
    if choice not in CHOICES:
        raise ValidationError("Choose a plan.", field="choice", extra={"text": "err_plan_choice"})
    shown = _proposal_view(found, values, lang)
    if shown["affordable_error"]:
        raise ValidationError("Enter an amount.", field="affordable", extra={"text": "err_plan_affordable"})
    option = next((o for o in shown["options"] if o.key == choice), None)
    if option is None:
        raise ValidationError("Choose a plan.", field="choice", extra={"text": "err_plan_choice"})
    return plan_offers.Offer(count=option.count, frequency=option.frequency, down_payment=option.down_payment,
                             start=option.start, auto_pay=auto_pay, payment_method_id=method if auto_pay else None)


@bp.post("/p/plans/new/setup")
@limiter.limit(SETUP_LIMIT, key_func=_portal_account_key)
@portal_required
def plan_card_setup():
    """A SetupIntent's client secret for saving the auto-pay card (off-session use), as the pay page sets up a
    card; the page confirms it with Stripe.js and posts the PaymentMethod with the plan."""
    account = g.portal.account
    lang = _language(account)
    if plan_offers.facts(db.session, account, g.now).blocked is not None:
        return error("CONFLICT", texts.t("plan_none_title", lang), 409)
    try:
        intent = gateway.create_setup_intent(db.session, account, usage="off_session")
    except gateway.StripeError as exc:
        db.session.rollback()
        current_app.logger.warning("portal plan setup intent for account %s failed: %s", account.id, exc)
        return error("PAYMENT_UNAVAILABLE", texts.t("pay_offline", lang), 503)
    db.session.commit()
    return ok({"clientSecret": intent.client_secret})
