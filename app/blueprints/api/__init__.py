"""The JSON API at /api/v1: one module per resource, the PRD section 7 envelope throughout."""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from app.blueprints.api import (accounts, admin_settings, admin_users, auth, conversations, imports, openapi,  # noqa: E402,F401
                                payment_links, sandbox, unknown_senders)
from app.blueprints.api import payment_refunds  # noqa: E402,F401
from app.blueprints.api import payments  # noqa: E402,F401
from app.blueprints.api import payment_plans  # noqa: E402,F401
from app.blueprints.api.access import rate_limit_key, rate_limit_value  # noqa: E402
from app.extensions import limiter  # noqa: E402

# PRD 5.3.4: 100/min per authenticated caller, 20/min per address for public calls (webhooks will be exempt).
limiter.limit(rate_limit_value, key_func=rate_limit_key)(bp)
