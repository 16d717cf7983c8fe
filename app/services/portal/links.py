"""Portal links: `PUBLIC_URL/p/<token>`, short enough for an SMS, each naming one PortalLink row so it can expire
and be revoked.

The token is the link id (16 bytes) followed by the first 10 bytes of HMAC-SHA256(link key, id), base64url without
padding: 35 characters. The link key is derived from SECRET_KEY for this one purpose, so a token cannot be forged
without the secret and a leaked portal token says nothing about other signed values. Checking the tag before the
database lookup keeps guessed tokens from costing a query."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import uuid

from flask import current_app
from sqlalchemy import select

from app.models import Account, Business, Message, PortalLink
from app.services import audit
from app.services.errors import DomainError, NotFound
from app.services.portal import system_principal

TAG_BYTES = 10
ID_BYTES = 16
DEFAULT_TTL = dt.timedelta(days=7)
PURPOSES = ("account", "payment", "validation")
CHANNELS = ("sms", "whatsapp", "email")
RESEND_THROTTLE = dt.timedelta(minutes=10)
"""An expired link may ask for a fresh one, but not more than once in this time per account (any new link counts)."""


class LinkInvalid(NotFound):
    """No such link, a bad signature, or a link that was revoked: the page says the link does not work."""


class LinkExpired(DomainError):
    """A genuine link past its expiry: the page offers to send a fresh one to the address on file."""

    code = "LINK_EXPIRED"
    status = 410

    def __init__(self, link: PortalLink):
        super().__init__("This link has expired.")
        self.link = link


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"funnelchat portal link v1", hashlib.sha256).digest()


def _tag(link_id: uuid.UUID) -> bytes:
    return hmac.new(_key(), link_id.bytes, hashlib.sha256).digest()[:TAG_BYTES]


def token_for(link: PortalLink) -> str:
    raw = link.id.bytes + _tag(link.id)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def url_for_token(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/p/{token}"


def link_id_of(token: str) -> uuid.UUID | None:
    """The link id a well-formed, correctly signed token names; None otherwise (compared in constant time)."""
    if not isinstance(token, str) or not 30 <= len(token) <= 40:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != ID_BYTES + TAG_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        return None  # one spelling per token: the unused low bits of the last character must be zero
    link_id = uuid.UUID(bytes=raw[:ID_BYTES])
    if not hmac.compare_digest(raw[ID_BYTES:], _tag(link_id)):
        return None
    return link_id


def issue(db_session, account: Account, *, now: dt.datetime, purpose: str = "account", channel: str | None = None,
          created_by=None, ttl: dt.timedelta = DEFAULT_TTL) -> tuple[PortalLink, str]:
    """A new link row for the account and its absolute URL; the caller commits."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown portal link purpose {purpose!r}")
    link = PortalLink(id=uuid.uuid4(), business_id=account.business_id, account_id=account.id, purpose=purpose,
                      channel=channel, created_by_id=getattr(created_by, "id", created_by), created_at=now,
                      expires_at=now + ttl)
    db_session.add(link)
    return link, url_for_token(token_for(link))


def find(db_session, token: str) -> PortalLink:
    """The link a token names, whatever its state (expired and revoked included); LinkInvalid if there is none.
    For what stopping messages needs: an old email's unsubscribe link keeps working."""
    link_id = link_id_of(token)
    link = db_session.get(PortalLink, link_id) if link_id else None
    if link is None:
        raise LinkInvalid("This link does not work.")
    account = db_session.get(Account, link.account_id)
    if account is None or account.deleted_at is not None:
        raise LinkInvalid("This link does not work.")
    return link


def resolve(db_session, token: str, now: dt.datetime) -> PortalLink:
    """A link that may open the portal: LinkInvalid when unknown or revoked, LinkExpired (carrying it) when late."""
    link = find(db_session, token)
    if link.revoked_at is not None:
        raise LinkInvalid("This link does not work.")
    if link.expires_at <= now:
        raise LinkExpired(link)
    return link


def revoke(db_session, link: PortalLink, now: dt.datetime) -> None:
    """The link stops opening the portal (kept for the record); revoking twice keeps the first time."""
    if link.revoked_at is None:
        link.revoked_at = now


def sent_to(db_session, link: PortalLink) -> str | None:
    """The address the link went to: its message's recipient, else the account's address for its channel."""
    if link.message_id:
        message = db_session.get(Message, link.message_id)
        if message is not None and message.to_address:
            return message.to_address
    account = db_session.get(Account, link.account_id)
    if account is None:
        return None
    if link.channel in ("sms", "whatsapp"):
        return account.phone
    if link.channel == "email":
        return account.email
    return None


# -- a fresh link for an expired one -------------------------------------------------------------------------------
FRESH_TEXT = {
    "en": "{business}: here is your new secure link: {url}",
    "es": "{business}: aquí está su nuevo enlace seguro: {url}",
}
FRESH_SUBJECT = {"en": "Your new secure link", "es": "Su nuevo enlace seguro"}


def fresh_link_channel(account: Account, link: PortalLink) -> tuple[str, str] | None:
    """Where a fresh link goes: the expired link's channel when that address is still on file, else the first
    channel with an address (text before email). Never an address the visitor types."""
    order = [link.channel] if link.channel in CHANNELS else []
    order += [c for c in ("sms", "email") if c not in order]
    for channel in order:
        address = account.email if channel == "email" else account.phone
        if address:
            return channel, address
    return None


def send_fresh_link(db_session, expired: PortalLink, *, now: dt.datetime) -> dict:
    """Send a new link for an expired one through the outbound pipeline (the gate decides) to the address on file.

    Returns {"status": "sent" | "scheduled" | "blocked" | "throttled" | "no_address", "channel", "address"}.
    The expired link is revoked either way, so one expired link asks at most once; the caller commits."""
    from app.services import channels

    account = db_session.get(Account, expired.account_id)
    if expired.revoked_at is not None or account is None or account.deleted_at is not None:
        raise LinkInvalid("This link does not work.")
    target = fresh_link_channel(account, expired)
    if target is None:
        return {"status": "no_address", "channel": None, "address": None}
    channel, address = target
    recent = db_session.scalars(select(PortalLink.id).where(
        PortalLink.account_id == account.id, PortalLink.business_id == account.business_id,
        PortalLink.created_at > now - RESEND_THROTTLE, PortalLink.id != expired.id)).first()
    revoke(db_session, expired, now)
    if recent is not None:
        return {"status": "throttled", "channel": channel, "address": address}
    business = db_session.get(Business, account.business_id)
    language = "es" if (account.preferred_language or "en").startswith("es") else "en"
    link, url = issue(db_session, account, now=now, purpose=expired.purpose, channel=channel)
    outcome = channels.send(
        db_session, account=account, channel=channel, body=FRESH_TEXT[language].format(business=business.name, url=url),
        now=now, kind="transactional", sender_type="system", purpose="portal_link", portal_link=True,
        subject=FRESH_SUBJECT[language] if channel == "email" else None, language=language,
        principal=system_principal(account))
    link.message_id = outcome.message.id
    if outcome.blocked:
        revoke(db_session, link, now)
        status = "blocked"
    else:
        status = "scheduled" if outcome.scheduled else "sent"
    audit.record(db_session, "portal_link_renewed", now=now, principal=system_principal(account),
                 resource_type="account", resource_id=account.id, description=account.account_number,
                 meta={"expiredLinkId": str(expired.id), "linkId": str(link.id), "channel": channel, "status": status,
                       "messageId": str(outcome.message.id), "rules": list(outcome.decision.rules)},
                 success=status != "blocked")
    return {"status": status, "channel": channel, "address": address}
