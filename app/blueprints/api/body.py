"""Reading JSON bodies: a malformed body is 400 BAD_REQUEST, a wrong field is 400 VALIDATION_ERROR with the field."""
from __future__ import annotations

from flask import request

from app.services.errors import DomainError, ValidationError


def json_body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        if request.get_data(cache=True):
            raise DomainError("Malformed JSON body.", code="BAD_REQUEST")
        return {}
    if not isinstance(data, dict):
        raise DomainError("The JSON body must be an object.", code="BAD_REQUEST")
    return data


def required_str(body: dict, name: str, *, field: str | None = None, strip: bool = True, max_length: int = 1000) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not (value.strip() if strip else value):
        raise ValidationError(f"{name} is required.", field=field or name)
    if len(value) > max_length:
        raise ValidationError(f"{name} is too long.", field=field or name)
    return value.strip() if strip else value


def optional_str(body: dict, name: str, *, max_length: int = 1000) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string.", field=name)
    if len(value) > max_length:
        raise ValidationError(f"{name} is too long.", field=name)
    return value.strip() or None
