"""The offline provider for every channel: records each send in the sandbox outbox and plays the provider's status
callbacks through the simulator. Each recorded send is announced to the business's open pages (`sandbox.message`).

So the failure paths can be tried without a provider, it refuses what the real ones refuse: Twilio's own magic
test numbers (+15005550001 invalid number 21211, +15005550004 unsubscribed 21610, +15005550009 not a mobile
number 21614), email to a `bounce@` address (a hard bounce) or an `unsubscribed@` one (an opt-out), and every
send of a channel while an outage is switched on (set_outage)."""
from __future__ import annotations

import importlib.util
import uuid

from sqlalchemy import select

from app.models import SandboxMessage
from app.services.channels import sandbox as outbox
from app.services.channels.providers.base import Accepted, CannotReconcile, Envelope, Found, PermanentError, \
    RetryableError
from app.services.clock import get_clock
from app.services.sandbox_outbox import announce

set_outage = outbox.set_outage
outage_until = outbox.outage_until

MAGIC_NUMBERS = {  # Twilio's test numbers and the errors Twilio answers for them
    "+15005550001": (21211, "invalid phone number", "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550004": (21610, "the recipient unsubscribed by replying STOP", "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "not a mobile number", "'To' number is not a valid mobile number"),
}
OPT_OUT_CODES = {21610}
FOUND_STATUSES = ("sent", "delivered", "read", "failed")
SIMULATOR = "app.services.channels.simulator"


class SandboxProvider:
    name = "sandbox"

    def __init__(self, db_session, *, kind: str = "debtor", meta: dict | None = None):
        """`kind` "system" records staff mail (no message row, no status callbacks)."""
        self.db_session = db_session
        self.kind = kind
        self.meta = meta or {}

    def send(self, envelope: Envelope) -> Accepted:
        """Record the send (the outbox row is the sandbox's proof) unless a simulated refusal applies."""
        now = get_clock().now()
        until = outage_until(self.db_session, envelope.channel)
        if until is not None and now < until:
            raise RetryableError("503 Service Unavailable (simulated outage)", status=503)
        _refuse_magic(envelope)
        row = outbox.record(
            self.db_session, channel=envelope.channel, from_address=_plain(envelope.from_address),
            to_address=_plain(envelope.to_address), body=envelope.body, now=now, subject=envelope.subject,
            html=envelope.html, business_id=envelope.business_id, kind=self.kind,
            message_id=envelope.message_id if self.kind == "debtor" else None, meta={**self.meta, **_meta(envelope)})
        announce(self.db_session, row)
        if self.kind == "debtor" and importlib.util.find_spec(SIMULATOR) is not None:
            from app.services.channels import simulator

            simulator.schedule_status_callbacks(self.db_session, channel=envelope.channel,
                                                message_id=envelope.message_id, external_id=row.external_id,
                                                business_id=envelope.business_id)
        return Accepted(external_id=row.external_id, status="sent")

    def find(self, envelope: Envelope) -> Found | None:
        """The outbox row written for this message, None when the sandbox never took it."""
        rows = self.db_session.scalars(select(SandboxMessage).where(
            SandboxMessage.message_id == _uuid(envelope.message_id))).all()
        if not rows:
            return None
        if len(rows) > 1:
            raise CannotReconcile(f"{len(rows)} sandbox sends carry this message id")
        status = rows[0].status if rows[0].status in FOUND_STATUSES else "sent"
        return Found(external_id=rows[0].external_id, status=status)


def _refuse_magic(envelope: Envelope) -> None:
    if envelope.channel in ("sms", "whatsapp"):
        magic = MAGIC_NUMBERS.get(_plain(envelope.to_address))
        if magic:
            code, label, message = magic
            raise PermanentError(f"Twilio error {code} ({label}): {message} [sandbox]", code=code, status=400,
                                 opt_out=code in OPT_OUT_CODES)
        return
    local = _plain(envelope.to_address).partition("@")[0].lower()
    if local == "bounce":
        raise PermanentError("SMTP 550 hard bounce: 5.1.1 the email account does not exist [sandbox]", code=550)
    if local == "unsubscribed":
        raise PermanentError("the recipient unsubscribed from this sender [sandbox]", opt_out=True)


def _meta(envelope: Envelope) -> dict:
    """What a person checking the outbox wants to see besides the body."""
    meta = {key: value for key, value in (("reply_to", envelope.reply_to), ("from_name", envelope.from_name),
                                          ("status_callback", envelope.status_callback),
                                          ("unsubscribe_url", envelope.unsubscribe_url)) if value}
    if envelope.attachments:
        meta["attachments"] = [{"filename": a.filename, "content_type": a.content_type, "size": len(a.data)}
                               for a in envelope.attachments]
    if envelope.media_urls:
        meta["media_urls"] = list(envelope.media_urls)
    return meta


def _plain(address: str) -> str:
    """Addresses as the outbox shows them: E.164 without `whatsapp:`, email lower-case."""
    address = (address or "").strip()
    if address.startswith("whatsapp:"):
        address = address[len("whatsapp:"):]
    return address.lower() if "@" in address else address


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
