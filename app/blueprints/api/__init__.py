"""The JSON API at /api/v1: one module per resource, the PRD section 7 envelope throughout."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from app.blueprints.api import openapi, sandbox  # noqa: E402,F401
