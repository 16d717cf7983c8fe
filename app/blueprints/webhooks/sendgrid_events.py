"""SendGrid Event Webhook batches: each event once (webhook_events dedupes SendGrid's retries), mapped onto our
message's delivery status or, for unsubscribes and spam reports, onto an opt-out."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.models import Message, WebhookEvent

log = logging.getLogger(__name__)

STATUS_EVENTS = {"delivered": "delivered", "open": "read", "click": "read", "bounce": "failed", "dropped": "failed"}
OPT_OUT_EVENTS = ("spamreport", "unsubscribe", "group_unsubscribe")
IGNORED_EVENTS = ("processed", "deferred", "group_resubscribe")


def provider_id(event: dict) -> str | None:
    """SendGrid's message id: sg_message_id up to the first '.' (the rest names the relay that handled it)."""
    value = event.get("sg_message_id")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().split(".", 1)[0][:255] or None


def event_key(event: dict) -> str:
    """sg_event_id, or for an event without one a digest of the event itself (a retry carries the same bytes)."""
    value = event.get("sg_event_id")
    if isinstance(value, str) and value.strip():
        return value.strip()[:255]
    return "sha256:" + hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()


def _our_message(db_session, event: dict, external_id: str | None) -> Message | None:
    key = event.get("message_id")
    if isinstance(key, str):
        try:
            found = db_session.get(Message, uuid.UUID(key))
        except ValueError:
            found = None
        if found is not None and found.direction == "outbound":
            return found
    if external_id:
        return db_session.scalars(select(Message).where(
            Message.direction == "outbound",
            or_(Message.sendgrid_id == external_id, Message.external_id == external_id))).first()
    return None


def _event_time(event: dict, now: dt.datetime) -> dt.datetime:
    """When SendGrid saw it (it retries for up to 72 h); never later than now."""
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and stamp > 0:
        try:
            return min(dt.datetime.fromtimestamp(stamp, dt.timezone.utc), now)
        except (OverflowError, OSError, ValueError):
            pass
    return now


def _failure_reason(event: dict) -> str:
    detail = next((str(event[k]) for k in ("reason", "response", "type", "status") if event.get(k)), None)
    kind = "bounced" if event.get("event") == "bounce" else "dropped"
    return f"SendGrid {kind}: {detail}"[:1000] if detail else f"SendGrid {kind}"


def _claim(db_session, key: str, event: dict, message: Message | None, now: dt.datetime) -> WebhookEvent | None:
    """The event's row, or None when an earlier delivery of it already got one (a retry)."""
    row = WebhookEvent(provider="sendgrid", external_id=key, event_type=str(event.get("event"))[:100],
                       business_id=message.business_id if message else None, received_at=now,
                       payload={k: event.get(k) for k in ("event", "sg_message_id", "message_id", "timestamp",
                                                          "reason", "type", "status") if k in event})
    try:
        with db_session.begin_nested():
            db_session.add(row)
    except IntegrityError:
        return None
    return row


def process(db_session, events: list, now: dt.datetime) -> dict:
    """Apply one verified batch; the caller commits. Returns counts for the response and the logs."""
    from app.services.channels import status as statuses
    from app.services.channels.optouts import provider_opt_out

    counts = {"applied": 0, "duplicates": 0, "ignored": 0, "unknown": 0}
    for event in events:
        if not isinstance(event, dict):
            counts["ignored"] += 1
            continue
        kind = str(event.get("event") or "")
        external_id = provider_id(event)
        message = _our_message(db_session, event, external_id)
        row = _claim(db_session, event_key(event), event, message, now)
        if row is None:
            counts["duplicates"] += 1
            continue
        at = _event_time(event, now)
        row.processed_at = now
        if message is None and (kind in STATUS_EVENTS or kind in OPT_OUT_EVENTS):
            log.info("SendGrid %s event for a message we do not know (sg_message_id %s)", kind, external_id)
            row.status, row.error = "ignored", "unknown message"
            counts["unknown"] += 1
        elif kind in STATUS_EVENTS:
            status = STATUS_EVENTS[kind]
            statuses.apply(db_session, status=status, at=at, provider="sendgrid", external_id=external_id,
                           message_id=message.id,
                           reason=_failure_reason(event) if status == "failed" else None,
                           error_code=event.get("status") if status == "failed" else None)
            row.status = "processed"
            counts["applied"] += 1
        elif kind in OPT_OUT_EVENTS:
            address = event.get("email") if isinstance(event.get("email"), str) else message.to_address
            provider_opt_out(db_session, business_id=message.business_id, channel="email",
                             address=(address or "").strip().lower(), reason=f"SendGrid {kind}", at=at,
                             rule_id="OPT-2")
            row.status = "processed"
            counts["applied"] += 1
        else:
            row.status = "ignored"
            counts["ignored"] += 1
    return counts
