"""Files on SMS (MMS) and WhatsApp from the inbox: does the composer offer them with the channel's types, does a
reply with a file reach Twilio (the real SDK, a local Twilio) as one message whose MediaUrl serves the same bytes
to anyone without a login, and are other files refused on the file field?"""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversation, Document, Message, SandboxMessage
from app.services.channels import media
from app.services.channels.inbound import InboundMessage, receive
from app.services.storage import LocalStorage
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(200))
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + bytes(16)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.extensions, "storage", LocalStorage(tmp_path / "documents"))


def conversation_on(channel: str, business, account, body: str = "Can you send me the receipt?") -> Conversation:
    """The debtor writes in on `channel` through the real inbound pipeline."""
    to = business.whatsapp_number if channel == "whatsapp" else business.sms_number
    result = receive(db.session, InboundMessage(channel=channel, from_address=account.phone, to_address=to,
                                                body=body, provider="twilio", external_id=f"SM{channel}in"), NOW)
    db.session.commit()
    return db.session.get(Conversation, result.conversation.id)


@pytest.fixture
def shop(client, clock):
    business = messaging_business()
    account = debtor(business, contacted=True)
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    return business, account


def reply(client, conversation, name: str, data: bytes, body: str = "Here is your receipt."):
    return client.post(f"/conversations/{conversation.id}/reply", headers=HX, content_type="multipart/form-data",
                       data={"body": body, "attachment": (io.BytesIO(data), name)})


# -- the composer ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_the_composer_offers_a_file_with_the_channels_types(client, shop, channel):
    conversation = conversation_on(channel, *shop)
    html = client.get(f"/conversations/{conversation.id}").get_data(as_text=True)
    field = re.search(r'<input id="composer-attachment" type="file" name="attachment" accept="([^"]+)"', html)
    assert field, "the file input shows on a text conversation"
    assert set(field.group(1).split(",")) == {"image/jpeg", "image/png", "application/pdf", ".jpg", ".jpeg",
                                              ".png", ".pdf"}
    assert "Attach a file <span class=\"muted\">(JPEG, PNG or PDF, up to 5 MB)</span>" in html


# -- replies with a file ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel,name,data,content_type", [
    ("sms", "receipt.png", PNG, "image/png"),
    ("whatsapp", "receipt photo.jpg", JPEG, "image/jpeg"),
])
def test_a_reply_with_an_image_reaches_twilio_with_a_media_url_serving_the_same_bytes(
        app, client, shop, twilio, clock, channel, name, data, content_type):
    business, account = shop
    conversation = conversation_on(channel, business, account)
    answer = reply(client, conversation, name, data)
    assert answer.status_code == 200 and "Sent." in answer.get_data(as_text=True)
    app.extensions["jobs"].work_burst()

    [message] = db.session.scalars(select(Message).where(Message.direction == "outbound")).all()
    assert message.channel == channel and message.delivery_status == "sent"  # one row, body and file together
    [sent] = twilio.received
    assert sent["sid"] == message.external_id and sent["body"] == message.content
    assert sent["to"] == (f"whatsapp:{account.phone}" if channel == "whatsapp" else account.phone)
    [url] = sent["media_urls"]
    assert url.startswith(f"{app.config['PUBLIC_URL']}/m/")
    document = db.session.scalars(select(Document).where(Document.account_id == account.id)).one()
    assert message.compliance_record["attempt"]["attachments"] == [f"document:{document.id}"]

    stranger = app.test_client()  # Twilio: no cookie, no login
    fetched = stranger.get(urlsplit(url).path)
    assert fetched.status_code == 200 and fetched.data == data
    assert fetched.headers["Content-Type"] == content_type
    assert fetched.headers["Cache-Control"] == "private, no-store"
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert fetched.headers["Content-Disposition"] == f'inline; filename="{media.short_filename(name)}"'
    assert "Set-Cookie" not in fetched.headers
    head = stranger.head(urlsplit(url).path)  # Twilio checks the type with a HEAD first
    assert head.status_code == 200 and head.headers["Content-Type"] == content_type and head.data == b""


def test_the_sandbox_outbox_shows_the_media_link(app, client, shop):
    business, account = shop
    conversation = conversation_on("sms", business, account)
    assert reply(client, conversation, "receipt.png", PNG).status_code == 200
    app.extensions["jobs"].work_burst()
    row = db.session.scalars(select(SandboxMessage)).one()
    [url] = row.meta["media_urls"]
    html = client.get("/sandbox").get_data(as_text=True)
    assert f'<a href="{url}" target="_blank" rel="noopener">File 1' in html
    assert app.test_client().get(urlsplit(url).path).data == PNG


def test_a_file_the_channel_cannot_carry_is_refused_on_the_file_field(client, shop):
    business, account = shop
    conversation = conversation_on("sms", business, account)
    answer = reply(client, conversation, "meme.gif", GIF)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert ('id="attachment-error" role="alert">A text message (MMS) can carry JPEG, PNG or PDF files only, '
            'up to 5 MB.') in html
    assert 'aria-invalid="true" aria-describedby="attachment-error"' in html
    assert count(Message, Message.direction == "outbound") == 0 and count(Document) == 0

    whatsapp = conversation_on("whatsapp", business, account)
    refused = reply(client, whatsapp, "notes.txt", b"plain words")
    assert refused.status_code == 400
    assert "WhatsApp can carry JPEG, PNG or PDF files only" in refused.get_data(as_text=True)
    assert count(Message, Message.direction == "outbound") == 0 and count(Document) == 0


# -- the public route ------------------------------------------------------------------------------------------------
def test_the_media_route_answers_404_for_bad_expired_foreign_and_deleted_links(app, client, shop, clock):
    business, account = shop
    conversation = conversation_on("sms", business, account)
    reply(client, conversation, "receipt.png", PNG)
    document = db.session.scalars(select(Document)).one()
    stranger = app.test_client()
    good = media.token_for(business.id, document.id, now=clock.now())
    other = messaging_business("Other Agency")
    for token in ("nonsense", good + "x", media.token_for(other.id, document.id, now=clock.now())):
        missing = stranger.get(f"/m/{token}")
        assert missing.status_code == 404 and PNG not in missing.data
    assert stranger.get(f"/m/{good}").status_code == 200
    clock.advance(hours=48)
    assert stranger.get(f"/m/{good}").status_code == 404
    fresh = media.token_for(business.id, document.id, now=clock.now())
    assert stranger.get(f"/m/{fresh}").status_code == 200
    document.deleted_at = clock.now()
    db.session.commit()
    assert stranger.get(f"/m/{fresh}").status_code == 404
