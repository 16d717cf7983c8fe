"""Mail to staff and other non-debtors (verification, resets, invitations): no debtor rules apply,
so it refuses any address that belongs to a debtor account."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from app.models import Account
from app.services.channels import sandbox
from app.services.channels.addresses import SANDBOX_EMAIL_DOMAIN
from app.services.errors import DomainError


class DebtorAddressRefused(DomainError):
    code = "COMPLIANCE_BLOCKED"
    status = 422


@dataclass(frozen=True)
class SystemEmailResult:
    provider: str
    external_id: str


def system_sender() -> str:
    config = current_app.config["CONFIG_OBJECT"]
    return config.SENDGRID_FROM_EMAIL or f"no-reply@{SANDBOX_EMAIL_DOMAIN}"


def is_debtor_address(db_session, email: str) -> bool:
    """True when any live debtor account, in any business, uses this email."""
    return bool(db_session.scalar(select(func.count()).select_from(Account).where(
        func.lower(Account.email) == email.strip().lower(), Account.deleted_at.is_(None))))


def send_system_email(db_session, *, to: str, subject: str, body: str, now: dt.datetime, html: str | None = None,
                      business_id: uuid.UUID | None = None, category: str = "system") -> SystemEmailResult:
    """Send one system email through the configured email provider (the sandbox outbox offline)."""
    to = to.strip().lower()
    if is_debtor_address(db_session, to):
        raise DebtorAddressRefused("This address belongs to a debtor account; debtor mail goes through the "
                                   "compliance gate, not system mail.")
    config = current_app.config["CONFIG_OBJECT"]
    if config.email_mode != "sandbox":
        raise DomainError(f"The {config.email_mode} email adapter is not available in this build; "
                          "unset SENDGRID_API_KEY/SMTP_URL to use the sandbox outbox.", code="INTERNAL_ERROR",
                          status=503)
    row = sandbox.record(db_session, channel="email", from_address=system_sender(), to_address=to, body=body,
                         subject=subject, html=html, business_id=business_id, kind="system", now=now,
                         meta={"category": category})
    return SystemEmailResult(provider="sandbox", external_id=row.external_id)
