"""Staff sign-in in the browser: password, then TOTP."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.blueprints.auth import views  # noqa: E402,F401
