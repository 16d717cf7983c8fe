"""Request ids and structured (JSON lines) logs without personal data."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; only fields we chose, so no request bodies or addresses leak in."""

    EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "business_id", "job", "callback",
                    "event", "variable")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key in self.EXTRA_FIELDS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the whole process (idempotent)."""
    root = logging.getLogger()
    if any(getattr(h, "_funnelchat", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler._funnelchat = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # werkzeug's own access log repeats the client address and query string: ours replaces it.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The twilio SDK logs every request with its headers at INFO: keep our logs to what we decide.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # The stripe SDK logs request bodies at DEBUG, and a bank debit's body holds the account and routing numbers:
    # never below INFO, whatever LOG_LEVEL says.
    logging.getLogger("stripe").setLevel(max(logging.INFO, logging.getLogger().level))


def init_request_logging(app: Flask) -> None:
    log = logging.getLogger("funnelchat.http")

    def _assign_request_id():
        # A request starts with an empty g: nothing cached by an earlier request on a longer-lived
        # app context (tests hold one open) may leak into this one (users, principals, limits).
        g.__dict__.clear()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    # First of all before-request hooks: the rate limiter's 429 carries a request id too.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)

    @app.after_request
    def _log_request(response):
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        started = getattr(g, "request_started", None)
        if started is not None and request.endpoint != "static":
            principal = getattr(g, "principal", None)
            log.info("request", extra={
                "method": request.method,
                "path": request.path,  # never the query string: searches carry names and phones
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": str(principal.user_id) if principal and principal.user_id else None,
            })
        return response
