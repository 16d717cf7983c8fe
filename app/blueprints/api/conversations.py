"""PRD 7.4 conversations: list, detail, start outreach, send a message. Every message goes out through
channels.send (the compliance gate included); a blocked one is stored and answers 422 with its rules."""
from __future__ import annotations

from flask import g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str, required_str
from app.blueprints.api.conversation_serializers import (conversation_detail, conversation_list_item,
                                                          outreach_json, sent_message_json)
from app.blueprints.api.envelope import error, ok, page_meta
from app.blueprints.api.idempotent import idempotent
from app.blueprints.api.params import pagination
from app.extensions import db
from app.models.conversation import CHANNELS
from app.services import channels, conversation_actions, conversations
from app.services.clock import get_clock
from app.services.errors import ComplianceBlocked, ValidationError

STAFF = conversations.STAFF_ROLES
MAX_CONTENT = 10_000
SENDER_TYPES = ("agent", "ai")


def _blocked(outcome):
    """422 COMPLIANCE_BLOCKED for a stored, blocked message (returned, not raised, so Idempotency-Key keeps it)."""
    try:
        outcome.raise_if_blocked()
    except ComplianceBlocked as exc:
        extra = {"rules": [], **exc.extra, "messageId": str(outcome.message.id)}
        if outcome.conversation is not None:
            extra["conversationId"] = str(outcome.conversation.id)
        return error(exc.code, exc.message, exc.status, **extra)
    return None


def _account_id(body: dict) -> str:
    value = body.get("accountId")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("accountId is required.", field="accountId")
    return value.strip()


def _channel(body: dict) -> str:
    value = body.get("channel")
    if not isinstance(value, str) or value.strip().lower() not in CHANNELS:
        raise ValidationError(f"channel must be one of {', '.join(CHANNELS)}.", field="channel")
    return value.strip().lower()


@bp.get("/conversations")
@api_auth(*STAFF)
def list_conversations():
    page, limit = pagination()
    filters = conversations.filters_from_mapping(request.args)
    rows, total = conversations.list_conversations(db.session, g.principal, filters, page=page, limit=limit)
    return ok([conversation_list_item(r) for r in rows], meta=page_meta(page, limit, total))


@bp.get("/conversations/<conversation_id>")
@api_auth(*STAFF)
def get_conversation(conversation_id):
    return ok(conversation_detail(conversations.get_detail(db.session, g.principal, conversation_id)))


@bp.post("/conversations")
@api_auth(*STAFF, action="conversations.respond")
@idempotent
def start_conversation():
    """Outreach: 201 with a new conversation, 200 when the debtor's open one on that channel took the message."""
    body = json_body()
    account_id, channel = _account_id(body), _channel(body)
    text = required_str(body, "initialMessage", max_length=MAX_CONTENT)
    subject = optional_str(body, "subject", max_length=255)
    account = conversations.account_for_outreach(db.session, g.principal, account_id)
    existing = conversations.open_conversation_on(db.session, g.principal, account, channel)
    outcome = channels.send(db.session, account=account, channel=channel, body=text, kind="agent",
                            sender_type="agent", sender_id=g.principal.user_id, conversation=existing,
                            subject=subject or (existing.subject if existing else None), principal=g.principal,
                            now=get_clock().now())
    db.session.commit()
    blocked = _blocked(outcome)
    if blocked is not None:
        return blocked
    status = 201 if outcome.created_conversation else 200
    return ok(outreach_json(outcome.conversation, outcome.message), status=status)


@bp.post("/conversations/<conversation_id>/messages")
@api_auth(*STAFF, action="conversations.respond")
@idempotent
def send_message(conversation_id):
    """A message in an open conversation, as the caller or (admins, managers, API keys) as the AI."""
    conversation, account = conversations.open_for_reply(db.session, g.principal, conversation_id)
    body = json_body()
    text = required_str(body, "content", max_length=MAX_CONTENT)
    sender_type = body.get("senderType", "agent")
    if sender_type not in SENDER_TYPES:
        raise ValidationError("senderType must be agent or ai.", field="senderType")
    conversations.may_send_as(g.principal, sender_type)
    outcome = channels.send(db.session, account=account, channel=conversation.channel, body=text, kind=sender_type,
                            sender_type=sender_type, sender_id=g.principal.user_id, conversation=conversation,
                            subject=conversation.subject, principal=g.principal, now=get_clock().now(),
                            to_address=conversation.debtor_address,
                            in_reply_to=conversation_actions.last_inbound(db.session, conversation))
    db.session.commit()
    blocked = _blocked(outcome)
    if blocked is not None:
        return blocked
    return ok(sent_message_json(outcome.message), status=201)


@bp.patch("/conversations/<conversation_id>")
@api_auth(*STAFF)
def update_conversation(conversation_id):
    """PRD 7.4 patch: assign (assignedAgentId, null for the queue), status with resolutionType (required to resolve
    or close) and an escalation reason, snoozedUntil (ISO time, null to wake). Each part is checked as the inbox
    checks it; all of it applies or none."""
    body = json_body()
    known = {"assignedAgentId", "status", "resolutionType", "reason", "snoozedUntil"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]}.", field=unknown[0])
    if not set(body) & {"assignedAgentId", "status", "snoozedUntil"}:
        raise ValidationError("Send assignedAgentId, status or snoozedUntil.", field="status")
    now = get_clock().now()
    if "assignedAgentId" in body:
        conversation_actions.assign(db.session, g.principal, conversation_id, body["assignedAgentId"], now=now)
    if "status" in body:
        if not isinstance(body["status"], str):
            raise ValidationError("status must be a string.", field="status")
        conversation_actions.set_status(db.session, g.principal, conversation_id, body["status"],
                                        resolution_type=optional_str(body, "resolutionType", max_length=50),
                                        reason=optional_str(body, "reason", max_length=2000), now=now)
    elif "resolutionType" in body:
        raise ValidationError("resolutionType goes with status resolved or closed.", field="resolutionType")
    if "snoozedUntil" in body:
        conversation_actions.snooze(db.session, g.principal, conversation_id,
                                    until=_instant(body["snoozedUntil"], "snoozedUntil"), now=now)
    db.session.commit()
    return ok(conversation_detail(conversations.get_detail(db.session, g.principal, conversation_id)))


def _instant(value, name: str):
    """An ISO 8601 time with its offset, or None."""
    import datetime as dt

    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} must be an ISO 8601 time.", field=name) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{name} needs a time zone offset (for example Z).", field=name)
    return parsed
