"""Files on text channels: which files MMS and WhatsApp may carry, and the signed public link a provider fetches them
from (`PUBLIC_URL/m/<token>`).

Twilio takes no file bytes: it fetches every `MediaUrl` itself, over public HTTPS, with no cookie and no login
(first a HEAD and a GET to check the Content-Type against the bytes, again on its retries). The token therefore is
the whole permission: signed with SECRET_KEY under its own salt, it names the business, the document and when it
stops working, 48 hours after the send so Twilio's own retries (up to a day) still find the file. It can only read
that one document, and only while the document is live. The expiry travels in the signed payload and is compared
with the app's clock, so tests move time instead of waiting."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import Document
from app.services.accounts import documents
from app.services.errors import NotFound, ValidationError
from app.services.storage import ObjectMissing, storage_for

SALT = "funnelchat-media-v1"
LIFETIME = dt.timedelta(hours=48)
MAX_BYTES = 5 * 1024 * 1024  # PRD 4.3.2, and Twilio's MMS limit for the whole message
CHANNEL_TYPES = {  # what Twilio documents for each channel (messaging/guides/accepted-mime-types)
    "sms": ("image/jpeg", "image/png", "image/gif", "application/pdf"),
    "whatsapp": ("image/jpeg", "image/png", "application/pdf", "audio/mpeg", "audio/ogg", "video/mp4"),
}
SMALLER_LIMITS = {("sms", "application/pdf"): 500 * 1024}
"""Twilio formats only images for MMS; other accepted types are limited to 500 KB."""
CHANNEL_NAMES = {"sms": "A text message (MMS)", "whatsapp": "WhatsApp"}
LABELS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "application/pdf": "PDF",
          "audio/mpeg": "MP3", "audio/ogg": "OGG", "video/mp4": "MP4"}


@dataclass(frozen=True)
class Media:
    """One file as the public link serves it."""

    data: bytes
    content_type: str
    filename: str


# -- what each channel carries ---------------------------------------------------------------------------------------
def accepted_kinds(channel: str) -> tuple[documents.Kind, ...]:
    """The document kinds a channel can carry: those Twilio takes on it that the document store also keeps (a file
    is sent from the account's documents, so a type the store refuses cannot be sent)."""
    kept = {kind.mime: kind for kind in documents.KINDS.values()}
    return tuple(kept[mime] for mime in CHANNEL_TYPES.get(channel, ()) if mime in kept)


def summary(channel: str) -> str:
    """'JPEG, PNG or PDF': the accepted kinds in words, for hints and errors."""
    names = [LABELS.get(kind.mime, kind.name.upper()) for kind in accepted_kinds(channel)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def accept_attribute(channel: str) -> str:
    """The file input's `accept`: the channel's types and their extensions."""
    kinds = accepted_kinds(channel)
    return ",".join([kind.mime for kind in kinds] + [ext for kind in kinds for ext in kind.extensions])


def check(channel: str, filename: str | None, data: bytes) -> documents.Kind:
    """The file's kind if this channel can carry it; ValidationError on `attachment` naming what it accepts."""
    kinds = accepted_kinds(channel)
    if not kinds:
        raise ValidationError(f"Files cannot be sent on {channel.replace('_', ' ')}.", field="attachment")
    refused = f"{CHANNEL_NAMES.get(channel, channel)} can carry {summary(channel)} files only, up to " \
              f"{MAX_BYTES // (1024 * 1024)} MB."
    name = documents.clean_filename(filename)
    extension = os.path.splitext(name)[1].lower()
    if extension not in {ext for kind in kinds for ext in kind.extensions}:
        raise ValidationError(refused, field="attachment")
    if len(data) > MAX_BYTES:
        raise ValidationError(refused, field="attachment")
    try:
        kind = documents.identify(name, data)  # the bytes must be what the name says
    except ValidationError as exc:
        raise ValidationError(exc.message, field="attachment") from None
    smaller = SMALLER_LIMITS.get((channel, kind.mime))
    if smaller is not None and len(data) > smaller:
        raise ValidationError(f"{CHANNEL_NAMES[channel]} can carry a {LABELS[kind.mime]} of up to {smaller // 1024} KB "
                              "only; send a larger one by email.", field="attachment")
    return kind


# -- the signed link -------------------------------------------------------------------------------------------------
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT,
                             signer_kwargs={"digest_method": hashlib.sha256})


def token_for(business_id, document_id, *, now: dt.datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    return _serializer().dumps([uuid.UUID(str(business_id)).hex, uuid.UUID(str(document_id)).hex, expires])


def media_url(document: Document, *, now: dt.datetime) -> str:
    """The public link to one document, working for LIFETIME from `now`."""
    token = token_for(document.business_id, document.id, now=now)
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/m/{token}"


def resolve(db_session, token: str, *, now: dt.datetime) -> Media:
    """The file a token names; NotFound for a token we did not sign, one past its time, one naming another
    business's document, or a document deleted (or changed in storage) since."""
    try:
        business_hex, document_hex, expires = _serializer().loads(token)
        business_id, document_id = uuid.UUID(hex=business_hex), uuid.UUID(hex=document_hex)
        expires = int(expires)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This file link does not work.") from None
    if now.timestamp() >= expires:
        raise NotFound("This file link has expired.")
    document = db_session.get(Document, document_id)
    if document is None or document.business_id != business_id or document.deleted_at is not None:
        raise NotFound("This file link does not work.")
    try:
        data = storage_for(current_app).get(document.storage_path)
    except ObjectMissing:
        raise NotFound("This file link does not work.") from None
    if document.sha256 and hashlib.sha256(data).hexdigest() != document.sha256:
        raise NotFound("This file link does not work.")
    return Media(data=data, content_type=document.mime_type or "application/octet-stream",
                 filename=short_filename(document.filename))


def short_filename(name: str) -> str:
    """The name Twilio passes on: ASCII, no spaces or special characters, at most 20 characters with its
    extension (Twilio's advice for Content-Disposition)."""
    stem, extension = os.path.splitext(name or "")
    extension = re.sub(r"[^a-z0-9]", "", extension.lower())[:5]
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_")[:20 - len(extension) - 1].strip("-_") or "file"
    return f"{stem}.{extension}" if extension else stem
