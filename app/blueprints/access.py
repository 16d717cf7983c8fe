"""Page-side use of the permission matrix, for every blueprint (the API uses the same table)."""
from __future__ import annotations

from functools import wraps

from flask import g
from flask_login import current_user, login_required

from app.services.auth import permissions


def page_permission(action: str):
    """Signed in, and the role may perform `action` (403 page otherwise)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            g.permission_scope = permissions.require(g.principal.role, action)
            g.current_user_row = current_user.user
            return view(*args, **kwargs)
        return wrapped
    return decorator
