"""Does the SendGrid adapter, through the real sendgrid SDK against a local SendGrid, send every field SendGrid
needs, map its errors, and find a message through the Email Activity API?"""
from __future__ import annotations

import base64
import dataclasses
import uuid

import pytest

from app.extensions import db
from app.models import SandboxMessage
from app.services.channels import send_system_email
from app.services.channels.providers import for_channel
from app.services.channels.providers.base import Attachment, CannotReconcile, Envelope, Found, PermanentError, \
    RetryableError
from app.services.channels.providers.sendgrid import SendGridProvider
from tests.factories import NOW
from tests.fakes.sendgrid_server import DEFAULT_KEY, FakeSendGrid


@pytest.fixture
def sendgrid(clock):
    with FakeSendGrid(clock=clock.now) as fake:
        yield fake


@pytest.fixture
def provider(sendgrid) -> SendGridProvider:
    return SendGridProvider(DEFAULT_KEY, api_base=sendgrid.url)


def _envelope(**fields) -> Envelope:
    values = dict(message_id=uuid.uuid4(), channel="email", from_address="collections@agency.example",
                  from_name="Acme Recovery", to_address="maria@example.com", subject="Your account",
                  body="Hello Maria,\n\nPlease call us.", html="<p>Hello Maria,</p>", created_at=NOW,
                  reply_to="replies@agency.example", unsubscribe_url="https://app.example/u/abc123",
                  attachments=(Attachment("validation-notice.pdf", "application/pdf", b"%PDF-1.4 notice"),))
    values.update(fields)
    return Envelope(**values)


# -- send ----------------------------------------------------------------------------------------------------------
def test_a_message_reaches_sendgrid_with_every_field(provider, sendgrid):
    """Does SendGrid receive sender and name, recipient, subject, text then HTML, our id as a custom arg, the
    one-click unsubscribe headers, Reply-To and the attachment, and do we keep its X-Message-Id?"""
    envelope = _envelope()
    accepted = provider.send(envelope)

    [got] = sendgrid.received
    mail = got["mail"]
    assert accepted.external_id == got["x_message_id"] and accepted.status == "sent"
    assert mail["from"] == {"email": "collections@agency.example", "name": "Acme Recovery"}
    assert mail["personalizations"] == [{"to": [{"email": "maria@example.com"}]}]
    assert mail["subject"] == "Your account" and mail["reply_to"] == {"email": "replies@agency.example"}
    assert mail["content"] == [{"type": "text/plain", "value": envelope.body},
                               {"type": "text/html", "value": "<p>Hello Maria,</p>"}]
    assert mail["custom_args"] == {"message_id": str(envelope.message_id)}
    assert mail["headers"] == {"List-Unsubscribe": "<https://app.example/u/abc123>",
                               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    [attachment] = mail["attachments"]
    assert (attachment["filename"], attachment["type"], attachment["disposition"]) == (
        "validation-notice.pdf", "application/pdf", "attachment")
    assert base64.b64decode(attachment["content"]) == b"%PDF-1.4 notice"


def test_a_plain_message_has_no_unsubscribe_headers_or_html(provider, sendgrid):
    """Without HTML, an unsubscribe link, Reply-To or attachments, does SendGrid get only the text?"""
    provider.send(_envelope(html=None, unsubscribe_url=None, reply_to=None, attachments=()))
    mail = sendgrid.received[0]["mail"]
    assert mail["content"] == [{"type": "text/plain", "value": "Hello Maria,\n\nPlease call us."}]
    assert "headers" not in mail and "reply_to" not in mail and "attachments" not in mail


# -- errors --------------------------------------------------------------------------------------------------------
def test_a_malformed_message_is_permanent(provider, sendgrid):
    """Is SendGrid's 400 (here: no valid recipient) a permanent failure carrying SendGrid's words?"""
    with pytest.raises(PermanentError) as caught:
        provider.send(_envelope(to_address="maria@localhost"))
    assert caught.value.status == 400 and "valid address" in caught.value.reason
    assert sendgrid.received == []


def test_an_address_the_sdk_cannot_parse_is_permanent(provider, sendgrid):
    """An address so broken that the SDK cannot build the request: permanent for this message, nothing sent."""
    with pytest.raises(PermanentError) as caught:
        provider.send(_envelope(to_address="not an address"))
    assert "cannot be built" in caught.value.reason and sendgrid.requests == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_sendgrid_outage_is_retryable(provider, sendgrid, status):
    """Is a 5xx a retry, and does the message go through once SendGrid is back?"""
    sendgrid.fail(status, requests=1)
    with pytest.raises(RetryableError) as caught:
        provider.send(_envelope())
    assert caught.value.status == status
    assert provider.send(_envelope()).external_id == sendgrid.received[0]["x_message_id"]


def test_rate_limiting_keeps_retry_after(provider, sendgrid):
    """Is a 429 a retry that keeps SendGrid's Retry-After?"""
    sendgrid.fail(429, requests=1, retry_after=30)
    with pytest.raises(RetryableError) as caught:
        provider.send(_envelope())
    assert caught.value.status == 429 and caught.value.retry_after == 30


def test_a_bad_key_waits_for_an_operator(sendgrid):
    """A rejected key (401) or one without permission (403) must not drop debtor mail: is it a retry?"""
    with pytest.raises(RetryableError) as caught:
        SendGridProvider("SG.wrong", api_base=sendgrid.url).send(_envelope())
    assert caught.value.status == 401 and "authorization grant" in caught.value.reason
    sendgrid.fail(403, requests=1)
    with pytest.raises(RetryableError) as caught:
        SendGridProvider(DEFAULT_KEY, api_base=sendgrid.url).send(_envelope())
    assert caught.value.status == 403


def test_an_unreachable_sendgrid_is_retryable(clock):
    """Is a refused connection a retry?"""
    fake = FakeSendGrid(clock=clock.now).start()
    url = fake.url
    fake.stop()
    with pytest.raises(RetryableError) as caught:
        SendGridProvider(DEFAULT_KEY, api_base=url).send(_envelope())
    assert "unreachable" in caught.value.reason


# -- find ----------------------------------------------------------------------------------------------------------
def test_find_answers_none_when_sendgrid_never_got_it(provider, sendgrid):
    """Only other mail was sent: is it safe to send this one (None)?"""
    provider.send(_envelope())
    assert provider.find(_envelope()) is None


def test_find_recognises_the_message_by_our_id(provider, sendgrid):
    """Does the Email Activity search on our custom arg return SendGrid's id and status, mapped to ours?"""
    envelope = _envelope()
    x_message_id = provider.send(envelope).external_id
    assert provider.find(envelope) == Found(external_id=x_message_id, status="sent")
    sendgrid.set_status(x_message_id, "delivered")
    assert provider.find(envelope).status == "delivered"
    sendgrid.set_status(x_message_id, "not_delivered")
    found = provider.find(envelope)
    assert found.status == "failed" and "not delivered" in found.reason
    [search] = [r for r in sendgrid.requests if r["method"] == "GET"][:1]
    assert search["args"] == {"query": f"unique_args['message_id']=\"{envelope.message_id}\"", "limit": "10"}


def test_find_cannot_tell_two_sends_apart(provider, sendgrid):
    """The same message id sent twice: is that for a person, not a guess?"""
    envelope = _envelope()
    provider.send(envelope)
    provider.send(envelope)
    with pytest.raises(CannotReconcile):
        provider.find(envelope)


def test_find_without_email_activity_access_cannot_reconcile(provider, sendgrid):
    """Email Activity is a paid add-on: a refused lookup (403) goes to a person rather than looping forever."""
    sendgrid.fail(403, requests=1, message="access forbidden")
    with pytest.raises(CannotReconcile):
        provider.find(_envelope())


def test_find_during_an_outage_is_retried(provider, sendgrid):
    sendgrid.fail(503, requests=1)
    with pytest.raises(RetryableError):
        provider.find(_envelope())


# -- system mail ---------------------------------------------------------------------------------------------------
@pytest.fixture
def sendgrid_mode(app, sendgrid, monkeypatch):
    """The app configured for SendGrid, pointed at the local one."""
    config = dataclasses.replace(app.config["CONFIG_OBJECT"], SENDGRID_API_KEY=DEFAULT_KEY,
                                 SENDGRID_FROM_EMAIL="no-reply@agency.example", SMTP_URL=None)
    config.SENDGRID_API_BASE = sendgrid.url
    monkeypatch.setitem(app.config, "CONFIG_OBJECT", config)
    return config


def test_system_mail_goes_through_sendgrid(sendgrid_mode, sendgrid, clock):
    """In SendGrid mode, does an invitation go to SendGrid from SENDGRID_FROM_EMAIL, and not to the sandbox?"""
    assert for_channel("email", config=sendgrid_mode, db_session=db.session).name == "sendgrid"
    result = send_system_email(db.session, to="New.Agent@Agency.example", subject="You are invited",
                               body="Join us", now=clock.now(), category="invitation")
    [got] = sendgrid.received
    assert result.provider == "sendgrid" and result.external_id == got["x_message_id"]
    mail = got["mail"]
    assert mail["from"]["email"] == "no-reply@agency.example"
    assert mail["personalizations"] == [{"to": [{"email": "new.agent@agency.example"}]}]
    assert mail["subject"] == "You are invited" and mail["headers"] == {"X-Funnelchat-Category": "invitation"}
    assert db.session.query(SandboxMessage).count() == 0


def test_system_mail_during_an_outage_says_try_later(sendgrid_mode, sendgrid, clock):
    """When SendGrid is down, does system mail fail with a 503 the caller can show, instead of vanishing?"""
    from app.services.channels.system_email import SystemEmailFailed

    sendgrid.fail(503, requests=1)
    with pytest.raises(SystemEmailFailed) as caught:
        send_system_email(db.session, to="staff@agency.example", subject="Hi", body="b", now=clock.now())
    assert caught.value.status == 503
