"""Security headers on every response: CSP, nosniff, referrer policy, framing, HSTS over https."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request

# Endpoints that take CSV files up to IMPORT_MAX_CONTENT_LENGTH (everything else: MAX_CONTENT_LENGTH).
LARGE_UPLOAD_PATHS = ("/accounts/import", "/accounts/import/", "/api/v1/accounts/bulk-import")

# Account documents: up to 10 files of 10 MB each in one request, plus room for the multipart framing.
DOCUMENT_UPLOAD_PATH = re.compile(r"^/accounts/[^/]+/documents/?$")
DOCUMENT_UPLOAD_MAX_CONTENT_LENGTH = 101 * 1024 * 1024

# Pages that may be framed by a business's own site (the chat widget: the frame at /widget and its /widget/...
# requests); everything else may not.
FRAMEABLE_PREFIXES = ("/widget",)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def stripe_js_origin() -> str:
    """Where the page loads Stripe.js from: localstripe's copy in the sandbox, js.stripe.com otherwise."""
    config = current_app.config["CONFIG_OBJECT"]
    if config.stripe_mode == "localstripe":
        return _origin(config.STRIPE_API_BASE) or "http://127.0.0.1:8420"
    return "https://js.stripe.com"


def content_security_policy(frameable: bool) -> str:
    stripe = stripe_js_origin()
    api_origin = stripe if stripe != "https://js.stripe.com" else "https://api.stripe.com"
    directives = [
        "default-src 'self'",
        f"script-src 'self' {stripe}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' ws: wss: {api_origin}",
        # 'self': the portal's "Chat with us" opens the chat frame (/widget) inside the page
        f"frame-src 'self' {stripe} https://hooks.stripe.com" if stripe == "https://js.stripe.com"
        else f"frame-src 'self' {stripe}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors *" if frameable else "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def init_security_headers(app: Flask) -> None:
    @app.before_request
    def _refuse_oversized_bodies():
        """413 before routing work, whether or not the view reads the body; CSV imports may be larger."""
        if request.path in LARGE_UPLOAD_PATHS:
            request.max_content_length = app.config["IMPORT_MAX_CONTENT_LENGTH"]
        elif request.method == "POST" and DOCUMENT_UPLOAD_PATH.match(request.path):
            request.max_content_length = DOCUMENT_UPLOAD_MAX_CONTENT_LENGTH
        limit = request.max_content_length
        if limit and request.content_length and request.content_length > limit:
            abort(413)

    @app.after_request
    def _headers(response):
        frameable = request.path.startswith(FRAMEABLE_PREFIXES)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy(frameable))
        if not frameable:
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure or current_app.config.get("PUBLIC_URL", "").startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.path.startswith("/api/") or response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
