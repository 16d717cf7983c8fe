"""The clock services take, so that tests travel in time instead of sleeping."""
from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, at: dt.datetime):
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = at.astimezone(dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now

    def set(self, at: dt.datetime) -> None:
        self._now = at.astimezone(dt.timezone.utc)


def get_clock() -> Clock:
    """The app's clock (app.extensions['clock']) or the system clock outside an app context."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.extensions.get("clock") or SystemClock()
    return SystemClock()
