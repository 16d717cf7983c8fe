"""The chat widget: /widget.js (the embed script a business puts on its site, and the portal uses), the /widget
frame (the identity step when the browser has no verified portal session, the chat when it has one), and the
debtor's messages (posted, and fetched after an id by a page that lost its connection).

The debtor is whoever the portal session proved (app/blueprints/portal/views.py): a debtor who came through a portal
link is already verified; on a business's own site the frame asks for the account number, the last name and the ZIP
code or date of birth, with the portal's lockout, and then starts the same portal session. On another site the
browser sends the frame no cookie, so the page script carries the session as a signed token instead
(app/services/portal/widget_tokens.py): in a header on every request, in the socket's auth, and in the tab's
sessionStorage so that the next page of the site resumes the chat without asking again."""
from __future__ import annotations

import re
import uuid

from flask import abort, current_app, g, make_response, redirect, render_template, request, send_from_directory, \
    session, url_for
from markupsafe import Markup, escape

from app.blueprints.portal.forms import IdentityForm
from app.blueprints.portal.views import SESSION_KEY, _current, _language, _start, resolve
from app.blueprints.widget import bp
from app.blueprints.widget.texts import t as widget_text
from app.extensions import csrf, db, limiter
from app.services import web_chat
from app.services.clock import get_clock
from app.services.errors import NotFound, ValidationError
from app.services.portal import overview, widget_tokens
from app.services.portal.texts import contact_suffix
from app.templating import format_phone

EMBED_MAX_AGE = 3600
"""Seconds a browser may keep /widget.js: a change reaches every site within the hour."""
IDENTITY_FIELDS = ("account_number", "last_name", "zip_code", "birth_date")
LINK = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)"


def linkify(text: str | None) -> Markup:
    """Message text, escaped, with its web addresses clickable (the validation notice link, a payment link); the
    page script does the same for pushed messages."""
    text = text or ""
    parts, last = [], 0
    for match in LINK.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>').format(url))
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _business_id() -> uuid.UUID | None:
    try:
        return uuid.UUID(request.values.get("business", ""))
    except ValueError:
        return None


def _render(template: str, *, business, lang: str, status: int = 200, account=None, **context):
    def t(key, **values):
        return widget_text(key, lang, **values)

    zone = overview.display_zone(account) if account is not None else None

    def clock(at):
        """A message's time for people: the debtor's zone when one is known (the page script shows the browser's)."""
        local = at.astimezone(zone) if zone is not None else at
        return f"{local:%H:%M}" if lang == "es" else f"{local:%I:%M %p}".lstrip("0")

    phone = format_phone(business.support_phone) if business.support_phone else None
    body = render_template(template, t=t, lang=lang, business=business, account=account, clock=clock,
                           client_id_of=web_chat.client_id_of, shown_at=web_chat.shown_at, linkify=linkify,
                           contact=contact_suffix(phone, business.support_email, lang), **context)
    return body, status


# -- the embed script ------------------------------------------------------------------------------------------------
@bp.get("/widget.js")
@limiter.exempt
def embed_script():
    """Cacheable: the same script for every site; the business comes from the tag's data-business."""
    response = send_from_directory(current_app.static_folder, "js/widget-embed.js", max_age=EMBED_MAX_AGE,
                                   mimetype="text/javascript")
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# -- the frame -------------------------------------------------------------------------------------------------------
def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _verified(business_id: uuid.UUID | None = None):
    """The verified debtor (for this business when one is named), else None: from the widget's token when the
    request carries one (a frame on another site), else from the portal's cookie session."""
    now = get_clock().now()
    g.now = now
    token = request.headers.get(widget_tokens.HEADER)
    if token is not None:
        facts = widget_tokens.read(_secret(), token)
        current = resolve(facts, now)[0] if facts is not None else None
        if current is not None:
            g.widget_facts = facts
    else:
        current, _ = _current(now)
    if current is None or (business_id is not None and current.account.business_id != business_id):
        return None
    g.portal = current
    return current


@bp.after_request
def _renew_token(response):
    """Each answer to a verified frame carries a fresh token, so the session's idle clock restarts as the cookie's
    does."""
    facts = g.get("widget_facts")
    if facts is not None and response.status_code < 400:
        response.headers[widget_tokens.HEADER] = widget_tokens.issue(_secret(), facts, g.now)
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/widget")
def frame():
    """The chat for a verified debtor; otherwise the identity step for the business the site named."""
    business_id = _business_id()
    current = _verified(business_id)
    if current is not None:
        return _chat_page(current.account)
    if business_id is None:
        abort(404)
    business = web_chat.business_for_widget(db.session, business_id)
    return _identity_page(business, _language(), form=_blank_form())


def _chat_page(account, status: int = 200, error: str | None = None, *, partial: bool = False):
    """The frame with the chat, or (partial) the chat alone for the page script to put in place of the identity
    step."""
    lang = _language(account)
    business = overview.business_facts(db.session, account.business_id)
    messages = web_chat.history(db.session, account)
    template = "widget/_chat.html" if partial else "widget/frame.html"
    return _render(template, business=business, lang=lang, account=account, messages=messages,
                   room=web_chat.portal_room(account.id), business_id=account.business_id, status=status,
                   error=error, client_id=uuid.uuid4().hex)


def _blank_form() -> IdentityForm:
    form = IdentityForm()
    for name in ("last_name", "zip_code", "birth_date"):
        getattr(form, name).errors = []
    return form


def _identity_page(business_row, lang: str, *, form: IdentityForm, status: int = 200, errors: dict | None = None,
                   mismatch: str | None = None, locked_minutes: int | None = None):
    business = overview.business_facts(db.session, business_row.id)
    template = "widget/_identify.html" if _htmx() else "widget/frame.html"
    return _render(template, business=business, lang=lang, status=status, form=form,
                   errors=errors or {}, mismatch=mismatch, locked_minutes=locked_minutes,
                   business_id=business_row.id, account_number=(request.form.get("account_number") or "").strip(),
                   ended=request.args.get("ended") == "1")


def _identify_key() -> str:
    return f"widget-identify-ip:{request.remote_addr}"


@bp.get("/widget/chat")
def chat():
    """The chat alone, for a frame resuming with its token on the next page of a site (401: ask again)."""
    current = _verified(_business_id())
    if current is None or not _htmx():
        return "", 401
    return _chat_page(current.account, partial=True)


@bp.post("/widget/identify")
@csrf.exempt
@limiter.limit("30 per 15 minutes", key_func=_identify_key)
def identify():
    """The identity step on a business's own site: a pass starts the portal session and shows the chat.

    No CSRF token: on another site the frame has no cookie to tie one to, and the step grants nothing that the
    account's own details do not; the per-address limit and the portal's lockout guard it. The page script gets the
    chat with the session's token in its answer; a plain form post is redirected to the chat."""
    business = web_chat.business_for_widget(db.session, request.form.get("business", ""))
    lang = _language()
    form = _blank_form()
    raw_birth = (request.form.get("birth_date") or "").strip()
    errors: dict[str, str] = {}
    if raw_birth and form.birth_date.data is None:
        errors["birth_date"] = widget_text("err_dob", lang)
    now = get_clock().now()
    result = None
    if not errors:
        try:
            result = web_chat.check_identity(
                db.session, business, account_number=request.form.get("account_number"),
                last_name=form.last_name.data, zip_code=form.zip_code.data,
                birth_date=form.birth_date.data if raw_birth else None, now=now,
                ip=request.remote_addr, user_agent=request.user_agent.string)
        except ValidationError as exc:
            db.session.rollback()
            field = exc.field if exc.field in IDENTITY_FIELDS else "last_name"
            errors[field] = widget_text(exc.extra.get("text", "err_zip_or_dob"), lang)
    if result is None:
        return _identity_page(business, lang, form=form, status=422, errors=errors)
    db.session.commit()
    if result.passed:
        _start(result.link, result.account, result.token, now)
        if not _htmx():
            return redirect(url_for("widget.frame", business=business.id), code=303)
        g.widget_facts, g.now = dict(session[SESSION_KEY]), now
        g.portal = resolve(g.widget_facts, now)[0]
        return _chat_page(result.account, partial=True)
    if result.locked_until is not None:
        minutes = max(1, -(-int((result.locked_until - now).total_seconds()) // 60))
        return _identity_page(business, lang, form=form, status=422, locked_minutes=minutes)
    return _identity_page(business, lang, form=form, status=422, mismatch=widget_text("mismatch", lang))


# -- messages --------------------------------------------------------------------------------------------------------
def _session_ended():
    """401 for a page script (it reloads into the identity step); a redirect for a plain form post."""
    if _htmx():
        return "", 401
    return redirect(url_for("portal.signed_out", reason="expired"))


@bp.get("/widget/messages")
def messages():
    """What appeared after `after` (a message id): the bubbles a reconnecting page is missing."""
    current = _verified()
    if current is None:
        return _session_ended()
    if not _htmx():
        return redirect(url_for("widget.frame"))
    account = current.account
    found = web_chat.history(db.session, account, after_message_id=request.args.get("after"))
    lang = _language(account)
    return _render("widget/_messages.html", business=overview.business_facts(db.session, account.business_id),
                   lang=lang, account=account, messages=found)


@bp.post("/widget/messages")
@csrf.exempt
def post_message():
    """The debtor's message: stored once per client id (a resend answers the same bubble). A frame on another site
    proves itself with its token; a cookie session needs the CSRF token as every form does."""
    current = _verified()
    if current is None:
        return _session_ended()
    if g.get("widget_facts") is None and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    account = current.account
    lang = _language(account)
    client_id = request.form.get("client_message_id") or uuid.uuid4().hex
    business = overview.business_facts(db.session, account.business_id)
    try:
        received = web_chat.post_from_debtor(db.session, account, request.form.get("body"), client_id, now=g.now)
    except ValidationError as exc:
        db.session.rollback()
        if exc.field != "body":
            key = "err_client_id"
        else:
            key = "err_body_long" if (request.form.get("body") or "").strip() else "err_body"
        if not _htmx():
            return _chat_page(account, status=422, error=widget_text(key, lang))
        return _render("widget/_error.html", business=business, lang=lang, status=422, message=widget_text(key, lang))
    except NotFound:
        db.session.rollback()
        abort(404)
    if not _htmx():
        return redirect(url_for("widget.frame"), code=303)
    body, _ = _render("widget/_messages.html", business=business, lang=lang, account=account,
                      messages=[received.message])
    return make_response(body, 200 if received.duplicate else 201)
