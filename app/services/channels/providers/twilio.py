"""Twilio SMS and WhatsApp through the official SDK.

Our message id travels in the status-callback URL, but Twilio takes no idempotency key and its message list does not
show that URL: after a crash, find() looks for a message to the same number, from the same number, with the same
body, sent since the row was written. A bad or revoked account token (401/403) is retried rather than failed, so a
rotated key delays messages instead of dropping them."""
from __future__ import annotations

import datetime as dt
import json
import threading
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.services.channels.providers import parse_retry_after
from app.services.channels.providers.base import (Accepted, CannotReconcile, Envelope, Found, PermanentError,
                                                  ProviderError, RetryableError)

TIMEOUT = 10  # seconds, connect and read
LOOKBACK = dt.timedelta(minutes=2)  # clock skew between us and Twilio
KNOWN_CODES = {
    21211: "invalid phone number",
    21408: "sending to this region is not enabled",
    21610: "the recipient unsubscribed by replying STOP",
    21614: "not a mobile number",
    63016: "WhatsApp message outside the 24-hour window, which needs an approved template",
}
OPT_OUT_CODES = {21610}
STATUSES = {"queued": "sent", "accepted": "sent", "scheduled": "sent", "sending": "sent", "sent": "sent",
            "delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed",
            "canceled": "failed"}
NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
SDK_ERRORS = (TwilioRestException, TwilioServiceException)

_clients: dict[tuple, Client] = {}
_clients_lock = threading.Lock()


class _HttpClient(TwilioHttpClient):
    """Sends `*.twilio.com` requests to `api_base` when one is set, and keeps each thread's last response
    headers (the SDK's exceptions drop them, and Retry-After lives there)."""

    def __init__(self, api_base: str | None):
        super().__init__(timeout=TIMEOUT)
        self.api_base = api_base.rstrip("/") if api_base else None
        self.last = threading.local()

    def request(self, method, url, *args, **kwargs):
        if self.api_base and (urlsplit(url).hostname or "").endswith("twilio.com"):
            base, parts = urlsplit(self.api_base), urlsplit(url)
            url = urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, parts.fragment))
        self.last.headers = {}
        response = super().request(method, url, *args, **kwargs)
        self.last.headers = response.headers or {}
        return response

    def retry_after(self) -> float | None:
        headers = getattr(self.last, "headers", None) or {}
        return parse_retry_after(headers.get("Retry-After"))


def _client(sid: str, token: str, api_base: str | None) -> Client:
    key = (sid, token, api_base)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = Client(sid, token, http_client=_HttpClient(api_base))
        return _clients[key]


def address(channel: str, number: str) -> str:
    """Twilio's form of a number: WhatsApp numbers carry the `whatsapp:` prefix."""
    if channel == "whatsapp" and not number.startswith("whatsapp:"):
        return f"whatsapp:{number}"
    return number


def describe(code, message: str | None) -> str:
    """A failure reason naming the Twilio code, with our words for the codes people meet."""
    known = KNOWN_CODES.get(_int(code))
    text = message or "no message"
    return f"Twilio error {code} ({known}): {text}" if known else f"Twilio error {code}: {text}"


class TwilioProvider:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, api_base: str | None = None):
        self.client = _client(account_sid, auth_token, api_base)

    def send(self, envelope: Envelope) -> Accepted:
        """Create the message (with its files as `MediaUrl`s, which Twilio fetches itself); raises RetryableError or
        PermanentError (21610 carries opt_out)."""
        extra = {"status_callback": envelope.status_callback} if envelope.status_callback else {}
        if envelope.media_urls:
            extra["media_url"] = list(envelope.media_urls)
        try:
            message = self.client.messages.create(
                to=address(envelope.channel, envelope.to_address),
                from_=address(envelope.channel, envelope.from_address), body=envelope.body, **extra)
        except SDK_ERRORS as exc:
            raise self._error(exc.status, exc.code, _sdk_message(exc)) from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"Twilio unreachable: {exc.__class__.__name__}",
                                 ambiguous=_may_have_arrived(exc)) from exc
        return Accepted(external_id=message.sid, status="sent")

    def find(self, envelope: Envelope) -> Found | None:
        """Twilio's record of this envelope: None when it has none, CannotReconcile when several match."""
        since = envelope.created_at - LOOKBACK
        try:
            records = self.client.messages.list(
                to=address(envelope.channel, envelope.to_address),
                from_=address(envelope.channel, envelope.from_address), date_sent_after=since, page_size=50,
                limit=500)
        except SDK_ERRORS as exc:
            raise self._lookup_error(self._error(exc.status, exc.code, _sdk_message(exc))) from exc
        except NETWORK_ERRORS as exc:
            raise RetryableError(f"Twilio unreachable: {exc.__class__.__name__}") from exc
        except TwilioException as exc:  # a list page that was not 200: the SDK keeps only the raw response
            raise self._lookup_error(self._page_error(exc)) from exc
        wanted = _normal(envelope.body)
        matches = [r for r in records if _normal(r.body) == wanted and (r.date_created is None or
                                                                          r.date_created >= since)]
        if not matches:
            return None
        if len(matches) > 1:
            raise CannotReconcile(f"{len(matches)} Twilio messages to {envelope.to_address} match this body "
                                  f"({', '.join(r.sid for r in matches)})")
        record = matches[0]
        status = STATUSES.get(str(record.status), "sent")
        reason = None
        if status == "failed":
            reason = describe(record.error_code, record.error_message) if record.error_code else \
                f"Twilio reports the message {record.status}"
        return Found(external_id=record.sid, status=status, reason=reason)

    def _error(self, status: int | None, code, message: str) -> ProviderError:
        status = status or 0
        if status == 429 or status >= 500 or status in (401, 403) or status == 0:
            detail = f" error {code}" if code and code != status else ""
            return RetryableError(f"Twilio HTTP {status}{detail}: {message}", code=code, status=status,
                                  retry_after=self.client.http_client.retry_after())
        return PermanentError(describe(code, message), opt_out=_int(code) in OPT_OUT_CODES, code=code,
                              status=status)

    def _page_error(self, exc: TwilioException) -> ProviderError:
        response = exc.args[1] if len(exc.args) > 1 else None
        status = getattr(response, "status_code", None)
        try:
            body = json.loads(getattr(response, "text", "") or "{}")
        except ValueError:
            body = {}
        return self._error(status, body.get("code", status), body.get("message") or str(exc.args[0]))

    @staticmethod
    def _lookup_error(error: ProviderError) -> ProviderError:
        """A lookup the provider refused for good (a 4xx other than auth) cannot tell us anything."""
        if isinstance(error, RetryableError):
            return error
        return CannotReconcile(f"Twilio refused the lookup: {error.reason}", code=error.code, status=error.status)


def _sdk_message(exc) -> str:
    if isinstance(exc, TwilioServiceException):
        return exc.detail or exc.title
    text = exc.msg or ""
    return text.split(": ", 1)[1] if text.startswith("Unable to") and ": " in text else text


def _normal(text: str | None) -> str:
    return " ".join((text or "").split())


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _may_have_arrived(exc: Exception) -> bool:
    """True when the request went out and no answer came back (Twilio may have the message); False when the
    connection was never made."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, urllib3.exceptions.ProtocolError)
