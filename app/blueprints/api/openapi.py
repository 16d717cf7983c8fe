"""The OpenAPI 3.1 document, assembled from what each API module registers about itself."""
from __future__ import annotations

from flask import current_app

from app.blueprints.api import bp
from app.extensions import limiter

_PATHS: dict[str, dict] = {}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": [
                "BAD_REQUEST", "VALIDATION_ERROR", "INVALID_CREDENTIALS", "MFA_REQUIRED", "EMAIL_NOT_VERIFIED",
                "ACCOUNT_SUSPENDED", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT",
                "IDEMPOTENCY_CONFLICT", "ACTIVE_PLAN", "EMAIL_EXISTS", "INVALID_ROLE", "PAYMENT_FAILED",
                "PAYLOAD_TOO_LARGE", "RATE_LIMITED", "COMPLIANCE_BLOCKED", "INTERNAL_ERROR"]},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"]},
        }},
        "requestId": {"type": "string"},
    },
}


def document(path: str, method: str, summary: str, *, tags: list[str], auth: bool = True,
             parameters: list[dict] | None = None, request_body: dict | None = None,
             responses: dict | None = None) -> None:
    """Describe one operation (path in OpenAPI form, e.g. /accounts/{id})."""
    operation = {"summary": summary, "tags": tags,
                 "responses": responses or {"200": {"description": "OK"}}}
    operation["responses"].setdefault("default", {"description": "Error envelope",
                                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    if parameters:
        operation["parameters"] = parameters
    if request_body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": request_body}}}
    if not auth:
        operation["security"] = []
    _PATHS.setdefault(path, {})[method.lower()] = operation


def build_document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "funnelChat API", "version": "1.0.0",
                 "description": "Debtor accounts, conversations, payments and plans. Every response uses the "
                                "envelope {success, data, meta} or {success: false, error}."},
        "servers": [{"url": server_url.rstrip("/") + "/api/v1"}],
        "security": [{"bearerAuth": []}, {"apiKey": []}],
        "paths": dict(sorted(_PATHS.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


@bp.get("/openapi.json")
@limiter.exempt
def openapi_json():
    from flask import jsonify

    return jsonify(build_document(current_app.config["PUBLIC_URL"]))


document("/sandbox/messages", "get", "What the sandbox providers recorded (sandbox mode only)", tags=["sandbox"],
         parameters=[{"name": "to", "in": "query", "schema": {"type": "string"}},
                     {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                     {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}])
