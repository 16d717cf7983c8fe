"""Query-string parsing shared by list endpoints."""
from __future__ import annotations

from flask import request

from app.services.errors import ValidationError

MAX_LIMIT = 100


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a positive integer.", field=name) from None
    if value < 1:
        raise ValidationError(f"{name} must be a positive integer.", field=name)
    return value


def pagination(default_limit: int = 20) -> tuple[int, int]:
    """(page, limit) from ?page=&limit= with limit capped at 100."""
    page = _positive_int("page", 1)
    limit = min(_positive_int("limit", default_limit), MAX_LIMIT)
    return page, limit
