"""Do errors answer the PRD envelope under /api and a page elsewhere, with a request id and no internals?"""
import json

import pytest

from app import create_app
from tests.conftest import make_config

LEAKS = ("Traceback", 'File "/', "werkzeug.debug", "sqlalchemy.exc", "jinja2.exceptions")


def _envelope(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["requestId"] and response.headers["X-Request-ID"] == body["requestId"]
    assert not any(marker in response.get_data(as_text=True) for marker in LEAKS)
    return body


def test_unknown_api_route_is_404_envelope(client):
    _envelope(client.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")


def test_wrong_method_is_405_envelope_with_allow(client):
    response = client.delete("/api/v1/sandbox/messages")
    _envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_oversized_body_is_413_envelope(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/sandbox/messages", data=b"x" * (limit + 1),
                           headers={"Content-Type": "application/json"})
    _envelope(response, 413, "PAYLOAD_TOO_LARGE")


def test_unauthenticated_api_call_is_401_envelope(client):
    _envelope(client.get("/api/v1/sandbox/messages"), 401, "UNAUTHORIZED")


def test_incoming_request_id_is_kept_when_safe(client):
    response = client.get("/api/v1/nope", headers={"X-Request-ID": "abc12345-trace"})
    assert response.get_json()["requestId"] == "abc12345-trace"
    response = client.get("/api/v1/nope", headers={"X-Request-ID": "<script>"})
    assert response.get_json()["requestId"] != "<script>"


@pytest.fixture
def strict_app(database_url):
    """A second app on the same database with a tiny rate limit and a route that fails."""
    application = create_app(make_config(database_url, GLOBAL_RATE_LIMIT="3 per minute"))

    @application.get("/api/v1/_test_failure")
    def _fails():
        raise RuntimeError("secret internal detail")

    @application.get("/_test_failure")
    def _fails_html():
        raise RuntimeError("secret internal detail")

    return application


def test_rate_limit_is_429_envelope_with_retry_after(strict_app):
    client = strict_app.test_client()
    statuses = [client.get("/api/v1/sandbox/messages").status_code for _ in range(4)]
    assert statuses[:3] == [401, 401, 401]
    response = client.get("/api/v1/sandbox/messages")
    _envelope(response, 429, "RATE_LIMITED")
    assert int(response.headers["Retry-After"]) >= 1


def test_server_error_is_500_envelope_without_details(strict_app, caplog):
    client = strict_app.test_client()
    body = _envelope(client.get("/api/v1/_test_failure"), 500, "INTERNAL_ERROR")
    assert "secret internal detail" not in json.dumps(body)
    html = client.get("/_test_failure", headers={"Accept": "text/html"})
    assert html.status_code == 500 and b"secret internal detail" not in html.data
    assert b"Reference" in html.data


def test_browser_404_is_a_page(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert b"Page not found" in response.data and b"Reference" in response.data


def test_no_debug_console(client):
    response = client.get("/console")
    assert response.status_code == 404 and b"Werkzeug" not in response.data


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/api/v1/openapi.json", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "script-src 'self' http://127.0.0.1:8420" in csp, "Stripe.js origin in use (localstripe offline)"
        assert "'unsafe-inline'" not in csp
        assert "Strict-Transport-Security" not in headers, "HSTS only over https"


def test_hsts_over_https(database_url):
    application = create_app(make_config(database_url, PUBLIC_URL="https://collect.example.com"))
    headers = application.test_client().get("/healthz").headers
    assert "max-age=" in headers["Strict-Transport-Security"]


def test_html_form_without_csrf_token_is_refused(database_url):
    application = create_app(make_config(database_url))
    response = application.test_client().post("/login", data={"email": "a@b.co", "password": "x"})
    assert response.status_code == 400 and b"expired" in response.data


def test_openapi_document_is_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert "/sandbox/messages" in doc["paths"]
    assert doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
