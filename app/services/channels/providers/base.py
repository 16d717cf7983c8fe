"""What every messaging provider adapter offers the pipeline: send one message, and find one it may have sent.

Adapters raise RetryableError (5xx, timeouts, 429: try again later) or PermanentError (the provider refused this
message for good, e.g. an invalid number); anything else is a bug and propagates. Only app.services.channels
imports this package: every message to a debtor goes through channels.send."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Envelope:
    """One message ready for a provider. Phone addresses are E.164 (adapters add `whatsapp:`)."""

    message_id: uuid.UUID
    channel: str  # sms, whatsapp, email
    from_address: str
    to_address: str
    body: str  # plain text as stored on the message
    created_at: dt.datetime  # when the Message row was written (reconciliation searches from here)
    business_id: uuid.UUID | None = None
    subject: str | None = None
    html: str | None = None  # email only
    from_name: str | None = None  # email only
    reply_to: str | None = None  # email only
    status_callback: str | None = None  # Twilio: PUBLIC_URL/api/v1/webhooks/twilio/status?m=<message id>
    unsubscribe_url: str | None = None  # email: signed one-click link (List-Unsubscribe, RFC 8058)
    headers: dict = field(default_factory=dict)
    attachments: tuple["Attachment", ...] = ()  # email only
    media_urls: tuple[str, ...] = ()  # sms, whatsapp: public links the provider fetches the files from


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Accepted:
    """The provider took the message: its id, and its own status word (queued, accepted, sent...)."""

    external_id: str
    status: str = "sent"


@dataclass(frozen=True)
class Found:
    """Reconciliation: the provider has a message matching the envelope."""

    external_id: str
    status: str  # already mapped to ours: sent, delivered, failed
    reason: str | None = None


class ProviderError(Exception):
    def __init__(self, reason: str, *, code: str | int | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.status = status


class RetryableError(ProviderError):
    """Try again later (5xx, timeouts, connection errors, 429). `retry_after` seconds when the provider said."""

    def __init__(self, reason: str, *, retry_after: float | None = None, ambiguous: bool = False, **kwargs):
        super().__init__(reason, **kwargs)
        self.retry_after = retry_after
        # The request went out and no answer came back (a read timeout, a dropped connection): the provider may
        # have the message, so it is reconciled before anything is sent again.
        self.ambiguous = ambiguous


class PermanentError(ProviderError):
    """The provider refused this message for good. `opt_out`: the refusal means the recipient opted out
    (Twilio 21610 unsubscribed, a SendGrid unsubscribe/spam report), which the pipeline records."""

    def __init__(self, reason: str, *, opt_out: bool = False, **kwargs):
        super().__init__(reason, **kwargs)
        self.opt_out = opt_out


class CannotReconcile(ProviderError):
    """The provider offers no way to look a message up (SMTP), or the lookup was ambiguous."""


class Provider(Protocol):
    name: str  # twilio, sendgrid, smtp, sandbox: stored on messages.provider

    def send(self, envelope: Envelope) -> Accepted: ...

    def find(self, envelope: Envelope) -> Found | None:
        """The provider's record of this envelope, None when it has none (then it is safe to send again), or
        CannotReconcile when it cannot tell."""
        ...
