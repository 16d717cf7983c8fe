"""The Idempotency-Key decorator for POST endpoints (after authentication)."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from app.extensions import db
from app.services import idempotency
from app.services.clock import get_clock


def idempotent(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        business_id = g.principal.business_id
        digest = idempotency.request_hash(request.method, request.path, request.get_data(cache=True))
        stored = idempotency.claim(db.engine, business_id, key.strip(), request.method, request.path, digest,
                                   get_clock().now())
        if stored is not None:
            status, body = stored
            from flask import current_app

            response = current_app.response_class(body["text"], status=status, mimetype="application/json")
            response.headers["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view(*args, **kwargs)
        except Exception:
            idempotency.release(db.engine, business_id, key.strip())
            raise
        from flask import make_response

        response = make_response(response)
        if response.status_code < 500:
            # The exact bytes of the first answer, so a replay is byte-for-byte the same.
            idempotency.store(db.engine, business_id, key.strip(), response.status_code,
                              {"text": response.get_data(as_text=True)})
        else:
            idempotency.release(db.engine, business_id, key.strip())
        return response
    return wrapped
