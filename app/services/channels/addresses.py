"""Each business's sender addresses: sandbox ones (unique per business) when no provider is configured."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from app.models import Business

SANDBOX_EMAIL_DOMAIN = "sandbox.funnelchat.test"


def _unused_sandbox_number(db_session) -> str:
    """+1555XXXXXXX: the 555 exchange is never a real debtor's number."""
    while True:
        number = "+1555" + f"{secrets.randbelow(10**7):07d}"
        taken = db_session.scalar(select(func.count()).select_from(Business).where(
            (Business.sms_number == number) | (Business.whatsapp_number == number)))
        if not taken:
            return number


def assign_sandbox_addresses(db_session, business: Business) -> None:
    """Give a business its own sandbox SMS/WhatsApp number and email address (idempotent)."""
    if not business.sms_number:
        business.sms_number = _unused_sandbox_number(db_session)
    if not business.whatsapp_number:
        business.whatsapp_number = business.sms_number
    if not business.sender_email:
        slug = re.sub(r"[^a-z0-9]+", "-", business.name.lower()).strip("-")[:30] or "business"
        business.sender_email = f"{slug}-{str(business.id)[:8]}@{SANDBOX_EMAIL_DOMAIN}"
