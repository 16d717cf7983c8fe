"""Extensions, created unbound here and bound to the app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()
def _default_limit() -> str:
    """Read per request, so each app (and each test app) applies its own configured limit."""
    from flask import current_app

    return current_app.config["RATELIMIT_DEFAULT"]


limiter = Limiter(key_func=get_remote_address, default_limits=[_default_limit])
