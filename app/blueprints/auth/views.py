import datetime as dt
import uuid

from flask import (current_app, flash, g, redirect, render_template, request, session, url_for)
from flask_login import current_user, login_required, login_user, logout_user

from app.blueprints.auth import bp
from app.blueprints.auth.forms import (EnrolForm, ForgotForm, LoginForm, MfaForm, SetPasswordForm, SignupForm)
from app.extensions import db, limiter
from app.models import User
from app.services.auth import account_flows, web_sessions
from app.services.auth import mfa as mfa_service
from app.services.auth import login as login_service
from app.services.clock import get_clock
from app.services.errors import DomainError
from app.web import SignedInUser

PENDING_KEY = "mfa_pending"
PENDING_TTL = dt.timedelta(minutes=10)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _mfa_limit() -> str:
    return current_app.config["MFA_RATE_LIMIT"]


def _code_rejected(response) -> bool:
    """Only wrong codes count: an office signing in each morning from one address must not lock itself out."""
    return response.status_code in (400, 401)


def _pending_user_key() -> str:
    """Wrong codes are limited per account too, whatever address they come from (TOTP guessing)."""
    return "mfa-user:" + str((session.get(PENDING_KEY) or {}).get("user_id"))


def _form_email_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: no open redirect through ?next=."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target:
        return target
    return url_for("dashboard.index")


def _client():
    return dict(ip=request.remote_addr, user_agent=request.user_agent.string)


def _set_pending(user: User, now, next_url: str | None, enrol: bool = False) -> None:
    session[PENDING_KEY] = {"user_id": str(user.id), "at": int(now.timestamp()), "next": _safe_next(next_url),
                            "enrol": enrol}


def _pending_user(now) -> tuple[User | None, dict | None]:
    pending = session.get(PENDING_KEY)
    if not pending or now.timestamp() - int(pending["at"]) > PENDING_TTL.total_seconds():
        session.pop(PENDING_KEY, None)
        return None, None
    user = db.session.get(User, uuid.UUID(pending["user_id"]))
    if user is None or not user.is_active:
        session.pop(PENDING_KEY, None)
        return None, None
    return user, pending


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=lambda: f"login-ip:{request.remote_addr}", deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_form_email_key, deduct_when=_failed)
def login():
    """Step 1: email and password (the same answer for an unknown email and a wrong password)."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        now = get_clock().now()
        try:
            user = login_service.check_password(db.session, form.email.data, form.password.data, now)
        except login_service.LoginError as exc:
            g.login_failed = True
            error = exc.message
            account_flows.audit_login(db.session, form.email.data, success=False, reason=exc.code, now=now,
                                      **_client())
            db.session.commit()
        else:
            if not user.is_staff:
                # Debtors reach their file through the signed portal link in their messages (or the API).
                error = "This sign-in is for agency staff. Use the secure link in your messages to open your account."
                return render_template("auth/login.html", form=form, error=error), 403
            if login_service.requires_mfa(user):
                _set_pending(user, now, request.args.get("next"), enrol=not user.mfa_secret)
                return redirect(url_for("auth.mfa_setup" if not user.mfa_secret else "auth.mfa"))
            return _finish(user, now, request.args.get("next"))
    status = 401 if error else (400 if form.errors else 200)
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/login/mfa", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"], key_func=lambda: f"mfa-ip:{request.remote_addr}",
               deduct_when=_code_rejected)
@limiter.limit(_mfa_limit, methods=["POST"], key_func=_pending_user_key, deduct_when=_code_rejected)
def mfa():
    """Step 2: the TOTP code (or a recovery code)."""
    now = get_clock().now()
    user, pending = _pending_user(now)
    if user is None or pending.get("enrol"):
        flash("Sign in again: the code step expired.", "info")
        return redirect(url_for("auth.login"))
    form = MfaForm()
    error = None
    if form.validate_on_submit():
        try:
            login_service.check_second_factor(db.session, user, form.code.data, now)
        except login_service.LoginError as exc:
            error = exc.message
            account_flows.audit_login(db.session, user.email, success=False, user=user, reason="MFA_FAILED",
                                      now=now, **_client())
            db.session.commit()
        else:
            session.pop(PENDING_KEY, None)
            return _finish(user, now, pending.get("next"))
    status = 401 if error else (400 if form.errors else 200)
    return render_template("auth/mfa.html", form=form, error=error), status


@bp.route("/mfa/setup", methods=["GET", "POST"])
@limiter.limit(_mfa_limit, methods=["POST"], key_func=lambda: f"mfa-ip:{request.remote_addr}",
               deduct_when=_code_rejected)
@limiter.limit(_mfa_limit, methods=["POST"], key_func=_pending_user_key, deduct_when=_code_rejected)
def mfa_setup():
    """First sign-in of a business user: scan the QR code (or type the secret) and confirm one code."""
    now = get_clock().now()
    user, pending = _pending_user(now)
    if user is None or not pending.get("enrol"):
        return redirect(url_for("auth.login"))
    secret = session.get("mfa_enrol_secret") or mfa_service.new_secret()
    session["mfa_enrol_secret"] = secret
    form = EnrolForm()
    error = None
    if form.validate_on_submit():
        codes = mfa_service.enrol(db.session, user, secret, form.code.data, now)
        if codes is None:
            error = "That code does not match. Check the time on your phone and try the newest code."
        else:
            account_flows.audit(db.session, "mfa_enrolled", user=user, now=now, **_client())
            session.pop("mfa_enrol_secret", None)
            session.pop(PENDING_KEY, None)
            _finish(user, now, pending.get("next"))
            session["recovery_codes"] = codes
            return redirect(url_for("auth.recovery_codes"))
    status = 400 if (error or form.errors) else 200
    return render_template("auth/mfa_setup.html", form=form, error=error, secret=secret,
                           uri=mfa_service.provisioning_uri(secret, user.email), qr_svg=mfa_service.qr_svg(secret, user.email)), status


@bp.get("/mfa/recovery-codes")
@login_required
def recovery_codes():
    """Shown once, right after enrolment."""
    codes = session.pop("recovery_codes", None)
    if not codes:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.post("/logout")
@login_required
def logout():
    now = get_clock().now()
    web_sessions.revoke(db.session, current_user.token, now)
    account_flows.audit(db.session, "logout", user=current_user.user, now=now, **_client())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/session/keepalive")
@login_required
def keepalive():
    """The idle warning's 'Stay signed in': loading the user already touched the session row."""
    return "", 204


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=lambda: f"signup-ip:{request.remote_addr}")
def signup():
    """A new business: the verification link creates it."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            account_flows.start_signup(db.session, company=form.company.data, name=form.name.data,
                                       email=form.email.data, password=form.password.data,
                                       now=get_clock().now(), public_url=current_app.config["PUBLIC_URL"])
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field if exc.field in ("company", "name", "email", "password") else "email").errors \
                .append(exc.message)
        else:
            db.session.commit()
            return render_template("auth/check_email.html", email=form.email.data.strip().lower())
    return render_template("auth/signup.html", form=form), 400 if form.errors else 200


@bp.get("/signup/verify/<token>")
def signup_verify(token):
    now = get_clock().now()
    try:
        user = account_flows.complete_signup(db.session, token, now)
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_problem.html", message=exc.message), 400
    db.session.commit()
    _set_pending(user, now, None, enrol=True)
    flash(f"{user.business.name} is ready. Protect your account with an authenticator app.", "success")
    return redirect(url_for("auth.mfa_setup"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token):
    now = get_clock().now()
    pending = account_flows.peek_token(db.session, "invite", token, now)
    if pending is None:
        return render_template("auth/link_problem.html",
                               message="This invitation is invalid or has expired. Ask your administrator for a new one."), 400
    user = db.session.get(User, pending.user_id)
    form = SetPasswordForm()
    if form.validate_on_submit() and _set_password(form, lambda p: account_flows.accept_invite(db.session, token, p, now)):
        _set_pending(user, now, None, enrol=True)
        return redirect(url_for("auth.mfa_setup"))
    return render_template("auth/accept_invite.html", form=form, user=user), 400 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"],
               key_func=lambda: "reset:" + (request.form.get("email") or "").strip().lower())
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        account_flows.request_password_reset(db.session, form.email.data, get_clock().now(),
                                             current_app.config["PUBLIC_URL"])
        db.session.commit()
        return render_template("auth/check_email.html", email=None)
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    now = get_clock().now()
    if account_flows.peek_token(db.session, "reset_password", token, now) is None:
        return render_template("auth/link_problem.html",
                               message="This reset link is invalid or has expired. Ask for a new one."), 400
    form = SetPasswordForm()
    if form.validate_on_submit() and _set_password(form, lambda p: account_flows.reset_password(db.session, token, p, now)):
        flash("Your password has been changed and every session was signed out. Sign in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


@bp.get("/verify-email/<token>")
def verify_email(token):
    try:
        account_flows.verify_email(db.session, token, get_clock().now())
    except DomainError as exc:
        db.session.rollback()
        return render_template("auth/link_problem.html", message=exc.message), 400
    db.session.commit()
    return render_template("auth/link_problem.html", title="Email verified",
                           message="Your email address is verified. You can close this page.")


def _set_password(form, apply) -> bool:
    """Run a set-password flow; its refusal (weak password, spent link) shows under the password field."""
    try:
        apply(form.password.data)
    except DomainError as exc:
        db.session.rollback()
        form.password.errors.append(exc.message)
        return False
    db.session.commit()
    return True


def _finish(user: User, now, next_url: str | None):
    session.clear()  # a fresh session: nothing from before the sign-in survives (no fixation)
    token = web_sessions.open_session(db.session, user, now, request.remote_addr, request.user_agent.string)
    login_service.mark_signed_in(db.session, user, now)
    account_flows.audit_login(db.session, user.email, success=True, user=user, now=now, **_client())
    db.session.commit()
    login_user(SignedInUser(user, token))
    session.permanent = True
    return redirect(_safe_next(next_url))
