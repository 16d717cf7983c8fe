"""Email through SendGrid's v3 Mail Send API (official SDK).

Our message id travels as the custom arg `message_id`, which event webhooks echo and the Email Activity API can
search, so find() can tell whether a message left before a crash. A rejected or revoked key (401/403) is retried,
not failed: debtor mail waits while an operator fixes the key. The Email Activity API is a paid SendGrid add-on;
without it every lookup is refused and reconciliation hands the row to a person."""
from __future__ import annotations

import base64
import http.client
import json
import threading
import time

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (Attachment, CustomArg, Disposition, FileContent, FileName, FileType, From, Header,
                                   Mail, ReplyTo, To)

from app.services.channels.providers import parse_retry_after
from app.services.channels.providers.base import (Accepted, CannotReconcile, Envelope, Found, PermanentError,
                                                  ProviderError, RetryableError)

DEFAULT_HOST = "https://api.sendgrid.com"
TIMEOUT = 10  # seconds
NETWORK_ERRORS = (OSError, http.client.HTTPException)  # urllib: URLError, timeouts, resets, truncated replies
STATUSES = {"processed": "sent", "processing": "sent", "delivered": "delivered", "not_delivered": "failed",
            "not delivered": "failed"}

_clients: dict[tuple, SendGridAPIClient] = {}
_clients_lock = threading.Lock()


def _client(api_key: str, api_base: str | None) -> SendGridAPIClient:
    key = (api_key, api_base)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = SendGridAPIClient(api_key, host=(api_base or DEFAULT_HOST).rstrip("/"))
        return _clients[key]


def build_mail(envelope: Envelope) -> Mail:
    """The Mail Send body: text (and HTML), our id as a custom arg, one-click unsubscribe headers, attachments."""
    mail = Mail(from_email=From(envelope.from_address, envelope.from_name), to_emails=To(envelope.to_address),
                subject=envelope.subject, plain_text_content=envelope.body, html_content=envelope.html)
    mail.custom_arg = CustomArg("message_id", str(envelope.message_id))
    headers = dict(envelope.headers)
    if envelope.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in headers.items():
        mail.header = Header(name, str(value))
    if envelope.reply_to:
        mail.reply_to = ReplyTo(envelope.reply_to)
    for item in envelope.attachments:
        mail.attachment = Attachment(FileContent(base64.b64encode(item.data).decode("ascii")),
                                     FileName(item.filename), FileType(item.content_type), Disposition("attachment"))
    return mail


class SendGridProvider:
    name = "sendgrid"

    def __init__(self, api_key: str, *, api_base: str | None = None):
        self.client = _client(api_key, api_base)

    def send(self, envelope: Envelope) -> Accepted:
        """Post one message; the X-Message-Id header is SendGrid's id for it."""
        try:
            body = build_mail(envelope).get()
        except (KeyError, ValueError) as exc:  # the SDK's helpers choke on an address they cannot parse
            raise PermanentError(f"SendGrid: the message cannot be built ({exc.__class__.__name__}: {exc}); "
                                 "check its addresses") from exc
        try:
            response = self.client.client.mail.send.post(request_body=body, timeout=TIMEOUT)
        except HTTPError as exc:
            raise _error(exc) from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"SendGrid unreachable: {exc.__class__.__name__}",
                                 ambiguous=isinstance(exc, (TimeoutError, http.client.HTTPException))) from exc
        # Accepted without an id (never seen from SendGrid): our id still matches its events through custom args.
        return Accepted(external_id=response.headers.get("X-Message-Id") or str(envelope.message_id), status="sent")

    def find(self, envelope: Envelope) -> Found | None:
        """Search the Email Activity API for our custom arg; several matches cannot be told apart."""
        query = f"unique_args['message_id']=\"{envelope.message_id}\""
        try:
            response = self.client.client.messages.get(query_params={"query": query, "limit": 10}, timeout=TIMEOUT)
        except HTTPError as exc:
            error = _error(exc)
            if exc.status_code in (401, 403) or isinstance(error, PermanentError):
                raise CannotReconcile(f"SendGrid refused the lookup: {error.reason}", status=exc.status_code) from exc
            raise error from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"SendGrid unreachable: {exc.__class__.__name__}") from exc
        messages = (response.to_dict or {}).get("messages") or []
        if not messages:
            return None
        if len(messages) > 1:
            raise CannotReconcile(f"{len(messages)} SendGrid messages carry this message id")
        found = messages[0]
        status = STATUSES.get(str(found.get("status")), "sent")
        reason = "SendGrid: not delivered (bounced, dropped or blocked)" if status == "failed" else None
        return Found(external_id=str(found["msg_id"]).split(".", 1)[0], status=status, reason=reason)


def _error(exc: HTTPError) -> ProviderError:
    status = exc.status_code
    reason = f"SendGrid {status}: {_error_text(exc.body)}"
    if status == 429 or status >= 500 or status in (401, 403):
        return RetryableError(reason, retry_after=_retry_after(exc.headers), status=status)
    return PermanentError(reason, status=status)


def _error_text(body) -> str:
    """SendGrid's `{"errors": [{"message", "field"}]}` as one line."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        return (body or b"").decode("utf-8", "replace")[:200] if isinstance(body, bytes) else str(body)[:200]
    parts = [f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message")) for e in errors]
    return "; ".join(parts) or "no detail"


def _retry_after(headers) -> float | None:
    if headers is None:
        return None
    seconds = parse_retry_after(headers.get("Retry-After"))
    reset = headers.get("X-RateLimit-Reset")
    if seconds is None and reset and str(reset).isdigit():
        seconds = max(0.0, int(reset) - time.time())
    return seconds
