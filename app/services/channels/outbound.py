"""The one way out: every message to a debtor, or to an address that may be a debtor's, is composed here.

compose -> gate -> approved snippets appended for REQUIRE_CONTENT, decided again -> Message row (queued | scheduled |
blocked) with the decision stored on it -> deliver(message_id) enqueued after the commit. Nothing here calls a
provider: delivery.py does, for rows this module wrote."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Account, Business, Conversation, Message
from app.models.conversation import OPEN_STATUSES
from app.services.compliance import compose
from app.services.compliance.decision import ALLOW, DEFER, Decision
from app.services.compliance.facts import Attempt
from app.services.compliance.gate import record as decision_record
from app.services.compliance.loader import DbLoader, Preloaded
from app.services.compliance.store import evaluate, recorded_rules
from app.services.errors import ComplianceBlocked, ValidationError
from app.services.on_commit import on_commit
from app.services.tenancy import Principal, current_principal

PROVIDER_CHANNELS = ("sms", "whatsapp", "email")
LINK_SLOT = "~portal-link~"
"""Stands for the debtor's own portal link while the message is composed; replaced by a real link only when the
composed text carries it, so a link row exists only for messages that show one."""


@dataclass
class Outcome:
    message: Message
    decision: Decision
    conversation: Conversation | None
    created_conversation: bool = False

    @property
    def blocked(self) -> bool:
        return self.message.delivery_status == "blocked"

    @property
    def scheduled(self) -> bool:
        return self.message.delivery_status == "scheduled"

    def raise_if_blocked(self) -> None:
        if self.blocked:
            rules = list(self.decision.rules) or list(self.message.compliance_issues or [])
            extra = {"rules": rules}
            if self.conversation is not None:
                extra["conversationId"] = str(self.conversation.id)
            raise ComplianceBlocked(blocked_reason(self.decision), extra=extra)


def blocked_reason(decision: Decision) -> str:
    """One sentence for people: the first stopping rule's detail."""
    stopping = [i for i in decision.issues if i.rule in decision.rules]
    if not stopping:
        return "The compliance gate blocked this message."
    first = stopping[0]
    return f"Blocked by {first.rule}: {first.detail}" if first.detail else f"Blocked by {first.rule}."


def send(db_session, *, account: Account | None, channel: str, body: str, now: dt.datetime, kind: str = "agent",
         sender_type: str = "agent", sender_id=None, conversation: Conversation | None = None,
         subject: str | None = None, purpose: str = "collection", to_address: str | None = None,
         in_reply_to=None, template: str | None = None, portal_link: bool = False,
         recipient: str = "debtor", business: Business | None = None, principal: Principal | None = None,
         consumer_request_id: str | None = None, attachments: tuple[str, ...] = (),
         language: str | None = None) -> Outcome:
    """Compose, check and store one outbound message; the caller commits. A blocked message is stored with
    delivery_status 'blocked' and never reaches a provider (call outcome.raise_if_blocked() to answer 422)."""
    if channel not in PROVIDER_CHANNELS + ("web_chat",):
        raise ValidationError("Choose sms, whatsapp, email or web_chat.", field="channel")
    body = (body or "").strip()
    if not body:
        raise ValidationError("Write a message first.", field="content")
    business = business or db_session.get(Business, account.business_id)
    principal = principal or current_principal() or Principal(business_id=business.id, role="system")
    to_address = _destination(account, channel, to_address)
    from_address = sender_address(business, channel)

    created = False
    if account is not None and conversation is None:
        conversation, created = open_conversation(db_session, account, channel, now, subject=subject,
                                                  debtor_address=to_address, business_address=from_address)
    attempt = Attempt(
        business_id=business.id, account_id=account.id if account else None, channel=channel, to_address=to_address,
        body=body, now=now, kind=kind, purpose=purpose, subject=subject, from_name=business.name,
        in_reply_to=str(in_reply_to.id) if in_reply_to is not None else None, language=language, template=template,
        recipient=recipient, attachments=tuple(attachments), consumer_request_id=consumer_request_id,
        portal_link=portal_link)

    message = Message(id=uuid.uuid4(), business_id=business.id, conversation_id=conversation.id if conversation else None,
                      account_id=attempt.account_id, sender_type=sender_type, sender_id=sender_id, kind=kind,
                      purpose=purpose, channel=channel, direction="outbound", from_address=from_address,
                      to_address=to_address, subject=subject, content=body, delivery_status="blocked",
                      in_reply_to_id=in_reply_to.id if isinstance(in_reply_to, Message) else None,
                      provider="web" if channel == "web_chat" else None, created_at=now, updated_at=now,
                      ai_generated=kind == "ai")
    db_session.add(message)  # written before the gate's record refers to it (blocked until decided)

    link_base = _link_base()
    loader = DbLoader(db_session, portal_url=f"{link_base}/{LINK_SLOT}" if link_base else None,
                      exclude_message_ids=(message.id,))
    facts = loader.load(attempt)
    attempt, draft, added = compose.complete(attempt, facts)
    link = None
    if LINK_SLOT in attempt.body:
        url = link_base  # a message that will not go out gets no link of its own
        if account is not None and draft.outcome in (ALLOW, DEFER):
            link, url = _issue_portal_link(db_session, account, message, channel, now)
        attempt = replace(attempt, body=attempt.body.replace(f"{link_base}/{LINK_SLOT}", url))
        facts = replace(facts, policy=replace(facts.policy, portal_url=url))
    decision = evaluate(db_session, attempt, loader=Preloaded(facts), message_id=message.id, principal=principal)

    message.content = attempt.body
    message.compliance_checked = True
    message.compliance_passed = decision.outcome == ALLOW
    message.compliance_issues = recorded_rules(decision)
    stored = decision_record(attempt, decision)
    stored["required_content_added"] = list(added)
    stored["attempt"] = {  # what a re-check at dispatch needs beyond the message's own columns (TIME-6)
        "template": template, "recipient": recipient, "attachments": list(attachments), "language": language,
        "consumer_request_id": consumer_request_id, "portal_link": attempt.portal_link,
        "in_reply_to": attempt.in_reply_to, "from_name": attempt.from_name}
    message.compliance_record = stored
    if decision.outcome == ALLOW and channel == "web_chat":
        message.delivery_status = "queued"  # web chat has no provider: the push over Socket.IO is the delivery
        from app.services.channels import status as statuses

        statuses.apply(db_session, message=message, status="sent", at=now)
    elif decision.outcome == ALLOW:
        message.delivery_status = "queued"
    elif decision.outcome == DEFER:
        message.delivery_status = "scheduled"
        message.scheduled_for = decision.until
        if link is not None:  # the link must outlive the wait: 7 days from when the message goes out
            link.expires_at = max(link.expires_at, decision.until + (link.expires_at - link.created_at))
    if conversation is not None:
        conversation.last_message_at = now
        conversation.last_message_from = sender_type
        conversation.updated_at = now
    db_session.flush()
    if message.delivery_status == "queued":
        enqueue_delivery(db_session, message)
    _publish(db_session, message, conversation, created)
    return Outcome(message=message, decision=decision, conversation=conversation, created_conversation=created)


def _destination(account: Account | None, channel: str, to_address: str | None) -> str | None:
    from app.services.timezones import normalize_e164

    if to_address:
        to_address = to_address.strip()
        if channel == "email":
            return to_address.lower()
        if channel in ("sms", "whatsapp"):
            normalized = normalize_e164(to_address.removeprefix("whatsapp:"))
            if not normalized:
                raise ValidationError("This is not a phone number we can text.", field="to")
            return normalized
        return to_address
    if account is None:
        raise ValidationError("Name an address or an account.", field="to")
    if channel in ("sms", "whatsapp"):
        if not account.phone:
            raise ValidationError("This account has no phone number on file.", field="channel")
        return account.phone
    if channel == "email":
        if not account.email:
            raise ValidationError("This account has no email address on file.", field="channel")
        return account.email.lower()
    from app.services.web_chat import debtor_address

    return debtor_address(account.id)  # web chat reaches the debtor's portal room; TP-2 reads this address


def sender_address(business: Business, channel: str) -> str | None:
    """The business's own address on a channel, else the platform's configured one."""
    config = current_app.config["CONFIG_OBJECT"]
    if channel == "sms":
        return business.sms_number or config.TWILIO_PHONE_NUMBER
    if channel == "whatsapp":
        return business.whatsapp_number or config.TWILIO_WHATSAPP_NUMBER or business.sms_number
    if channel == "email":
        return business.sender_email or config.SENDGRID_FROM_EMAIL
    return None


def open_conversation(db_session, account: Account, channel: str, now: dt.datetime, *, subject: str | None = None,
                      debtor_address: str | None = None, business_address: str | None = None
                      ) -> tuple[Conversation, bool]:
    """The account's open conversation on this channel, or a new one. The unique index on open conversations
    settles a race: the loser's insert fails inside its savepoint and it reads the winner's row."""
    found = find_open_conversation(db_session, account, channel)
    if found is not None:
        return found, False
    conversation = Conversation(business_id=account.business_id, account_id=account.id, channel=channel,
                                status="active", subject=subject, debtor_address=debtor_address,
                                business_address=business_address, created_at=now, updated_at=now,
                                assigned_agent_id=account.assigned_agent_id,
                                assigned_at=now if account.assigned_agent_id else None)
    try:
        with db_session.begin_nested():
            db_session.add(conversation)
    except IntegrityError:
        found = find_open_conversation(db_session, account, channel)
        if found is None:
            raise
        return found, False
    return conversation, True


def find_open_conversation(db_session, account: Account, channel: str) -> Conversation | None:
    return db_session.scalars(select(Conversation).where(
        Conversation.business_id == account.business_id, Conversation.account_id == account.id,
        Conversation.channel == channel, Conversation.status.in_(OPEN_STATUSES))).first()


def enqueue_delivery(db_session, message: Message) -> None:
    """deliver(message_id) on the messages queue once the transaction commits."""
    if message.channel not in PROVIDER_CHANNELS:
        return
    jobs = current_app.extensions["jobs"]
    on_commit(db_session, lambda: jobs.enqueue_once("messages", "jobs.messages.deliver", str(message.id),
                                                    key=delivery_key(message.id)))


def delivery_key(message_id) -> str:
    """One waiting deliver job per message: the clock's rescans do not pile up duplicates behind a slow worker."""
    return f"deliver:{message_id}"


def _link_base() -> str | None:
    public = current_app.config.get("PUBLIC_URL")
    return f"{public.rstrip('/')}/p" if public else None


def _issue_portal_link(db_session, account: Account, message: Message, channel: str, now: dt.datetime):
    from app.services.portal import links

    link, url = links.issue(db_session, account, now=now, purpose="account", channel=channel)
    link.message_id = message.id
    return link, url


def _publish(db_session, message: Message, conversation: Conversation | None, created: bool) -> None:
    from app import realtime

    payload = {"messageId": str(message.id), "conversationId": str(conversation.id) if conversation else None,
               "deliveryStatus": message.delivery_status}
    rooms = [f"business:{message.business_id}"]
    if conversation is not None:
        rooms.append(f"conversation:{conversation.id}")
    for room in rooms:
        realtime.publish(room, "message.created", payload, session=db_session)
    if created and conversation is not None:
        realtime.publish(f"business:{message.business_id}", "conversation.created",
                         {"conversationId": str(conversation.id), "accountId": str(conversation.account_id)},
                         session=db_session)
    if message.channel == "web_chat":  # the push is the delivery: only a message that went out reaches the debtor
        from app.services import web_chat

        web_chat.publish_bubble(db_session, message)
