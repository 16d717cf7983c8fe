"""Team: invite people, change roles, deactivate and reactivate (sessions end at once)."""
from flask import current_app, flash, g, redirect, render_template, request, url_for

from app.blueprints.settings import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.services.auth import account_flows, team
from app.services.auth.permissions import may_manage_role
from app.services.clock import get_clock
from app.services.errors import DomainError

ROLE_LABELS = {"business_admin": "Business admin", "manager": "Manager", "agent": "Agent"}


def _grantable_roles():
    return [(r, label) for r, label in ROLE_LABELS.items() if may_manage_role(g.principal.role, r)]


def _row(user, error=None):
    return render_template("settings/_team_row.html", u=user, roles=_grantable_roles(), error=error,
                           can_manage=may_manage_role(g.principal.role, user.role), me=g.principal.user_id)


@bp.get("/team", endpoint="team")
@page_permission("users.manage")
def team_page():
    rows, total = team.list_users(db.session, g.principal, search=request.args.get("q"), role=None, page=1, limit=500)
    return render_template("settings/team.html", users=rows, total=total, roles=_grantable_roles(),
                           me=g.principal.user_id, error=None, form_values={})


@bp.post("/team/invite")
@page_permission("users.manage")
def team_invite():
    values = {k: (request.form.get(k) or "").strip() for k in ("email", "first_name", "last_name", "role")}
    try:
        account_flows.invite(db.session, inviter=g.current_user_row, email=values["email"], role=values["role"],
                             first_name=values["first_name"] or None, last_name=values["last_name"] or None,
                             now=get_clock().now(), public_url=current_app.config["PUBLIC_URL"])
    except DomainError as exc:
        db.session.rollback()
        rows, total = team.list_users(db.session, g.principal, search=None, role=None, page=1, limit=500)
        return render_template("settings/team.html", users=rows, total=total, roles=_grantable_roles(),
                               me=g.principal.user_id, error=exc, form_values=values), exc.status
    db.session.commit()
    flash(f"Invitation sent to {values['email'].lower()}.", "success")
    return redirect(url_for("settings.team"))


@bp.post("/team/<user_id>")
@page_permission("users.manage")
def team_update(user_id):
    """Change role or status; HTMX swaps the row, a plain form post redirects back."""
    target = team.get_user(db.session, g.principal, user_id)
    try:
        team.update_user(db.session, g.principal, target, role=request.form.get("role") or None,
                         status=request.form.get("status") or None, now=get_clock().now(),
                         ip=request.remote_addr, user_agent=request.user_agent.string)
    except DomainError as exc:
        db.session.rollback()
        if request.headers.get("HX-Request"):
            return _row(target, error=exc.message)
        flash(exc.message, "error")
        return redirect(url_for("settings.team"))
    db.session.commit()
    if request.headers.get("HX-Request"):
        return _row(target)
    flash(f"{target.full_name} updated.", "success")
    return redirect(url_for("settings.team"))
