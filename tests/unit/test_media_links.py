"""Files on text channels: do the signed media links open only the document they name, only for its business and
only for 48 hours; which files may MMS and WhatsApp carry; and does the real twilio SDK send each link as MediaUrl?"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Message
from app.services import channels
from app.services.accounts import documents
from app.services.channels import delivery, media
from app.services.channels.providers.base import Envelope
from app.services.channels.providers.twilio import TwilioProvider
from app.services.errors import NotFound, ValidationError
from app.services.storage import LocalStorage, storage_for
from app.services.tenancy import Principal
from tests.factories import NOW, gen_user
from tests.fakes.twilio_server import DEFAULT_SID, DEFAULT_TOKEN
from tests.messaging import debtor, messaging_business

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(16)


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    local = LocalStorage(tmp_path / "documents")
    monkeypatch.setitem(app.extensions, "storage", local)
    return local


def _document(business, name="receipt.png", data=PNG):
    account = debtor(business, contacted=True)
    manager = gen_user(business, "manager")
    principal = Principal(business_id=business.id, role="manager", user_id=manager.id)
    document = documents.upload(db.session, storage_for(current_app), principal, account, name, data, NOW)
    db.session.commit()
    return document


def _token(url: str) -> str:
    return url.rsplit("/m/", 1)[1]


# -- the signed link -------------------------------------------------------------------------------------------------
def test_a_link_opens_its_document_until_48_hours_have_passed(app):
    business = messaging_business()
    document = _document(business, name="Receipt for May 2026 (final).png")
    url = media.media_url(document, now=NOW)
    assert url.startswith(f"{app.config['PUBLIC_URL']}/m/")
    found = media.resolve(db.session, _token(url), now=NOW + dt.timedelta(hours=47, minutes=59))
    assert (found.data, found.content_type) == (PNG, "image/png")
    assert found.filename == "Receipt-for-May.png" and len(found.filename) <= 20
    with pytest.raises(NotFound):
        media.resolve(db.session, _token(url), now=NOW + media.LIFETIME)


def test_a_link_naming_another_business_a_forged_or_tampered_token_opens_nothing():
    business, other = messaging_business(), messaging_business("Other Agency")
    document = _document(business)
    foreign = media.token_for(other.id, document.id, now=NOW)  # signed, but the document is not theirs
    good = media.token_for(business.id, document.id, now=NOW)
    for token in (foreign, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "nonsense",
                  media.token_for(business.id, uuid.uuid4(), now=NOW)):
        with pytest.raises(NotFound):
            media.resolve(db.session, token, now=NOW)
    assert media.resolve(db.session, good, now=NOW).data == PNG


def test_a_deleted_document_or_one_changed_in_storage_is_not_served(store):
    business = messaging_business()
    document = _document(business)
    token = media.token_for(business.id, document.id, now=NOW)
    store.put(document.storage_path, PNG + b"changed", "image/png")
    with pytest.raises(NotFound):
        media.resolve(db.session, token, now=NOW)
    store.put(document.storage_path, PNG, "image/png")
    document.deleted_at = NOW
    db.session.commit()
    with pytest.raises(NotFound):
        media.resolve(db.session, token, now=NOW)


def test_the_short_filename_follows_twilios_advice():
    assert media.short_filename("résumé final.pdf") == "resume-final.pdf"
    assert media.short_filename("((( ))).jpg") == "file.jpg"
    assert media.short_filename("a" * 40 + ".jpeg") == "a" * 15 + ".jpeg"


# -- what each channel carries ---------------------------------------------------------------------------------------
def test_each_text_channel_names_what_it_accepts():
    assert media.summary("sms") == "JPEG, PNG or PDF" and media.summary("whatsapp") == "JPEG, PNG or PDF"
    assert set(media.accept_attribute("sms").split(",")) == {
        "application/pdf", "image/png", "image/jpeg", ".pdf", ".png", ".jpg", ".jpeg"}
    assert media.check("sms", "plan.pdf", PDF).name == "pdf"
    assert media.check("whatsapp", "photo.jpg", JPEG).name == "jpg"
    with pytest.raises(ValidationError) as gif:
        media.check("sms", "meme.gif", GIF)
    assert gif.value.field == "attachment"
    assert gif.value.message == "A text message (MMS) can carry JPEG, PNG or PDF files only, up to 5 MB."
    with pytest.raises(ValidationError) as docx:
        media.check("whatsapp", "letter.docx", b"PK\x03\x04")
    assert docx.value.message.startswith("WhatsApp can carry JPEG, PNG or PDF files only")
    with pytest.raises(ValidationError) as lying:
        media.check("sms", "photo.png", PDF)
    assert lying.value.field == "attachment" and "content is a PDF document" in lying.value.message
    with pytest.raises(ValidationError) as none:
        media.check("web_chat", "photo.png", PNG)
    assert none.value.field == "attachment"


def test_mms_limits_a_pdf_to_500_kb_and_whatsapp_does_not():
    big = PDF + b"0" * (600 * 1024)
    with pytest.raises(ValidationError) as refused:
        media.check("sms", "statement.pdf", big)
    assert refused.value.message.startswith("A text message (MMS) can carry a PDF of up to 500 KB only")
    assert media.check("whatsapp", "statement.pdf", big).name == "pdf"
    with pytest.raises(ValidationError):
        media.check("whatsapp", "huge.png", PNG + b"0" * (5 * 1024 * 1024))


# -- delivery through the real SDK -----------------------------------------------------------------------------------
def test_the_twilio_adapter_sends_every_media_url(twilio):
    envelope = Envelope(message_id=uuid.uuid4(), channel="whatsapp", from_address="+12145550100",
                        to_address="+12145550143", body="Your receipt", created_at=NOW,
                        media_urls=("https://app.example/m/one", "https://app.example/m/two"))
    accepted = TwilioProvider(DEFAULT_SID, DEFAULT_TOKEN, api_base=twilio.url).send(envelope)
    [received] = twilio.received
    assert received["sid"] == accepted.external_id and received["to"] == "whatsapp:+12145550143"
    assert received["media_urls"] == ["https://app.example/m/one", "https://app.example/m/two"]
    assert twilio.messages[0]["num_media"] == "2"


def test_a_document_deleted_before_the_send_fails_the_text_and_a_reconciliation_asks_a_person(twilio, clock):
    business = messaging_business()
    document = _document(business)
    account = db.session.get(Account, document.account_id)
    outcome = channels.send(db.session, account=account, channel="sms", body="Your receipt.", now=NOW,
                            attachments=(f"document:{document.id}",))
    db.session.commit()
    message_id = outcome.message.id
    document.deleted_at = NOW
    db.session.commit()
    assert delivery.deliver(db.session, message_id, NOW) == "failed"
    row = db.session.get(Message, message_id)
    assert row.delivery_status == "failed" and "no longer exists" in row.failed_reason
    assert twilio.received == []

    row.delivery_status, row.claimed_at, row.provider, row.failed_reason = "sending", NOW, "twilio", None
    db.session.commit()  # as if a worker had stopped mid-send
    clock.advance(minutes=3)
    assert delivery.reconcile(db.session, clock.now()) == {"found": 0, "requeued": 0, "review": 1}
    assert "no longer exists" in db.session.scalars(select(Message.review_reason)
                                                    .where(Message.id == message_id)).one()


def test_an_email_whose_attached_document_was_deleted_fails_instead_of_sending_it(clock):
    """The email path reads the file itself: is a document deleted (soft) before the send refused like a text's,
    so the file never leaves and a reconciliation would hand the row to a person?"""
    business = messaging_business()
    document = _document(business, name="plan.pdf", data=b"%PDF-1.4 agreed plan")
    account = db.session.get(Account, document.account_id)
    outcome = channels.send(db.session, account=account, channel="email", body="The plan we agreed.",
                            subject="Your plan", now=NOW, attachments=(f"document:{document.id}",))
    db.session.commit()
    document.deleted_at = NOW
    db.session.commit()
    assert delivery.deliver(db.session, outcome.message.id, NOW) == "failed"
    row = db.session.get(Message, outcome.message.id)
    assert row.delivery_status == "failed" and "no longer exists" in row.failed_reason
    assert issubclass(delivery.MediaGone, delivery.providers_base.CannotReconcile)

