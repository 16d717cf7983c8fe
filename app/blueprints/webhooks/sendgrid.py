"""SendGrid Inbound Parse posts as our InboundMessage: who wrote, to which of our addresses, the text (never raw
HTML), and the attachments we keep. Handles both the parsed form and the "raw" option (a full MIME `email` field)."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import logging
import os
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr

from sqlalchemy import func, select

from app.blueprints.webhooks.text import html_to_text
from app.blueprints.webhooks.common import bad_request
from app.models import Business

log = logging.getLogger(__name__)

MAX_TEXT_BYTES = 1024 * 1024  # all text fields together
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Files a debtor's mail may not leave in our storage: programs, scripts and pages a browser would run.
EXECUTABLE_EXTENSIONS = {".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".js", ".jse",
                         ".mjs", ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".sh", ".bash", ".jar", ".apk",
                         ".app", ".dmg", ".hta", ".html", ".htm", ".xhtml", ".svg", ".lnk", ".reg", ".cpl", ".py",
                         ".pl", ".rb", ".php", ".elf", ".bin", ".iso"}
EXECUTABLE_TYPES = {"application/x-msdownload", "application/x-msdos-program", "application/x-executable",
                    "application/x-sh", "application/javascript", "text/javascript", "application/x-javascript",
                    "text/html", "application/xhtml+xml", "image/svg+xml", "application/java-archive",
                    "application/vnd.microsoft.portable-executable", "application/x-ms-installer",
                    "application/hta", "application/x-bat"}


class TooLarge(Exception):
    """The text of the mail is over MAX_TEXT_BYTES."""


def _json_field(form, name: str):
    raw = form.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request(f"The {name} field is not valid JSON.") from None


def _addresses(value: str | None) -> list[str]:
    return [addr.strip().lower() for _, addr in getaddresses([value or ""]) if "@" in addr]


def _text_size(form) -> int:
    return sum(len(value.encode("utf-8", "surrogatepass")) for key, value in form.items(multi=True) if key != "email")


def our_address(db_session, candidates: list[str]) -> str:
    """The first recipient that is some business's sender address; the first recipient when none is."""
    if not candidates:
        raise bad_request("The mail names no recipient.")
    known = set(db_session.scalars(select(func.lower(Business.sender_email)).where(
        func.lower(Business.sender_email).in_(candidates), Business.deleted_at.is_(None))))
    return next((address for address in candidates if address in known), candidates[0])


def _safe_filename(name: str | None, index: int) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return base[:200] or f"attachment{index}"


def _executable(filename: str, content_type: str) -> bool:
    extension = os.path.splitext(filename.lower())[1]
    return extension in EXECUTABLE_EXTENSIONS or content_type.split(";")[0].strip().lower() in EXECUTABLE_TYPES


def _keep(filename: str, content_type: str, data: bytes, size: int, kept: list, notes: list) -> None:
    from app.services.channels.inbound import InboundAttachment

    if size > MAX_ATTACHMENT_BYTES:
        notes.append(f"[Attachment {filename} ({size / 1024 / 1024:.1f} MB) was over the 5 MB limit and was "
                     "not kept.]")
    elif _executable(filename, content_type):
        notes.append(f"[Attachment {filename} is a program or web page and was not kept.]")
    else:
        kept.append(InboundAttachment(filename=filename, content_type=content_type, data=data))


def _form_attachments(form, files, kept: list, notes: list) -> None:
    info = _json_field(form, "attachment-info") or {}
    if not isinstance(info, dict):
        raise bad_request("The attachment-info field must be a JSON object.")
    names = sorted((key for key in files if key.startswith("attachment")), key=lambda k: (len(k), k))
    for index, key in enumerate(names, start=1):
        upload = files[key]
        details = info.get(key) if isinstance(info.get(key), dict) else {}
        filename = _safe_filename(details.get("filename") or details.get("name") or upload.filename, index)
        content_type = (details.get("type") or upload.mimetype or "application/octet-stream")[:100]
        data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
        size = len(data)
        if size > MAX_ATTACHMENT_BYTES:
            upload.stream.seek(0, os.SEEK_END)
            size, data = max(upload.stream.tell(), size), b""
        _keep(filename, content_type, data, size, kept, notes)


def _raw_parts(raw: str, kept: list, notes: list) -> dict:
    """The pieces of a full MIME message (SendGrid's "post the raw, full MIME message" option)."""
    message = email.message_from_string(raw, policy=email.policy.default)
    parts = {"subject": str(message.get("Subject") or ""), "message_id": str(message.get("Message-ID") or ""),
             "date": str(message.get("Date") or ""), "from": str(message.get("From") or ""),
             "to": str(message.get("To") or ""), "cc": str(message.get("Cc") or "")}
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        parts["text" if kind == "plain" else "html"] = body.get_content() if body is not None else ""
    for index, part in enumerate(message.iter_attachments(), start=1):
        data = part.get_payload(decode=True) or b""
        _keep(_safe_filename(part.get_filename(), index), part.get_content_type(), data, len(data), kept, notes)
    return parts


def inbound_message(db_session, form, files, now: dt.datetime):
    """Inbound Parse's post as the pipeline's InboundMessage; malformed -> DomainError 400, too much text ->
    TooLarge."""
    from app.services.channels.inbound import InboundMessage

    if _text_size(form) > MAX_TEXT_BYTES:
        raise TooLarge()
    kept: list = []
    notes: list[str] = []
    raw = {}
    if form.get("email"):
        try:
            raw = _raw_parts(form["email"], kept, notes)
        except (LookupError, ValueError, TypeError, AttributeError):  # an unknown charset, a broken MIME tree
            raise bad_request("The email field is not a readable MIME message.") from None
    else:
        _form_attachments(form, files, kept, notes)
    field = lambda name: form.get(name) or raw.get(name) or ""  # noqa: E731

    envelope = _json_field(form, "envelope") or {}
    if not isinstance(envelope, dict):
        raise bad_request("The envelope field must be a JSON object.")
    sender = envelope.get("from") if isinstance(envelope.get("from"), str) else ""
    sender = (sender or parseaddr(field("from"))[1]).strip().lower()
    if "@" not in sender:
        raise bad_request("The mail has no sender address.")
    envelope_to = envelope.get("to") if isinstance(envelope.get("to"), list) else []
    candidates = [a.strip().lower() for a in envelope_to if isinstance(a, str) and "@" in a]
    candidates += _addresses(field("to")) + _addresses(field("cc"))
    recipient = our_address(db_session, list(dict.fromkeys(candidates)))

    headers = HeaderParser(policy=email.policy.compat32).parsestr(form.get("headers") or "")
    message_id = (headers.get("Message-ID") or raw.get("message_id") or "").strip()
    date = (headers.get("Date") or raw.get("date") or "").strip()
    subject = field("subject").strip() or None
    text = field("text")
    if len((text + field("html")).encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise TooLarge()  # the raw option's text parts, measured once decoded
    body = text.strip() or html_to_text(field("html"))
    if notes:
        log.info("inbound mail: %d attachment(s) not kept", len(notes))
        body = "\n\n".join([body] + notes) if body else "\n".join(notes)
    external_id = message_id[:255] if message_id else "sha256:" + hashlib.sha256(
        "\n".join([field("from"), field("to"), subject or "", text, date]).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return InboundMessage(channel="email", from_address=sender, to_address=recipient, body=body,
                          external_id=external_id, provider="sendgrid", subject=subject[:255] if subject else None,
                          attachments=tuple(kept), received_at=now)
