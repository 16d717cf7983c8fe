"""Provider webhooks at /api/v1/webhooks: verified by signature, never rate limited, never CSRF-checked."""
from flask import Blueprint

from app.extensions import csrf, limiter

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")
csrf.exempt(bp)
limiter.exempt(bp)

from app.blueprints.webhooks import views  # noqa: E402,F401
from app.blueprints.webhooks import stripe_webhook  # noqa: E402,F401
