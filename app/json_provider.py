"""JSON for the API: camelCase is the serializers' job; this renders Decimal money as exact numbers."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import simplejson
from flask.json.provider import JSONProvider


def _default(obj):
    if isinstance(obj, dt.datetime):
        if obj.tzinfo is None:
            obj = obj.replace(tzinfo=dt.timezone.utc)
        return obj.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


class MoneyJSONProvider(JSONProvider):
    """Decimal('1250.00') -> 1250.00 in the body, never a string and never a float."""

    def dumps(self, obj, **kwargs) -> str:
        kwargs.setdefault("default", _default)
        kwargs.setdefault("use_decimal", True)
        kwargs.setdefault("ensure_ascii", False)
        return simplejson.dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        # Numbers with a fraction come in as Decimal: money never passes through float.
        kwargs.setdefault("use_decimal", True)
        return simplejson.loads(s, **kwargs)
