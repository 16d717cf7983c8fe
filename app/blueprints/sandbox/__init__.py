"""The sandbox simulator (sandbox mode only): the outbox, replies as the debtor, simulated delivery events."""
from flask import Blueprint

bp = Blueprint("sandbox", __name__)

from app.blueprints.sandbox import views  # noqa: E402,F401
