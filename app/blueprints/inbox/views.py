"""The agent inbox (PRD 8.5.2): the conversation list on the left, the open thread on the right.

Every route renders one template for both kinds of request: an HTMX request gets the partial its target names, the
same URL without HTMX the whole page. Actions answer with the parts they changed (the thread, the composer, one
bubble) plus the list row as an out-of-band swap; other people's browsers hear of the change over Socket.IO (the
services publish after the commit) and fetch the row or bubble themselves (static/js/inbox.js).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.inbox import bp, forms
from app.extensions import db
from app.models.conversation import CHANNELS, RESOLUTION_TYPES
from app.services import assignment, channels, conversation_actions, conversations, inbox_list
from app.services.auth import permissions
from app.services.clock import get_clock
from app.services.conversations import delivery_state
from app.services.errors import Conflict, ValidationError

RESPOND = "conversations.respond"
SOFT_ERRORS = (ValidationError, Conflict)
"""Errors shown inline next to the form that caused them; NotFound and Forbidden become 404 and 403."""


def _htmx_target() -> str | None:
    return request.headers.get("HX-Target") if request.headers.get("HX-Request") else None


def _query(args):
    """The list's query from a query string; a bad value leaves the default list and says why."""
    try:
        return inbox_list.query_from_mapping(args), None
    except ValidationError as exc:
        return inbox_list.InboxQuery(), exc


def _list_context(args, *, whole_page: bool = True) -> dict:
    query, error = _query(args)
    page = None
    if error is None:
        try:
            page = inbox_list.list_page(db.session, g.principal, query, now=get_clock().now())
        except ValidationError as exc:
            error = exc
    if page is None:
        totals, snoozed = inbox_list.view_totals(db.session, g.principal, now=get_clock().now())
        page = inbox_list.InboxPage(rows=[], total=0, total_is_capped=False, next_cursor=None, totals=totals,
                                    snoozed=snoozed)
    return {"query": query, "page": page, "list_error": error, "team": _team() if whole_page else [],
            "channels": CHANNELS, "now": get_clock().now(), "selected": args.get("open"),
            "sentiments": inbox_list.SENTIMENTS, "views": conversation_actions.CONVERSATION_VIEWS}


def _team():
    """Staff with availability and load, for the agent filter and the assign menu (managers and admins); read once
    per request."""
    if "inbox_team" not in g:
        g.inbox_team = assignment.agents_overview(db.session, g.principal) \
            if permissions.scope(g.principal.role, "conversations.assign") == "all" else []
    return g.inbox_team


def _thread_context(thread, **extra) -> dict:
    return {"thread": thread, "resolution_types": RESOLUTION_TYPES, "snooze_choices": forms.SNOOZE_CHOICES,
            "snooze_at": forms.AT, "snooze_max_days": conversation_actions.MAX_SNOOZE.days,
            "views": conversation_actions.CONVERSATION_VIEWS,
            "can_assign": permissions.scope(g.principal.role, "conversations.assign") == "all",
            "attachments": conversation_actions.attachment_offer(thread.conversation.channel),
            "attachment_limit": conversation_actions.ATTACHMENT_LIMIT, "delivery_state": delivery_state,
            "held_until": inbox_list.held_until, "team": _team(), "now": get_clock().now(), **extra}


def _list_url(query, conversation_id=None) -> str:
    args = query.args(before=None)
    base = url_for("inbox.show", conversation_id=conversation_id) if conversation_id else url_for("inbox.index")
    return f"{base}?{urlencode(args)}" if args else base


# -- pages -----------------------------------------------------------------------------------------------------------
@bp.get("/conversations", endpoint="index")
@page_permission(RESPOND)
def index():
    """The inbox; HTMX: the list (filters), the next rows (load more) or the empty right-hand side (back on a phone)."""
    target = _htmx_target()
    if target == "inbox-thread":
        return render_template("inbox/_thread_empty.html")
    if target is None and request.args.get("open"):  # the filter form sent without HTMX, a thread open
        query, _ = _query(request.args)
        return redirect(_list_url(query, request.args["open"]))
    context = _list_context(request.args, whole_page=target is None)
    if target == "inbox-more":
        return render_template("inbox/_more.html", **context)
    if target is not None:
        response = render_template("inbox/_list.html", partial=True, **context)
        open_id = request.args.get("open")
        return response, 200, {"HX-Push-Url": _list_url(context["query"], open_id if open_id else None)}
    return render_template("inbox/index.html", thread=None, **context)


@bp.get("/conversations/<conversation_id>")
@page_permission(RESPOND)
def show(conversation_id):
    """The inbox with one conversation open; HTMX: the thread alone (or its header, for live updates)."""
    header_only = _htmx_target() == "thread-header"  # someone else changed the conversation: its header again
    thread = inbox_list.thread(db.session, g.principal, conversation_id, now=get_clock().now(),
                               limit=1 if header_only else inbox_list.THREAD_PAGE)
    if header_only:
        return render_template("inbox/_header.html", **_thread_context(thread, query=_query(request.args)[0]))
    if _htmx_target() == "inbox-thread":
        return render_template("inbox/_thread.html", **_thread_context(thread, query=_query(request.args)[0],
                                                                       selected=str(thread.conversation.id)))
    context = _list_context(request.args)
    context.update(_thread_context(thread, selected=str(thread.conversation.id)))
    return render_template("inbox/index.html", **context)


@bp.get("/conversations/<conversation_id>/row")
@page_permission(RESPOND)
def row(conversation_id):
    """One list row as the list with these filters shows it (empty when they leave it out), with the view totals."""
    query, _ = _query(request.args)
    now = get_clock().now()
    found = inbox_list.row_for(db.session, g.principal, conversation_id, query, now=now)
    totals, snoozed = inbox_list.view_totals(db.session, g.principal, now=now)
    return render_template("inbox/_row_refresh.html", row=found, query=query, totals=totals, snoozed=snoozed,
                           selected=request.args.get("open"), views=conversation_actions.CONVERSATION_VIEWS, now=now)


@bp.get("/conversations/<conversation_id>/messages")
@page_permission(RESPOND)
def earlier(conversation_id):
    """The page of bubbles before message `before` (the oldest one shown), led by the button for the page before
    that while there is one; it replaces the button that asked for it."""
    try:
        page = inbox_list.thread_page(db.session, g.principal, conversation_id, before=request.args.get("before"))
    except ValidationError as exc:
        return render_template("inbox/_earlier.html", page=None, error=exc, conversation_id=conversation_id), 400
    return render_template("inbox/_earlier.html", page=page, error=None, delivery_state=delivery_state,
                           held_until=inbox_list.held_until)


@bp.get("/conversations/<conversation_id>/messages/<message_id>")
@page_permission(RESPOND)
def message(conversation_id, message_id):
    """One bubble, for live inserts and delivery ticks."""
    found = inbox_list.bubble(db.session, g.principal, conversation_id, message_id)
    return render_template("inbox/_bubble.html", message=found.message, sender=found.sender, account=found.account,
                           delivery_state=delivery_state, held_until=inbox_list.held_until)


# -- writing ---------------------------------------------------------------------------------------------------------
def _composer_answer(conversation_id, *, status: int = 200, message=None, error=None, notice=None, values=None):
    """The composer again (emptied after a stored message), with the new bubble and the header out of band."""
    thread = inbox_list.thread(db.session, g.principal, conversation_id, now=get_clock().now())
    query, _ = _query(forms.list_args(request.form))
    return render_template("inbox/_composer_answer.html", **_thread_context(
        thread, message=message, composer_error=error, composer_notice=notice, values=values or {},
        query=query)), status


@bp.post("/conversations/<conversation_id>/reply")
@page_permission(RESPOND)
def reply(conversation_id):
    """Send through the gate: a blocked reply is stored blocked and says which rule; a held one says until when."""
    body = request.form.get("body", "")
    try:
        outcome = conversation_actions.reply(db.session, g.principal, conversation_id, body, now=get_clock().now(),
                                             attachment=forms.attachment_from(request.files))
    except SOFT_ERRORS as exc:
        db.session.rollback()
        return _answer_error(conversation_id, exc, body)
    db.session.commit()
    message = outcome.message
    if outcome.blocked:
        error = ValidationError("Not sent. " + channels.outbound.blocked_reason(outcome.decision), field="body")
        return _answer(conversation_id, 422, message=message, error=error, values={"body": body})
    notice = "Held: it goes out when the debtor may be contacted." if outcome.scheduled else "Sent."
    return _answer(conversation_id, 200, message=message, notice=notice)


@bp.post("/conversations/<conversation_id>/notes")
@page_permission(RESPOND)
def add_note(conversation_id):
    """A private note: staff only, never sent."""
    body = request.form.get("body", "")
    try:
        note = conversation_actions.add_note(db.session, g.principal, conversation_id, body, now=get_clock().now())
    except SOFT_ERRORS as exc:
        db.session.rollback()
        return _answer_error(conversation_id, exc, body)
    db.session.commit()
    return _answer(conversation_id, 200, message=note, notice="Note saved. Only your team sees it.")


def _answer_error(conversation_id, exc, body: str):
    if exc.field not in ("attachment",):
        exc.field = "body"
    return _answer(conversation_id, exc.status, error=exc, values={"body": body})


def _answer(conversation_id, status: int, **kwargs):
    if request.headers.get("HX-Request"):
        return _composer_answer(conversation_id, status=status, **kwargs)
    error, notice = kwargs.get("error"), kwargs.get("notice")
    flash(error.message if error else notice, "error" if error else "success")
    return redirect(url_for("inbox.show", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/preflight")
@page_permission(RESPOND)
def preflight(conversation_id):
    """What the gate would do with the composer's text if it were sent now (nothing is stored)."""
    body = request.form.get("body", "")
    if not body.strip():
        return render_template("inbox/_preflight.html", result=None, error=None)
    try:
        result = conversation_actions.preflight(db.session, g.principal, conversation_id, body,
                                                now=get_clock().now())
    except SOFT_ERRORS as exc:
        return render_template("inbox/_preflight.html", result=None, error=exc)
    finally:
        db.session.rollback()  # a preflight stores nothing, whatever the loaders touched
    return render_template("inbox/_preflight.html", result=result, error=None)


@bp.post("/conversations/<conversation_id>/payment-link")
@page_permission(RESPOND)
def payment_link(conversation_id):
    """Send the debtor a portal payment link on this conversation's channel, through the gate, as
    POST /api/v1/accounts/:id/payment-link does (a blocked send leaves the link revoked)."""
    from app.services.portal.payment_links import issue_payment_link

    conversation, account = conversations.open_for_reply(db.session, g.principal, conversation_id)
    try:
        outcome = issue_payment_link(db.session, g.principal, account, channel=conversation.channel,
                                     now=get_clock().now(), conversation=conversation,
                                     to_address=conversation.debtor_address).outcome
    except SOFT_ERRORS as exc:
        db.session.rollback()
        return _answer(conversation_id, exc.status, error=exc)
    db.session.commit()
    if outcome.blocked:
        error = ValidationError("Payment link not sent. " + channels.outbound.blocked_reason(outcome.decision))
        return _answer(conversation_id, 422, message=outcome.message, error=error)
    return _answer(conversation_id, 200, message=outcome.message,
                   notice="Payment link held until the debtor may be contacted." if outcome.scheduled
                   else "Payment link sent.")


# -- conversation actions --------------------------------------------------------------------------------------------
def _thread_answer(conversation_id, *, status: int = 200, error=None, open_form: str | None = None, **extra):
    """The thread again after an action (or with the action's inline error and what was typed), and the list row
    out of band."""
    thread = inbox_list.thread(db.session, g.principal, conversation_id, now=get_clock().now())
    if not request.headers.get("HX-Request"):
        flash(error.message if error else "Saved.", "error" if error else "success")
        return redirect(url_for("inbox.show", conversation_id=conversation_id))
    query, _ = _query(forms.list_args(request.form))
    now = get_clock().now()
    row_found = inbox_list.row_for(db.session, g.principal, conversation_id, query, now=now) \
        if status < 400 else None
    totals, snoozed = inbox_list.view_totals(db.session, g.principal, now=now)
    return render_template("inbox/_thread_answer.html", **_thread_context(
        thread, action_error=error, open_form=open_form, query=query, row=row_found, refresh_row=status < 400,
        totals=totals, snoozed=snoozed, **(extra if error else {}))), status


def _act(conversation_id, action, open_form: str, **extra):
    try:
        action()
    except SOFT_ERRORS as exc:
        db.session.rollback()
        return _thread_answer(conversation_id, status=exc.status, error=exc, open_form=open_form, **extra)
    db.session.commit()
    return _thread_answer(conversation_id)


@bp.post("/conversations/<conversation_id>/assign")
@page_permission("conversations.assign")
def assign(conversation_id):
    """Managers give the conversation to a team member, or back to the queue (no one chosen)."""
    agent_id = request.form.get("agentId", "").strip() or None
    return _act(conversation_id, lambda: conversation_actions.assign(
        db.session, g.principal, conversation_id, agent_id, now=get_clock().now()), "assign")


@bp.post("/conversations/<conversation_id>/take")
@page_permission("conversations.assign")
def take(conversation_id):
    """Self-assignment from the queue."""
    return _act(conversation_id, lambda: conversation_actions.take(
        db.session, g.principal, conversation_id, now=get_clock().now()), "assign")


@bp.post("/conversations/<conversation_id>/status")
@page_permission(RESPOND)
def set_status(conversation_id):
    """Escalate (with an optional reason), resolve or close (with a resolution type), or reopen."""
    status = request.form.get("status", "")
    form_name = {"escalated": "escalate", "resolved": "resolve", "closed": "resolve"}.get(status, "status")
    return _act(conversation_id, lambda: conversation_actions.set_status(
        db.session, g.principal, conversation_id, status, resolution_type=request.form.get("resolutionType"),
        reason=request.form.get("reason"), now=get_clock().now()), form_name)


@bp.post("/conversations/<conversation_id>/snooze")
@page_permission(RESPOND)
def snooze(conversation_id):
    """Hide the conversation from the list for a while or until a chosen time in the agent's zone (or wake it
    now); a bad time comes back inline with what was typed."""
    now = get_clock().now()
    values = {"until": request.form.get("until", ""), "untilAt": request.form.get("untilAt", ""),
              "tz": request.form.get("tz", "")}

    def act():
        until = forms.snooze_until(values["until"], now, at=values["untilAt"], zone=values["tz"])
        try:
            conversation_actions.snooze(db.session, g.principal, conversation_id, until=until, now=now)
        except ValidationError as exc:
            if values["until"] == forms.AT and exc.field == "until":
                exc.field = "untilAt"  # the picked time is what was wrong, not the choice
            raise
    return _act(conversation_id, act, "snooze", snooze_values=values)


@bp.post("/conversations/<conversation_id>/read")
@page_permission(RESPOND)
def mark_read(conversation_id):
    """The agent has seen the thread: its unread count goes to zero (the row is refreshed out of band)."""
    now = get_clock().now()
    conversation_actions.mark_read(db.session, g.principal, conversation_id, now=now)
    db.session.commit()
    query, _ = _query(forms.list_args(request.form))
    found = inbox_list.row_for(db.session, g.principal, conversation_id, query, now=now)
    totals, snoozed = inbox_list.view_totals(db.session, g.principal, now=now)
    return render_template("inbox/_row_refresh.html", row=found, query=query, totals=totals, snoozed=snoozed,
                           selected=str(conversation_id), oob=True, conversation_id=conversation_id,
                           views=conversation_actions.CONVERSATION_VIEWS, now=now)
