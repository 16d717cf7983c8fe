"""A portal payment link for the debtor, issued and (unless asked not to) sent through the outbound pipeline.

Used by the API (POST /api/v1/accounts/:id/payment-link) and the inbox's quick action. A send the gate blocks leaves
the link revoked: it was never delivered, so nobody should be able to use it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.models import Account, Business, Conversation, PortalLink
from app.services import audit, channels
from app.services.portal import links
from app.services.tenancy import Principal

LINK_TEXT = {
    "en": "{business}: here is your secure link to view your account and make a payment: {url}",
    "es": "{business}: este es su enlace seguro para ver su cuenta y hacer un pago: {url}",
}
LINK_SUBJECT = {"en": "Your secure account link", "es": "Su enlace seguro a su cuenta"}


@dataclass
class IssuedLink:
    link: PortalLink
    url: str
    outcome: channels.Outcome | None  # None when the link was only created


def issue_payment_link(db_session, principal: Principal, account: Account, *, channel: str | None,
                       now: dt.datetime, send: bool = True, conversation: Conversation | None = None,
                       to_address: str | None = None) -> IssuedLink:
    """Issue the link, send it in the debtor's language (sms, email or whatsapp), audit it; the caller commits."""
    link, url = links.issue(db_session, account, now=now, purpose="payment", channel=channel,
                            created_by=principal.user_id)
    outcome = None
    if send:
        business = db_session.get(Business, account.business_id)
        language = "es" if (account.preferred_language or "").startswith("es") else "en"
        outcome = channels.send(
            db_session, account=account, channel=channel, now=now, kind="agent", sender_type="agent",
            sender_id=principal.user_id, conversation=conversation, to_address=to_address, purpose="payment_link",
            portal_link=True, language=language, body=LINK_TEXT[language].format(business=business.name, url=url),
            subject=LINK_SUBJECT[language] if channel == "email" else None, principal=principal)
        link.message_id = outcome.message.id
        if outcome.blocked:
            links.revoke(db_session, link, now)
    audit.record(db_session, "portal_link_issued", now=now, principal=principal, resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={"linkId": str(link.id), "purpose": "payment", "channel": channel, "send": send,
                       "messageId": str(outcome.message.id) if outcome else None,
                       "deliveryStatus": outcome.message.delivery_status if outcome else None},
                 success=not (outcome and outcome.blocked))
    return IssuedLink(link=link, url=url, outcome=outcome)
