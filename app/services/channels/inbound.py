"""The one way in: every provider's inbound message, normalized, then
dedupe -> business by our address -> account by the sender -> conversation -> store -> keywords -> route.

Webhooks call receive() after verifying the provider's signature; the caller commits. A replay (same provider id)
changes nothing. Keyword replies (the opt-out confirmation, START, HELP, a cease acknowledgement, the one reply to an
unknown sender) go out through channels.send like every other message."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.models import (Account, Business, ConsentEvent, Conversation, Message, Notification, OptOutEvent,
                        UnmatchedInbound, User, WebhookEvent)
from app.models.conversation import OPEN_STATUSES
from app.services.channels import usage
from app.services.channels.optouts import is_opted_out
from app.services.channels.outbound import Outcome, find_open_conversation, send
from app.services.channels.providers.base import Attachment as InboundAttachment  # the same three fields
from app.services.compliance import inbound as classifier, inbound_records, snippets
from app.services.compliance.keywords import normalize as normalize_keyword
from app.services.compliance.loader import DbLoader
from app.services.compliance.facts import Attempt
from app.services.compliance.rules.stops import norm_address
from app.services.tenancy import Principal

log = logging.getLogger(__name__)
ATTACHMENT_LIMIT = 5 * 1024 * 1024
ESCALATING = frozenset({classifier.ATTORNEY, classifier.DISPUTE, classifier.ORIGINAL_CREDITOR,
                        classifier.OPT_OUT_UNCERTAIN})
"""Labels a person must see: the conversation is escalated to the inbox (the AI does not answer these)."""
CEASE_ACK = {
    "en": "{brand}: We received your request. We have stopped our efforts to collect this debt and will not contact "
          "you about it again except as the law allows.",
    "es": "{brand}: Recibimos su solicitud. Hemos dejado de intentar cobrar esta deuda y no volveremos a "
          "contactarle al respecto, salvo lo que permita la ley.",
}
"""CEASE-2(i): the one acknowledgement after a cease request (D-17): no debt details beyond the statement itself."""
UNKNOWN_SENDER_EMAIL = {
    "en": "Thank you for your message to {brand}. We could not match this address to our records. To reach us, "
          "contact {contact}.",
    "es": "Gracias por su mensaje a {brand}. No pudimos relacionar esta dirección con nuestros registros. Para "
          "comunicarse con nosotros, contacte a {contact}.",
}


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    from_address: str
    to_address: str
    body: str
    external_id: str
    provider: str
    subject: str | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    received_at: dt.datetime | None = None


@dataclass
class Received:
    message: Message | None = None
    conversation: Conversation | None = None
    account: Account | None = None
    business: Business | None = None
    duplicate: bool = False
    queued: bool = False  # a plain text kept for the worker (accept)
    unknown_sender: UnmatchedInbound | None = None
    labels: frozenset = frozenset()
    recorded: list[str] = field(default_factory=list)
    replies: list[Outcome] = field(default_factory=list)


AT_INGESTION = frozenset({classifier.OPT_OUT, classifier.OPT_OUT_UNCERTAIN, classifier.CEASE, classifier.ATTORNEY,
                          classifier.WRONG_PARTY, classifier.THIRD_PARTY})
"""Labels that act inside the provider's request: the rules that name no delay (OPT-9 "at ingestion", D-17 "at
once") and the protections of a person who is not the debtor."""
QUEUED_EVENT = "inbound.text"
"""WebhookEvent.event_type of a plain text waiting for the worker."""


def accept(db_session, inbound: InboundMessage, now: dt.datetime) -> Received:
    """The webhook's entry: store the text durably and answer the provider at once.

    A text that must take effect at ingestion (AT_INGESTION: an opt-out keyword, OPT-1/OPT-9; a cease, D-17; an
    attorney, ATTY-3; a wrong or third party, whose number must stop at once) and anything with attachments is
    received here and now. Any other text, including a dispute, a stated time or place, START or HELP, is kept as
    a provider event (one row, unique by the provider's id: a replay is a no-op) and the worker receives it, with
    the same keywords and signals, moments later; the clock hands over whatever a stopped worker left. Commits."""
    labels = classifier.analyze(inbound.body).labels
    if labels & AT_INGESTION or inbound.attachments or inbound.channel not in ("sms", "whatsapp"):
        return receive_committed(db_session, inbound, now)
    received_at = inbound.received_at or now
    values = dict(id=uuid.uuid4(), provider=inbound.provider, external_id=inbound.external_id,
                  event_type=QUEUED_EVENT, status="received", received_at=now,
                  payload={"channel": inbound.channel, "from": inbound.from_address, "to": inbound.to_address,
                           "body": inbound.body, "subject": inbound.subject,
                           "receivedAt": received_at.astimezone(dt.timezone.utc).isoformat()})
    engine = db_session.get_bind()
    # One statement is its own transaction: autocommit spares the BEGIN and COMMIT round trips of a session.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        stored = connection.execute(_keep_event(engine.dialect.name), values).rowcount
    if not stored:  # the provider's retry of a text already kept (or already received)
        return Received(duplicate=True)
    _wake_worker()
    return Received(queued=True)


@functools.cache
def _keep_event(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING, built once: the parameters travel apart, so each request skips building
    and hashing a statement that never changes."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(WebhookEvent).on_conflict_do_nothing(index_elements=["provider", "external_id"])


DRAIN_KEY = "inbound:drain"
BATCH = 100
STUCK_AFTER = dt.timedelta(minutes=2)


def _wake_worker() -> None:
    """One drain job at a time: while one waits, a new text costs a single Redis SET. A queue that does not answer
    leaves the text to the clock instead of failing the provider's request (it is already stored)."""
    from flask import current_app

    try:
        current_app.extensions["jobs"].enqueue_once("messages", "jobs.inbound.drain", key=DRAIN_KEY)
    except Exception:
        log.exception("could not wake the inbound worker; the clock will")


def drain(db_session, now_fn, *, limit: int | None = None) -> int:
    """The worker's half of accept(): receive waiting texts oldest first, each claimed so that two workers never
    take the same one, until none is left. Returns how many were received."""
    done = 0
    while limit is None or done < limit:
        ids = waiting_events(db_session, now_fn(), older_than=dt.timedelta(0), limit=BATCH)
        if not ids:
            return done
        for event_id in ids:
            if process_event(db_session, event_id, now_fn()) is not None:
                done += 1
    return done


def process_event(db_session, event_id, now: dt.datetime) -> Received | None:
    """Claim one waiting text (received -> processing), receive it and mark it processed. Idempotent: receiving
    dedupes by the provider's id, so an event a crash left in `processing` is safely taken again later."""
    claimed = db_session.execute(update(WebhookEvent).where(
        WebhookEvent.id == event_id, WebhookEvent.status == "received").values(status="processing")).rowcount
    db_session.commit()
    if not claimed:
        return None
    event = db_session.get(WebhookEvent, event_id)
    payload = event.payload or {}
    inbound = InboundMessage(channel=payload["channel"], from_address=payload["from"], to_address=payload["to"],
                             body=payload.get("body") or "", external_id=event.external_id, provider=event.provider,
                             subject=payload.get("subject"),
                             received_at=dt.datetime.fromisoformat(payload["receivedAt"]))
    result = receive_committed(db_session, inbound, now)
    event.status, event.processed_at = "processed", now
    event.business_id = result.business.id if result.business else None
    db_session.commit()
    return result


def waiting_events(db_session, now: dt.datetime, older_than: dt.timedelta = dt.timedelta(seconds=30),
                   limit: int = 1000) -> list[uuid.UUID]:
    """Texts waiting for the worker (received more than `older_than` ago), oldest first."""
    return list(db_session.scalars(select(WebhookEvent.id).where(
        WebhookEvent.event_type == QUEUED_EVENT, WebhookEvent.status == "received",
        WebhookEvent.received_at <= now - older_than).order_by(WebhookEvent.received_at).limit(limit)))


def release_stuck(db_session, now: dt.datetime) -> int:
    """Texts a stopped worker left in `processing` go back to waiting (receiving them again changes nothing)."""
    return db_session.execute(update(WebhookEvent).where(
        WebhookEvent.event_type == QUEUED_EVENT, WebhookEvent.status == "processing",
        WebhookEvent.received_at <= now - STUCK_AFTER).values(status="received")).rowcount


def receive_committed(db_session, inbound: InboundMessage, now: dt.datetime) -> Received:
    """receive() and commit. Two requests racing (a provider's retry of the same message, or two messages opening
    the same conversation) meet at a unique index when they commit; the loser starts again and then finds the
    winner's rows. This keeps savepoints off the path every message takes."""
    for attempt in (1, 2):
        try:
            result = receive(db_session, inbound, now)
            db_session.commit()
            return result
        except IntegrityError:
            db_session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def receive(db_session, inbound: InboundMessage, now: dt.datetime) -> Received:
    """Store and act on one inbound message (not committed: the caller commits, or use receive_committed, which
    also settles a race with a concurrent request)."""
    at = inbound.received_at or now
    sender = norm_address(inbound.from_address)
    existing = _stored(db_session, inbound)
    if existing is not None:
        return existing
    business = business_for(db_session, inbound.channel, inbound.to_address)
    if business is None:
        log.warning("inbound to an address no business uses", extra={"channel": inbound.channel})
        return Received()
    account = account_for(db_session, business.id, inbound.channel, sender)
    if account is None:
        return _unknown_sender(db_session, business, inbound, sender, at, now)

    conversation = find_open_conversation(db_session, account, inbound.channel)
    status_before = conversation.status if conversation is not None else None
    conversation = conversation or _reopened(db_session, account, inbound.channel, now) or _new_conversation(
        db_session, account, inbound, sender, now)
    found = classifier.analyze(inbound.body)
    message = Message(business_id=business.id, conversation_id=conversation.id, account_id=account.id,
                      sender_type="debtor", kind="inbound", purpose="collection", channel=inbound.channel,
                      direction="inbound", from_address=sender, to_address=norm_address(inbound.to_address),
                      subject=inbound.subject, content=inbound.body, delivery_status="received",
                      provider=inbound.provider, external_id=inbound.external_id, created_at=at, updated_at=now,
                      compliance_record={"labels": sorted(found.labels), "opt_out_rule": found.opt_out_rule,
                                         "zone": found.zone})
    db_session.add(message)  # a concurrent copy of it fails at commit on the provider-id index (receive_committed)
    _keep_attachments(db_session, account, message, inbound.attachments, now)

    conversation.last_message_at = at
    conversation.last_inbound_at = at
    conversation.last_message_from = "debtor"
    conversation.unread_count = (conversation.unread_count or 0) + 1
    conversation.snoozed_until = None  # a debtor's message wakes a snoozed conversation
    conversation.updated_at = now
    usage.count(db_session, business.id, at=at, received=1)

    result = Received(message=message, conversation=conversation, account=account, business=business,
                      labels=found.labels)
    result.recorded = inbound_records.record(db_session, account, message, found, at)
    _keywords(db_session, result, found, inbound, sender, now)
    if found.labels & ESCALATING and conversation.status == "active":
        from app.services.conversation_actions import escalate_from_pipeline

        escalate_from_pipeline(db_session, conversation, account, _escalation_reason(found.labels), now)
    if conversation.status in OPEN_STATUSES and conversation.assigned_agent_id is None:
        from app.services import assignment

        assignment.auto_assign(db_session, conversation, account, now=now)
    _route(db_session, result, now, status_changed=conversation.status != status_before)
    return result


ESCALATION_REASONS = {classifier.ATTORNEY: "The debtor mentioned an attorney", classifier.DISPUTE: "The debtor "
                      "disputes the debt", classifier.ORIGINAL_CREDITOR: "The debtor asked for the original creditor",
                      classifier.OPT_OUT_UNCERTAIN: "The debtor may have asked to stop (unclear opt-out)"}


def _escalation_reason(labels) -> str:
    return "; ".join(ESCALATION_REASONS[label] for label in sorted(labels & ESCALATING)) or "Needs a person"


def _reopened(db_session, account: Account, channel: str, now: dt.datetime) -> Conversation | None:
    """A debtor writing again reopens their last resolved conversation on the channel (a closed one stays
    closed: a new conversation starts)."""
    latest = db_session.scalars(select(Conversation).where(
        Conversation.business_id == account.business_id, Conversation.account_id == account.id,
        Conversation.channel == channel).order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        .limit(1)).first()
    if latest is None or latest.status != "resolved":
        return None
    latest.status = "active"
    latest.resolution_type = None
    latest.resolved_at = None
    latest.updated_at = now
    return latest


def _new_conversation(db_session, account: Account, inbound: InboundMessage, sender: str | None,
                      now: dt.datetime) -> Conversation:
    """A new open conversation; two racing for one account and channel meet at the unique index on commit."""
    conversation = Conversation(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id,
                                channel=inbound.channel, status="active", subject=inbound.subject,
                                debtor_address=sender, business_address=norm_address(inbound.to_address),
                                assigned_agent_id=account.assigned_agent_id,
                                assigned_at=now if account.assigned_agent_id else None, unread_count=0,
                                created_at=now, updated_at=now)
    db_session.add(conversation)
    return conversation


# -- who is it for, who is it from ----------------------------------------------------------------------------------
def business_for(db_session, channel: str, to_address: str) -> Business | None:
    """The business that owns the receiving address (each business has its own numbers and email address)."""
    address = norm_address(to_address)
    if not address:
        return None
    if channel == "web_chat":  # the widget names the business by id: web:<business id>
        from app.services.web_chat import id_of

        business = db_session.get(Business, id_of(address)) if id_of(address) else None
        return business if business is not None and business.deleted_at is None else None
    if channel == "email":
        match = func.lower(Business.sender_email) == address
    elif channel == "whatsapp":
        match = or_(Business.whatsapp_number == address, Business.sms_number == address)
    else:
        match = Business.sms_number == address
    return db_session.scalars(select(Business).where(
        match, Business.deleted_at.is_(None))).first()


def account_for(db_session, business_id, channel: str, sender: str | None) -> Account | None:
    """The debtor's account at this address: the one with an open conversation on the channel first, then the one
    most recently active (a debtor with several debts writes from one number)."""
    if not sender:
        return None
    if channel == "web_chat":  # the account the identity check proved: web:<account id>
        from app.services.web_chat import id_of

        account = db_session.get(Account, id_of(sender)) if id_of(sender) else None
        return account if account is not None and account.business_id == business_id \
            and account.deleted_at is None else None
    if channel == "email":
        match = func.lower(Account.email) == sender
    else:
        match = or_(Account.phone == sender, Account.phone_secondary == sender)
    open_here = select(Conversation.id).where(
        Conversation.account_id == Account.id, Conversation.channel == channel,
        Conversation.status.in_(("active", "escalated"))).exists()
    return db_session.scalars(select(Account).where(
        Account.business_id == business_id, Account.deleted_at.is_(None), match)
        .order_by(case((open_here, 0), else_=1), Account.updated_at.desc(), Account.id)).first()


def _stored(db_session, inbound: InboundMessage) -> Received | None:
    """The earlier copy of a replayed message (a message of an unknown sender is found by _stored_unknown)."""
    message_id = db_session.scalar(select(Message.id).where(
        Message.provider == inbound.provider, Message.external_id == inbound.external_id))
    message = db_session.get(Message, message_id) if message_id is not None else None
    if message is not None:
        return Received(message=message, conversation=message.conversation, duplicate=True,
                        account=db_session.get(Account, message.account_id) if message.account_id else None,
                        business=db_session.get(Business, message.business_id))
    return None


def _stored_unknown(db_session, inbound: InboundMessage) -> Received | None:
    unknown = db_session.scalars(select(UnmatchedInbound).where(
        UnmatchedInbound.provider == inbound.provider, UnmatchedInbound.external_id == inbound.external_id)).first()
    if unknown is not None:
        return Received(unknown_sender=unknown, duplicate=True, business=db_session.get(Business, unknown.business_id))
    return None


# -- unknown senders ------------------------------------------------------------------------------------------------
def _unknown_sender(db_session, business: Business, inbound: InboundMessage, sender: str | None, at: dt.datetime,
                    now: dt.datetime) -> Received:
    """Kept in the unknown-senders list; the first message from an address gets one reply that names the business
    and says nothing about any debt (the sender may not be a debtor at all: TP-1)."""
    row = UnmatchedInbound(business_id=business.id, channel=inbound.channel, from_address=sender or inbound.from_address,
                           to_address=norm_address(inbound.to_address), subject=inbound.subject,
                           body=inbound.body[:20000], provider=inbound.provider, external_id=inbound.external_id,
                           received_at=at)
    try:
        with db_session.begin_nested():
            db_session.add(row)
    except IntegrityError:  # a replay of a message already in the unknown-senders list
        return _stored_unknown(db_session, inbound) or Received(duplicate=True)
    usage.count(db_session, business.id, at=at, received=1)
    result = Received(business=business, unknown_sender=row)
    keyword = classifier.analyze(inbound.body).labels
    if classifier.OPT_OUT in keyword and sender:
        from app.services.channels.optouts import provider_opt_out

        provider_opt_out(db_session, business_id=business.id, channel=inbound.channel, address=sender,
                         reason=inbound.body[:200], at=at, rule_id="OPT-1", raw_text=inbound.body, label="keyword")
        return result
    replied_before = db_session.scalar(select(func.count()).select_from(UnmatchedInbound).where(
        UnmatchedInbound.business_id == business.id, UnmatchedInbound.from_address == row.from_address,
        UnmatchedInbound.reply_message_id.is_not(None)))
    if replied_before or inbound.channel == "web_chat" or not sender:
        return result
    db_session.flush()
    if inbound.channel in ("sms", "whatsapp"):
        body = _template_text(db_session, business, "help_reply", inbound.channel, "en", now)
        subject = None
    else:
        brand = business.name
        contact = _contact(db_session, business, now)
        body, subject = UNKNOWN_SENDER_EMAIL["en"].format(brand=brand, contact=contact), f"Your message to {brand}"
    outcome = send(db_session, account=None, business=business, channel=inbound.channel, body=body, now=now,
                   kind="system", sender_type="system", purpose="help_reply", template="help_reply",
                   to_address=sender, in_reply_to=row, subject=subject,
                   principal=Principal(business_id=business.id, role="system"))
    row.reply_message_id = outcome.message.id
    result.replies.append(outcome)
    return result


# -- keywords -------------------------------------------------------------------------------------------------------
def _keywords(db_session, result: Received, found, inbound: InboundMessage, sender: str | None,
              now: dt.datetime) -> None:
    """STOP / START / HELP (English and Spanish) and a free-text cease: record, then confirm once."""
    account, message, business = result.account, result.message, result.business
    labels = found.labels
    channel = inbound.channel
    if classifier.OPT_OUT in labels and sender:
        rule = found.opt_out_rule or "OPT-2"
        if not is_opted_out(db_session, business.id, sender):
            event = OptOutEvent(business_id=business.id, account_id=account.id, channel=channel, address=sender,
                                action="opt_out", scope="all", rule_id=rule, raw_text=inbound.body[:2000],
                                normalized_text=normalize_keyword(inbound.body)[:2000],
                                classifier_label="opt_out_uncertain" if classifier.OPT_OUT_UNCERTAIN in labels
                                else "opt_out", inbound_message_id=message.id, received_at=message.created_at,
                                effective_at=now, created_at=now)
            db_session.add(event)
            db_session.flush()
            if classifier.CEASE not in labels:  # a stop request that is also a cease gets the cease's one reply
                reply = _system_reply(db_session, result, "optout_confirmation", "optout_confirm", now)
                event.confirmation_message_id = reply.message.id
            if classifier.OPT_OUT_UNCERTAIN in labels:
                _notify_managers(db_session, business, account, "opt_out_review", "Check an unclear opt-out",
                                 "A reply was read as an opt-out to protect the debtor; confirm or correct it.", now)
    elif classifier.OPT_IN in labels and sender and channel in ("sms", "whatsapp") \
            and is_opted_out(db_session, business.id, sender):
        db_session.add(OptOutEvent(business_id=business.id, account_id=account.id, channel=channel, address=sender,
                                   action="opt_in", scope="channel", rule_id="OPT-7", raw_text=inbound.body[:2000],
                                   classifier_label="opt_in", inbound_message_id=message.id,
                                   received_at=message.created_at, effective_at=now, created_at=now))
        db_session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel=channel, address=sender,
                                    granted=True, source="keyword", inbound_message_id=message.id,
                                    evidence={"inboundMessageId": str(message.id), "keyword": inbound.body[:40]},
                                    occurred_at=now, created_at=now))
        db_session.flush()
        _system_reply(db_session, result, "optin_confirmation", "optin_confirm", now)
    elif classifier.HELP in labels and channel in ("sms", "whatsapp"):
        _system_reply(db_session, result, "help_reply", "help_reply", now)

    if classifier.CEASE in labels:  # D-17: effective at once, one acknowledgement, resolved, a manager reviews
        lang = "es" if account.preferred_language == "es" else "en"
        brand = business.name
        outcome = send(db_session, account=account, conversation=result.conversation, channel=channel, now=now,
                       body=CEASE_ACK[lang].format(brand=brand), kind="system", sender_type="system",
                       purpose="cease_terminate", template="cease_terminate", in_reply_to=message,
                       principal=Principal(business_id=business.id, role="system"))
        result.replies.append(outcome)
        if classifier.OPT_OUT in labels:
            for event in db_session.scalars(select(OptOutEvent).where(OptOutEvent.inbound_message_id == message.id)):
                event.confirmation_message_id = outcome.message.id
        result.conversation.status = "resolved"
        result.conversation.resolution_type = "cease"
        result.conversation.closed_at = now
        _notify_managers(db_session, business, account, "cease_review", "Review a cease request",
                         "A debtor asked us to stop contacting them. Collection messages are blocked; confirm the "
                         "cease or clear it within 24 hours.", now)
    elif classifier.ATTORNEY in labels:
        _notify_managers(db_session, business, account, "attorney_review", "A debtor mentioned an attorney",
                         "Messages to the debtor are on hold until the attorney's details are recorded or the "
                         "mention is cleared.", now)


def _system_reply(db_session, result: Received, template: str, purpose: str, now: dt.datetime) -> Outcome:
    account, business = result.account, result.business
    lang = "es" if account.preferred_language == "es" else "en"
    body = _template_text(db_session, business, template, result.message.channel, lang, now, account=account)
    outcome = send(db_session, account=account, conversation=result.conversation, channel=result.message.channel,
                   body=body, now=now, kind="system", sender_type="system", purpose=purpose, template=template,
                   in_reply_to=result.message, to_address=result.message.from_address, language=lang,
                   principal=Principal(business_id=business.id, role="system"))
    result.replies.append(outcome)
    return outcome


def _contact(db_session, business: Business, now: dt.datetime) -> str:
    attempt = Attempt(business_id=business.id, account_id=None, channel="email", to_address=None, body="", now=now)
    policy = DbLoader(db_session).load(attempt).policy
    return policy.support_email or policy.support_phone or business.sender_email or business.name


def _template_text(db_session, business: Business, template: str, channel: str, lang: str, now: dt.datetime,
                   account: Account | None = None) -> str:
    """An approved whole text (OPT-4/7/8), rendered with the business's own policy facts."""
    attempt = Attempt(business_id=business.id, account_id=account.id if account else None, channel=channel,
                      to_address=None, body="", now=now)
    facts = DbLoader(db_session).load(attempt)
    return snippets.render(template, facts, language=lang, channel=channel)


# -- routing --------------------------------------------------------------------------------------------------------
def _route(db_session, result: Received, now: dt.datetime, *, status_changed: bool = True) -> None:
    """The assigned agent hears of it; otherwise it waits in the business's inbox queue (the AI answers there).

    The business room gets one event per text (every staff socket of the business receives it, so each extra
    event is a write per socket): message.created carries the conversation's state too, and conversation.updated
    follows only when the status changed (an assignment publishes its own)."""
    from app import realtime
    from app.services import notifications
    from app.services.conversation_events import conversation_state

    conversation, message = result.conversation, result.message
    payload = {"messageId": str(message.id), "conversationId": str(conversation.id),
               "accountId": str(result.account.id), "direction": "inbound", "labels": sorted(result.labels)}
    state = conversation_state(conversation)
    realtime.publish(f"conversation:{conversation.id}", "message.created", payload, session=db_session)
    realtime.publish(f"business:{result.business.id}", "message.created", {**state, **payload}, session=db_session)
    realtime.publish(f"conversation:{conversation.id}", "conversation.updated", state, session=db_session)
    if status_changed:
        realtime.publish(f"business:{result.business.id}", "conversation.updated", state, session=db_session)
    if conversation.assigned_agent_id:
        account = result.account
        name = " ".join(p for p in (account.first_name, account.last_name) if p) or "The debtor"
        notifications.notify(db_session, user_id=conversation.assigned_agent_id, business_id=result.business.id,
                             kind="message", title=f"New message from {name}", body=_preview(message.content),
                             link=f"/conversations/{conversation.id}", conversation_id=conversation.id, now=now)


def _preview(text: str | None, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _notify_managers(db_session, business: Business, account: Account, kind: str, title: str, body: str,
                     now: dt.datetime) -> None:
    managers = db_session.scalars(select(User.id).where(
        User.business_id == business.id, User.role.in_(("business_admin", "manager")),
        User.deleted_at.is_(None))).all()
    for user_id in managers:
        db_session.add(Notification(business_id=business.id, user_id=user_id, kind=kind, title=title, body=body,
                                    link=f"/accounts/{account.id}?tab=compliance", created_at=now))


def _keep_attachments(db_session, account: Account, message: Message, attachments, now: dt.datetime) -> None:
    """Attachments up to 5 MB become documents on the account; larger ones are noted on the message."""
    if not attachments:
        return
    from flask import current_app

    from app.services.accounts import documents
    from app.services.storage import storage_for

    storage = storage_for(current_app)
    dropped = []
    for item in attachments:
        document = None
        if len(item.data) <= ATTACHMENT_LIMIT:
            document = documents.store_inbound(db_session, storage, account, filename=item.filename, data=item.data,
                                               now=now, message_id=message.id)
        if document is None:
            dropped.append(item.filename)
            continue
        if message.attachment_url is None:
            message.attachment_url = f"/accounts/{account.id}/documents/{document.id}"
            message.attachment_filename = item.filename
            message.attachment_size = len(item.data)
    if dropped:
        record = dict(message.compliance_record or {})
        record["attachments_dropped"] = dropped
        message.compliance_record = record
