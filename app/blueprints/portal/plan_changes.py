"""The portal page where a debtor asks to change their payment plan (PRD 4.4.4 FR-PAY-030): a new payment date, a
different amount, or a hardship pause, with their reason; then the request's status, and a way to withdraw it while
it waits. Only the verified debtor's own plans; the rules are in services/payments/plan_changes."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import g, redirect, request, url_for

from app.blueprints.portal import bp
from app.blueprints.portal.plans import _missing
from app.blueprints.portal.views import _client, _language, _portal_page, portal_required
from app.extensions import db
from app.services.accounts import fields
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.money import format_usd
from app.services.payments import plan_changes, plan_policy
from app.services.payments.plan_changes import ChangeAsk
from app.services.payments.plan_records import OPEN_STATUSES
from app.services.compliance import snippets
from app.services.portal import texts

FORM_FIELDS = ("kind", "date", "amount", "count", "periods", "reason")
NOTICES = {"sent": "change_sent", "withdrawn": "change_withdrawn"}


def _value(value, lang: str):
    """A value for an error text: money as dollars, a date as the debtor reads dates."""
    if isinstance(value, Decimal):
        return format_usd(value)
    if isinstance(value, dt.date):
        return snippets.long_date(value, lang)
    return value


def _message_of(exc, lang: str) -> str:
    key = (exc.extra or {}).get("text")
    if key not in texts.TEXTS:
        return exc.message
    values = {name: _value(v, lang) for name, v in ((exc.extra or {}).get("values") or {}).items()}
    return texts.t(key, lang, **values)


def _ask(form: dict) -> ChangeAsk:
    """The form as the service reads it; a malformed number or date is the same inline error as a missing one."""
    kind = form["kind"]
    try:
        day = fields.date(form["date"], "date") if kind == "date_change" else None
    except ValidationError:
        day = None
    try:
        amount = fields.money(form["amount"], "amount") if kind == "amount_change" else None
    except ValidationError:
        raise ValidationError("Enter an amount in dollars.", field="amount",
                              extra={"text": "err_change_amount"}) from None
    count = int(form["count"]) if kind == "amount_change" and form["count"].isdigit() else None
    if kind == "amount_change" and form["count"] and count is None:
        raise ValidationError("Enter the number of payments.", field="count", extra={"text": "err_change_amount"})
    periods = int(form["periods"]) if form["periods"].isdigit() else None
    return ChangeAsk(kind=kind, reason=form["reason"], date=day, amount=amount, count=count,
                     periods=periods if kind == "hardship_pause" else None)


def _what(change, lang: str) -> str:
    """What a request asked, in the debtor's words."""
    if change.kind == "date_change":
        return texts.t("change_what_date", lang, date=snippets.long_date(change.requested_date, lang))
    if change.kind == "amount_change":
        if change.requested_amount is not None:
            return texts.t("change_what_amount", lang, amount=format_usd(change.requested_amount))
        return texts.t("change_what_count", lang, count=change.requested_count)
    return texts.t("change_what_pause", lang, n=change.pause_periods)


def _page(plan, *, form: dict | None = None, errors: dict | None = None, notice: str | None = None,
          status: int = 200):
    lang = _language(g.portal.account)
    requests = plan_changes.for_plan(db.session, plan)
    pending = next((r for r in requests if r.status == "pending"), None)
    policy = plan_policy.get(db.session, plan.business_id)
    return _portal_page("portal/plan_change.html", status=status, plan=plan, requests=requests, pending=pending,
                        what=lambda r: _what(r, lang), form=form or {"kind": ""}, errors=errors or {},
                        notice=notice, can_ask=plan.status in OPEN_STATUSES and pending is None,
                        min_installment=format_usd(policy.min_installment),
                        max_periods=plan_changes.MAX_PAUSE_PERIODS, max_reason=plan_changes.MAX_REASON,
                        next_row=next((r for r in sorted(plan.installments, key=lambda r: r.number)
                                       if r.status in ("scheduled", "failed", "processing")), None))


@bp.route("/p/plans/<plan_id>/change", methods=["GET", "POST"])
@portal_required
def plan_change(plan_id):
    """The form and the requests' status. A POST asks (errors inline on their fields) or, with action=withdraw,
    takes back the pending request; both land back here (303) with a notice."""
    account = g.portal.account
    lang = _language(account)
    try:
        plan = plan_changes.debtor_plan(db.session, account, plan_id)
    except NotFound:
        return _missing(lang)
    if request.method == "GET":
        notice = NOTICES.get(request.args.get("done", ""))
        return _page(plan, notice=texts.t(notice, lang) if notice else None)
    if request.form.get("action") == "withdraw":
        try:
            plan_changes.withdraw(db.session, account, plan.id, request.form.get("request_id", ""), now=g.now,
                                  **_client())
        except (Conflict, NotFound) as exc:
            db.session.rollback()
            return _page(plan, notice=_message_of(exc, lang), status=409)
        db.session.commit()
        return redirect(url_for("portal.plan_change", plan_id=plan.id, done="withdrawn"), code=303)
    form = {name: request.form.get(name, "").strip() for name in FORM_FIELDS}
    try:
        plan_changes.request(db.session, account, plan.id, _ask(form), now=g.now, **_client())
    except ValidationError as exc:
        db.session.rollback()
        return _page(plan, form=form, errors={exc.field or "kind": _message_of(exc, lang)}, status=422)
    except Conflict as exc:
        db.session.rollback()
        return _page(plan, form=form, notice=_message_of(exc, lang), status=409)
    db.session.commit()
    return redirect(url_for("portal.plan_change", plan_id=plan.id, done="sent"), code=303)
