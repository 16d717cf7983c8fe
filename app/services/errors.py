"""Domain errors that blueprints map to HTML messages or the API error envelope."""
from __future__ import annotations


class DomainError(Exception):
    """Base: a code from DESIGN.md section 8, an HTTP status and an optional field."""

    code = "BAD_REQUEST"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None,
                 status: int | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra or {}


class ValidationError(DomainError):
    code = "VALIDATION_ERROR"
    status = 400


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    status = 401


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class ComplianceBlocked(DomainError):
    code = "COMPLIANCE_BLOCKED"
    status = 422
