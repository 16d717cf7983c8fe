"""PRD 7.2 authentication endpoints, plus refresh and me."""
from __future__ import annotations

from flask import current_app, g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str, required_str
from app.blueprints.api.envelope import ok
from app.blueprints.api.openapi import document
from app.blueprints.api.serializers import user_json
from app.extensions import db, limiter
from app.services.auth import account_flows, login as login_service, tokens
from app.services.clock import get_clock
from app.services.errors import DomainError


def _key() -> bytes:
    return tokens.signing_key(current_app.config["SECRET_KEY"])


def _login_failed(response) -> bool:
    """Only failed attempts count toward the login limits (a correct password awaiting MFA does not)."""
    return bool(g.get("login_failed"))


def _login_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"login:{str(email or '').strip().lower()}"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return f"reset:{str(email or '').strip().lower()}"


@bp.post("/auth/login")
@limiter.limit(_login_limit, key_func=lambda: f"login-ip:{request.remote_addr}", deduct_when=_login_failed)
@limiter.limit(_login_limit, key_func=_login_email, deduct_when=_login_failed)
def login():
    """Email + password (+ mfaCode for business roles) -> {user, token, refreshToken}."""
    body = json_body()
    email = required_str(body, "email")
    password = required_str(body, "password", strip=False)
    code = optional_str(body, "mfaCode")
    now = get_clock().now()
    try:
        user = login_service.check_password(db.session, email, password, now)
        if login_service.requires_mfa(user):
            if not code:
                raise login_service.LoginError("Enter the code from your authenticator app (mfaCode).",
                                               code="MFA_REQUIRED", field="mfaCode")
            login_service.check_second_factor(db.session, user, code, now)
        else:
            login_service.mark_signed_in(db.session, user, now)
    except DomainError as exc:
        if exc.code != "MFA_REQUIRED":
            g.login_failed = True
        account_flows.audit_login(db.session, email, success=False, reason=exc.code, ip=request.remote_addr,
                                  user_agent=request.user_agent.string, now=now)
        db.session.commit()
        raise
    pair = tokens.issue_pair(db.session, user, now, _key(), ip=request.remote_addr,
                             user_agent=request.user_agent.string)
    account_flows.audit_login(db.session, user.email, success=True, user=user, ip=request.remote_addr,
                              user_agent=request.user_agent.string, now=now)
    db.session.commit()
    return ok({"user": user_json(user), "token": pair.access_token, "refreshToken": pair.refresh_token})


@bp.post("/auth/logout")
@api_auth(allow_unverified=True)
def logout():
    """Revoke this token and its refresh family."""
    now = get_clock().now()
    row = g.get("api_session")
    if row is not None:
        tokens.revoke_family(db.session, row.family_id, now)
        row.revoked_at = now
        account_flows.audit(db.session, "logout", user=g.api_user, ip=request.remote_addr,
                            user_agent=request.user_agent.string, now=now)
        db.session.commit()
    return ok({"message": "Logged out successfully"})


@bp.post("/auth/refresh")
def refresh():
    """Spend a refresh token for a new pair (rotation; reuse revokes the family)."""
    body = json_body()
    now = get_clock().now()
    user, pair = tokens.rotate_refresh(db.session, required_str(body, "refreshToken"), now, _key(),
                                       ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return ok({"user": user_json(user), "token": pair.access_token, "refreshToken": pair.refresh_token})


@bp.get("/auth/me")
@api_auth(allow_unverified=True)
def me():
    user = g.get("api_user")
    if user is None:
        key = g.api_key
        return ok({"apiKey": {"id": str(key.id), "name": key.name, "role": key.role,
                              "businessId": str(key.business_id)}})
    return ok({"user": user_json(user)})


@bp.post("/auth/register")
def register():
    """Debtor self-registration (other roles are invited, never self-registered)."""
    body = json_body()
    now = get_clock().now()
    user = account_flows.register_debtor(
        db.session, email=required_str(body, "email"), password=required_str(body, "password", strip=False),
        first_name=optional_str(body, "firstName"), last_name=optional_str(body, "lastName"),
        role=optional_str(body, "role") or "debtor", now=now, public_url=current_app.config["PUBLIC_URL"])
    pair = tokens.issue_pair(db.session, user, now, _key(), ip=request.remote_addr,
                             user_agent=request.user_agent.string)
    db.session.commit()
    return ok({"user": user_json(user), "token": pair.access_token}, status=201)


@bp.post("/auth/forgot-password")
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], key_func=_reset_email)
def forgot_password():
    """Always the same 200, whether or not the email exists."""
    body = json_body()
    email = optional_str(body, "email") or ""
    account_flows.request_password_reset(db.session, email, get_clock().now(), current_app.config["PUBLIC_URL"])
    db.session.commit()
    return ok({"message": "If an account exists for this email, a password reset link has been sent."})


@bp.post("/auth/reset-password")
def reset_password():
    body = json_body()
    account_flows.reset_password(db.session, required_str(body, "token"),
                                 required_str(body, "newPassword", field="newPassword", strip=False),
                                 get_clock().now())
    db.session.commit()
    return ok({"message": "Password reset successful"})


_AUTH = ["auth"]
document("/auth/login", "post", "Sign in (mfaCode required for business roles)", tags=_AUTH, auth=False,
         request_body={"type": "object", "required": ["email", "password"],
                       "properties": {"email": {"type": "string"}, "password": {"type": "string"},
                                      "mfaCode": {"type": "string"}}})
document("/auth/logout", "post", "Revoke the current token", tags=_AUTH)
document("/auth/refresh", "post", "Rotate a refresh token", tags=_AUTH, auth=False,
         request_body={"type": "object", "required": ["refreshToken"],
                       "properties": {"refreshToken": {"type": "string"}}})
document("/auth/me", "get", "The current user", tags=_AUTH)
document("/auth/register", "post", "Register a debtor user", tags=_AUTH, auth=False,
         request_body={"type": "object", "required": ["email", "password"],
                       "properties": {"email": {"type": "string"}, "password": {"type": "string"},
                                      "firstName": {"type": "string"}, "lastName": {"type": "string"},
                                      "role": {"const": "debtor"}}})
document("/auth/forgot-password", "post", "Request a password reset email (always 200)", tags=_AUTH, auth=False)
document("/auth/reset-password", "post", "Set a new password with a reset token", tags=_AUTH, auth=False)
