"""Debtor portal pages: the link and identity check, the account, the validation notice (page and PDF), contact
preferences, sign-out, and the one-click email unsubscribe.

The portal session is its own key in the signed session cookie (`portal`: link, account, the link's token, a random
reference, when the identity check passed and when the debtor was last seen), separate from Flask-Login's keys, so a
staff member and a debtor in one browser never see each other's pages. It ends after 30 minutes without a request,
when its link is revoked, or on sign-out. Besides it the portal keeps only the chosen language (`portal_lang`) and,
after an idle timeout, the link to start again from (`portal_ended_token`)."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from functools import wraps

from flask import current_app, flash, g, make_response, redirect, render_template, request, session, url_for

from app.blueprints.portal import bp
from app.blueprints.api.envelope import error, ok
from app.blueprints.portal.forms import DisputeForm, EmailForm, IdentityForm, LanguageForm, PayForm, PhoneForm
from app.errors import wants_json
from app.extensions import csrf, db, limiter
from app.models import Account, DebtDispute, PortalLink
from app.services.clock import get_clock
from app.services.compliance import snippets
from app.services.errors import Conflict, DomainError, NotFound, ValidationError
from app.services.money import format_usd, to_cents
from app.services.payments import gateway, one_time
from app.services.portal import identity, links, notice, overview, records, texts, unsubscribe
from app.services.portal import payments as portal_payments
from app.services.storage import storage_for
from app.templating import format_phone

SESSION_KEY = "portal"
LANGUAGE_KEY = "portal_lang"
IDLE = dt.timedelta(minutes=30)
PURPOSE_PAGES = {"payment": "portal.pay", "validation": "portal.notice_page"}
"""Where a link of each purpose lands after the identity check (the account page when that page does not exist)."""
UTC = dt.timezone.utc


@dataclass
class PortalSession:
    link: PortalLink
    account: Account
    token: str | None
    ref: str


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


# -- language and rendering ----------------------------------------------------------------------------------------
def _language(account: Account | None = None, *, remember: bool = True) -> str:
    """?lang= (kept for the visit), else the language chosen earlier, else the debtor's preferred language."""
    asked = request.args.get("lang")
    if asked in snippets.LANGUAGES:
        if remember:
            session[LANGUAGE_KEY] = asked
        return asked
    stored = session.get(LANGUAGE_KEY) if remember else None
    if stored in snippets.LANGUAGES:
        return stored
    return snippets.lang_of(account.preferred_language if account is not None else None)


def _render(template: str, *, lang: str, business: overview.BusinessFacts | None, status: int = 200,
            account: Account | None = None, switch: bool = True, **context):
    def t(key, **values):
        return texts.t(key, lang, **values)

    zone = overview.display_zone(account) if account is not None else None

    def long_date(value):
        if isinstance(value, dt.datetime):
            value = value.astimezone(zone or UTC).date()
        return snippets.long_date(value, lang)

    contact = _contact(business, lang) if business is not None else ""
    other = texts.t("other_language_code", lang)
    switch_url = f"{request.path}?lang={other}" if switch and request.method == "GET" else None
    body = render_template(template, t=t, lang=lang, portal_language=lang, business=business, contact=contact,
                           long_date=long_date, mask=overview.mask_address, switch_url=switch_url,
                           portal=g.get("portal"), **context)
    return body, status


def _contact(business: overview.BusinessFacts, lang: str) -> str:
    """How to reach the business, as a sentence ending (" at (800) 555-0100 or help@x.com")."""
    phone = format_phone(business.support_phone) if business.support_phone else None
    return texts.contact_suffix(phone, business.support_email, lang)


def _message(heading_key: str, paragraphs: list[str], *, lang: str, business=None, status: int = 200,
             action_url: str | None = None, action_label: str | None = None):
    return _render("portal/message.html", lang=lang, business=business, status=status,
                   heading=texts.t(heading_key, lang), paragraphs=paragraphs, action_url=action_url,
                   action_label=action_label)


# -- the portal session ----------------------------------------------------------------------------------------------
def _start(link: PortalLink, account: Account, token: str, now: dt.datetime) -> None:
    session[SESSION_KEY] = {"link": str(link.id), "account": str(account.id), "token": token,
                            "ref": secrets.token_urlsafe(12), "verifiedAt": now.isoformat(),
                            "seenAt": now.isoformat(), "lang": snippets.lang_of(account.preferred_language)}
    session.permanent = True


def _end() -> str | None:
    """Forget the verified debtor (the pages after it keep the debtor's language); the link's token, if any."""
    data = session.pop(SESSION_KEY, None)
    if not isinstance(data, dict):
        return None
    if data.get("lang") in snippets.LANGUAGES:
        session.setdefault(LANGUAGE_KEY, data["lang"])
    return data.get("token")


def resolve(data: dict, now: dt.datetime) -> tuple[PortalSession | None, str | None]:
    """A portal session's facts (from the cookie, or from the widget's token on another site) checked: (None,
    "expired") after 30 idle minutes, (None, "ended") when the link was revoked or the account removed, (None, None)
    when the facts do not parse."""
    try:
        seen = dt.datetime.fromisoformat(data["seenAt"])
        link_id, account_id = uuid.UUID(data["link"]), uuid.UUID(data["account"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if now - seen > IDLE:
        return None, "expired"
    link, account = db.session.get(PortalLink, link_id), db.session.get(Account, account_id)
    if link is None or account is None or link.revoked_at is not None or account.deleted_at is not None \
            or link.account_id != account.id:
        return None, "ended"
    return PortalSession(link=link, account=account, token=data.get("token"), ref=data.get("ref") or ""), None


def _current(now: dt.datetime) -> tuple[PortalSession | None, str | None]:
    """The verified debtor of this browser's cookie session, or (None, why) as `resolve` says; the session is
    forgotten when it fails and its idle clock restarts when it passes."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None, None
    current, reason = resolve(data, now)
    if current is None:
        token = _end()
        if reason == "expired":
            session["portal_ended_token"] = token
        return None, reason
    session[SESSION_KEY] = {**data, "seenAt": now.isoformat()}
    return current, None


def portal_required(view):
    """Pages behind the identity check: the verified debtor in g.portal, the time in g.now."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        now = get_clock().now()
        current, reason = _current(now)
        if current is None:
            return redirect(url_for("portal.signed_out", reason=reason or "none"))
        g.portal, g.now = current, now
        return view(*args, **kwargs)
    return wrapped


def _landing_for(link: PortalLink) -> str:
    endpoint = PURPOSE_PAGES.get(link.purpose)
    return url_for(endpoint if endpoint in current_app.view_functions else "portal.account")


# -- the front door, the link and the identity check -----------------------------------------------------------------
@bp.get("/p/")
def landing():
    lang = _language()
    return _message("landing_title", [texts.t("landing_body", lang)], lang=lang)


def _invalid(lang: str | None = None):
    lang = lang or _language()
    return _message("invalid_title", [texts.t("invalid_body", lang)], lang=lang, status=404)


def _expired(link: PortalLink, token: str):
    account = db.session.get(Account, link.account_id)
    lang = _language(account)
    business = overview.business_facts(db.session, account.business_id)
    target = links.fresh_link_channel(account, link)
    if target is None:
        paragraphs = [texts.t("expired_no_address", lang, business=business.name, contact=_contact(business, lang))]
        renew_url = None
    else:
        channel, address = target
        paragraphs = [texts.t("expired_body", lang, what=_what(channel, lang), hint=overview.mask_address(address))]
        renew_url = url_for("portal.renew_link", token=token)
    return _render("portal/link_problem.html", lang=lang, business=business, status=410, account=account,
                   heading=texts.t("expired_title", lang), paragraphs=paragraphs, renew_url=renew_url)


def _what(channel: str | None, lang: str) -> str:
    return texts.t("what_email" if channel == "email" else "what_phone", lang)


def _identity_form() -> IdentityForm:
    form = IdentityForm()
    for name in ("last_name", "zip_code", "birth_date"):
        getattr(form, name).errors = []
    return form


def _first_problem(form: IdentityForm, methods: tuple[str, ...], lang: str) -> bool:
    """Inline errors for an incomplete form, in the debtor's language; True when there was one."""
    raw_birth = (request.form.get("birth_date") or "").strip()
    zip_given = "zip" in methods and bool((form.zip_code.data or "").strip())
    birth_given = "dob" in methods and bool(raw_birth)
    if not (form.last_name.data or "").strip():
        form.last_name.errors = [texts.t("err_last_name", lang)]
    if not zip_given and not birth_given:
        if "zip" in methods:
            key = "err_zip_or_dob" if "dob" in methods else "err_zip_missing"
            form.zip_code.errors = [texts.t(key, lang)]
        else:
            form.birth_date.errors = [texts.t("err_dob_missing", lang)]
    if zip_given and identity.zip5(form.zip_code.data) is None:
        form.zip_code.errors = [texts.t("err_zip", lang)]
    if birth_given and form.birth_date.data is None:
        form.birth_date.errors = [texts.t("err_dob", lang)]
    return any((form.last_name.errors, form.zip_code.errors, form.birth_date.errors))


@bp.route("/p/<token>", methods=["GET", "POST"])
def open_link(token):
    """The identity form; a pass starts the portal session and lands on the page the link is for."""
    now = get_clock().now()
    try:
        link = links.resolve(db.session, token, now)
    except links.LinkExpired as exc:
        return _expired(exc.link, token)
    except links.LinkInvalid:
        return _invalid()
    account = db.session.get(Account, link.account_id)
    lang = _language(account)
    business = overview.business_facts(db.session, account.business_id)
    current, _ = _current(now)
    if request.method == "GET" and current is not None and current.account.id == account.id:
        return redirect(_landing_for(link))
    methods = identity.methods(account)
    form = _identity_form()
    locked = identity.locked_until(account, now)
    mismatch = None
    status = 200
    if request.method == "POST" and methods:
        status = 422
        if not _first_problem(form, methods, lang):
            try:
                result = identity.check(
                    db.session, link, last_name=form.last_name.data,
                    zip_code=form.zip_code.data if "zip" in methods else None,
                    birth_date=form.birth_date.data if "dob" in methods and request.form.get("birth_date") else None,
                    now=now, **_client())
            except ValidationError as exc:
                db.session.rollback()
                field = exc.field if exc.field in ("last_name", "zip_code", "birth_date") else "last_name"
                getattr(form, field).errors = [texts.t(exc.extra.get("text", "err_zip_or_dob"), lang)]
            else:
                db.session.commit()
                if result.passed:
                    _start(link, account, token, now)
                    return redirect(_landing_for(link))
                locked = result.locked_until
                if locked is None:
                    key = "mismatch_one" if result.attempts_left == 1 else "mismatch"
                    mismatch = texts.t(key, lang, left=result.attempts_left)
    locked_minutes, locked_at = None, ""
    if locked is not None:
        locked_minutes = max(1, -(-int((locked - now).total_seconds()) // 60))
        zone = overview.display_zone(account)
        if zone is not None:
            local = locked.astimezone(zone)
            clock = f"{local:%H:%M} {local:%Z}" if lang == "es" else \
                f"{local:%I:%M %p}".lstrip("0") + f" {local:%Z}"
            locked_at = texts.t("locked_at", lang, time=clock)
    return _render("portal/identify.html", lang=lang, business=business, status=status, account=account, form=form,
                   token=token, methods=methods, locked_until=locked, locked_minutes=locked_minutes,
                   locked_at=locked_at, mismatch=mismatch)


@bp.post("/p/<token>/renew")
def renew_link(token):
    """Send a fresh link for an expired one to the address on file (the visitor chooses nothing)."""
    now = get_clock().now()
    try:
        link = links.find(db.session, token)
    except links.LinkInvalid:
        return _invalid()
    account = db.session.get(Account, link.account_id)
    lang = _language(account)
    business = overview.business_facts(db.session, account.business_id)
    if link.revoked_at is None and link.expires_at > now:
        return redirect(url_for("portal.open_link", token=token))
    if link.revoked_at is not None:
        if link.revoked_at < link.expires_at:
            return _invalid(lang)  # revoked while it still worked: staff withdrew it
        result = {"status": "throttled", "channel": None, "address": None}
    else:
        result = links.send_fresh_link(db.session, link, now=now)
        db.session.commit()
    contact = _contact(business, lang)
    hint = {"what": _what(result["channel"], lang), "hint": overview.mask_address(result["address"])}
    state = result["status"]
    heading = "renew_sent_title" if state in ("sent", "scheduled", "throttled") else "renew_problem_title"
    paragraph = {
        "sent": texts.t("renew_sent", lang, **hint), "scheduled": texts.t("renew_scheduled", lang, **hint),
        "throttled": texts.t("renew_throttled", lang),
        "blocked": texts.t("renew_blocked", lang, business=business.name, contact=contact),
        "no_address": texts.t("renew_no_address", lang, business=business.name, contact=contact)}[state]
    return _render("portal/link_problem.html", lang=lang, business=business, account=account,
                   heading=texts.t(heading, lang), paragraphs=[paragraph], renew_url=None)


@bp.post("/p/sign-out")
def sign_out():
    _end()
    return redirect(url_for("portal.signed_out", reason="signed_out"))


@bp.get("/p/signed-out")
def signed_out():
    lang = _language()
    reason = request.args.get("reason")
    if reason == "signed_out":
        return _message("signed_out_title", [texts.t("signed_out_body", lang)], lang=lang)
    if reason in ("expired", "ended"):
        token = session.pop("portal_ended_token", None) if reason == "expired" else None
        action = url_for("portal.open_link", token=token) if token else None
        paragraphs = [texts.t("session_ended_body", lang)] if reason == "expired" else []
        paragraphs.append(texts.t("signed_out_body", lang))
        return _message("session_ended_title", paragraphs, lang=lang, action_url=action,
                        action_label=texts.t("verify_again", lang))
    return _message("landing_title", [texts.t("landing_body", lang)], lang=lang)


# -- behind the identity check ---------------------------------------------------------------------------------------
def _portal_page(template: str, *, status: int = 200, **context):
    account = g.portal.account
    lang = _language(account)
    return _render(template, lang=lang, business=overview.business_facts(db.session, account.business_id),
                   status=status, account=account, **context)


def _account_page(form: DisputeForm, *, status: int = 200, dispute_done: dict | None = None,
                  files_again: bool = False):
    account = g.portal.account
    return _portal_page("portal/account.html", status=status, ov=overview.account_overview(db.session, account, g.now),
                        form=form, history=portal_payments.history(db.session, account), dispute_done=dispute_done,
                        files_again=files_again, dispute_accept=records.DISPUTE_FILE_ACCEPT,
                        plan_url=_plan_link(account), plan_open=_open_plan_of(account))


def _open_plan_of(account: Account):
    from app.services.payments import plan_records

    return plan_records.open_plan(db.session, account.id)


def _dispute_form() -> DisputeForm:
    form = DisputeForm()
    form.choice.errors, form.portion.errors, form.note.errors, form.documents.errors = [], [], [], []
    return form


DISPUTE_DONE_KEY = "portal_dispute_done"
"""The dispute just sent (its id), shown once as the confirmation on the account page after the redirect."""


def _dispute_done(account: Account) -> dict | None:
    """What the confirmation says about the dispute just sent: the request, when, its documents and the hold."""
    sent = session.pop(DISPUTE_DONE_KEY, None)
    try:
        dispute_id = uuid.UUID(str(sent)) if sent else None
    except ValueError:
        dispute_id = None
    row = db.session.get(DebtDispute, dispute_id) if dispute_id else None
    if row is None or row.account_id != account.id or row.business_id != account.business_id:
        return None
    hold = None
    if row.within_vp:
        hold = "done_hold_creditor" if row.kind == "original_creditor" else "done_hold_dispute"
    return {"dispute": row, "documents": records.dispute_documents(db.session, account, row), "hold": hold,
            "received": _local_time(row.received_at, account, _language(account))}


@bp.get("/p/account")
@portal_required
def account():
    return _account_page(_dispute_form(), dispute_done=_dispute_done(g.portal.account))


DISPUTE_ERRORS = {"choice": "err_choice", "portion": "err_portion", "note": "err_note",
                  "documents": "err_file_type"}


def _sent_files(form: DisputeForm) -> list[tuple[str, bytes]]:
    """The files chosen (an empty file input sends one nameless part), each read up to one byte past the limit."""
    return [(f.filename, f.stream.read(records.DISPUTE_FILE_BYTES + 1)) for f in (form.documents.data or [])
            if f is not None and f.filename]


@bp.post("/p/account/dispute")
@portal_required
def dispute():
    """A dispute or a request for the original creditor, recorded in writing (DISPUTE-1/2), with the documents the
    debtor attaches; then the account page confirms what was recorded."""
    account = g.portal.account
    lang = _language(account)
    form = _dispute_form()
    sent = _sent_files(form)
    storage = storage_for(current_app)
    try:
        choice = form.choice.data if form.choice.data in records.DISPUTE_CHOICES else None
        if choice is None:
            raise ValidationError("Choose what you want to do.", field="choice", extra={"text": "err_choice"})
        portion = records.parse_portion(form.portion.data) if choice == "dispute_part" else None
        files = records.check_dispute_files(sent)
        row, stored = records.record_dispute(db.session, account, choice=choice, portion=portion,
                                             note=form.note.data, now=g.now, link_id=g.portal.link.id, files=files,
                                             storage=storage, **_client())
    except ValidationError as exc:
        db.session.rollback()
        key = exc.extra.get("text") or DISPUTE_ERRORS.get(exc.field or "", "err_choice")
        values = {"name": exc.extra["name"]} if exc.extra.get("name") else {}
        getattr(form, exc.field if exc.field in DISPUTE_ERRORS else "choice").errors = [texts.t(key, lang, **values)]
        return _account_page(form, status=422, files_again=bool(sent))
    kept = [d.storage_path for d in stored]
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in kept:  # nothing was recorded: no file stays without its row
            storage.delete(key)
        raise
    session[DISPUTE_DONE_KEY] = str(row.id)
    return redirect(url_for("portal.account") + "#dispute")


@bp.get("/p/notice")
@portal_required
def notice_page():
    """The full validation notice in the debtor's language; reading it is audited, not counted as delivery."""
    account = g.portal.account
    lang = _language(account)
    built = notice.build(db.session, account, now=g.now, language=lang)
    notice.record_view(db.session, account, now=g.now, link_id=g.portal.link.id, language=lang, **_client())
    db.session.commit()
    return _portal_page("portal/notice.html", notice=built)


@bp.get("/p/notice.pdf")
@portal_required
def notice_pdf():
    account = g.portal.account
    lang = _language(account)
    data = notice.notice_pdf(db.session, account, now=g.now, language=lang)
    notice.record_view(db.session, account, now=g.now, link_id=g.portal.link.id, language=lang, downloaded=True,
                       **_client())
    db.session.commit()
    response = make_response(data)
    name = f"{'aviso-de-validacion' if lang == 'es' else 'validation-notice'}-{overview.last4(account.account_number)}"
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- payments (PRD 8.4.1, 8.5.3) -------------------------------------------------------------------------------------
PAY_METHODS = ("card", "ach")
"""What the page can collect: a card through Stripe.js, or a bank account typed into the page (ACH), offered only
where the processor debits bank accounts (gateway.supports_bank_debits: Stripe does, the sandbox's localstripe
does not)."""
SETUP_LIMIT = "20 per hour"
"""Card collections per account: plenty for a debtor retrying a declined card, too few for testing stolen cards."""
BANK_LIMIT = "20 per hour"
"""Bank payments tried per account, for the same reason: a portal session is no way to test account numbers."""
BANK_FORM_FIELDS = ("holder_name", "routing_number", "account_number", "account_number_confirm", "account_type",
                    "authorize")


def _pay_methods() -> tuple[str, ...]:
    return PAY_METHODS if gateway.supports_bank_debits(current_app.config["CONFIG_OBJECT"]) else ("card",)


def _pay_page(form: PayForm, facts: portal_payments.PayFacts, *, status: int = 200, pay_error: str | None = None):
    account = g.portal.account
    lang = _language(account)
    installment = g.get("pay_installment")
    if installment is not None:
        form.amount.data = str(installment.amount)
    amount_text = form.amount.data if form.amount.data is not None else str(facts.available)
    try:
        amount = portal_payments.parse_amount(amount_text, facts.available)
        label = texts.t("pay_button", lang, amount=format_usd(amount))
    except ValidationError:
        amount = None
        label = texts.t("pay_button_plain", lang)
    config = current_app.config["CONFIG_OBJECT"]
    methods = ("card",) if installment is not None else _pay_methods()
    # The bank numbers are never put back into the page, and the authorization is asked for again after an error.
    for name in ("routing_number", "account_number", "account_number_confirm"):
        getattr(form, name).data = None
    form.authorize.data = False
    business = overview.business_facts(db.session, account.business_id)
    return _portal_page("portal/pay.html", status=status, form=form, facts=facts, methods=methods,
                        method=form.method.data if form.method.data in methods else "card",
                        bank_offered="ach" in methods, submission=portal_payments.new_submission(),
                        mandate=_mandate(business, lang, format_usd(amount) if amount is not None else None),
                        mandate_template=_mandate(business, lang, "{amount}"),
                        stripe_js_url=gateway.js_url(config), publishable_key=gateway.publishable_key(config),
                        max_cents=to_cents(facts.available), amount_value=amount_text, button_label=label,
                        pay_error=pay_error, receipt_offer=None if installment is not None else
                        portal_payments.receipt_offer(db.session, account), receipt_ticked=_receipt_ticked(),
                        installment=installment, plan_offered=installment is None and facts.payable
                        and _plan_link(account), plan_open=_open_plan_of(account) if installment is None else None,
                        action_args={"installment": installment.id} if installment else {})


def _plan_link(account: Account) -> str | None:
    """Where "Pay over time" goes: the plan page when the policy offers a plan, the open plan when there is one."""
    from app.services.payments import plan_offers

    found = plan_offers.facts(db.session, account, g.now)
    if found.open_plan is not None:
        return url_for("portal.plan_agreement", plan_id=found.open_plan.id)
    return url_for("portal.plan_new") if found.blocked is None else None


def _pay_installment_target(account: Account, lang: str):
    """/p/pay?installment=<id>: the installment of one of this account's open plans to pay now (g.pay_installment),
    or the page that says why it cannot be paid."""
    from app.services.payments import plan_offers

    business = overview.business_facts(db.session, account.business_id)
    try:
        row = plan_offers.account_installment(db.session, account, request.args.get("installment"))
    except NotFound:
        return _message("installment_missing_title", [texts.t("installment_missing_body", lang)], lang=lang,
                        business=business, status=404, action_url=url_for("portal.account"),
                        action_label=texts.t("back_to_account", lang))
    if not plan_offers.payable(row.plan, row):
        return _message("installment_done_title", [texts.t(f"installment_{row.status}", lang)
                                                   if row.status in ("paid", "processing")
                                                   else texts.t("installment_not_payable", lang)],
                        lang=lang, business=business, status=409,
                        action_url=url_for("portal.plan_agreement", plan_id=row.payment_plan_id),
                        action_label=texts.t("plan_see_schedule", lang))
    g.pay_installment = row
    return None


def _mandate(business: overview.BusinessFacts, lang: str, amount: str | None) -> str:
    """The words of the bank debit's authorization: the business, the amount (or "the amount above" while none is
    valid), today's date where the debtor lives, one time only, and how to cancel it."""
    today = g.now.astimezone(overview.display_zone(g.portal.account) or UTC).date()
    return texts.t("ach_mandate", lang, business=business.name, contact=_contact(business, lang),
                   amount=amount or texts.t("mandate_amount_unknown", lang), date=snippets.long_date(today, lang))


def _receipt_ticked() -> bool:
    """The "Email me a receipt" box (offered only under a cease: portal_payments.receipt_offer)."""
    return request.method == "POST" and request.form.get("receipt") == "yes"


def _refused(form: PayForm, facts: portal_payments.PayFacts, message: str, *, field: str | None = None,
             status: int = 422, code: str = "VALIDATION_ERROR"):
    """A payment that did not go ahead: JSON for the page's script, else the page with the message inline."""
    if wants_json():
        return error(code, message, status, field=field)
    if field == "amount":
        form.amount.errors = [message]
        return _pay_page(form, facts, status=status)
    return _pay_page(form, facts, status=status, pay_error=message)


def _amount_message(facts: portal_payments.PayFacts, lang: str, exc: DomainError | None = None) -> str:
    """Why the amount is not one that may be paid now, said with the bounds as they are now."""
    if not facts.payable:
        return texts.t("all_in_flight" if facts.balance > 0 else "nothing_to_pay", lang)
    if exc is not None and exc.extra.get("text") == "err_amount_missing":
        return texts.t("err_amount_missing", lang)
    return texts.t("err_amount_range", lang, max=format_usd(facts.available))


def _amount_refused(form: PayForm, facts: portal_payments.PayFacts, lang: str, exc: DomainError | None = None):
    return _refused(form, facts, _amount_message(facts, lang, exc), field="amount")


def _fields_refused(form: PayForm, facts: portal_payments.PayFacts, problems: dict[str, str]):
    """Problems with several fields at once (the bank form), each said on its field; JSON carries them all in
    `fields`, with the first in page order as `field`."""
    first = next(name for name in ("amount", *BANK_FORM_FIELDS) if name in problems)
    if wants_json():
        return error("VALIDATION_ERROR", problems[first], 422, field=first, fields=problems)
    for name, message in problems.items():
        getattr(form, name).errors = [message]
    return _pay_page(form, facts, status=422)


def _needs_js(lang: str) -> str:
    business = overview.business_facts(db.session, g.portal.account.business_id)
    return texts.t("needs_js", lang, business=business.name, contact=_contact(business, lang))


def _answer(result: one_time.PaymentResult, form: PayForm, facts: portal_payments.PayFacts, lang: str):
    """What one_time.start or .complete decided, for the page's script (or, without it, as a page). A bank debit
    that Stripe holds for the account's verification goes to its page, which says what to do."""
    payment = result.payment
    bank = payment.payment_method == "ach"
    if result.status == "succeeded" or payment.status == "processing" \
            or portal_payments.awaiting_bank_verification(payment):
        receipt_url = url_for("portal.receipt", payment_id=payment.id)
        if wants_json():
            return ok({"status": result.status, "paymentId": str(payment.id), "redirect": receipt_url})
        return redirect(receipt_url, code=303)
    if result.status == "requires_action":
        if wants_json():
            return ok({"status": result.status, "paymentId": str(payment.id), "clientSecret": result.client_secret,
                       "completeUrl": url_for("portal.pay_complete", payment_id=payment.id)})
        return _refused(form, facts, _needs_js(lang), status=409, code="CONFLICT")
    if result.status == "processing":  # Stripe's answer has not come yet: the clock will finish it
        return _refused(form, facts, texts.t("bank_checking" if bank else "pay_checking", lang), status=202,
                        code="PAYMENT_PENDING")
    reason_key = portal_payments.failure_reason_key(payment.failure_code, payment.payment_method)
    reason = texts.t(reason_key, lang) if reason_key else (result.error or texts.t("reason_unknown", lang))
    failed, hint = ("bank_failed", "bank_failed_hint") if bank else ("pay_failed", "pay_failed_hint")
    message = f"{texts.t(failed, lang, reason=reason)} {texts.t(hint, lang)}"
    return _refused(form, facts, message, status=402, code="PAYMENT_FAILED")


def _bank_attempt() -> bool:
    """A bank payment being posted: the one kind of pay request the bank limit counts."""
    return request.method == "POST" and request.form.get("method") == "ach"


@bp.route("/p/pay", methods=["GET", "POST"])
@limiter.limit(BANK_LIMIT, key_func=lambda: _portal_account_key(), exempt_when=lambda: not _bank_attempt())
@portal_required
def pay():
    """The payment form (GET). POST charges the PaymentMethod Stripe.js set up in the browser: one card collection
    pays once (the PaymentMethod id is the idempotency key), so a double submit or a retry after a lost answer
    finds the payment it started instead of charging again. Or, with method "ach", it debits the bank account typed
    into the form (_pay_by_bank). A ticked "Email me a receipt" box is recorded with the payment as the debtor's
    request (CEASE-3)."""
    account = g.portal.account
    lang = _language(account)
    facts = portal_payments.pay_facts(db.session, account)
    form = PayForm()
    for field in form:
        field.errors = []
    if request.args.get("installment"):
        refused = _pay_installment_target(account, lang)
        if refused is not None:
            return refused
    if request.method == "GET":
        return _pay_page(form, facts)
    if g.get("pay_installment") is not None:
        return _pay_installment(form, facts, lang)
    if form.method.data == "ach":
        return _pay_by_bank(form, facts, lang)
    try:
        amount = portal_payments.parse_amount(form.amount.data, facts.available)
    except ValidationError as exc:
        return _amount_refused(form, facts, lang, exc)
    payment_method_id = (form.payment_method_id.data or "").strip()
    if not payment_method_id:
        return _refused(form, facts, _needs_js(lang))
    receipt_request = portal_payments.receipt_request(db.session, account, _receipt_ticked(), now=g.now)
    try:
        result = one_time.start(db.session, account, amount, method="card", payment_method_id=payment_method_id,
                                now=g.now, idempotency_key=f"portal:{payment_method_id}",
                                receipt_request=receipt_request, **_client())
    except (ValidationError, Conflict) as exc:
        db.session.rollback()
        if exc.field not in (None, "amount"):
            return _refused(form, facts, texts.t("pay_needs_card", lang))
        return _amount_refused(form, portal_payments.pay_facts(db.session, account), lang)
    return _answer(result, form, facts, lang)


def _pay_installment(form: PayForm, facts: portal_payments.PayFacts, lang: str):
    """One plan installment paid now by card, on-session (FR-PAY-040): claimed for this payment so the clock does
    not charge it too; the amount is the installment's, whatever the form says."""
    from app.services.payments import plan_offers

    account = g.portal.account
    row = g.pay_installment
    payment_method_id = (form.payment_method_id.data or "").strip()
    if form.method.data == "ach" or not payment_method_id:
        return _refused(form, facts, _needs_js(lang))
    try:
        result = plan_offers.pay_installment(db.session, account, row.id, payment_method_id=payment_method_id,
                                             now=g.now, **_client())
    except Conflict as exc:
        db.session.rollback()
        return _refused(form, facts, texts.t(exc.extra.get("text") or "pay_error", lang), status=409,
                        code="CONFLICT")
    except ValidationError:
        db.session.rollback()
        return _refused(form, facts, texts.t("pay_needs_card", lang))
    return _answer(result, form, facts, lang)


def _pay_by_bank(form: PayForm, facts: portal_payments.PayFacts, lang: str):
    """A one-time debit from the bank account typed into the form, once the amount, the account and the ticked
    authorization check out (every problem said on its field at once). The numbers go to Stripe and nowhere else:
    a page shown again after a problem has the number fields empty."""
    account = g.portal.account
    if not gateway.supports_bank_debits(current_app.config["CONFIG_OBJECT"]):
        return _refused(form, facts, texts.t("bank_not_offered", lang))
    problems: dict[str, str] = {}
    try:
        amount = portal_payments.parse_amount(form.amount.data, facts.available)
    except ValidationError as exc:
        amount = None
        problems["amount"] = _amount_message(facts, lang, exc)
    try:
        entry = portal_payments.parse_bank_account(
            holder_name=form.holder_name.data, routing_number=form.routing_number.data,
            account_number=form.account_number.data, account_number_confirm=form.account_number_confirm.data,
            account_type=form.account_type.data, authorized=bool(form.authorize.data))
    except ValidationError as exc:
        entry = None
        problems.update({name: texts.t(key, lang) for name, key in exc.extra["errors"].items()})
    if problems:
        return _fields_refused(form, facts, problems)
    business = overview.business_facts(db.session, account.business_id)
    receipt_request = portal_payments.receipt_request(db.session, account, _receipt_ticked(), now=g.now)
    try:
        result = portal_payments.pay_by_bank(
            db.session, account, amount, entry, submission=form.submission.data, now=g.now,
            authorization=_mandate(business, lang, format_usd(amount)), receipt_request=receipt_request,
            **_client())
    except ValidationError as exc:
        db.session.rollback()
        if exc.field == "amount":
            return _amount_refused(form, portal_payments.pay_facts(db.session, account), lang)
        if exc.extra.get("errors"):
            return _fields_refused(form, facts, {name: texts.t(key, lang)
                                                 for name, key in exc.extra["errors"].items()})
        return _refused(form, facts, texts.t(exc.extra.get("text") or "pay_error", lang))
    except Conflict as exc:
        db.session.rollback()
        if exc.field == "amount":
            return _amount_refused(form, portal_payments.pay_facts(db.session, account), lang)
        return _refused(form, facts, texts.t("pay_error", lang), status=409, code="CONFLICT")
    except portal_payments.BankUnavailable:
        db.session.rollback()
        return _refused(form, facts, texts.t("bank_unavailable", lang), status=503, code="PAYMENT_UNAVAILABLE")
    return _answer(result, form, facts, lang)


def _portal_account_key() -> str:
    data = session.get(SESSION_KEY)
    account_id = data.get("account") if isinstance(data, dict) else None
    return f"portal-pay:{account_id or request.remote_addr}"


@bp.post("/p/pay/setup")
@limiter.limit(SETUP_LIMIT, key_func=_portal_account_key)
@portal_required
def pay_setup():
    """A SetupIntent's client secret for the account's Stripe customer, once the amount is one that may be paid:
    the page confirms it with the card (confirmCardSetup), then posts the PaymentMethod to /p/pay. Limited per
    account, so a portal session cannot be used to try card after card."""
    account = g.portal.account
    lang = _language(account)
    facts = portal_payments.pay_facts(db.session, account)
    form = PayForm()
    form.amount.errors = []
    try:
        portal_payments.parse_amount(form.amount.data, facts.available)
    except ValidationError as exc:
        return _amount_refused(form, facts, lang, exc)
    try:
        intent = gateway.create_setup_intent(db.session, account)
    except gateway.StripeError as exc:
        db.session.rollback()
        current_app.logger.warning("portal setup intent for account %s failed: %s", account.id, exc)
        return _refused(form, facts, texts.t("pay_offline", lang), status=503, code="PAYMENT_UNAVAILABLE")
    db.session.commit()
    return ok({"clientSecret": intent.client_secret})


@bp.post("/p/pay/<payment_id>/complete")
@portal_required
def pay_complete(payment_id):
    """After the bank's 3-D Secure step in the browser: ask Stripe where the payment stands and apply it."""
    account = g.portal.account
    lang = _language(account)
    try:
        payment = portal_payments.account_payment(db.session, account, payment_id)
        result = one_time.complete(db.session, payment.id, now=g.now, account_id=account.id)
    except NotFound:
        return error("NOT_FOUND", texts.t("payment_missing", lang), 404)
    form = PayForm()
    form.amount.data = str(payment.amount)
    return _answer(result, form, portal_payments.pay_facts(db.session, account), lang)


@bp.get("/p/receipts/<payment_id>")
@portal_required
def receipt(payment_id):
    """A payment's receipt, printable, with the time in the debtor's zone; only this account's payments."""
    account = g.portal.account
    lang = _language(account)
    try:
        found = portal_payments.receipt(db.session, account, payment_id)
    except NotFound:
        business = overview.business_facts(db.session, account.business_id)
        return _message("receipt_missing_title", [texts.t("receipt_missing_body", lang)], lang=lang,
                        business=business, status=404, action_url=url_for("portal.account") + "#payments",
                        action_label=texts.t("back_to_account", lang))
    return _portal_page("portal/receipt.html", receipt=found, account_last4=overview.last4(account.account_number),
                        receipt_time=_local_time(portal_payments.paid_at(found.payment), account, lang),
                        method_text=_method_text(found, lang))


def _local_time(value: dt.datetime, account: Account, lang: str) -> str:
    """"November 25, 2026, 9:03 AM CST" / "25 de noviembre de 2026, 09:03 CST" in the debtor's zone (UTC when the
    zone is not known)."""
    local = value.astimezone(overview.display_zone(account) or UTC)
    clock = f"{local:%H:%M}" if lang == "es" else f"{local:%I:%M %p}".lstrip("0")
    return f"{snippets.long_date(local.date(), lang)}, {clock} {local:%Z}"


def _method_text(found: portal_payments.Receipt, lang: str) -> str:
    """"Visa ending in 4242", "STRIPE TEST BANK account ending in 6789", else the kind of payment."""
    if found.card_last4:
        brand = portal_payments.card_brand_name(found.card_brand) or texts.t("pm_card", lang)
        return texts.t("card_ending", lang, brand=brand, last4=found.card_last4)
    if found.bank_last4:
        if found.bank_name:
            return texts.t("bank_ending", lang, bank=found.bank_name, last4=found.bank_last4)
        return texts.t("bank_ending_plain", lang, last4=found.bank_last4)
    return texts.t(f"pm_{found.payment.payment_method}", lang)


# -- contact preferences (D-3) ---------------------------------------------------------------------------------------
def _apply_preference(account: Account, *, verified: bool, lang: str, link: PortalLink, ref: str | None) -> None:
    action, _, channel = (request.form.get("action") or "").partition(":")
    try:
        if action == "stop":
            new = records.stop_channel(db.session, account, channel, now=g.now, link_id=link.id, verified=verified,
                                       **_client())
            db.session.commit()
            flash(texts.t("stopped_flash" if new else "already_stopped_flash", lang), "success")
        elif action == "resume" and verified:
            records.resume_channel(db.session, account, channel, now=g.now, link_id=link.id, session_ref=ref or "",
                                   **_client())
            db.session.commit()
            flash(texts.t("resumed_flash", lang, channel=texts.t(f"ch_{channel}", lang)), "success")
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")


# -- the profile (PRD 8.4.1): contact details, language and the contact preferences above ----------------------------
def _profile_forms() -> dict:
    forms = {"email": EmailForm(), "phone": PhoneForm(), "language": LanguageForm()}
    for form in forms.values():
        for field in form:
            field.errors = []
    return forms


def _profile_page(forms: dict | None = None, *, status: int = 200):
    account = g.portal.account
    forms = forms or _profile_forms()
    if forms["language"].language.data not in records.LANGUAGES:
        forms["language"].language.data = snippets.lang_of(account.preferred_language)
    return _portal_page("portal/preferences.html", status=status, prefs=records.preferences(db.session, account),
                        verified=True, action_url=url_for("portal.preferences"), forms=forms,
                        preferred_language=snippets.lang_of(account.preferred_language))


def _save_profile(part: str, current: PortalSession, lang: str):
    """One of the profile's forms; an inline error re-shows the page (422), a change is recorded and confirmed."""
    account = current.account
    forms = _profile_forms()
    evidence = {"now": g.now, "link_id": current.link.id, "session_ref": current.ref, **_client()}
    try:
        if part == "email":
            records.change_email(db.session, account, forms["email"].email.data, **evidence)
            message = texts.t("email_saved", lang)
        elif part == "phone":
            texts_ok = bool(forms["phone"].texts_ok.data)
            records.change_phone(db.session, account, forms["phone"].phone.data, texts_ok=texts_ok, **evidence)
            message = texts.t("phone_saved_texts" if texts_ok else "phone_saved", lang)
        else:
            chosen = forms["language"].language.data
            records.change_language(db.session, account, chosen, **evidence)
            lang = chosen
            session[LANGUAGE_KEY] = chosen  # this visit (and the pages after sign-out) follow the choice at once
            session[SESSION_KEY] = {**session[SESSION_KEY], "lang": chosen}
            message = texts.t("language_saved", lang)
    except ValidationError as exc:
        db.session.rollback()
        getattr(forms[part], part).errors = [texts.t(exc.extra.get("text") or f"err_{part}", lang)]
        return _profile_page(forms, status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("portal.preferences"))  # the page's top, where the confirmation shows


PROFILE_FORMS = ("email", "phone", "language")


@bp.route("/p/preferences", methods=["GET", "POST"])
def preferences():
    """The debtor's profile: contact details, language and which messages may come (D-3). Email footers link here
    (snippets.PREFERENCES_PATH under the portal URL) for a signed-in debtor."""
    now = get_clock().now()
    current, reason = _current(now)
    if current is None:
        if request.method == "POST":
            return redirect(url_for("portal.signed_out", reason=reason or "none"))
        lang = _language()
        return _message("landing_title", [texts.t("landing_body", lang)], lang=lang)
    g.portal, g.now = current, now
    account = current.account
    lang = _language(account)
    if request.method == "POST":
        part = request.form.get("form")
        if part in PROFILE_FORMS:
            return _save_profile(part, current, lang)
        _apply_preference(account, verified=True, lang=lang, link=current.link, ref=current.ref)
        return redirect(url_for("portal.preferences"))
    return _profile_page()


@bp.route("/p/<token>/preferences", methods=["GET", "POST"])
def link_preferences(token):
    """From an email footer or "Not you?": stopping messages needs only the link (even an expired one); turning them
    back on needs the identity check."""
    now = get_clock().now()
    try:
        link = links.find(db.session, token)
    except links.LinkInvalid:
        return _invalid()
    current, _ = _current(now)
    if current is not None and current.account.id == link.account_id:
        return redirect(url_for("portal.preferences"), code=303 if request.method == "POST" else 302)
    account = db.session.get(Account, link.account_id)
    lang = _language(account)
    g.now = now
    if request.method == "POST":
        _apply_preference(account, verified=False, lang=lang, link=link, ref=None)
        return redirect(url_for("portal.link_preferences", token=token))
    return _render("portal/preferences.html", lang=lang, account=account,
                   business=overview.business_facts(db.session, account.business_id),
                   prefs=records.preferences(db.session, account), verified=False,
                   action_url=url_for("portal.link_preferences", token=token),
                   verify_url=url_for("portal.open_link", token=token))


# -- one-click unsubscribe (RFC 8058) --------------------------------------------------------------------------------
@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_page(token):
    """GET asks to confirm with one button; POST (a mail client's `List-Unsubscribe=One-Click`, or that button)
    records the opt-out and answers 200. No CSRF token and no cookie are needed; a repeat changes nothing."""
    now = get_clock().now()
    try:
        found = unsubscribe.target(db.session, token)
    except NotFound:
        return _invalid()
    lang = _language(remember=False) if request.args.get("lang") else found.language
    business = overview.business_facts(db.session, found.business.id)
    address = overview.mask_address(found.address)
    if request.method == "POST":
        _, new = unsubscribe.unsubscribe(db.session, token, now=now, **_client())
        db.session.commit()
        text = texts.t("unsub_done", lang, business=business.name, address=address) if new \
            else texts.t("unsub_already", lang)
        return _render("portal/unsubscribe.html", lang=lang, business=business, switch=False,
                       heading=texts.t("unsub_done_title", lang), text=text, confirm=False)
    if unsubscribe.already_unsubscribed(db.session, found):
        return _render("portal/unsubscribe.html", lang=lang, business=business,
                       heading=texts.t("unsub_done_title", lang), text=texts.t("unsub_already", lang), confirm=False)
    return _render("portal/unsubscribe.html", lang=lang, business=business, heading=texts.t("unsub_title", lang),
                   text=texts.t("unsub_lead", lang, business=business.name, address=address), confirm=True)
