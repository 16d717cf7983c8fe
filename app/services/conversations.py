"""Reading conversations inside the caller's business, and who may see or answer one.

Agents work their queue (DESIGN.md section 12): conversations assigned to them, and unassigned conversations on
accounts assigned to them or to nobody. Another business's conversation is NotFound (404); a same-business one
outside an agent's queue is Forbidden (403). Conversations of soft-deleted accounts are hidden like the accounts.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from app.models import Account, Conversation, Message, User
from app.models.conversation import CHANNELS, CONVERSATION_STATUSES, OPEN_STATUSES
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal, get_scoped

STAFF_ROLES = ("business_admin", "manager", "agent")
AI_SENDERS = ("business_admin", "manager")
"""Roles that may post a message as the AI (API keys may too: an integration relaying its own engine's text)."""


@dataclass(frozen=True)
class ConversationFilters:
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    assigned_agent_id: uuid.UUID | None = None
    account_id: uuid.UUID | None = None


@dataclass
class ConversationRow:
    """One list row: the conversation with the few account and agent fields the list shows, counted messages."""

    conversation: Conversation
    account_first_name: str
    account_last_name: str
    account_number: str
    agent_first_name: str | None
    agent_last_name: str | None
    message_count: int = 0


@dataclass
class ConversationDetail:
    conversation: Conversation
    account: Account
    messages: list[Message] = field(default_factory=list)


def _listed(value: str | None, options: tuple[str, ...], name: str) -> tuple[str, ...]:
    """`a,b` -> ('a', 'b'), each one of `options`, else ValidationError naming the parameter."""
    items = tuple(part.strip().lower() for part in (value or "").split(",") if part.strip())
    for item in items:
        if item not in options:
            raise ValidationError(f"{name} must be one of {', '.join(options)}.", field=name)
    return items


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    if value is None or value.strip() == "":
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationError(f"{name} must be an id.", field=name) from None


def filters_from_mapping(args) -> ConversationFilters:
    """The list's query parameters (status, channel, assignedTo, accountId), checked."""
    return ConversationFilters(statuses=_listed(args.get("status"), CONVERSATION_STATUSES, "status"),
                               channels=_listed(args.get("channel"), CHANNELS, "channel"),
                               assigned_agent_id=_uuid(args.get("assignedTo"), "assignedTo"),
                               account_id=_uuid(args.get("accountId"), "accountId"))


def _require_staff(principal: Principal) -> None:
    if principal is None or principal.business_id is None or principal.role not in STAFF_ROLES:
        raise Forbidden("Your role may not read conversations.")


def _queue_clause(principal: Principal):
    """An agent's queue as a WHERE clause over Conversation joined to Account."""
    mine = Conversation.assigned_agent_id == principal.user_id
    unassigned_in_queue = and_(Conversation.assigned_agent_id.is_(None),
                               or_(Account.assigned_agent_id.is_(None), Account.assigned_agent_id == principal.user_id))
    return or_(mine, unassigned_in_queue) if principal.user_id is not None else unassigned_in_queue


def in_queue(principal: Principal, conversation: Conversation, account: Account) -> bool:
    """The same rule as _queue_clause, for one row already loaded."""
    if principal.role != "agent":
        return True
    if conversation.assigned_agent_id is not None:
        return principal.user_id is not None and conversation.assigned_agent_id == principal.user_id
    return account.assigned_agent_id is None or account.assigned_agent_id == principal.user_id


def list_conversations(db_session, principal: Principal, filters: ConversationFilters, *, page: int,
                       limit: int) -> tuple[list[ConversationRow], int]:
    """One page, newest activity first (never-messaged conversations last), and the exact total.

    Three statements whatever the page size: the page (joined to its account and agent), the total, and one grouped
    count of the page's messages."""
    _require_staff(principal)
    agent = aliased(User)
    stmt = (select(Conversation, Account.first_name, Account.last_name, Account.account_number,
                   agent.first_name, agent.last_name)
            .join(Account, Account.id == Conversation.account_id)
            .outerjoin(agent, agent.id == Conversation.assigned_agent_id)
            .where(Conversation.business_id == principal.business_id, Account.deleted_at.is_(None)))
    if principal.role == "agent":
        stmt = stmt.where(_queue_clause(principal))
    if filters.statuses:
        stmt = stmt.where(Conversation.status.in_(filters.statuses))
    if filters.channels:
        stmt = stmt.where(Conversation.channel.in_(filters.channels))
    if filters.assigned_agent_id is not None:
        stmt = stmt.where(Conversation.assigned_agent_id == filters.assigned_agent_id)
    if filters.account_id is not None:
        stmt = stmt.where(Conversation.account_id == filters.account_id)

    total = db_session.scalar(select(func.count()).select_from(stmt.with_only_columns(Conversation.id).subquery()))
    ordered = stmt.order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.created_at.desc(),
                            Conversation.id.desc())
    rows = [ConversationRow(conversation=conv, account_first_name=first, account_last_name=last,
                            account_number=number, agent_first_name=agent_first, agent_last_name=agent_last)
            for conv, first, last, number, agent_first, agent_last
            in db_session.execute(ordered.offset((page - 1) * limit).limit(limit)).all()]
    if rows:
        counts = dict(db_session.execute(
            select(Message.conversation_id, func.count())
            .where(Message.conversation_id.in_([r.conversation.id for r in rows]))
            .group_by(Message.conversation_id)).all())
        for row in rows:
            row.message_count = counts.get(row.conversation.id, 0)
    return rows, total


def get_conversation(db_session, principal: Principal, conversation_id) -> tuple[Conversation, Account]:
    """The conversation and its account: 404 for another business (or a deleted account), 403 outside a queue."""
    _require_staff(principal)
    conversation = get_scoped(db_session, Conversation, conversation_id, principal)
    account = db_session.get(Account, conversation.account_id)
    if account is None or account.deleted_at is not None:
        raise NotFound("Conversation not found")
    if not in_queue(principal, conversation, account):
        raise Forbidden("This conversation is in another agent's queue.")
    return conversation, account


def get_detail(db_session, principal: Principal, conversation_id) -> ConversationDetail:
    """The conversation with every message in the order it happened."""
    conversation, account = get_conversation(db_session, principal, conversation_id)
    messages = db_session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                  .order_by(Message.created_at.asc(), Message.id.asc())).all()
    return ConversationDetail(conversation=conversation, account=account, messages=list(messages))


def open_for_reply(db_session, principal: Principal, conversation_id) -> tuple[Conversation, Account]:
    """A conversation the caller may answer now; a resolved or closed one is a Conflict (start a new one)."""
    conversation, account = get_conversation(db_session, principal, conversation_id)
    if conversation.status not in OPEN_STATUSES:
        raise Conflict(f"This conversation is {conversation.status}: start a new conversation to write again.")
    return conversation, account


def account_for_outreach(db_session, principal: Principal, account_id) -> Account:
    """The account to start outreach on: 404 for another business's, 403 outside an agent's queue."""
    _require_staff(principal)
    account = get_scoped(db_session, Account, account_id, principal)
    if principal.role == "agent" and account.assigned_agent_id not in (None, principal.user_id):
        raise Forbidden("This account is in another agent's queue.")
    return account


def open_conversation_on(db_session, principal: Principal, account: Account, channel: str) -> Conversation | None:
    """The account's open conversation on `channel`, if any; an agent may add to it only if it is in their queue."""
    conversation = db_session.scalars(select(Conversation).where(
        Conversation.business_id == account.business_id, Conversation.account_id == account.id,
        Conversation.channel == channel, Conversation.status.in_(OPEN_STATUSES))).first()
    if conversation is not None and not in_queue(principal, conversation, account):
        raise Forbidden("The debtor's open conversation on this channel is in another agent's queue.")
    return conversation


def may_send_as(principal: Principal, sender_type: str) -> None:
    """Staff write as themselves; posting as the AI is for admins, managers and integrations (API keys)."""
    if sender_type == "ai" and principal.role not in AI_SENDERS and principal.api_key_id is None:
        raise Forbidden("Only administrators, managers and API keys may post as the AI.")


def account_messages(db_session, principal: Principal, account: Account, *, limit: int = 100) -> list[Message]:
    """The account's messages on every channel, newest first (the account file's Messages tab)."""
    _require_staff(principal)
    return list(db_session.scalars(select(Message).where(
        Message.business_id == account.business_id, Message.account_id == account.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)))


def delivery_state(message: Message) -> tuple[str, str]:
    """(chip status, words for people) for a message's delivery, including the states between the columns:
    retrying after a provider error, and waiting for a person after a lost provider answer."""
    status = message.delivery_status
    if message.review_reason:
        return "pending", "needs review: " + message.review_reason
    if status == "queued" and (message.failed_reason or "").startswith("retrying"):
        return "pending", message.failed_reason
    if status == "scheduled" and message.scheduled_for:
        return "pending", f"scheduled for {message.scheduled_for:%Y-%m-%d %H:%M} UTC"
    if status == "blocked":
        rules = ", ".join(message.compliance_issues or []) or "the compliance gate"
        return "failed", f"blocked by {rules}"
    if status == "failed":
        return "failed", message.failed_reason or "failed"
    return status, status
