"""Mail to staff and other non-debtors (verification, resets, invitations): no debtor rules apply,
so it refuses any address that belongs to a debtor account. It goes through the configured email adapter (SendGrid,
SMTP or the sandbox outbox) right away: there is no message row to retry from, so a provider failure is the
caller's to report."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from app.models import Account
from app.services.channels import providers
from app.services.channels.addresses import SANDBOX_EMAIL_DOMAIN
from app.services.channels.providers.base import Envelope, PermanentError, RetryableError
from app.services.channels.providers.sandbox import SandboxProvider
from app.services.channels.providers.smtp import parse_url
from app.services.errors import DomainError

SYSTEM_FROM_NAME = "funnelChat"


class DebtorAddressRefused(DomainError):
    code = "COMPLIANCE_BLOCKED"
    status = 422


class SystemEmailFailed(DomainError):
    """The provider refused the mail (a bounce: 422 on the address) or could not take it now (503)."""

    code = "INTERNAL_ERROR"
    status = 503


@dataclass(frozen=True)
class SystemEmailResult:
    provider: str
    external_id: str


def system_sender() -> str:
    """The From of system mail: SENDGRID_FROM_EMAIL, else the SMTP login when it is an address (relays accept
    their own user), else no-reply at the relay's host; the sandbox domain offline."""
    config = current_app.config["CONFIG_OBJECT"]
    if config.SENDGRID_FROM_EMAIL:
        return config.SENDGRID_FROM_EMAIL
    if config.email_mode == "smtp":
        settings = parse_url(config.SMTP_URL)
        return settings.username if settings.username and "@" in settings.username else f"no-reply@{settings.host}"
    return f"no-reply@{SANDBOX_EMAIL_DOMAIN}"


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
    if config.email_mode == "sandbox":
        provider = SandboxProvider(db_session, kind="system", meta={"category": category})
    else:
        provider = providers.for_channel("email", config=config, db_session=db_session)
    envelope = Envelope(message_id=uuid.uuid4(), channel="email", from_address=system_sender(), to_address=to,
                        body=body, created_at=now, business_id=business_id, subject=subject, html=html,
                        from_name=SYSTEM_FROM_NAME, headers={"X-Funnelchat-Category": category})
    try:
        accepted = provider.send(envelope)
    except PermanentError as exc:
        raise SystemEmailFailed(f"This address cannot receive mail: {exc.reason}", field="email",
                                code="VALIDATION_ERROR", status=422) from exc
    except RetryableError as exc:
        raise SystemEmailFailed(f"Email could not be sent right now; try again in a few minutes ({exc.reason}).") \
            from exc
    return SystemEmailResult(provider=provider.name, external_id=accepted.external_id)
