"""Dependency checks for /healthz and /readyz."""
from __future__ import annotations

import time
import urllib.request

from sqlalchemy import text


def _timed(func) -> dict:
    started = time.perf_counter()
    try:
        detail = func()
        ok = True
    except Exception as exc:
        detail = f"{exc.__class__.__name__}"
        ok = False
    return {"ok": ok, "state": "up" if ok else "down", "latencyMs": round((time.perf_counter() - started) * 1000, 1),
            **({"detail": detail} if isinstance(detail, str) and detail else {})}


def _database(db) -> str:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return db.engine.dialect.name


def _stripe(config) -> str:
    if config.stripe_mode != "localstripe":
        return "live"
    with urllib.request.urlopen(f"{config.STRIPE_API_BASE}/js.stripe.com/v3/", timeout=1) as response:
        response.read(1)
    return "localstripe"


def check_all(db, jobs, config, deep: bool) -> dict:
    """Database and queue always; with deep, the providers and their modes too."""
    checks = {
        "database": _timed(lambda: _database(db)),
        "queue": _timed(lambda: "redis" if config.REDIS_URL and jobs.ping() else ("embedded" if jobs.ping() else "")),
    }
    if deep:
        checks["stripe"] = _timed(lambda: _stripe(config))
        checks["sms"] = {"ok": True, "state": "up", "mode": config.sms_mode}
        checks["email"] = {"ok": True, "state": "up", "mode": config.email_mode}
        checks["ai"] = {"ok": True, "state": "up", "mode": config.ai_mode}
    return checks
