"""What staff do to a conversation from the inbox or the API: assign, take, change status, snooze, write a private
note, mark read, reply through the gate, and ask the gate first (the composer's preflight).

Status model (PRD 4.3.1): active, escalated, resolved, closed. Resolving or closing names a resolution type; a
debtor's next message reopens a resolved conversation (the inbound pipeline does that). None of these commit: the
view or the API commits, and the Socket.IO events go out after that commit.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.models import Account, Business, Conversation, Message
from app.models.conversation import CONVERSATION_STATUSES, OPEN_STATUSES, RESOLUTION_TYPES
from app.services import assignment, conversations, notifications
from app.services.auth import permissions
from app.services.conversation_events import publish_conversation
from app.services.errors import Conflict, Forbidden, ValidationError
from app.services.tenancy import Principal

CONVERSATION_VIEWS = ("mine", "unassigned", "escalated", "all")
ATTACHMENT_LIMIT = 5 * 1024 * 1024
ATTACHMENT_CHANNELS = ("email", "sms", "whatsapp")
"""Channels that carry a file: email attaches it; SMS (as MMS) and WhatsApp send a signed link Twilio fetches it from
(channels.media), so they take only the types Twilio takes. Web chat has no file transport."""
MAX_NOTE = 10_000
MAX_SNOOZE = dt.timedelta(days=90)
TEXT_CHANNELS_MAX = 1600


@dataclass(frozen=True)
class AttachmentOffer:
    """What the composer's file input offers on a channel: its `accept` list and the kinds in words."""

    accept: str
    summary: str


@dataclass(frozen=True)
class Preflight:
    """The gate's answer for the text in the composer, in words for people."""

    state: str  # send | hold | block
    summary: str
    rules: list[str] = field(default_factory=list)
    until: dt.datetime | None = None
    until_local: str | None = None
    added: list[str] = field(default_factory=list)


def _respond(principal: Principal, conversation_id, db_session) -> tuple[Conversation, Account]:
    """A conversation the caller may act on (404 another business, 403 outside an agent's queue)."""
    permissions.require(principal.role, "conversations.respond")
    return conversations.get_conversation(db_session, principal, conversation_id)


# -- assignment ------------------------------------------------------------------------------------------------------
def assign(db_session, principal: Principal, conversation_id, agent_id, *, now: dt.datetime) -> Conversation:
    """Managers give a conversation to any active staff member (or back to the queue with None); an agent may only
    take one from their queue."""
    scope = permissions.require(principal.role, "conversations.assign")
    conversation, account = conversations.get_conversation(db_session, principal, conversation_id)
    if scope == "self_assign":
        if agent_id is None or str(agent_id) != str(principal.user_id):
            raise Forbidden("Agents may only take conversations from their queue.")
    agent = assignment.get_staff(db_session, principal, agent_id) if agent_id is not None else None
    if agent is not None and agent.id != conversation.assigned_agent_id:
        business = db_session.get(Business, conversation.business_id)
        settings = assignment.settings_of(business)
        load = assignment.open_counts(db_session, business.id).get(agent.id, 0)
        capacity = assignment.capacity_of(agent, settings)
        if conversation.status in OPEN_STATUSES and load >= capacity:
            raise Conflict(f"{agent.full_name} already has {load} open conversations (the limit is {capacity}).")
    if (agent.id if agent else None) == conversation.assigned_agent_id:
        return conversation
    assignment.give(db_session, conversation, agent, now=now, account=account, by=principal)
    _audit(db_session, principal, conversation, "conversation_assigned", now,
           {"assigned_agent_id": str(agent.id) if agent else None})
    return conversation


def take(db_session, principal: Principal, conversation_id, *, now: dt.datetime) -> Conversation:
    """Self-assignment from the queue."""
    if principal.user_id is None:
        raise Forbidden("Only a person can take a conversation.")
    return assign(db_session, principal, conversation_id, principal.user_id, now=now)


# -- status ----------------------------------------------------------------------------------------------------------
def set_status(db_session, principal: Principal, conversation_id, status: str, *, resolution_type: str | None = None,
               reason: str | None = None, now: dt.datetime) -> Conversation:
    """Move a conversation between the four statuses; resolving and closing say how it ended."""
    conversation, account = _respond(principal, conversation_id, db_session)
    status = (status or "").strip().lower()
    if status not in CONVERSATION_STATUSES:
        raise ValidationError(f"Status must be one of {', '.join(CONVERSATION_STATUSES)}.", field="status")
    resolution_type = (resolution_type or "").strip().lower() or None
    if status in ("resolved", "closed"):
        if resolution_type not in RESOLUTION_TYPES:
            raise ValidationError("Choose how the conversation ended: " + ", ".join(RESOLUTION_TYPES) + ".",
                                  field="resolutionType")
    elif resolution_type is not None:
        raise ValidationError("A resolution type goes with resolved or closed.", field="resolutionType")
    if status == "active" and conversation.status in ("resolved", "closed"):
        _refuse_second_open(db_session, conversation)
    before = conversation.status
    conversation.status = status
    conversation.updated_at = now
    if status in ("resolved", "closed"):
        conversation.resolution_type = resolution_type
        conversation.resolved_at = conversation.resolved_at if before in ("resolved", "closed") else now
        conversation.closed_at = now if status == "closed" else None
        conversation.snoozed_until = None
    else:
        conversation.resolution_type = None
        conversation.resolved_at = conversation.closed_at = None
    if status == "escalated":
        reason = (reason or "").strip()[:2000] or None
        conversation.escalated_at = now
        conversation.escalation_reason = reason or conversation.escalation_reason
        if before != "escalated":
            _tell_escalation(db_session, conversation, account, reason, principal, now)
    publish_conversation(db_session, conversation)
    _audit(db_session, principal, conversation, "conversation_status_changed", now,
           {"status": [before, status], "resolution_type": resolution_type})
    return conversation


def _refuse_second_open(db_session, conversation: Conversation) -> None:
    other = db_session.scalar(select(Conversation.id).where(
        Conversation.account_id == conversation.account_id, Conversation.channel == conversation.channel,
        Conversation.status.in_(OPEN_STATUSES), Conversation.id != conversation.id))
    if other is not None:
        raise Conflict("The debtor already has an open conversation on this channel: continue there.")


def _tell_escalation(db_session, conversation: Conversation, account: Account, reason: str | None,
                     principal: Principal | None, now: dt.datetime) -> None:
    """The assignee and the business's managers hear of an escalation (not the person who escalated)."""
    from app.models import User

    name = " ".join(p for p in (account.first_name, account.last_name) if p)
    people = set(db_session.scalars(select(User.id).where(
        User.business_id == conversation.business_id, User.role.in_(("business_admin", "manager")),
        User.status == "active", User.deleted_at.is_(None))))
    if conversation.assigned_agent_id:
        people.add(conversation.assigned_agent_id)
    people.discard(principal.user_id if principal else None)
    for user_id in people:
        notifications.notify(db_session, user_id=user_id, business_id=conversation.business_id, kind="escalation",
                             title=f"Escalated: {name}", body=reason, link=f"/conversations/{conversation.id}",
                             conversation_id=conversation.id, now=now)


def escalate_from_pipeline(db_session, conversation: Conversation, account: Account, reason: str,
                           now: dt.datetime) -> None:
    """The inbound pipeline (or the AI) escalates: same record and notifications, no acting person."""
    if conversation.status == "escalated":
        return
    conversation.status = "escalated"
    conversation.escalated_at = now
    conversation.escalation_reason = reason
    _tell_escalation(db_session, conversation, account, reason, None, now)


def snooze(db_session, principal: Principal, conversation_id, *, until: dt.datetime | None,
           now: dt.datetime) -> Conversation:
    """Hide an open conversation from the active views until `until` (None wakes it); a debtor message wakes it."""
    conversation, _ = _respond(principal, conversation_id, db_session)
    if until is not None:
        if until.tzinfo is None:
            raise ValidationError("Give the time with its zone.", field="until")
        if until <= now:
            raise ValidationError("Choose a time in the future.", field="until")
        if until - now > MAX_SNOOZE:
            raise ValidationError("Snooze for at most 90 days.", field="until")
        if conversation.status not in OPEN_STATUSES:
            raise Conflict("Only an open conversation can be snoozed.")
    conversation.snoozed_until = until
    conversation.updated_at = now
    publish_conversation(db_session, conversation)
    return conversation


def mark_read(db_session, principal: Principal, conversation_id, *, now: dt.datetime) -> None:
    conversation, _ = conversations.get_conversation(db_session, principal, conversation_id)
    if principal.user_id is not None:
        notifications.mark_conversation_read(db_session, principal.user_id, conversation.id, now=now)
    if conversation.unread_count:
        conversation.unread_count = 0
        publish_conversation(db_session, conversation)


# -- writing ---------------------------------------------------------------------------------------------------------
def add_note(db_session, principal: Principal, conversation_id, body: str, *, now: dt.datetime) -> Message:
    """A private note in the thread: staff only, never sent, never counted as a contact."""
    from app import realtime

    conversation, account = conversations.get_conversation(db_session, principal, conversation_id)
    permissions.require(principal.role, "conversations.respond")
    text = (body or "").strip()
    if not text:
        raise ValidationError("Write the note first.", field="content")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"Notes are limited to {MAX_NOTE:,} characters.", field="content")
    note = Message(id=uuid.uuid4(), business_id=conversation.business_id, conversation_id=conversation.id,
                   account_id=account.id, sender_type="agent", sender_id=principal.user_id, kind="note",
                   purpose="internal", channel=conversation.channel, direction="internal", content=text,
                   delivery_status="internal", compliance_checked=False, created_at=now, updated_at=now)
    db_session.add(note)
    payload = {"messageId": str(note.id), "conversationId": str(conversation.id), "direction": "internal"}
    realtime.publish(f"conversation:{conversation.id}", "message.created", payload, session=db_session)
    return note


def last_inbound(db_session, conversation: Conversation) -> Message | None:
    return db_session.scalars(select(Message).where(
        Message.conversation_id == conversation.id, Message.direction == "inbound")
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1)).first()


def _writable(db_session, principal: Principal, conversation_id) -> tuple[Conversation, Account]:
    permissions.require(principal.role, "conversations.respond")
    return conversations.open_for_reply(db_session, principal, conversation_id)


def reply(db_session, principal: Principal, conversation_id, body: str, *, now: dt.datetime,
          attachment: tuple[str, str, bytes] | None = None):
    """Answer the debtor on the conversation's channel through channels.send (the gate decides). A reply names
    the debtor's last message, so one written within 15 minutes of it may go out at any hour (TIME-5)."""
    from app.services import channels

    conversation, account = _writable(db_session, principal, conversation_id)
    attachments = ()
    if attachment is not None:
        attachments = (_store_attachment(db_session, principal, conversation, account, attachment, now),)
    outcome = channels.send(db_session, account=account, channel=conversation.channel, body=body, now=now,
                            kind="agent", sender_type="agent", sender_id=principal.user_id, conversation=conversation,
                            to_address=conversation.debtor_address, in_reply_to=last_inbound(db_session, conversation),
                            principal=principal, attachments=attachments,
                            subject=conversation.subject if conversation.channel == "email" else None)
    if outcome.message.delivery_status != "blocked" and conversation.assigned_agent_id is None \
            and principal.role == "agent":
        assignment.give(db_session, conversation, assignment.get_staff(db_session, principal, principal.user_id),
                        now=now, account=account, by=principal)  # the agent who answers owns it
    conversation.unread_count = 0
    return outcome


def attachment_offer(channel: str) -> AttachmentOffer | None:
    """The file input for a conversation on this channel; None where no file can be sent (web chat)."""
    from app.services.accounts import documents
    from app.services.channels import media

    if channel not in ATTACHMENT_CHANNELS:
        return None
    if channel == "email":
        return AttachmentOffer(accept=documents.ACCEPT, summary=documents.ALLOWED_SUMMARY)
    return AttachmentOffer(accept=media.accept_attribute(channel), summary=media.summary(channel))


def _store_attachment(db_session, principal: Principal, conversation: Conversation, account: Account,
                      attachment: tuple[str, str, bytes], now: dt.datetime) -> str:
    """Keep the file on the account (checked like any upload) and name it for delivery: 'document:<id>'. A text
    channel takes only the types its provider carries."""
    from flask import current_app

    from app.services.accounts import documents
    from app.services.channels import media
    from app.services.storage import storage_for

    filename, _content_type, data = attachment
    if conversation.channel not in ATTACHMENT_CHANNELS:
        raise ValidationError(f"Files cannot be sent on {conversation.channel.replace('_', ' ')}; send them by "
                              "email, text message or WhatsApp.", field="attachment")
    if len(data) > ATTACHMENT_LIMIT:
        raise ValidationError("Attachments are limited to 5 MB.", field="attachment")
    if conversation.channel != "email":
        media.check(conversation.channel, filename, data)
    try:
        document = documents.upload(db_session, storage_for(current_app), principal, account, filename, data, now,
                                    description="Sent in a conversation", document_type=None)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="attachment") from None
    return f"document:{document.id}"


def preflight(db_session, principal: Principal, conversation_id, body: str, *, now: dt.datetime) -> Preflight:
    """What would happen if this text were sent now, decided in memory (nothing stored)."""
    from app.services.channels.outbound import blocked_reason
    from app.services.compliance import compose
    from app.services.compliance.decision import ALLOW, BLOCK, DEFER
    from app.services.compliance.facts import Attempt
    from app.services.compliance.loader import DbLoader

    conversation, account = _writable(db_session, principal, conversation_id)
    text = (body or "").strip()
    if not text:
        return Preflight(state="send", summary="Write a message to see whether it can go now.")
    business = db_session.get(Business, conversation.business_id)
    last = last_inbound(db_session, conversation)
    attempt = Attempt(business_id=business.id, account_id=account.id, channel=conversation.channel,
                      to_address=conversation.debtor_address or (account.email if conversation.channel == "email"
                                                                 else account.phone),
                      body=text, now=now, kind="agent", purpose="collection", from_name=business.name,
                      subject=conversation.subject if conversation.channel == "email" else None,
                      in_reply_to=str(last.id) if last is not None else None)
    facts = DbLoader(db_session).load(attempt)
    attempt, decision, added = compose.complete(attempt, facts)
    rules = list(decision.rules)
    added_labels = [_item_label(i) for i in added]
    if decision.outcome == BLOCK:
        return Preflight(state="block", summary=f"Blocked: {' '.join(rules)} {blocked_reason(decision)}".strip(),
                         rules=rules, added=added_labels)
    if decision.outcome == DEFER and decision.until is not None:
        local = _debtor_local(decision, account)
        when = decision.until.astimezone(ZoneInfo(local)) if local else decision.until
        until_local = f"{when:%-I:%M %p} {'debtor time' if local else 'UTC'}" + \
            (f" on {when:%a %b %-d}" if when.date() != now.astimezone(when.tzinfo).date() else "")
        return Preflight(state="hold", summary=f"Will be held until {until_local} ({', '.join(rules)})",
                         rules=rules, until=decision.until, until_local=until_local, added=added_labels)
    summary = "Will send now"
    if added_labels:
        summary += " with " + ", ".join(added_labels) + " added"
    if decision.outcome != ALLOW:
        summary = f"{summary} ({decision.outcome})"
    return Preflight(state="send", summary=summary, rules=[], added=added_labels)


def _item_label(item: str) -> str:
    from app.services.compliance.contact_check import item_label

    return item_label(item)


def _debtor_local(decision, account: Account) -> str | None:
    """The zone to state a release time in: the latest-waking candidate zone (they all allow it by then)."""
    zones = list(decision.candidate_zones or ())
    if account.timezone and account.timezone in zones:
        return account.timezone
    return zones[0] if len(zones) == 1 else (account.timezone or (zones[0] if zones else None))


def _audit(db_session, principal: Principal, conversation: Conversation, action: str, now: dt.datetime,
           changes: dict) -> None:
    from app.services import audit as audit_service

    audit_service.record(db_session, action, principal=principal, now=now, resource_type="conversation",
                         resource_id=conversation.id, changes=changes)

