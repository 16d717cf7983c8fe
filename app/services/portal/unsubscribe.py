"""One-click email unsubscribe (RFC 8058): `PUBLIC_URL/u/<token>` in every debtor email's List-Unsubscribe header.

The token is signed (HMAC-SHA256 under SECRET_KEY, its own salt) and names the message, its business and the address
it went to. It never expires: an unsubscribe link must keep working for as long as the email sits in an inbox, and all
it can do is stop messages. The business travels in the token so the opt-out is recorded even if the message row is
gone. A POST records the opt-out through the channel pipeline's provider_opt_out (OPT-2, D-3: every automated
channel); a repeat changes nothing."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import Account, Business, Message
from app.services import audit
from app.services.channels.optouts import is_opted_out, provider_opt_out
from app.services.compliance.rules.stops import norm_address
from app.services.errors import NotFound
from app.services.tenancy import Principal

SALT = "funnelchat-unsubscribe-v1"
REASON = "one-click unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT,
                             signer_kwargs={"digest_method": hashlib.sha256})


def token_for(message_id, business_id, address: str) -> str:
    return _serializer().dumps([uuid.UUID(str(message_id)).hex, uuid.UUID(str(business_id)).hex,
                                norm_address(address)])


def unsubscribe_url(message: Message) -> str | None:
    """The one-click link for an email message; None for a message with no recipient address."""
    if not message.to_address or message.business_id is None:
        return None
    token = token_for(message.id, message.business_id, message.to_address)
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/u/{token}"


@dataclass(frozen=True)
class Target:
    message_id: uuid.UUID
    business: Business
    address: str
    language: str = "en"


def target(db_session, token: str) -> Target:
    """What a token unsubscribes; NotFound for a token we did not sign."""
    try:
        message_hex, business_hex, address = _serializer().loads(token)
        message_id, business_id = uuid.UUID(hex=message_hex), uuid.UUID(hex=business_hex)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This unsubscribe link does not work.") from None
    business = db_session.get(Business, business_id)
    if business is None or not address:
        raise NotFound("This unsubscribe link does not work.")
    language = "en"
    message = db_session.get(Message, message_id)
    if message is not None and message.account_id is not None:
        account = db_session.get(Account, message.account_id)
        if account is not None and (account.preferred_language or "").startswith("es"):
            language = "es"
    return Target(message_id=message_id, business=business, address=address, language=language)


def already_unsubscribed(db_session, found: Target) -> bool:
    return is_opted_out(db_session, found.business.id, found.address)


def unsubscribe(db_session, token: str, *, now: dt.datetime, ip: str | None = None,
                user_agent: str | None = None) -> tuple[Target, bool]:
    """Record the email opt-out; (target, True) when it was new, (target, False) when it was already on file.
    The caller commits."""
    found = target(db_session, token)
    events = provider_opt_out(db_session, business_id=found.business.id, channel="email", address=found.address,
                              reason=REASON, at=now, rule_id="OPT-2")
    for event in events:
        audit.record(db_session, "email_unsubscribed", now=now,
                     principal=Principal(business_id=found.business.id, role="debtor"),
                     resource_type="account" if event.account_id else "opt_out_event",
                     resource_id=event.account_id or event.id,
                     meta={"messageId": str(found.message_id), "rule": "OPT-2", "scope": "all",
                           "address": audit.fingerprint(found.address)}, ip=ip, user_agent=user_agent)
    return found, bool(events)
