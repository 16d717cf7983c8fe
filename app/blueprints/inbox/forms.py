"""The inbox's small forms, parsed: snooze durations, the composer's optional file, the list the page is showing."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from app.services.conversation_actions import ATTACHMENT_LIMIT
from app.services.errors import ValidationError

SNOOZE_CHOICES = (
    ("1h", "1 hour", dt.timedelta(hours=1)),
    ("4h", "4 hours", dt.timedelta(hours=4)),
    ("1d", "1 day", dt.timedelta(days=1)),
    ("3d", "3 days", dt.timedelta(days=3)),
    ("1w", "1 week", dt.timedelta(weeks=1)),
)
WAKE = "wake"
LIST_ARGS = "listArgs"
"""The hidden field that carries the list's query string with every action, so the answer can refresh the row as
the list shows it (the list's own `status` would otherwise clash with the status form's)."""


def snooze_until(choice: str | None, now: dt.datetime) -> dt.datetime | None:
    """A listed duration from now, or None to wake the conversation."""
    choice = (choice or "").strip()
    if choice == WAKE:
        return None
    for key, _, delta in SNOOZE_CHOICES:
        if key == choice:
            return now + delta
    raise ValidationError("Choose how long to snooze.", field="until")


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
