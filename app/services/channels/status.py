"""Delivery statuses move forward only: queued < sending < sent < delivered | failed < read."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select

from app.models import Message
from app.models.conversation import DELIVERY_STATUS_RANK
from app.services.channels import usage

log = logging.getLogger(__name__)
PROVIDER_ID_COLUMNS = {"twilio": "twilio_sid", "sendgrid": "sendgrid_id"}


def find(db_session, *, provider: str | None = None, external_id: str | None = None, message_id=None
         ) -> Message | None:
    """Our message by its id (carried in callbacks) or by the provider's id."""
    if message_id:
        try:
            key = message_id if isinstance(message_id, uuid.UUID) else uuid.UUID(str(message_id))
        except ValueError:
            key = None
        if key is not None:
            found = db_session.get(Message, key)
            if found is not None and found.direction == "outbound":
                return found
    if provider and external_id:
        return db_session.scalars(select(Message).where(
            Message.provider == provider, Message.external_id == external_id)).first()
    return None


def apply(db_session, *, status: str, at: dt.datetime, provider: str | None = None, external_id: str | None = None,
          message_id=None, reason: str | None = None, error_code=None, message: Message | None = None
          ) -> Message | None:
    """Record a provider's word about a message; an older status arriving late changes nothing."""
    message = message or find(db_session, provider=provider, external_id=external_id, message_id=message_id)
    if message is None:
        log.info("status for an unknown message", extra={"provider": provider, "external_id": external_id})
        return None
    if external_id and not message.external_id:
        message.external_id = external_id
        message.provider = provider or message.provider
        column = PROVIDER_ID_COLUMNS.get(message.provider or "")
        if column:
            setattr(message, column, external_id)
    current = message.delivery_status
    if not moves_forward(current, status):
        return message
    accepted = status in ("sent", "delivered", "read") or (status == "failed" and message.external_id)
    if accepted and message.sent_at is None:
        message.sent_at = at
        usage.count(db_session, message.business_id, at=at, sent=1)
    message.delivery_status = status
    if status == "delivered":
        message.delivered_at = message.delivered_at or at
    elif status == "read":
        message.read_at = message.read_at or at
        message.delivered_at = message.delivered_at or at
    elif status == "failed":
        code = f" ({error_code})" if error_code and str(error_code) not in (reason or "") else ""
        message.failed_reason = f"{reason or 'failed'}{code}"
    if status != "failed" and message.failed_reason and message.failed_reason.startswith("retrying"):
        message.failed_reason = None
    message.review_reason = None
    message.updated_at = at
    publish(db_session, message)
    return message


def moves_forward(current: str, new: str) -> bool:
    """True when `new` is later than `current`. Failed and delivered are both final; read follows delivered only."""
    if current in ("blocked", "failed") or new not in DELIVERY_STATUS_RANK:
        return False
    return DELIVERY_STATUS_RANK[new] > DELIVERY_STATUS_RANK.get(current, -1)


def publish(db_session, message: Message) -> None:
    """message.updated to the conversation and the business, after the commit."""
    from app import realtime

    payload = {"messageId": str(message.id), "conversationId": str(message.conversation_id)
               if message.conversation_id else None, "deliveryStatus": message.delivery_status}
    if message.conversation_id:
        realtime.publish(f"conversation:{message.conversation_id}", "message.updated", payload, session=db_session)
    realtime.publish(f"business:{message.business_id}", "message.updated", payload, session=db_session)
