"""Settings > Assignment (PRD 4.3.4): admins choose how new conversations reach agents (rule, capacity, hand-on when
an agent goes offline); managers and admins see the team's availability live and set each agent's skills and
personal capacity. HTMX swaps the rules card or one agent's row; plain posts redirect or re-render with errors."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.blueprints.access import page_permission
from app.blueprints.settings import bp
from app.blueprints.settings.notifications_menu import AVAILABILITY_LABELS
from app.extensions import db
from app.models import Business, User
from app.services import assignment
from app.services.auth import permissions
from app.services.clock import get_clock
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.tenancy import get_scoped

RULE_TEXT = {
    "manual": ("Manual", "New conversations wait in the queue: managers assign them and agents take them."),
    "round_robin": ("Round robin", "Each new conversation goes to the next online agent in turn."),
    "least_active": ("Least active", "Each new conversation goes to the online agent with the fewest open ones."),
    "skill_based": ("Skill based", "Only agents whose skills cover the debtor's language (other than English) and "
                                   "the account's tags; the least active of them gets it."),
}
ROLE_LABELS = {"business_admin": "Admin", "manager": "Manager", "agent": "Agent"}
FIELD_NAMES = {"maxOpenConversations": "capacity"}
"""Service field -> this page's field, where they differ."""


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _current():
    return assignment.settings_of(db.session.get(Business, g.principal.business_id))


def _rules_context(current, values=None, errors=None, notice=None) -> dict:
    return {"current": current, "values": values or {"rule": current.rule, "capacity": current.capacity,
                                                     "reassign_on_offline": current.reassign_on_offline},
            "errors": errors or {}, "notice": notice, "rules": RULE_TEXT,
            "may_configure": permissions.can(g.principal.role, "settings.manage"),
            "max_capacity": assignment.MAX_CAPACITY}


def _row_context(load, values=None, error=None, notice=None) -> dict:
    return {"a": load, "values": values, "error": error, "notice": notice, "role_labels": ROLE_LABELS,
            "availability_labels": AVAILABILITY_LABELS, "default_capacity": _current().capacity,
            "max_capacity": assignment.MAX_CAPACITY}


def _team_context(row_errors=None) -> dict:
    """The team section: everyone's availability and load; `row_errors`: {user id: (values, (field, message))}."""
    current = _current()
    loads = assignment.agents_overview(db.session, g.principal)
    counts = {state: sum(1 for a in loads if a.availability == state) for state in AVAILABILITY_LABELS}
    return {"loads": loads, "counts": counts, "role_labels": ROLE_LABELS, "availability_labels": AVAILABILITY_LABELS,
            "default_capacity": current.capacity, "max_capacity": assignment.MAX_CAPACITY,
            "row_errors": row_errors or {}}


def _page(status=200, row_errors=None, **rules):
    return render_template("settings/assignment.html",
                           **{**_team_context(row_errors), **_rules_context(_current(), **rules)}), status


@bp.get("/assignment", endpoint="assignment")
@page_permission("users.manage")
def assignment_page():
    return _page()


@bp.post("/assignment")
@page_permission("settings.manage")
def assignment_save():
    values = {"rule": request.form.get("rule") or None, "capacity": (request.form.get("capacity") or "").strip(),
              "reassign_on_offline": request.form.get("reassign_on_offline") == "on"}
    try:
        if not values["capacity"]:
            raise ValidationError("Enter how many open conversations an agent may hold.",
                                             field="capacity")
        current = assignment.update_settings(db.session, g.principal, rule=values["rule"],
                                             capacity=values["capacity"],
                                             reassign_on_offline=values["reassign_on_offline"], now=get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        errors = {exc.field or "form": exc.message}
        if _is_htmx():
            return render_template("settings/_assignment_rules.html",
                                   **_rules_context(_current(), values=values, errors=errors)), 400
        return _page(400, values=values, errors=errors)
    db.session.commit()
    if _is_htmx():
        # The team's capacities follow the default: refresh that section too, out of band.
        return render_template("settings/_assignment_rules.html", refresh_team=True,
                               **{**_team_context(), **_rules_context(current, notice="Assignment settings saved.")})
    flash("Assignment settings saved.", "success")
    return redirect(url_for("settings.assignment"))


def _load_of(user):
    """One person's row as the overview shows it (only active staff have one)."""
    for load in assignment.agents_overview(db.session, g.principal):
        if load.user.id == user.id:
            return load
    raise NotFound("User not found")


@bp.post("/assignment/agents/<user_id>")
@page_permission("users.manage")
def assignment_agent(user_id):
    """Save one person's skills and personal capacity (empty capacity: the business's default)."""
    user = get_scoped(db.session, User, user_id, g.principal)
    _load_of(user)
    values = {"skills": request.form.get("skills", ""), "capacity": (request.form.get("capacity") or "").strip()}
    try:
        assignment.update_agent(db.session, g.principal, user.id, skills=values["skills"],
                                max_open_conversations=values["capacity"] or None,
                                clear_capacity=not values["capacity"], now=get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        error = (FIELD_NAMES.get(exc.field, exc.field) or "form", exc.message)
        if _is_htmx():
            return render_template("settings/_assignment_agent.html",
                                   **_row_context(_load_of(user), values=values, error=error)), 400
        return _page(400, row_errors={user.id: (values, error)})
    db.session.commit()
    if _is_htmx():
        return render_template("settings/_assignment_agent.html", **_row_context(_load_of(user), notice="Saved"))
    flash(f"{user.full_name} saved.", "success")
    return redirect(url_for("settings.assignment", _anchor=f"agent-{user.id}"))
