"""The Payments tab of the account file: history, "Record a payment" (check, cash, money order) and refunds.

HTMX posts get the section back with inline errors; a request without HTMX gets the whole page. A stored payment
or refund answers with a redirect to the tab (HX-Redirect for HTMX), so the balance and status at the top of the
page are read afresh."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.accounts import bp
from app.extensions import db
from app.services.accounts import records
from app.services.clock import get_clock
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.money import format_usd
from app.services.payments import history, manual, refunds

RECORD_FIELDS = ("amount", "paymentMethod", "reference", "receivedOn", "note")


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _client() -> dict:
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


def section(account, now, *, values: dict | None = None, errors: dict | None = None,
            refund: dict | None = None) -> dict:
    """Everything the tab shows. `refund` is the open refund panel: {payment, amount, reason, error, confirming}."""
    principal = g.principal
    can_record = manual.may_record(principal)
    if refund is None and request.args.get("refund") and refunds.may_refund(principal):
        refund = _refund_panel(account, request.args["refund"])
    return {"rows": history.account_payments(db.session, account),
            "can_record": can_record, "can_refund": refunds.may_refund(principal),
            "payable": manual.payable(db.session, account) if can_record else None,
            "methods": manual.METHODS, "today": now.date().isoformat(),
            "form": values or {"receivedOn": now.date().isoformat()}, "errors": errors or {}, "refund": refund}


def _refund_panel(account, payment_id, **state) -> dict | None:
    """The refund form for one of this account's refundable payments, the amount prefilled with what is left."""
    row = _row(account, payment_id)
    if row is None or row.refundable <= 0:
        return None
    panel = {"payment": row.payment, "row": row, "amount": state.get("amount", f"{row.refundable:.2f}"),
             "reason": state.get("reason", ""), "error": state.get("error"), "confirming": False}
    if state.get("confirming") is not None:  # the checked amount
        panel.update(confirming=True, amount=f"{state['confirming']:.2f}",
                     balance_after=account.current_balance + state["confirming"])
    return panel


def _render(account, status: int = 200, **state):
    now = get_clock().now()
    payments = section(account, now, **state)
    if _is_htmx():
        return render_template("accounts/_payments.html", account=account, payments=payments), status
    from app.blueprints.accounts.views import account_page

    return account_page(account, "payments", now, payments=payments), status


def _done(account, message: str):
    flash(message, "success")
    target = url_for("accounts.show", account_id=account.id, tab="payments")
    if _is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)


def _row(account, payment_id) -> history.PaymentRow | None:
    return next((row for row in history.account_payments(db.session, account)
                 if str(row.payment.id) == str(payment_id)), None)


def _payment_of(account, payment_id) -> history.PaymentRow:
    """One of this account's payments, refundable or not; another account's or business's id is 404."""
    row = _row(account, payment_id)
    if row is None:
        raise NotFound("Payment not found")
    return row


@bp.post("/<account_id>/payments", endpoint="record_payment")
@page_permission("payments.record_manual")
def record_payment(account_id):
    """A check, cash or money order received: applied at once, the receipt queued for the debtor."""
    account = records.get_account(db.session, g.principal, account_id)
    values = {name: request.form.get(name, "").strip() for name in RECORD_FIELDS}
    try:
        payment = manual.record_manual(db.session, g.principal, account.id, values["amount"],
                                       values["paymentMethod"], reference=values["reference"] or None,
                                       note=values["note"] or None, received_on=values["receivedOn"] or None,
                                       now=get_clock().now(), **_client())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        return _render(account, 400, values=values, errors={exc.field or "form": exc.message})
    db.session.commit()
    receipt = f" Receipt {payment.receipt_number}." if payment.receipt_number else ""
    return _done(account, f"{format_usd(payment.amount)} by {manual.METHODS[payment.payment_method].lower()} "
                          f"recorded.{receipt}")


@bp.get("/<account_id>/payments/<payment_id>/refund", endpoint="refund_form")
@page_permission("payments.refund")
def refund_form(account_id, payment_id):
    """The refund panel, opened on one payment (step one: the amount, prefilled with all that is left)."""
    account = records.get_account(db.session, g.principal, account_id)
    if not refunds.may_refund(g.principal):
        abort(403)
    row = _payment_of(account, payment_id)
    panel = _refund_panel(account, row.payment.id)
    if panel is None:
        return _render(account, 409, refund=None, errors={"form": "This payment has nothing left to refund."})
    return _render(account, refund=panel)


@bp.post("/<account_id>/payments/<payment_id>/refund", endpoint="refund_payment")
@page_permission("payments.refund")
def refund_payment(account_id, payment_id):
    """Step two shows what will happen and asks to confirm; step three (confirm=yes) refunds."""
    account = records.get_account(db.session, g.principal, account_id)
    if not refunds.may_refund(g.principal):
        abort(403)
    row = _payment_of(account, payment_id)
    amount, reason = request.form.get("amount", "").strip(), request.form.get("reason", "").strip()
    confirmed = request.form.get("confirm") == "yes"
    before = row.payment.refunded_amount
    try:
        if not amount:
            raise ValidationError("Enter the amount to refund.", field="amount")
        if not confirmed:
            _, value, _ = refunds.prepare(db.session, g.principal, row.payment.id, amount, reason)
            db.session.rollback()
            return _render(account, refund=_refund_panel(account, row.payment.id, reason=reason, confirming=value))
        payment = refunds.refund(db.session, g.principal, row.payment.id, amount, now=get_clock().now(),
                                 reason=reason or None, config=current_app.config["CONFIG_OBJECT"], **_client())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        panel = _refund_panel(account, row.payment.id, amount=amount, reason=reason, error=exc.message)
        return _render(account, 400, refund=panel, errors={} if panel else {"form": exc.message})
    db.session.commit()
    refunded = payment.refunded_amount - before
    return _done(account, f"Refunded {format_usd(refunded)} of the {format_usd(payment.amount)} payment"
                          f"{f' (receipt {payment.receipt_number})' if payment.receipt_number else ''}. "
                          f"The balance is now {format_usd(payment.account.current_balance)}.")
