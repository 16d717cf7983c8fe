"""Who is calling the API, and whether their role may do this."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from app.services.errors import Forbidden, Unauthorized

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def current_api_principal():
    """The principal of this request; a browser session cookie counts only for reads (no CSRF risk)."""
    principal = getattr(g, "api_principal", None)
    if principal is not None:
        return principal
    principal = getattr(g, "principal", None)
    if principal is not None and request.method in SAFE_METHODS:
        return principal
    return None


def api_auth(*roles: str):
    """Require an authenticated caller, optionally with one of the given roles."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_api_principal()
            if principal is None:
                raise Unauthorized("Authentication required: send Authorization: Bearer <token>.")
            if roles and principal.role not in roles:
                raise Forbidden("Your role may not do this.")
            g.principal = principal
            return view(*args, **kwargs)
        return wrapped
    return decorator
