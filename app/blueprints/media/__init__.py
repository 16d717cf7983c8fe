"""Public media links (/m/<token>): the files Twilio fetches for MMS and WhatsApp. The signed token is the only
permission, so there is no login, no cookie and no CSRF; the global rate limit per address still applies."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("media", __name__)
csrf.exempt(bp)

from app.blueprints.media import views  # noqa: E402,F401
