"""Settings: profile, team, API keys, audit log (each page checks the permission matrix)."""
from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

from app.blueprints.settings import api_keys, audit_log, profile, team, views, webhooks  # noqa: E402,F401
from app.blueprints.settings import compliance  # noqa: E402,F401
from app.blueprints.settings import assignment, canned, notifications_menu  # noqa: E402,F401
from app.blueprints.settings import payment_plans  # noqa: E402,F401
