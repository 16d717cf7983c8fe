"""The agent inbox: conversation list, thread, composer and conversation actions (PRD 8.5.2)."""
from flask import Blueprint

bp = Blueprint("inbox", __name__)

from app.blueprints.inbox import views  # noqa: E402,F401
