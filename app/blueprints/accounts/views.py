from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.blueprints.accounts import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.models import User
from app.models.account import ACCOUNT_STATUSES
from app.services import audit, conversations
from app.services.accounts import documents as account_documents, export, fields, file as account_file, records
from app.services.accounts.search import query_from_mapping, run
from app.services.clock import get_clock
from app.services.errors import DomainError
from app.services.auth import permissions

PAGE_SIZE = 25
FORM_FIELDS = ("firstName", "lastName", "email", "phone", "phoneSecondary", "address", "city", "state", "zip",
               "accountNumber", "originalCreditor", "currentBalance", "originalBalance", "dueDate", "status",
               "preferredLanguage", "preferredContactMethod", "timezone", "tags", "notes", "assignedAgentId",
               "smsConsent", "emailConsent", "whatsappConsent")
CHECKBOXES = ("smsConsent", "emailConsent", "whatsappConsent")


def _client():
    return {"ip": request.remote_addr, "user_agent": request.user_agent.string}


def _agents():
    return db.session.scalars(select(User).where(User.business_id == g.principal.business_id,
                                                 User.role.in_(("agent", "manager", "business_admin")),
                                                 User.status == "active").order_by(User.first_name)).all()


@bp.get("/", endpoint="index")
@page_permission("accounts.view")
def index():
    """The grid; an HTMX request (search as you type, filters, sort, pages) gets the results fragment only."""
    args = request.args.to_dict()
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    error = None
    try:
        query = query_from_mapping(args)
        rows, total, estimate = run(db.session, g.principal, query, page=page, limit=PAGE_SIZE)
    except DomainError as exc:
        error, rows, total, estimate, query = exc, [], 0, False, None
    context = dict(rows=rows, total=total, estimate=estimate, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                   args=args, error=error, statuses=ACCOUNT_STATUSES, now=get_clock().now(),
                   can_write=permissions.scope(g.principal.role, "accounts.write") == "all",
                   can_export=permissions.can(g.principal.role, "accounts.export"),
                   export_columns=export.COLUMN_LABELS, xlsx_limit=export.XLSX_MAX_ROWS,
                   import_url=url_for("imports.index") if "imports.index" in current_app.view_functions else None,
                   sort_link=lambda col: url_for("accounts.index", **{**args, "sortBy": col, "page": 1,
                                                                      "sortOrder": "asc" if args.get("sortBy") == col
                                                                      and args.get("sortOrder") != "asc" else "desc"}))
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "account-results":
        return render_template("accounts/_results.html", agents=_agents() if context["can_write"] else [], **context)
    from app.services.accounts import presets

    return render_template("accounts/index.html", agents=_agents() if context["can_write"] else [],
                           presets=presets.visible(db.session, g.principal), **context)


def _form_payload(form, partial: bool) -> dict:
    payload = {}
    for name in FORM_FIELDS:
        if name in CHECKBOXES:
            payload[name] = name in form
            continue
        value = form.get(name, "").strip()
        if value == "" and partial and name not in ("email", "phone", "phoneSecondary", "notes", "assignedAgentId",
                                                    "timezone", "dueDate", "originalBalance", "originalCreditor"):
            continue
        payload[name] = value if value != "" else None
    if "tags" in payload and payload["tags"] is not None:
        payload["tags"] = [t for t in payload["tags"].split(",")]
    if not partial:
        payload = {k: v for k, v in payload.items() if v is not None}
    return payload


@bp.post("/presets")
@page_permission("accounts.view")
def save_preset():
    from app.services.accounts import presets

    filters = {k[2:]: v for k, v in request.form.items() if k.startswith("f_") and v}
    try:
        presets.save(db.session, g.principal, request.form.get("name", ""), filters,
                     request.form.get("shared") == "true", get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("View saved.", "success")
    return redirect(url_for("accounts.index", **filters))


@bp.post("/presets/<preset_id>/delete")
@page_permission("accounts.view")
def delete_preset(preset_id):
    from app.services.accounts import presets

    presets.delete(db.session, g.principal, preset_id)
    db.session.commit()
    flash("View deleted.", "success")
    return redirect(url_for("accounts.index"))


@bp.post("/bulk")
@page_permission("accounts.write")
def bulk():
    """A bulk action on the ticked rows, or on every account matching the filter (scope=all)."""
    from app.services.accounts import bulk as bulk_service

    if g.permission_scope != "all":
        abort(403)
    form = request.form
    filters = {k[2:]: v for k, v in form.items() if k.startswith("f_") and v}
    if form.get("action") == "export":
        return _bulk_export(filters, None if form.get("scope") == "all" else form.getlist("ids"))
    try:
        query = query_from_mapping(filters)
        result = bulk_service.apply(db.session, g.principal, form.get("action", ""), form.get("value"),
                                    get_clock().now(), ids=None if form.get("scope") == "all" else form.getlist("ids"),
                                    query=query)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        message = f"{result['changed']} account(s) updated"
        if result["skipped"]:
            message += f", {result['skipped']} already as asked"
        if result["errors"]:
            message += f", {len(result['errors'])} refused ({result['errors'][0]['accountNumber']}: {result['errors'][0]['error']})"
        flash(message + ".", "success" if not result["errors"] else "error")
    return redirect(url_for("accounts.index", **filters))


def _bulk_export(filters: dict, ids: list[str] | None):
    """CSV of the ticked rows (or of everything matching), streamed like the API export."""
    import datetime as dt

    from flask import Response, stream_with_context

    if not permissions.can(g.principal.role, "accounts.export"):
        abort(403)
    try:
        query = query_from_mapping(filters)
        if ids is not None:
            ids = export.parse_ids(ids)
            if not ids:
                raise DomainError("Tick accounts from the list to export them.")
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("accounts.index", **filters))
    audit.record(db.session, "accounts_exported", principal=g.principal, now=get_clock().now(),
                 resource_type="account", description="csv",
                 meta={"filters": filters, "ticked": len(ids) if ids is not None else None})
    db.session.commit()

    stream = export.csv_stream(db.session, g.principal, query, ids=ids)
    return Response(stream_with_context(stream), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=accounts-{dt.date.today().isoformat()}.csv"})


@bp.route("/new", methods=["GET", "POST"])
@page_permission("accounts.write")
def new():
    if g.permission_scope != "all":
        abort(403)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            values = fields.parse(_form_payload(form, partial=False), partial=False)
            account = records.create_account(db.session, g.principal, values, get_clock().now(), source="staff",
                                             **_client())
        except DomainError as exc:
            db.session.rollback()
            errors = {exc.field or "form": exc.message}
        else:
            db.session.commit()
            flash(f"{account.full_name} ({account.account_number}) was created.", "success")
            return redirect(url_for("accounts.show", account_id=account.id))
    return render_template("accounts/form.html", account=None, values=form, errors=errors, agents=_agents(),
                           statuses=ACCOUNT_STATUSES), 400 if errors else 200


@bp.get("/<account_id>")
@page_permission("accounts.view")
def show(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    now = get_clock().now()
    audit.record(db.session, "account_viewed", principal=g.principal, now=now, resource_type="account",
                 resource_id=account.id, description=account.account_number, **_client())
    db.session.commit()
    return account_page(account, request.args.get("tab", "overview"), now)


def account_page(account, tab: str, now, payments: dict | None = None):
    """The account file on one of its tabs (also re-rendered with a compliance or payment form's errors)."""
    from app.blueprints.accounts.payments import section as payments_section

    if tab == "payments" and payments is None:
        payments = payments_section(account, now)
    return render_template("accounts/show.html", account=account, tab=tab, now=now, payments=payments,
                           clock=account_file.contact_clock(account, now),
                           days_past_due=account_file.days_past_due(account, now.date()),
                           notes=account_file.notes(db.session, account),
                           trail=account_file.audit_trail(db.session, account) if permissions.can(
                               g.principal.role, "audit.view") else None,
                           can_edit=permissions.scope(g.principal.role, "accounts.write") == "all",
                           assigned=db.session.get(User, account.assigned_agent_id) if account.assigned_agent_id else None,
                           documents=account_documents.list_documents(db.session, account)
                           if tab == "documents" else None,
                           **(_messages_context(account) if tab == "messages" else {}))


def _messages_context(account, **extra) -> dict:
    return {"messages": conversations.account_messages(db.session, g.principal, account),
            "delivery_state": conversations.delivery_state, "form_values": {},
            "can_message": permissions.can(g.principal.role, "conversations.respond") and (
                g.principal.role != "agent" or account.assigned_agent_id in (None, g.principal.user_id)),
            **extra}


@bp.route("/<account_id>/edit", methods=["GET", "POST"])
@page_permission("accounts.write")
def edit(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    if g.permission_scope != "all":
        abort(403)
    errors = {}
    if request.method == "POST":
        try:
            values = fields.parse(_form_payload(request.form, partial=True), partial=True)
            records.update_account(db.session, g.principal, account, values, get_clock().now(), **_client())
        except DomainError as exc:
            db.session.rollback()
            errors = {exc.field or "form": exc.message}
        else:
            db.session.commit()
            flash("Changes saved.", "success")
            return redirect(url_for("accounts.show", account_id=account.id))
    return render_template("accounts/form.html", account=account, values=request.form if errors else None,
                           errors=errors, agents=_agents(), statuses=ACCOUNT_STATUSES), 400 if errors else 200


@bp.post("/<account_id>/notes")
@page_permission("accounts.view")
def add_note(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    error = None
    try:
        account_file.add_note(db.session, g.principal, account, request.form.get("body", ""), get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        error = exc.message
    else:
        db.session.commit()
    if request.headers.get("HX-Request"):
        return render_template("accounts/_notes.html", account=account, notes=account_file.notes(db.session, account),
                               note_error=error), 200
    if error:
        flash(error, "error")
    return redirect(url_for("accounts.show", account_id=account.id, tab="notes"))


@bp.post("/<account_id>/messages")
@page_permission("conversations.respond")
def send_message(account_id):
    """Send one message to the debtor through the pipeline (the gate decides; a block is shown inline)."""
    from app.services import channels

    account = records.get_account(db.session, g.principal, account_id)
    values = {k: request.form.get(k, "") for k in ("channel", "subject", "content")}
    error = notice = None
    try:
        target = conversations.account_for_outreach(db.session, g.principal, account.id)
        existing = conversations.open_conversation_on(db.session, g.principal, target, values["channel"]) \
            if values["channel"] in ("sms", "email", "whatsapp") else None
        outcome = channels.send(db.session, account=target, channel=values["channel"], body=values["content"],
                                kind="agent", sender_type="agent", sender_id=g.principal.user_id,
                                conversation=existing, subject=values["subject"].strip() or None,
                                principal=g.principal, now=get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        error = exc.message
    else:
        db.session.commit()
        if outcome.blocked:
            error = "Not sent. " + channels.outbound.blocked_reason(outcome.decision)
        elif outcome.scheduled:
            notice = (f"Outside the debtor's contact hours: it will go out at "
                      f"{outcome.message.scheduled_for:%Y-%m-%d %H:%M} UTC.")
        else:
            notice = "Sent to the provider queue."
        if not error:  # stored: the form starts empty again
            values = {"channel": values["channel"]}
    if request.headers.get("HX-Request"):
        return render_template("accounts/_messages.html", account=account,
                               **_messages_context(account, message_error=error, message_notice=notice,
                                                   form_values=values))
    flash(error or notice, "error" if error else "success")
    return redirect(url_for("accounts.show", account_id=account.id, tab="messages"))


@bp.post("/<account_id>/delete")
@page_permission("accounts.delete")
def delete(account_id):
    account = records.get_account(db.session, g.principal, account_id)
    try:
        records.delete_account(db.session, g.principal, account, get_clock().now(), **_client())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("accounts.show", account_id=account.id))
    db.session.commit()
    flash(f"{account.full_name} ({account.account_number}) was deleted.", "success")
    return redirect(url_for("accounts.index"))
