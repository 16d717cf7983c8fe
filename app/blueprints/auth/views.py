import datetime as dt

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import LoginForm, MfaForm
from app.extensions import db, limiter
from app.models import User
from app.services.auth import login as login_service
from app.services.auth import web_sessions
from app.services.clock import get_clock
from app.web import SignedInUser

PENDING_KEY = "mfa_pending"
PENDING_TTL = dt.timedelta(minutes=5)


def _client_ip() -> str | None:
    return request.remote_addr


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=lambda: request.remote_addr or "?")
def login():
    """Step 1: email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        now = get_clock().now()
        try:
            user = login_service.check_password(db.session, form.email.data, form.password.data, now)
        except login_service.LoginError as exc:
            error = exc.message
        else:
            if login_service.requires_mfa(user) and user.mfa_secret:
                session[PENDING_KEY] = {"user_id": str(user.id), "at": int(now.timestamp()),
                                        "next": _safe_next(request.args.get("next"))}
                return redirect(url_for("auth.mfa"))
            if login_service.requires_mfa(user):
                error = "Your account has no authenticator set up yet. Ask an administrator to reset it."
            else:
                return _finish(user, now, request.args.get("next"))
    status = 401 if error else (400 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/login/mfa", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=lambda: request.remote_addr or "?")
def mfa():
    """Step 2: the TOTP code (or a recovery code)."""
    pending = session.get(PENDING_KEY)
    now = get_clock().now()
    if not pending or now.timestamp() - int(pending["at"]) > PENDING_TTL.total_seconds():
        session.pop(PENDING_KEY, None)
        flash("Sign in again: the code step expired.", "info")
        return redirect(url_for("auth.login"))
    user = db.session.get(User, _uuid(pending["user_id"]))
    if user is None or not user.is_active:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.login"))
    form = MfaForm()
    error = None
    if form.validate_on_submit():
        try:
            login_service.check_second_factor(db.session, user, form.code.data, now)
        except login_service.LoginError as exc:
            error = exc.message
        else:
            session.pop(PENDING_KEY, None)
            return _finish(user, now, pending.get("next"))
    status = 401 if error else (400 if form.errors else 200)
    return render_template("auth/mfa.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    web_sessions.revoke(db.session, current_user.token, get_clock().now())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _finish(user: User, now, next_url: str | None):
    session.clear()  # a fresh session id: no fixation across the sign-in
    token = web_sessions.open_session(db.session, user, now, _client_ip(), request.user_agent.string)
    db.session.commit()
    login_user(SignedInUser(user, token))
    session.permanent = True
    current_app.logger.info("signed in", extra={"user_id": str(user.id)})
    return redirect(_safe_next(next_url))


def _uuid(value):
    import uuid

    return uuid.UUID(value)


@bp.post("/session/keepalive")
@login_required
def keepalive():
    """The idle warning's 'Stay signed in': loading the user already touched the session row."""
    return "", 204
