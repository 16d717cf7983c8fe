"""Error handlers: HTML pages for browsers, the PRD envelope under /api/; never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.blueprints.api.envelope import error
from app.observability import current_request_id
from app.services.errors import DomainError

log = logging.getLogger("funnelchat.errors")

HTTP_CODES = {
    400: ("BAD_REQUEST", "The request could not be understood."),
    401: ("UNAUTHORIZED", "Authentication is required."),
    403: ("FORBIDDEN", "You are not allowed to do this."),
    404: ("NOT_FOUND", "Not found."),
    405: ("METHOD_NOT_ALLOWED", "This method is not allowed here."),
    409: ("CONFLICT", "The request conflicts with the current state."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    415: ("BAD_REQUEST", "Unsupported content type."),
    422: ("VALIDATION_ERROR", "The request could not be processed."),
    429: ("RATE_LIMITED", "Too many requests. Slow down and try again shortly."),
    500: ("INTERNAL_ERROR", "Something went wrong on our side. It has been logged."),
}

PAGE_TITLES = {
    400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Page not found",
    405: "Not allowed", 413: "Too large", 429: "Too many requests", 500: "Something went wrong",
}


def wants_json() -> bool:
    """API paths always get JSON; elsewhere, only clients that ask for JSON and not HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.headers.get("HX-Request")


def _render(status: int, code: str, message: str, field: str | None = None, headers: dict | None = None,
            **extra):
    if wants_json():
        return error(code, message, status, field=field, headers=headers, **extra)
    body = render_template("errors/error.html", status=status, title=PAGE_TITLES.get(status, "Error"),
                           message=message, request_id=current_request_id())
    return body, status, headers or {}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return _render(exc.status, exc.code, exc.message, field=exc.field, **exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _render(400, "BAD_REQUEST", "Your form expired or was sent from elsewhere. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        code, default_message = HTTP_CODES.get(status, ("BAD_REQUEST" if status < 500 else "INTERNAL_ERROR",
                                                        exc.name))
        headers = {}
        if status == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        if status == 429:
            retry_after = getattr(exc, "retry_after", None) or _limiter_retry_after()
            headers["Retry-After"] = str(retry_after)
        message = default_message
        if status == 400 and exc.description and not exc.description.startswith("The browser (or proxy)"):
            message = exc.description
        if status == 400 and request.is_json is not None and _is_json_decode_error(exc):
            message = "Malformed JSON body."
        return _render(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        log.exception("unhandled error")
        code, message = HTTP_CODES[500]
        return _render(500, code, message)


def _is_json_decode_error(exc: HTTPException) -> bool:
    return "Failed to decode JSON" in (exc.description or "")


def _limiter_retry_after() -> int:
    from flask import g

    limit = getattr(g, "view_rate_limit", None)
    if limit is None:
        return 60
    try:
        from app.extensions import limiter

        reset_at, _ = limiter.limiter.get_window_stats(limit[0], *limit[1])
        import time

        return max(1, int(reset_at - time.time()))
    except Exception:
        return 60
