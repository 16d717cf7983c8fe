"""GET (and HEAD) /m/<token>: one document's bytes for the provider that fetches it."""
from flask import Response, abort

from app.blueprints.media import bp
from app.extensions import db
from app.services.channels import media
from app.services.clock import get_clock
from app.services.errors import NotFound


@bp.get("/m/<token>")
def serve(token):
    """The file's bytes with its own type (Twilio checks it against the bytes, by HEAD and GET); 404 for a link that
    does not work, whatever the reason, so a guess learns nothing."""
    try:
        found = media.resolve(db.session, token, now=get_clock().now())
    except NotFound:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = f'inline; filename="{found.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
