"""Email through any SMTP relay (smtplib), for agencies with their own mail server.

SMTP_URL is `smtp://user:password@host:587` (STARTTLS is required: a server that does not offer it gets nothing,
so credentials and debtor mail never cross the network in clear) or `smtps://user:password@host:465` (TLS from
the first byte). Turning TLS off (`?starttls=0` or similar) is not supported. User and password are URL-encoded.

A refusal of this message or recipient (5xx to RCPT or DATA) is a hard bounce; 4xx is tried again. Problems with
our own connection, login or sender are retried too: they are for an operator to fix, not reasons to drop mail.
SMTP offers no way to ask whether a message left, so find() always answers CannotReconcile."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import unquote, urlsplit

from app.services.channels.providers.base import Accepted, CannotReconcile, Envelope, Found, PermanentError, \
    ProviderError, RetryableError

TIMEOUT = 10  # seconds, per socket operation
MESSAGE_ID_DOMAIN = "funnelchat"
SIZE_REFUSED = 552  # MAIL FROM refused for this message's size: about the message, not our setup


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> SmtpSettings:
    """SMTP_URL as settings; ValueError names what is wrong (TLS cannot be turned off)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, got {parts.scheme or 'nothing'}://")
    if not parts.hostname:
        raise ValueError("SMTP_URL names no host")
    if parts.query:
        raise ValueError("SMTP_URL takes no options: STARTTLS (smtp://) or TLS (smtps://) is always on")
    implicit = parts.scheme == "smtps"
    return SmtpSettings(host=parts.hostname, port=parts.port or (465 if implicit else 587), implicit_tls=implicit,
                        username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None)


def message_id_header(envelope: Envelope) -> str:
    return f"<{envelope.message_id}@{MESSAGE_ID_DOMAIN}>"


def build_message(envelope: Envelope) -> EmailMessage:
    """The MIME message: plain text, an HTML alternative when given, unsubscribe headers, attachments."""
    msg = EmailMessage()
    msg["From"] = formataddr((envelope.from_name, envelope.from_address)) if envelope.from_name else \
        str(Address(addr_spec=envelope.from_address))
    msg["To"] = envelope.to_address
    msg["Subject"] = envelope.subject or ""
    msg["Date"] = format_datetime(envelope.created_at)
    msg["Message-ID"] = message_id_header(envelope)
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    if envelope.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{envelope.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in envelope.headers.items():
        msg[name] = str(value)
    msg.set_content(envelope.body)
    if envelope.html:
        msg.add_alternative(envelope.html, subtype="html")
    for item in envelope.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename)
    return msg


class SmtpProvider:
    name = "smtp"

    def __init__(self, url: str, *, tls_context: ssl.SSLContext | None = None):
        self.settings = parse_url(url)
        self.tls_context = tls_context

    def send(self, envelope: Envelope) -> Accepted:
        """Hand the message to the relay; its Message-ID is our external id."""
        msg = build_message(envelope)
        try:
            smtp = self._connect()
            try:
                smtp.send_message(msg, from_addr=envelope.from_address, to_addrs=[envelope.to_address])
            except smtplib.SMTPServerDisconnected as exc:  # mid-conversation: the relay may have it
                raise RetryableError(f"SMTP: {exc.__class__.__name__}: {exc}", ambiguous=True) from exc
            except smtplib.SMTPException:  # a reply from the relay (SMTPException is an OSError): mapped below
                raise
            except OSError as exc:  # a timeout or reset after the conversation began
                raise RetryableError(f"SMTP: {exc.__class__.__name__}: {exc}", ambiguous=True) from exc
            finally:
                _close(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _by_code(code, reply, "recipient refused") from exc
        except smtplib.SMTPDataError as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error, "message refused") from exc
        except smtplib.SMTPSenderRefused as exc:
            if exc.smtp_code == SIZE_REFUSED:
                raise _by_code(exc.smtp_code, exc.smtp_error, "message too large") from exc
            raise RetryableError(_reason(exc.smtp_code, exc.smtp_error, "sender refused"), code=exc.smtp_code) from exc
        except smtplib.SMTPResponseException as exc:  # greeting, HELO, AUTH: our setup, not this message
            raise RetryableError(_reason(exc.smtp_code, exc.smtp_error, "SMTP server refused us"),
                                 code=exc.smtp_code) from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, no STARTTLS/AUTH, timeouts, TLS failures
            raise RetryableError(f"SMTP: {exc.__class__.__name__}: {exc}") from exc
        return Accepted(external_id=msg["Message-ID"], status="sent")

    def find(self, envelope: Envelope) -> Found | None:
        raise CannotReconcile("SMTP offers no way to look a message up")

    def _connect(self) -> smtplib.SMTP:
        settings, context = self.settings, self.tls_context or ssl.create_default_context()
        if settings.implicit_tls:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        try:
            if not settings.implicit_tls:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS; refusing to send in clear")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT politely; the message is already accepted, so a bad goodbye must not turn into a resend."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reason(code, reply, what: str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {code} {what}: {text}"


def _by_code(code, reply, what: str) -> ProviderError:
    """5xx is final (a hard bounce); anything else may pass later."""
    if 500 <= int(code) < 600:
        return PermanentError(_reason(code, reply, what), code=code)
    return RetryableError(_reason(code, reply, what), code=code)
