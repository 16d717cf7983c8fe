"""The compliance page: what the gate decided, by rule and outcome over time (audit-log roles)."""
from flask import Blueprint

bp = Blueprint("compliance", __name__, url_prefix="/compliance")

from app.blueprints.compliance import views  # noqa: E402,F401
