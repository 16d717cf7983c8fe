"""Web chat, the debtor's side: the widget's identity step, the debtor's messages into the inbound pipeline, the
history a debtor may see, and the push of what we send to the debtor's portal room.

Web chat has no provider and no phone number or email address: the debtor is the account the identity check proved,
written `web:<account id>`, and the business is `web:<business id>` (the inbound pipeline resolves both). A message
the debtor sends carries the browser's own id for it, so a resend after a lost connection is stored once; the id is
kept per account (`<account id>:<client id>`), so one debtor's ids can never name another debtor's message."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from app.models import Account, Business, Conversation, Message, PortalLink
from app.models.conversation import OPEN_STATUSES
from app.services import audit
from app.services.channels.inbound import InboundMessage, Received, receive_committed
from app.services.errors import NotFound, ValidationError
from app.services.portal import identity, links
from app.services.tenancy import Principal

CHANNEL = "web_chat"
PROVIDER = "web"
ADDRESS_PREFIX = "web:"
MAX_LENGTH = 2000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SHOWN_OUTBOUND = ("sent", "delivered", "read")
"""Outbound states a debtor sees: a blocked message never reached them and a scheduled one has not yet."""


# -- addresses -------------------------------------------------------------------------------------------------------
def debtor_address(account_id) -> str:
    return f"{ADDRESS_PREFIX}{account_id}"


def business_address(business_id) -> str:
    return f"{ADDRESS_PREFIX}{business_id}"


def id_of(address: str | None) -> uuid.UUID | None:
    """The account or business id a web chat address names (None for anything else)."""
    if not address or not address.lower().startswith(ADDRESS_PREFIX):
        return None
    try:
        return uuid.UUID(address[len(ADDRESS_PREFIX):])
    except ValueError:
        return None


def external_id(account_id, client_message_id: str) -> str:
    return f"{account_id}:{client_message_id}"


def client_id_of(message: Message) -> str | None:
    """The browser's id of a message the debtor wrote (what a page matches its pending bubble with)."""
    prefix = f"{message.account_id}:"
    if message.direction == "inbound" and message.external_id and message.external_id.startswith(prefix):
        return message.external_id[len(prefix):]
    return None


# -- conversations and messages --------------------------------------------------------------------------------------
def open_conversation_id(db_session, account_id) -> uuid.UUID | None:
    """The account's open web chat conversation (where the debtor's typing is shown to staff)."""
    return db_session.scalar(select(Conversation.id).where(
        Conversation.account_id == account_id, Conversation.channel == CHANNEL,
        Conversation.status.in_(OPEN_STATUSES)).limit(1))


def post_from_debtor(db_session, account: Account, body: str | None, client_message_id: str | None, *,
                     now: dt.datetime) -> Received:
    """The debtor's message, through the inbound pipeline like a text (keywords such as STOP and a cease act, the
    inbox hears of it, the gate sees it as the debtor's inbound). `account` is the debtor a verified portal session
    proved: callers pass nothing else. Commits. Sending the same client id again returns the stored message
    (Received.duplicate) and changes nothing."""
    text = (body or "").strip()
    if not text:
        raise ValidationError("Write a message first.", field="body")
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"Keep your message to {MAX_LENGTH:,} characters.", field="body")
    if not isinstance(client_message_id, str) or not CLIENT_ID.match(client_message_id):
        raise ValidationError("The message id is not valid.", field="clientMessageId")
    if _authenticate_chat(account, now):
        db_session.commit()
    inbound = InboundMessage(channel=CHANNEL, from_address=debtor_address(account.id),
                             to_address=business_address(account.business_id), body=text,
                             external_id=external_id(account.id, client_message_id), provider=PROVIDER,
                             received_at=now)
    result = receive_committed(db_session, inbound, now)
    if result.message is None or result.message.account_id != account.id:
        raise NotFound("This chat is not available.")
    if not result.duplicate:
        from app import realtime

        realtime.emit_now(portal_room(account.id), "message.created", bubble(result.message))  # the debtor's other tabs
    return result


def _authenticate_chat(account: Account, now: dt.datetime) -> bool:
    """TP-2: only a debtor who passed the identity check reaches web chat (the portal session is its only way in), so
    the account's chat address is the debtor's and replies there may speak of the debt. A wrong-party signal in the
    chat still marks it unverified, which the gate reads first. True when this changed the account."""
    address = debtor_address(account.id)
    if address in (account.authenticated_addresses or []):
        return False
    account.authenticated_addresses = list(account.authenticated_addresses or []) + [address]
    account.updated_at = now
    return True


def _shown(account: Account):
    return select(Message).where(
        Message.business_id == account.business_id, Message.account_id == account.id, Message.channel == CHANNEL,
        Message.kind != "note",
        or_(Message.direction == "inbound",
            and_(Message.direction == "outbound", Message.delivery_status.in_(SHOWN_OUTBOUND))))


def shown_at(message: Message) -> dt.datetime:
    """When the debtor could first see a message: an outbound one when it went out (a message held by quiet hours
    appears when it is released), an inbound one when it arrived."""
    return message.sent_at or message.created_at


_SHOWN_AT = func.coalesce(Message.sent_at, Message.created_at)


def history(db_session, account: Account, *, after_message_id=None, limit: int = 100) -> list[Message]:
    """What the debtor may see, oldest first: their own messages and ours that went out, never notes, blocked or
    scheduled ones. With `after_message_id`, only what appeared after that message (a reconnecting page's catch-up);
    an id that is not one of this debtor's messages gives the latest ones, as if there were none."""
    anchor = None
    if after_message_id:
        try:
            anchor_id = after_message_id if isinstance(after_message_id, uuid.UUID) else uuid.UUID(str(after_message_id))
        except ValueError:
            anchor_id = None
        anchor = db_session.scalars(_shown(account).where(Message.id == anchor_id)).first() if anchor_id else None
    if anchor is not None:
        at = shown_at(anchor)
        query = _shown(account).where(or_(_SHOWN_AT > at, and_(_SHOWN_AT == at, Message.id > anchor.id)))
        return list(db_session.scalars(query.order_by(_SHOWN_AT.asc(), Message.id.asc()).limit(limit)))
    latest = db_session.scalars(_shown(account).order_by(_SHOWN_AT.desc(), Message.id.desc()).limit(limit)).all()
    return list(reversed(latest))


# -- the push to the debtor ------------------------------------------------------------------------------------------
def portal_room(account_id) -> str:
    return f"portal:{account_id}"


def bubble(message: Message) -> dict:
    """What the debtor's page draws for a message (ids, text, who, when): nothing staff-only."""
    return {"id": str(message.id), "messageId": str(message.id), "content": message.content,
            "senderType": message.sender_type, "direction": message.direction,
            "createdAt": shown_at(message).astimezone(dt.timezone.utc).isoformat(),
            "clientMessageId": client_id_of(message)}


def publish_bubble(db_session, message: Message) -> None:
    """message.created to the debtor's portal room once the transaction commits, for a web chat message they may
    see (an outbound one only once it went out)."""
    if message.channel != CHANNEL or message.account_id is None:
        return
    if message.direction == "outbound" and message.delivery_status not in SHOWN_OUTBOUND:
        return
    from app import realtime

    realtime.publish(portal_room(message.account_id), "message.created", bubble(message), session=db_session)


def deliver(db_session, message: Message, now: dt.datetime) -> str:
    """Web chat has no provider: an allowed message is delivered by marking it sent and pushing it to the debtor
    (for a message the clock released after quiet hours). The caller commits."""
    from app.services.channels import status as statuses

    if message.channel != CHANNEL or message.delivery_status != "queued":
        return message.delivery_status
    statuses.apply(db_session, message=message, status="sent", at=now)
    publish_bubble(db_session, message)
    return "sent"


# -- the identity step of the widget on a business's own site -------------------------------------------------------
@dataclass(frozen=True)
class WidgetCheck:
    passed: bool
    account: Account | None = None
    link: PortalLink | None = None
    token: str | None = None
    locked_until: dt.datetime | None = None


def business_for_widget(db_session, business_id) -> Business:
    """The business whose site embeds the widget (404 for an unknown or removed one)."""
    try:
        key = business_id if isinstance(business_id, uuid.UUID) else uuid.UUID(str(business_id))
    except (TypeError, ValueError):
        raise NotFound("This chat is not available.") from None
    business = db_session.get(Business, key)
    if business is None or business.deleted_at is not None:
        raise NotFound("This chat is not available.")
    return business


def _require_answers(account_number: str, last_name: str | None, zip_code: str | None,
                     birth_date: dt.date | None) -> None:
    """An incomplete form is refused before any lookup, the same way for every account number (nothing counted)."""
    if not account_number:
        raise ValidationError("Enter your account number.", field="account_number",
                              extra={"text": "err_account_number"})
    if not (last_name or "").strip():
        raise ValidationError("Enter your last name.", field="last_name", extra={"text": "err_last_name"})
    if not (zip_code or "").strip() and birth_date is None:
        raise ValidationError("Enter your ZIP code or your date of birth.", field="zip_code",
                              extra={"text": "err_zip_or_dob"})
    if (zip_code or "").strip() and identity.zip5(zip_code) is None:
        raise ValidationError("Enter the 5 digits of your ZIP code.", field="zip_code", extra={"text": "err_zip"})


def widget_link(db_session, account: Account, now: dt.datetime) -> PortalLink:
    """The account's door for the widget: a portal link that was never sent anywhere (channel web_chat), so passing
    the check through it authenticates no phone or email address. One live link per account is reused."""
    link = db_session.scalars(select(PortalLink).where(
        PortalLink.business_id == account.business_id, PortalLink.account_id == account.id,
        PortalLink.channel == CHANNEL, PortalLink.revoked_at.is_(None), PortalLink.expires_at > now)
        .order_by(PortalLink.created_at.desc()).limit(1)).first()
    if link is None:
        link, _ = links.issue(db_session, account, now=now, purpose="account", channel=CHANNEL)
        db_session.flush()
    return link


def check_identity(db_session, business: Business, *, account_number: str | None, last_name: str | None,
                   zip_code: str | None = None, birth_date: dt.date | None = None, now: dt.datetime,
                   ip: str | None = None, user_agent: str | None = None) -> WidgetCheck:
    """Account number, then the portal's own check (last name plus ZIP or date of birth, 5 wrong answers lock the
    account for 30 minutes, every attempt audited). An unknown account number fails like a wrong answer and says
    nothing more. ValidationError for an incomplete form; the caller commits."""
    number = (account_number or "").strip()
    _require_answers(number, last_name, zip_code, birth_date)
    account = db_session.scalars(select(Account).where(
        Account.business_id == business.id, Account.account_number == number,
        Account.deleted_at.is_(None)).limit(1)).first()
    if account is None:
        audit.record(db_session, "widget_identity_check", now=now, business_id=business.id,
                     principal=debtor_principal_for(business), resource_type="business", resource_id=business.id,
                     meta={"method": "account_number"}, success=False, error_message="unknown account number",
                     ip=ip, user_agent=user_agent)
        return WidgetCheck(passed=False)
    link = widget_link(db_session, account, now)
    result = identity.check(db_session, link, last_name=last_name, zip_code=zip_code, birth_date=birth_date, now=now,
                            ip=ip, user_agent=user_agent)
    if not result.passed:
        return WidgetCheck(passed=False, locked_until=result.locked_until)
    return WidgetCheck(passed=True, account=account, link=link, token=links.token_for(link))


def debtor_principal_for(business: Business) -> Principal:
    """Who the audit trail names when the debtor is not known yet (an unknown account number)."""
    return Principal(business_id=business.id, role="debtor")

