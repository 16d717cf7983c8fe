"""Handing stored messages to providers: exactly once, retried while the provider is down, reconciled after a crash.

deliver(): claim the row (queued -> sending, one conditional UPDATE, committed) before the provider call, store the
provider's id after it. A crash between the two leaves the row in `sending`; reconcile() later asks the provider
whether it has the message (our id travels in Twilio's status-callback URL and SendGrid's custom args) before
anything is sent again, and marks for review what it cannot tell. A message evaluated more than 5 minutes before
dispatch is checked by the gate again (TIME-6), as is every deferred message when the clock releases it."""
from __future__ import annotations

import datetime as dt
import html
import logging
import random
import re
import uuid

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.models import Account, Business, Message
from app.services.channels import status as statuses
from app.services.channels.optouts import provider_opt_out
from app.services.channels.providers import base as providers_base
from app.services.compliance import compose
from app.services.compliance.decision import ALLOW, DEFER
from app.services.compliance.facts import Attempt
from app.services.compliance.gate import record as decision_record
from app.services.compliance.loader import DbLoader, Preloaded
from app.services.compliance.store import evaluate, recorded_rules
from app.services.tenancy import Principal

log = logging.getLogger(__name__)

RECHECK_AFTER = dt.timedelta(minutes=5)  # TIME-6
RETRY_FOR = dt.timedelta(hours=24)
FIRST_BACKOFF = 30  # seconds, doubled per attempt
MAX_BACKOFF = 30 * 60
SENDING_GRACE = dt.timedelta(minutes=2)
"""A row in `sending` this long has lost its worker (a provider call takes seconds): reconcile it."""
ORPHAN_AFTER = dt.timedelta(minutes=1)
"""A queued row with no retry time this old lost its job (enqueued after a commit that Redis never saw)."""


def deliver(db_session, message_id, now: dt.datetime) -> str:
    """Send one stored message if it is due; returns what happened (for logs and tests)."""
    message = db_session.get(Message, _uuid(message_id))
    if message is None or message.direction != "outbound":
        return "missing"
    if message.delivery_status == "scheduled":
        if message.scheduled_for and message.scheduled_for > now:
            return "not_due"
        outcome = recheck(db_session, message, now)
        db_session.commit()
        if outcome != ALLOW:
            return outcome
    if message.channel == "web_chat":  # no provider: marking it sent and pushing it to the debtor is the delivery
        from app.services import web_chat

        outcome = web_chat.deliver(db_session, message, now)
        db_session.commit()
        return outcome
    if message.delivery_status != "queued":
        return message.delivery_status
    if message.next_attempt_at and message.next_attempt_at > now:
        return "not_due"
    if _evaluated_at(message) and now - _evaluated_at(message) > RECHECK_AFTER:
        outcome = recheck(db_session, message, now)
        db_session.commit()
        if outcome != ALLOW:
            return outcome

    provider = _provider_for(db_session, message.channel)
    claimed = db_session.execute(update(Message).where(
        Message.id == message.id, Message.delivery_status == "queued").values(
        delivery_status="sending", claimed_at=now, attempts=Message.attempts + 1, provider=provider.name,
        first_attempt_at=message.first_attempt_at or now, updated_at=now)).rowcount
    db_session.commit()
    if not claimed:
        return "taken"
    db_session.refresh(message)
    try:
        accepted = provider.send(envelope_for(db_session, message))
    except providers_base.RetryableError as exc:
        db_session.rollback()
        if exc.ambiguous:  # left in `sending`: reconcile() asks the provider before any resend
            log.warning("no answer from the provider", extra={"message_id": str(message.id), "reason": exc.reason})
            return "unconfirmed"
        return _retry_later(db_session, message, exc, now)
    except providers_base.PermanentError as exc:
        db_session.rollback()
        return _fail(db_session, message, exc, now)
    statuses.apply(db_session, message=message, status="sent", at=now, provider=provider.name,
                   external_id=accepted.external_id)
    after_send(db_session, message, now)
    db_session.commit()
    return "sent"


def recheck(db_session, message: Message, now: dt.datetime) -> str:
    """Decide again at dispatch: allow -> queued, defer -> scheduled again, anything else -> blocked."""
    saved = (message.compliance_record or {}).get("attempt") or {}
    link = _LINK.search(message.content or "")
    attempt = Attempt(
        business_id=message.business_id, account_id=message.account_id, channel=message.channel,
        to_address=message.to_address, body=message.content, now=now, kind=message.kind, purpose=message.purpose,
        subject=message.subject, from_name=saved.get("from_name"), in_reply_to=saved.get("in_reply_to"),
        language=saved.get("language"), template=saved.get("template"), recipient=saved.get("recipient", "debtor"),
        attachments=tuple(saved.get("attachments") or ()), consumer_request_id=saved.get("consumer_request_id"),
        portal_link=bool(saved.get("portal_link")))
    loader = DbLoader(db_session, portal_url=link.group(0) if link else None, exclude_message_ids=(message.id,))
    facts = loader.load(attempt)
    attempt, _, added = compose.complete(attempt, facts)
    principal = Principal(business_id=message.business_id, role="system")
    decision = evaluate(db_session, attempt, loader=Preloaded(facts), message_id=message.id, principal=principal)
    record = decision_record(attempt, decision)
    record["attempt"] = saved
    record["required_content_added"] = list(dict.fromkeys(
        list((message.compliance_record or {}).get("required_content_added") or []) + list(added)))
    message.compliance_record = record
    message.content = attempt.body
    message.compliance_passed = decision.outcome == ALLOW
    message.compliance_issues = recorded_rules(decision)
    message.updated_at = now
    if decision.outcome == ALLOW:
        message.delivery_status = "queued"
        message.scheduled_for = None
    elif decision.outcome == DEFER:
        message.delivery_status = "scheduled"
        message.scheduled_for = decision.until
    else:
        message.delivery_status = "blocked"
        message.scheduled_for = None
        statuses.publish(db_session, message)
    return decision.outcome


def _retry_later(db_session, message: Message, exc: providers_base.RetryableError, now: dt.datetime) -> str:
    message = db_session.get(Message, message.id)
    first = message.first_attempt_at or now
    if now - first >= RETRY_FOR:
        message.delivery_status = "failed"
        message.failed_reason = f"gave up after 24 hours of retries: {exc.reason}"
        message.updated_at = now
        statuses.publish(db_session, message)
        db_session.commit()
        return "failed"
    delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, message.attempts - 1))
    delay = max(delay * random.uniform(0.5, 1.0), exc.retry_after or 0)  # jitter: retries do not arrive together
    message.delivery_status = "queued"
    message.next_attempt_at = now + dt.timedelta(seconds=delay)
    message.failed_reason = f"retrying: {exc.reason}"
    message.claimed_at = None
    message.updated_at = now
    statuses.publish(db_session, message)
    db_session.commit()
    return "retrying"


def _fail(db_session, message: Message, exc: providers_base.PermanentError, now: dt.datetime) -> str:
    message = db_session.get(Message, message.id)
    statuses.apply(db_session, message=message, status="failed", at=now, reason=exc.reason, error_code=exc.code)
    if exc.opt_out and message.to_address:
        provider_opt_out(db_session, business_id=message.business_id, channel=message.channel,
                         address=message.to_address, reason=exc.reason, at=now, rule_id="OPT-2")
    db_session.commit()
    return "failed"


def after_send(db_session, message: Message, now: dt.datetime) -> None:
    """What a sent message changes on the account: the initial communication and how validation went out (VALID),
    and the last contact with a represented debtor's attorney (ATTY)."""
    if message.account_id is None:
        return
    account = db_session.get(Account, message.account_id)
    record = message.compliance_record or {}
    recipient = (record.get("attempt") or {}).get("recipient", "debtor")
    if recipient == "attorney":
        account.attorney_contacted_at = now
        return
    if recipient != "debtor" or message.kind in ("system",) or message.purpose in ("optout_confirmation",):
        return
    added = set(record.get("required_content_added") or [])
    attachments = (record.get("attempt") or {}).get("attachments") or ()
    if account.initial_communication_at is None:
        # Only the full notice counts; a text's summary and link (D-4) leaves the keepable notice due in 5 days.
        account.initial_communication_at = now
        account.initial_had_validation = "validation_notice" in added or "validation_notice_pdf" in attachments
    if "validation_notice" in added or "validation_notice_pdf" in attachments:
        account.validation_notice_sent_at = account.validation_notice_sent_at or now
        account.validation_method = account.validation_method or message.channel
    elif "validation_summary" in added and not account.validation_method:
        account.validation_method = "sms_summary"


def reconcile(db_session, now: dt.datetime) -> dict:
    """Rows left in `sending` by a stopped worker: ask the provider before anything is sent again."""
    done = {"found": 0, "requeued": 0, "review": 0}
    stuck = db_session.scalars(select(Message).where(
        Message.delivery_status == "sending", Message.review_reason.is_(None),
        Message.claimed_at < now - SENDING_GRACE).limit(500)).all()
    for message in stuck:
        provider = _provider_for(db_session, message.channel, name=message.provider)
        try:
            found = provider.find(envelope_for(db_session, message))
        except providers_base.CannotReconcile as exc:
            message.review_reason = f"could not confirm with {provider.name} whether it was sent: {exc.reason}"
            done["review"] += 1
            statuses.publish(db_session, message)
        except providers_base.RetryableError:
            continue  # the provider is down: ask again on the next pass
        else:
            if found is None:
                db_session.execute(update(Message).where(
                    Message.id == message.id, Message.delivery_status == "sending").values(
                    delivery_status="queued", next_attempt_at=now, claimed_at=None,
                    failed_reason="retrying: the provider never received it"))
                done["requeued"] += 1
            else:
                statuses.apply(db_session, message=message, status="sent", at=now, provider=provider.name,
                               external_id=found.external_id)
                if found.status != "sent":
                    statuses.apply(db_session, message=message, status=found.status, at=now, reason=found.reason)
                after_send(db_session, message, now)
                done["found"] += 1
        db_session.commit()
    return done


def due(db_session, now: dt.datetime, limit: int = 1000) -> list[uuid.UUID]:
    """Messages to hand to the deliver job now: released deferrals, retries whose time came, orphans."""
    return list(db_session.scalars(select(Message.id).where(or_(
        and_(Message.delivery_status == "scheduled", Message.scheduled_for <= now),
        and_(Message.delivery_status == "queued", Message.direction == "outbound", or_(
            Message.next_attempt_at <= now,
            and_(Message.next_attempt_at.is_(None), Message.created_at <= now - ORPHAN_AFTER))),
    )).order_by(Message.created_at).limit(limit)))


# -- envelopes -------------------------------------------------------------------------------------------------------
_LINK = re.compile(r"https?://\S+?/p/[A-Za-z0-9_-]{16,}")


def envelope_for(db_session, message: Message) -> providers_base.Envelope:
    config = current_app.config["CONFIG_OBJECT"]
    business = db_session.get(Business, message.business_id)
    public = config.PUBLIC_URL.rstrip("/")
    common = dict(message_id=message.id, channel=message.channel, from_address=message.from_address or "",
                  to_address=message.to_address or "", body=message.content, created_at=message.created_at,
                  business_id=message.business_id)
    if message.channel in ("sms", "whatsapp"):
        return providers_base.Envelope(
            **common, status_callback=f"{public}/api/v1/webhooks/twilio/status?m={message.id}",
            media_urls=_media_urls(db_session, message))
    unsubscribe = _unsubscribe_url(message)
    return providers_base.Envelope(
        **common, subject=message.subject or f"A message from {business.name}", from_name=business.name,
        html=email_html(message.content, business.name), unsubscribe_url=unsubscribe,
        attachments=_attachments(db_session, message))


def email_html(text: str, business_name: str) -> str:
    """The plain text as simple HTML: escaped, paragraphs kept, links clickable."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        escaped = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', escaped).replace("\n", "<br>")
        paragraphs.append(f"<p>{escaped}</p>")
    return (f'<!doctype html><html><body style="font-family:Arial,sans-serif;color:#212121;max-width:600px">'
            f'<p style="font-weight:bold">{html.escape(business_name)}</p>{"".join(paragraphs)}</body></html>')


def _unsubscribe_url(message: Message) -> str | None:
    from app.services.portal import unsubscribe

    return unsubscribe.unsubscribe_url(message)


def _attachments(db_session, message: Message) -> tuple:
    """The files a message carries: the validation notice PDF, and documents of the account an agent attached
    ('document:<id>'), read from storage at send time."""
    kinds = ((message.compliance_record or {}).get("attempt") or {}).get("attachments") or ()
    if not kinds or message.account_id is None:
        return ()
    account = db_session.get(Account, message.account_id)
    files = []
    if "validation_notice_pdf" in kinds:
        from app.services.portal import notice

        language = ((message.compliance_record or {}).get("attempt") or {}).get("language") \
            or account.preferred_language
        data = notice.notice_pdf(db_session, account, now=message.created_at, language=language)
        name = "aviso-de-validacion.pdf" if language == "es" else "validation-notice.pdf"
        files.append(providers_base.Attachment(filename=name, content_type="application/pdf", data=data))
    for kind in kinds:
        if kind.startswith("document:"):
            files.append(_document_attachment(db_session, account, kind.split(":", 1)[1]))
    return tuple(files)


class MediaGone(providers_base.PermanentError, providers_base.CannotReconcile):
    """An attached document was deleted before the send: delivery fails the message, and reconciliation (which
    rebuilds the envelope) hands the row to a person instead of stopping."""


def _document_attachment(db_session, account: Account, document_id: str):
    from app.models import Document
    from app.services.storage import storage_for

    document = db_session.get(Document, uuid.UUID(document_id))
    if document is None or document.account_id != account.id or document.deleted_at is not None:
        raise MediaGone("the attached document no longer exists")
    data = storage_for(current_app).get(document.storage_path)
    return providers_base.Attachment(filename=document.filename, content_type=document.mime_type, data=data)


def _media_urls(db_session, message: Message) -> tuple[str, ...]:
    """The documents an agent attached to a text ('document:<id>') as signed public links: Twilio fetches each file
    itself, so the link is made at send time and outlives Twilio's own retries."""
    from app.models import Document
    from app.services.channels import media
    from app.services.clock import get_clock

    kinds = ((message.compliance_record or {}).get("attempt") or {}).get("attachments") or ()
    ids = [kind.split(":", 1)[1] for kind in kinds if kind.startswith("document:")]
    if not ids or message.account_id is None:
        return ()
    now = get_clock().now()
    urls = []
    for document_id in ids:
        document = db_session.get(Document, uuid.UUID(document_id))
        if document is None or document.account_id != message.account_id or document.deleted_at is not None:
            raise MediaGone("the attached document no longer exists")
        urls.append(media.media_url(document, now=now))
    return tuple(urls)


def _provider_for(db_session, channel: str, name: str | None = None):
    from app.services.channels import providers

    config = current_app.config["CONFIG_OBJECT"]
    if name:
        return providers.by_name(name, config=config, db_session=db_session)
    return providers.for_channel(channel, config=config, db_session=db_session)


def _evaluated_at(message: Message) -> dt.datetime | None:
    value = (message.compliance_record or {}).get("evaluated_at")
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


