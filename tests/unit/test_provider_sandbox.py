"""Does the sandbox provider record every send in the outbox, answer like the real providers (ids, status
callbacks), and refuse what they refuse, so every path can be tried offline?"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Message, SandboxMessage
from app.services.channels.addresses import assign_sandbox_addresses
from app.services.channels.providers import for_channel
from app.services.channels.providers.base import Attachment, Envelope, Found, PermanentError, RetryableError
from app.services.channels.providers.sandbox import SandboxProvider, outage_until, set_outage
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_message


def _message(channel="sms", to=None) -> Message:
    """A stored outbound message the pipeline has claimed (the row a sandbox send belongs to)."""
    business = gen_business()
    assign_sandbox_addresses(db.session, business)
    account = gen_account(business)
    conversation = gen_conversation(business, account, channel=channel)
    message = gen_message(business, conversation)
    message.delivery_status, message.provider, message.claimed_at = "sending", "sandbox", NOW
    message.from_address = business.sender_email if channel == "email" else business.sms_number
    message.to_address = to or (account.email if channel == "email" else account.phone)
    db.session.commit()
    return message


def _envelope(message: Message, **fields) -> Envelope:
    values = dict(message_id=message.id, channel=message.channel, from_address=message.from_address,
                  to_address=message.to_address, body=message.content, created_at=NOW,
                  business_id=message.business_id,
                  status_callback=f"https://app.example/api/v1/webhooks/twilio/status?m={message.id}")
    values.update(fields)
    return Envelope(**values)


def _outbox() -> list[SandboxMessage]:
    return db.session.scalars(select(SandboxMessage).order_by(SandboxMessage.created_at)).all()


def test_sandbox_mode_picks_the_sandbox_for_every_channel(app):
    """With no provider keys, is the sandbox the provider of SMS, WhatsApp and email?"""
    config = app.config["CONFIG_OBJECT"]
    assert {for_channel(c, config=config, db_session=db.session).name for c in ("sms", "whatsapp", "email")} == {
        "sandbox"}


def test_an_sms_is_recorded_with_a_twilio_shaped_id(app):
    """Is the send in the outbox as a debtor message tied to our row and business, with an SM... id?"""
    message = _message()
    accepted = SandboxProvider(db.session).send(_envelope(message))
    [row] = _outbox()
    assert accepted.external_id == row.external_id and row.external_id.startswith("SM") and accepted.status == "sent"
    assert (row.kind, row.message_id, row.business_id, row.channel) == ("debtor", message.id, message.business_id,
                                                                        "sms")
    assert (row.to_address, row.from_address, row.body) == (message.to_address, message.from_address,
                                                             message.content)
    assert row.meta["status_callback"].endswith(f"?m={message.id}")


def test_whatsapp_addresses_are_shown_without_the_prefix(app):
    """The outbox lists phone numbers as E.164, even when an address arrives with `whatsapp:`."""
    message = _message(channel="whatsapp")
    SandboxProvider(db.session).send(_envelope(message, to_address=f"whatsapp:{message.to_address}"))
    assert _outbox()[0].to_address == message.to_address and _outbox()[0].channel == "whatsapp"


def test_an_email_keeps_subject_html_and_attachment_names(app):
    message = _message(channel="email")
    SandboxProvider(db.session).send(_envelope(
        message, subject="Your account", html="<p>Hi</p>", unsubscribe_url="https://app.example/u/x",
        attachments=(Attachment("validation-notice.pdf", "application/pdf", b"%PDF"),)))
    [row] = _outbox()
    assert (row.subject, row.html) == ("Your account", "<p>Hi</p>")
    assert row.meta["unsubscribe_url"] == "https://app.example/u/x"
    assert row.meta["attachments"] == [{"filename": "validation-notice.pdf", "content_type": "application/pdf",
                                        "size": 4}]


def test_status_callbacks_follow_a_send(app):
    """After the send commits, do the simulated provider callbacks move the message on, as Twilio's would?"""
    message = _message()
    SandboxProvider(db.session).send(_envelope(message))
    db.session.commit()
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    assert db.session.get(Message, message.id).delivery_status == "delivered"


@pytest.mark.parametrize("number, code, opt_out", [
    ("+15005550001", 21211, False), ("+15005550004", 21610, True), ("+15005550009", 21614, False)])
def test_twilio_magic_numbers_are_refused_like_twilio(app, number, code, opt_out):
    """Do Twilio's own test numbers fail permanently with Twilio's codes, recording nothing?"""
    message = _message(to=number)
    with pytest.raises(PermanentError) as caught:
        SandboxProvider(db.session).send(_envelope(message))
    assert caught.value.code == code and caught.value.opt_out is opt_out and str(code) in caught.value.reason
    assert _outbox() == []


def test_bounce_and_unsubscribed_addresses(app):
    """Is `bounce@` a hard bounce (550) and `unsubscribed@` an opt-out, whatever the domain or case?"""
    message = _message(channel="email")
    with pytest.raises(PermanentError) as bounce:
        SandboxProvider(db.session).send(_envelope(message, to_address="Bounce@Example.com"))
    assert bounce.value.code == 550 and "hard bounce" in bounce.value.reason and not bounce.value.opt_out
    with pytest.raises(PermanentError) as unsubscribed:
        SandboxProvider(db.session).send(_envelope(message, to_address="unsubscribed@example.org"))
    assert unsubscribed.value.opt_out
    assert _outbox() == []


def test_an_outage_refuses_one_channel_until_it_ends(app, clock):
    """While an SMS outage lasts, is every SMS a 503 retry (and email unaffected), and does it end on time?"""
    sms, mail = _message(), _message(channel="email")
    set_outage(db.session, "sms", NOW + dt.timedelta(minutes=5))
    db.session.commit()
    assert outage_until(db.session, "sms") == NOW + dt.timedelta(minutes=5)
    with pytest.raises(RetryableError) as caught:
        SandboxProvider(db.session).send(_envelope(sms))
    assert caught.value.status == 503 and "simulated outage" in caught.value.reason
    SandboxProvider(db.session).send(_envelope(mail))
    clock.advance(minutes=5)
    SandboxProvider(db.session).send(_envelope(sms))
    assert [row.channel for row in _outbox()] == ["email", "sms"]


def test_an_outage_can_be_ended_early(app):
    set_outage(db.session, "email", NOW + dt.timedelta(hours=1))
    set_outage(db.session, "sms", NOW + dt.timedelta(hours=1))
    set_outage(db.session, "email", None)
    db.session.commit()
    assert outage_until(db.session, "email") is None and outage_until(db.session, "sms") is not None
    with pytest.raises(ValueError):
        set_outage(db.session, "fax", NOW)


def test_find_answers_from_the_outbox(app):
    """Does reconciliation find a sandbox send by our message id, and answer None for one never taken?"""
    sent, lost = _message(), _message()
    external_id = SandboxProvider(db.session).send(_envelope(sent)).external_id
    db.session.commit()
    assert SandboxProvider(db.session).find(_envelope(sent)) == Found(external_id=external_id, status="sent")
    assert SandboxProvider(db.session).find(_envelope(lost)) is None


def test_system_mail_is_recorded_without_a_message_row(app):
    """Staff mail in the sandbox: kind `system`, no message id, no status callbacks queued."""
    queues = app.extensions["jobs"].queues
    SandboxProvider(db.session, kind="system", meta={"category": "invitation"}).send(Envelope(
        message_id=uuid.uuid4(), channel="email", from_address="no-reply@sandbox.funnelchat.test",
        to_address="agent@agency.example", body="Join us", created_at=NOW, subject="Invitation"))
    db.session.commit()
    [row] = _outbox()
    assert (row.kind, row.message_id, row.meta["category"]) == ("system", None, "invitation")
    assert sum(queue.count for queue in queues.values()) == 0
