"""Page-side use of the permission matrix (the API uses the same table)."""
from __future__ import annotations

from functools import wraps

from flask import g
from flask_login import login_required

from app.services.auth import permissions


def page_permission(action: str):
    """Signed in, and the role may perform `action` (403 page otherwise)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            g.permission_scope = permissions.require(g.principal.role, action)
            return view(*args, **kwargs)
        return wrapped
    return decorator
