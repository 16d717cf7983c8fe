"""Who is calling the API (Bearer JWT, X-API-Key, or for reads a browser session), and may they?"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from app.extensions import db
from app.services.auth import api_keys, permissions, tokens
from app.services.clock import get_clock
from app.services.errors import DomainError, Forbidden, Unauthorized
from app.services.tenancy import Principal, set_principal

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_UNSET = object()


def _resolve() -> Principal | None:
    """Parse the credentials once per request; bad credentials are a 401, never anonymous access."""
    now = get_clock().now()
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use Authorization: Bearer <token>.")
        user, row = tokens.authenticate_access(db.session, token.strip(), now,
                                               tokens.signing_key(current_app.config["SECRET_KEY"]))
        g.api_user, g.api_session = user, row
        return Principal(business_id=user.business_id, role=user.role, user_id=user.id, email=user.email)
    key = request.headers.get("X-API-Key")
    if key:
        row = api_keys.authenticate(db.session, key.strip(), now)
        g.api_key = row
        return Principal(business_id=row.business_id, role=row.role, api_key_id=row.id)
    if request.method in SAFE_METHODS:
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            user = current_user.user
            return Principal(business_id=user.business_id, role=user.role, user_id=user.id, email=user.email)
    return None


def current_api_principal() -> Principal | None:
    cached = g.get("api_principal", _UNSET)
    if cached is _UNSET:
        try:
            cached = _resolve()
        except DomainError as exc:
            g.api_principal_error = exc
            cached = None
        g.api_principal = cached
    if getattr(g, "api_principal_error", None) is not None:
        raise g.api_principal_error
    return cached


def rate_limit_key() -> str:
    """Per user (or key) when authenticated, per client address otherwise."""
    try:
        principal = current_api_principal()
    except DomainError:
        principal = None
    if principal is not None:
        return f"user:{principal.user_id or principal.api_key_id}"
    return f"ip:{request.remote_addr}"


def rate_limit_value() -> str:
    """PRD 5.3.4: 100/min for authenticated callers, 20/min for public endpoints."""
    try:
        authenticated = current_api_principal() is not None
    except DomainError:
        authenticated = False
    return current_app.config["API_RATE_LIMIT" if authenticated else "PUBLIC_RATE_LIMIT"]


def api_auth(*roles: str, action: str | None = None, allow_unverified: bool = False):
    """Require an authenticated caller, with one of `roles` or the permission `action` if given."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_api_principal()
            if principal is None:
                raise Unauthorized("Authentication required: send Authorization: Bearer <token> or X-API-Key.")
            user = getattr(g, "api_user", None)
            if user is not None and not user.email_verified and not allow_unverified:
                raise DomainError("Verify your email address first.", code="EMAIL_NOT_VERIFIED", status=403)
            if roles and principal.role not in roles:
                raise Forbidden("Your role may not do this.")
            if action:
                g.permission_scope = permissions.require(principal.role, action)
            g.principal = principal
            set_principal(principal)
            return view(*args, **kwargs)
        return wrapped
    return decorator
