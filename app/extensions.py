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
def _global_limit() -> str:
    """PRD 5.3.4 global limit per address, one bucket across every route; read per request so that
    each app (and each test app) applies its own configured value."""
    from flask import current_app

    return current_app.config["GLOBAL_RATE_LIMIT"]


limiter = Limiter(key_func=get_remote_address, application_limits=[_global_limit])
