"""The account grid and the account file."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

from app.blueprints.accounts import views  # noqa: E402,F401
from app.blueprints.accounts import documents  # noqa: E402,F401
from app.blueprints.accounts import compliance  # noqa: E402,F401
from app.blueprints.accounts import payments  # noqa: E402,F401
from app.blueprints.accounts import plans  # noqa: E402,F401
