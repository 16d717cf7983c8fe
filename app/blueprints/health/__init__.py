"""Liveness and readiness probes."""
from flask import Blueprint

bp = Blueprint("health", __name__)

from app.blueprints.health import views  # noqa: E402,F401
