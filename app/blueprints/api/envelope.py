"""The PRD section 7 envelope: {success, data, meta} and {success: false, error: {code, message, field}}."""
from __future__ import annotations

import math

from flask import jsonify

from app.observability import current_request_id


def ok(data, status: int = 200, meta: dict | None = None, headers: dict | None = None):
    body = {"success": True, "data": data}
    if meta is not None:
        body["meta"] = meta
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def page_meta(page: int, limit: int, total: int, **extra) -> dict:
    meta = {"page": page, "limit": limit, "total": total, "totalPages": max(1, math.ceil(total / limit)) if limit else 1}
    meta.update(extra)
    return meta


def error(code: str, message: str, status: int, field: str | None = None, headers: dict | None = None, **extra):
    err = {"code": code, "message": message, "field": field}
    err.update(extra)
    body = {"success": False, "error": err, "requestId": current_request_id()}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
