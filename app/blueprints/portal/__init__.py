"""The debtor portal: /p/<token>, an identity check, then the account, the validation notice and how to dispute."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.blueprints.portal import views  # noqa: E402,F401
from app.blueprints.portal import plans  # noqa: E402,F401
from app.blueprints.portal import plan_changes  # noqa: E402,F401
