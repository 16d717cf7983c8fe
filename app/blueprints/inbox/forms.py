"""The inbox's small forms, parsed: snooze durations or a chosen time, the composer's optional file, the list the
page is showing."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from app.services.conversation_actions import ATTACHMENT_LIMIT
from app.services.errors import ValidationError
from app.services.timezones import is_valid_zone

SNOOZE_CHOICES = (
    ("1h", "1 hour", dt.timedelta(hours=1)),
    ("4h", "4 hours", dt.timedelta(hours=4)),
    ("1d", "1 day", dt.timedelta(days=1)),
    ("3d", "3 days", dt.timedelta(days=3)),
    ("1w", "1 week", dt.timedelta(weeks=1)),
)
WAKE = "wake"
AT = "at"
"""The snooze choice that reads the date and time typed in `untilAt`, in the zone named by `tz`."""
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
LIST_ARGS = "listArgs"
"""The hidden field that carries the list's query string with every action, so the answer can refresh the row as
the list shows it (the list's own `status` would otherwise clash with the status form's)."""


def snooze_until(choice: str | None, now: dt.datetime, *, at: str | None = None,
                 zone: str | None = None) -> dt.datetime | None:
    """A listed duration from now, the time typed for "pick a date and time", or None to wake the conversation."""
    choice = (choice or "").strip()
    if choice == WAKE:
        return None
    if choice == AT:
        return local_time(at, zone)
    for key, _, delta in SNOOZE_CHOICES:
        if key == choice:
            return now + delta
    raise ValidationError("Choose how long to snooze.", field="until")


def local_time(value: str | None, zone: str | None) -> dt.datetime:
    """A datetime-local value ("2026-12-01T09:00") read in the agent's zone (the browser's, sent as `tz`; UTC when
    the page could not tell), as an aware UTC time. A wall time the clocks skip when they go forward is refused
    rather than moved; one they repeat when they go back is its first occurrence."""
    text = (value or "").strip()
    if not text:
        raise ValidationError("Choose the date and time to snooze until.", field="untilAt")
    for pattern in LOCAL_FORMATS:
        try:
            naive = dt.datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    else:
        raise ValidationError("Enter the date and time as shown, for example 12/01/2026 09:00 AM.", field="untilAt")
    name = zone if is_valid_zone(zone) else "UTC"
    local = naive.replace(tzinfo=ZoneInfo(name))
    utc = local.astimezone(dt.timezone.utc)
    if utc.astimezone(ZoneInfo(name)).replace(tzinfo=None) != naive:
        raise ValidationError(f"{naive:%b %-d, %-I:%M %p} does not exist in {name}: the clocks go forward then. "
                              "Choose another time.", field="untilAt")
    return utc


def attachment_from(files) -> tuple[str, str, bytes] | None:
    """The composer's file as (filename, content type, bytes); reads at most one byte past the limit, so an
    oversized file is refused by the service without being held whole."""
    upload = files.get("attachment")
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.mimetype or "application/octet-stream", upload.stream.read(ATTACHMENT_LIMIT + 1)


def list_args(form) -> MultiDict:
    """The list's query string sent along with an action (empty when the page sent none)."""
    return MultiDict(parse_qsl(form.get(LIST_ARGS, ""), keep_blank_values=False))
