"""Account import pages: upload a CSV, check the column mapping and a preview, then follow the job's progress."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/accounts/import", static_folder="static",
               static_url_path="/static")

from app.blueprints.imports import views  # noqa: E402,F401
