"""Per-request identity and template context for the browser pages."""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g, session, url_for
from flask_login import current_user

from app.extensions import db, login_manager
from app.services.auth import permissions
from app.services.clock import get_clock
from app.services.tenancy import Principal, reset_principal, set_principal

# The business shell's navigation, in PRD 8.4.2 order. An entry shows only once its page exists,
# so nothing links to a page that is not built.
NAV = (
    ("Dashboard", "dashboard.index", "home"),
    ("Accounts", "accounts.index", "folder"),
    ("Conversations", "inbox.index", "chat"),
    ("Campaigns", "campaigns.index", "megaphone"),
    ("Analytics", "analytics.index", "chart"),
    ("Compliance", "compliance.index", "lock"),
    ("Settings", "settings.index", "gear"),
    ("Sandbox", "sandbox.index", "inbox"),
)
NAV_PERMISSIONS = {"compliance.index": "audit.view", "sandbox.index": "sandbox.use"}
"""Entries only some roles may open (the permission matrix action); the rest are for every signed-in user."""
SANDBOX_ONLY = frozenset({"sandbox.index"})
"""Entries that exist only while the providers are the sandbox."""
BOTTOM_NAV_SLOTS = 5
"""Entries a phone's bottom bar holds (375 px at 44 px or more each); with more entries, the last slot is "More"."""


class SignedInUser:
    """Flask-Login's user: the User row plus the session token its cookie carries."""

    def __init__(self, user, token: str):
        self.user = user
        self.token = token

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.token

    def __getattr__(self, name):
        return getattr(self.user, name)


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


@login_manager.user_loader
def _load_user(token: str):
    from app.services.auth import web_sessions

    user = web_sessions.resolve(db.session, token, get_clock().now(), idle_timeout())
    return SignedInUser(user, token) if user is not None else None


def init_web(app: Flask) -> None:
    @app.before_request
    def _principal_from_session():
        g.principal = None
        if current_user and current_user.is_authenticated:
            user = current_user.user
            g.principal = Principal(business_id=user.business_id, role=user.role, user_id=user.id,
                                    email=user.email)
            session.permanent = True
        g.principal_token = set_principal(g.principal)

    @app.teardown_request
    def _reset_principal(exc=None):
        token = g.pop("principal_token", None)
        if token is not None:
            reset_principal(token)

    @app.context_processor
    def _shell_context():
        available = set(app.view_functions)
        role = g.principal.role if g.get("principal") is not None else None
        sandbox = app.config["CONFIG_OBJECT"].sandbox
        nav = [(label, url_for(endpoint), icon, endpoint) for label, endpoint, icon in NAV if endpoint in available
               and (endpoint not in NAV_PERMISSIONS or (role and permissions.can(role, NAV_PERMISSIONS[endpoint])))
               and (sandbox or endpoint not in SANDBOX_ONLY)]
        bottom, more = bottom_nav(nav)
        return {"nav_items": nav, "bottom_nav": bottom, "bottom_more": more,
                "idle_minutes": app.config["SESSION_IDLE_MINUTES"], "sandbox_mode": app.config["CONFIG_OBJECT"].sandbox}


def bottom_nav(nav: list, slots: int = BOTTOM_NAV_SLOTS) -> tuple[list, list]:
    """The entries the phone's bottom bar shows, and those behind its "More" button (none when all fit)."""
    if len(nav) <= slots:
        return list(nav), []
    return list(nav[:slots - 1]), list(nav[slots - 1:])
