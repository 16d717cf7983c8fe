"""/sandbox (sandbox mode only, the sandbox.use roles): the outbox of what the sandbox providers sent, live; replies
as the debtor and delivery reports posted through the real, signed provider webhooks; the provider switches."""
import datetime as dt

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.sandbox import bp
from app.extensions import db
from app.services.channels import sandbox as sandbox_channel, simulator
from app.services.clock import get_clock
from app.services.conversations import delivery_state
from app.services.errors import DomainError
from app.services.sandbox_outbox import get_message, linked_messages, list_messages, matches

PAGE_SIZE = 50
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": "Email"}
OUTAGE_MINUTES = (1, 5, 15, 60)
CONVERSATION_ENDPOINT = "inbox.show"
"""Where a conversation is read once the inbox exists; until then the account file's Messages tab."""


@bp.before_request
def _sandbox_only():
    """Outside sandbox mode the simulator does not exist."""
    if not current_app.config["CONFIG_OBJECT"].sandbox:
        abort(404)


def _htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _conversation_url(message) -> str | None:
    if message is None or message.account_id is None:
        return None
    if message.conversation_id and CONVERSATION_ENDPOINT in current_app.view_functions:
        return url_for(CONVERSATION_ENDPOINT, conversation_id=message.conversation_id)
    return url_for("accounts.show", account_id=message.account_id, tab="messages")


def _row_context(rows) -> dict:
    """What the row partials read besides the rows: the app's own messages behind them and the helpers."""
    return dict(linked=linked_messages(db.session, g.principal.business_id, rows), delivery_state=delivery_state,
                reports_for=simulator.reports_for, failure_reasons=simulator.failure_reasons,
                channel_labels=CHANNEL_LABELS, conversation_url=_conversation_url, filter_to=_filter_to())


def _filter_to() -> str:
    return (request.values.get("to") or "").strip()


def _switches_context() -> dict:
    now = get_clock().now()
    outages = {}
    for channel in simulator.CHANNELS:
        until = sandbox_channel.outage_until(db.session, channel)
        outages[channel] = until if until is not None and until > now else None
    return dict(auto_reports=simulator.auto_reports(db.session, g.principal.business_id), outages=outages,
                outage_minutes=OUTAGE_MINUTES)


def _business_addresses() -> dict:
    from app.models import Business

    business = db.session.get(Business, g.principal.business_id)
    return {"sms": business.sms_number, "whatsapp": business.whatsapp_number, "email": business.sender_email}


@bp.get("/sandbox", endpoint="index")
@page_permission("sandbox.use")
def index():
    """The outbox, newest first; an HTMX request for the outbox (filter, pages, a live refresh) gets the list."""
    if g.principal.business_id is None:
        return render_template("sandbox/index.html", no_business=True)
    page, to = _page(), _filter_to()
    rows, total = list_messages(db.session, g.principal, to=to or None, page=page, limit=PAGE_SIZE)
    context = dict(rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), page_size=PAGE_SIZE,
                   **_row_context(rows))
    if _htmx() and request.headers.get("HX-Target") == "sandbox-outbox":
        return render_template("sandbox/_outbox.html", **context)
    return render_template("sandbox/index.html", no_business=False, compose={}, compose_errors={},
                           addresses=_business_addresses(), **_switches_context(), **context)


@bp.get("/sandbox/messages/<row_id>", endpoint="row")
@page_permission("sandbox.use")
def row(row_id):
    """One outbox row as the list renders it (the live updates fetch it); 204 when it is outside the `to` filter.
    Without HTMX, the page at that row."""
    found = _found(row_id)
    if not _htmx():
        return redirect(url_for("sandbox.index", _anchor=f"outbox-{found.id}"))
    if not matches(found, _filter_to()):
        return "", 204
    return render_template("sandbox/_row.html", row=found, **_row_context([found]))


@bp.route("/sandbox/messages/<row_id>/reply", methods=["GET", "POST"], endpoint="reply")
@page_permission("sandbox.use")
def reply(row_id):
    """The debtor answers this message: posted to the provider's real webhook with a valid signature, then received
    at once. HTMX gets the form or its outcome in the row; without HTMX, a page with the form."""
    found = _found(row_id)
    if found.kind != "debtor":
        abort(404)
    values = {"subject": _reply_subject(found.subject), "body": ""}
    errors, outcome = {}, None
    if request.method == "POST":
        values = {"subject": request.form.get("subject", ""), "body": request.form.get("body", "")}
        try:
            result = simulator.debtor_writes(current_app._get_current_object(), db.session, found.business_id,
                                             channel=found.channel, sender=found.to_address, body=values["body"],
                                             subject=values["subject"] if found.channel == "email" else None)
        except DomainError as exc:
            db.session.rollback()
            errors = {exc.field or "body": exc.message}
        else:
            outcome = _inbound_outcome(result, found.channel)
            if not _htmx():
                flash(outcome["text"], "success")
                return redirect(url_for("sandbox.index", _anchor=f"outbox-{found.id}"))
    context = dict(_row_context([found]), row=found, values=values, errors=errors, outcome=outcome)
    template = "sandbox/_reply.html" if _htmx() else "sandbox/reply.html"
    return render_template(template, **context), 400 if errors else 200


@bp.post("/sandbox/messages/<row_id>/report", endpoint="report")
@page_permission("sandbox.use")
def report(row_id):
    """A delivery report for this message (delivered, failed, opened, bounced) through the real signed webhook."""
    found = _found(row_id)
    event = request.form.get("event", "")
    note, error, status = None, None, 200
    try:
        reported = simulator.report(current_app._get_current_object(), db.session, found, event,
                                    reason=request.form.get("reason") or None)
    except DomainError as exc:
        db.session.rollback()
        error, status = exc.message, exc.status
    else:
        if reported.http_status == 200:
            note = f"Reported {event}: the webhook answered 200."
        else:
            error, status = f"The webhook answered {reported.http_status}; nothing changed.", 502
    found = _found(row_id)  # read again: the webhook and the outbox changed it in their own commits
    if _htmx():
        return render_template("sandbox/_entry.html", row=found, note=note, error=error,
                               **_row_context([found])), status
    flash(error or note, "error" if error else "success")
    return redirect(url_for("sandbox.index", _anchor=f"outbox-{found.id}"))


@bp.post("/sandbox/inbound", endpoint="inbound")
@page_permission("sandbox.use")
def inbound():
    """A debtor writes first, to the business's own address on the chosen channel."""
    if g.principal.business_id is None:
        abort(404)
    values = {key: request.form.get(key, "") for key in ("channel", "sender", "subject", "body")}
    errors, outcome = {}, None
    try:
        result = simulator.debtor_writes(current_app._get_current_object(), db.session, g.principal.business_id,
                                         channel=values["channel"], sender=values["sender"], body=values["body"],
                                         subject=values["subject"] if values["channel"] == "email" else None)
    except DomainError as exc:
        db.session.rollback()
        errors = {{"from": "sender"}.get(exc.field, exc.field or "body"): exc.message}
    else:
        outcome = _inbound_outcome(result, values["channel"])
        values = {"channel": values["channel"], "sender": values["sender"], "subject": "", "body": ""}
    if _htmx():
        return render_template("sandbox/_compose.html", compose=values, compose_errors=errors, outcome=outcome,
                               addresses=_business_addresses(), channel_labels=CHANNEL_LABELS), 400 if errors else 200
    flash(next(iter(errors.values())) if errors else outcome["text"], "error" if errors else "success")
    return redirect(url_for("sandbox.index"))


@bp.post("/sandbox/switches", endpoint="switches")
@page_permission("sandbox.use")
def switches():
    """Automatic delivery reports for this business on or off; a provider outage on a channel started or ended."""
    if g.principal.business_id is None:
        abort(404)
    notice, error = None, None
    action = request.form.get("action", "")
    if action == "auto_reports":
        on = request.form.get("auto_reports") == "on"
        simulator.set_auto_reports(db.session, g.principal.business_id, on)
        notice = ("Delivery reports follow each send again." if on else
                  "Sends now stay Sent until you report what happened.")
    elif action in ("outage_start", "outage_end"):
        channel = request.form.get("channel", "")
        try:
            minutes = int(request.form.get("minutes", "5"))
        except ValueError:
            minutes = 0
        if channel not in simulator.CHANNELS or (action == "outage_start" and minutes not in OUTAGE_MINUTES):
            error = "Choose a channel and how long the outage lasts."
        elif action == "outage_start":
            sandbox_channel.set_outage(db.session, channel, get_clock().now() + dt.timedelta(minutes=minutes))
            notice = (f"{CHANNEL_LABELS[channel]} answers like a provider that is down for {minutes} minutes: "
                      f"sends wait and are retried.")
        else:
            sandbox_channel.set_outage(db.session, channel, None)
            notice = f"The {CHANNEL_LABELS[channel]} outage is over."
    else:
        error = "Choose what to switch."
    db.session.commit()
    if _htmx():
        return render_template("sandbox/_switches.html", notice=notice, error=error, channel_labels=CHANNEL_LABELS,
                               **_switches_context()), 400 if error else 200
    flash(error or notice, "error" if error else "success")
    return redirect(url_for("sandbox.index"))


def _found(row_id):
    """The caller's business's row (another business's is 404; a super admin has no business outbox here)."""
    if g.principal.business_id is None:
        abort(404)
    return get_message(db.session, g.principal, row_id)


def _reply_subject(subject: str | None) -> str:
    if not subject:
        return ""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _inbound_outcome(result: dict, channel: str) -> dict:
    """What became of a debtor's message, in words, with where to read it."""
    import uuid

    from app.models import Account, Message

    label = CHANNEL_LABELS.get(channel, channel)
    if result["duplicate"]:
        return {"text": f"That {label} was already received: nothing new was stored.", "url": None}
    if result["unknownSender"]:
        return {"text": "Received from an address on no account: it waits under unknown senders.", "url": None}
    account = db.session.get(Account, uuid.UUID(result["accountId"])) if result["accountId"] else None
    message = db.session.get(Message, uuid.UUID(result["messageId"])) if result["messageId"] else None
    who = account.full_name if account is not None else "the debtor"
    return {"text": f"Received through the {label} webhook into {who}'s conversation.",
            "url": _conversation_url(message)}
