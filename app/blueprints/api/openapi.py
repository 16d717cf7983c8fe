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


def account_list_parameters(statuses) -> list[dict]:
    """The query of a per-account list (payments, payment plans): accountId, status (comma separated), page, limit."""
    return [{"name": "accountId", "in": "query", "required": True, "schema": {"type": "string", "format": "uuid"}},
            {"name": "status", "in": "query", "schema": {"type": "string"},
             "description": "One or more of " + ", ".join(statuses) + " (comma separated)"},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]


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
            "schemas": {"Error": ERROR_SCHEMA, **CONVERSATION_SCHEMAS},
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


# -- PRD 7.4 conversations ----------------------------------------------------------------------------------------
_TIME = {"type": ["string", "null"], "format": "date-time"}
_ID = {"type": "string", "format": "uuid"}
_CHANNEL = {"type": "string", "enum": ["sms", "whatsapp", "email", "web_chat"]}
_CONVERSATION_STATUS = {"type": "string", "enum": ["active", "escalated", "resolved", "closed"]}
_DELIVERY = {"type": "string", "enum": ["queued", "scheduled", "blocked", "sending", "sent", "delivered", "failed",
                                        "read", "received"]}
_SENT = {"type": "object", "required": ["id", "content", "deliveryStatus"], "properties": {
    "id": _ID, "content": {"type": "string"}, "deliveryStatus": _DELIVERY,
    "scheduledFor": {"type": "string", "format": "date-time", "description": "Only when deliveryStatus is scheduled"}}}
CONVERSATION_SCHEMAS = {
    "ConversationSummary": {"type": "object", "required": [
        "id", "accountId", "account", "channel", "status", "assignedAgentId", "assignedAgent", "lastMessageAt",
        "lastMessageFrom", "messageCount", "sentiment", "createdAt", "unreadCount"], "properties": {
        "id": _ID, "accountId": _ID,
        "account": {"type": "object", "properties": {"firstName": {"type": "string"}, "lastName": {"type": "string"},
                                                     "accountNumber": {"type": "string"}}},
        "channel": _CHANNEL, "status": _CONVERSATION_STATUS, "assignedAgentId": {"type": ["string", "null"]},
        "assignedAgent": {"type": ["object", "null"], "properties": {"firstName": {"type": ["string", "null"]},
                                                                     "lastName": {"type": ["string", "null"]}}},
        "lastMessageAt": _TIME, "lastMessageFrom": {"type": ["string", "null"]}, "messageCount": {"type": "integer"},
        "sentiment": {"type": ["string", "null"]}, "createdAt": _TIME, "unreadCount": {"type": "integer"}}},
    "ConversationMessage": {"type": "object", "required": [
        "id", "senderType", "content", "direction", "deliveryStatus", "createdAt"], "properties": {
        "id": _ID, "senderType": {"type": "string", "enum": ["agent", "debtor", "ai", "system"]},
        "content": {"type": "string"}, "direction": {"type": "string", "enum": ["inbound", "outbound"]},
        "deliveryStatus": _DELIVERY, "createdAt": _TIME, "channel": _CHANNEL, "scheduledFor": _TIME,
        "failedReason": {"type": ["string", "null"]},
        "complianceIssues": {"type": "array", "items": {"type": "string"}, "description": "Rule ids"}}},
    "Conversation": {"type": "object", "required": [
        "id", "accountId", "account", "channel", "status", "assignedAgentId", "messages", "createdAt"], "properties": {
        "id": _ID, "accountId": _ID,
        "account": {"type": "object", "properties": {"firstName": {"type": "string"}, "lastName": {"type": "string"},
                                                     "currentBalance": {"type": "number"},
                                                     "accountNumber": {"type": "string"}}},
        "channel": _CHANNEL, "status": _CONVERSATION_STATUS, "assignedAgentId": {"type": ["string", "null"]},
        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ConversationMessage"}},
        "createdAt": _TIME, "subject": {"type": ["string", "null"]}, "resolutionType": {"type": ["string", "null"]},
        "lastMessageAt": _TIME, "lastMessageFrom": {"type": ["string", "null"]}, "unreadCount": {"type": "integer"},
        "sentiment": {"type": ["string", "null"]}, "updatedAt": _TIME}},
    "Outreach": {"type": "object", "required": ["id", "accountId", "channel", "status", "messages"], "properties": {
        "id": _ID, "accountId": _ID, "channel": _CHANNEL, "status": _CONVERSATION_STATUS,
        "messages": {"type": "array", "items": _SENT}}},
    "SentMessage": {"type": "object", "required": [
        "id", "conversationId", "senderType", "content", "deliveryStatus", "createdAt"], "properties": {
        **_SENT["properties"], "conversationId": _ID, "senderType": {"type": "string", "enum": ["agent", "ai"]},
        "createdAt": _TIME}},
    "ComplianceBlocked": {"type": "object", "required": ["success", "error"], "properties": {
        "success": {"const": False},
        "error": {"type": "object", "required": ["code", "message", "rules"], "properties": {
            "code": {"const": "COMPLIANCE_BLOCKED"}, "message": {"type": "string"},
            "rules": {"type": "array", "items": {"type": "string"}, "description": "Rule ids that stopped it"},
            "conversationId": _ID, "messageId": _ID}}}},
}


def _envelope(schema_name: str, *, many: bool = False, meta: bool = False) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    properties = {"success": {"const": True}, "data": {"type": "array", "items": ref} if many else ref}
    if meta:
        properties["meta"] = {"type": "object", "properties": {name: {"type": "integer"} for name in (
            "page", "limit", "total", "totalPages")}}
    return {"content": {"application/json": {"schema": {"type": "object", "properties": properties}}}}


def _blocked_response() -> dict:
    return {"description": "Blocked by the compliance gate: the message is stored with deliveryStatus blocked",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ComplianceBlocked"}}}}


_CONVERSATION_TAGS = ["conversations"]
_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
_PATH_ID = {"name": "id", "in": "path", "required": True, "schema": _ID}
document("/conversations", "get", "List conversations, newest activity first", tags=_CONVERSATION_TAGS,
         parameters=[{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                     {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                     {"name": "status", "in": "query", "schema": _CONVERSATION_STATUS},
                     {"name": "channel", "in": "query", "schema": _CHANNEL},
                     {"name": "assignedTo", "in": "query", "schema": _ID},
                     {"name": "accountId", "in": "query", "schema": _ID}],
         responses={"200": {"description": "One page", **_envelope("ConversationSummary", many=True, meta=True)}})
document("/conversations", "post", "Start outreach: 201 with a new conversation, 200 when the debtor's open "
         "conversation on that channel took the message (Idempotency-Key supported)", tags=_CONVERSATION_TAGS,
         parameters=[_IDEMPOTENCY],
         request_body={"type": "object", "required": ["accountId", "channel", "initialMessage"], "properties": {
             "accountId": _ID, "channel": _CHANNEL, "initialMessage": {"type": "string", "minLength": 1},
             "subject": {"type": "string", "maxLength": 255}}},
         responses={"201": {"description": "Conversation created", **_envelope("Outreach")},
                    "200": {"description": "Added to the open conversation", **_envelope("Outreach")},
                    "422": _blocked_response()})
document("/conversations/{id}", "get", "One conversation with its messages in order", tags=_CONVERSATION_TAGS,
         parameters=[_PATH_ID],
         responses={"200": {"description": "OK", **_envelope("Conversation")}})
document("/conversations/{id}", "patch", "Assign (assignedAgentId, null for the queue), change status (resolved and "
         "closed need resolutionType; escalated takes a reason) or snooze (snoozedUntil, null to wake)",
         tags=_CONVERSATION_TAGS, parameters=[_PATH_ID],
         request_body={"type": "object", "properties": {
             "assignedAgentId": {**_ID, "nullable": True}, "status": _CONVERSATION_STATUS,
             "resolutionType": {"type": "string", "enum": ["paid", "payment_plan", "dispute", "cease",
                                                           "wrong_number", "other"]},
             "reason": {"type": "string", "maxLength": 2000},
             "snoozedUntil": {"type": "string", "format": "date-time", "nullable": True}}},
         responses={"200": {"description": "The updated conversation", **_envelope("Conversation")},
                    "409": {"description": "At capacity, or a second open conversation on the channel"}})
document("/conversations/{id}/messages", "post", "Send a message in an open conversation (409 once resolved or "
         "closed; Idempotency-Key supported)", tags=_CONVERSATION_TAGS, parameters=[_PATH_ID, _IDEMPOTENCY],
         request_body={"type": "object", "required": ["content"], "properties": {
             "content": {"type": "string", "minLength": 1}, "senderType": {"type": "string", "enum": ["agent", "ai"]}}},
         responses={"201": {"description": "Message stored (sent, queued or scheduled)", **_envelope("SentMessage")},
                    "422": _blocked_response()})
