"""The embeddable web chat: /widget.js for a business's site, the /widget frame, and the debtor's side of chat."""
from flask import Blueprint

bp = Blueprint("widget", __name__)

from app.blueprints.widget import views  # noqa: E402,F401
