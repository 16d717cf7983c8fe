from flask import g, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.blueprints.dashboard import bp
from app.extensions import db
from app.services.clock import get_clock
from app.services.dashboard import summary


@bp.get("/")
def root():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("auth.login"))


@bp.get("/dashboard")
@login_required
def index():
    """Key figures for the signed-in user's business."""
    figures = summary(db.session, g.principal, get_clock().now()) if g.principal.business_id else None
    return render_template("dashboard/index.html", figures=figures)
