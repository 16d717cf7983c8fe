from flask import current_app, jsonify

from app.blueprints.health import bp
from app.extensions import db, limiter
from app.services.health import check_all


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Ok when the database and the queue answer (load balancers and `make run` poll this)."""
    checks = check_all(db, current_app.extensions["jobs"], current_app.config["CONFIG_OBJECT"], deep=False)
    healthy = all(c["ok"] for c in checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    return jsonify(body), 200 if healthy else 503


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Each dependency with its state and mode."""
    checks = check_all(db, current_app.extensions["jobs"], current_app.config["CONFIG_OBJECT"], deep=True)
    required = ("database", "queue")
    ready = all(checks[name]["ok"] for name in required)
    return jsonify({"status": "ready" if ready else "not_ready", "dependencies": checks}), 200 if ready else 503
