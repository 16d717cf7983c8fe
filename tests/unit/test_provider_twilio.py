"""Does the Twilio adapter, through the real twilio SDK against a local Twilio, send what Twilio needs, map every
kind of refusal, and find a message it sent before a crash?"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.services.channels.providers.base import CannotReconcile, Envelope, Found, PermanentError, RetryableError
from app.services.channels.providers.twilio import TwilioProvider
from tests.factories import NOW
from tests.fakes.twilio_server import DEFAULT_SID, DEFAULT_TOKEN, FakeTwilio

OURS, DEBTOR = "+12145550100", "+12145550143"


@pytest.fixture
def twilio(clock):
    """A local Twilio whose clock is the suite's, so message times line up with our rows."""
    with FakeTwilio(clock=clock.now) as fake:
        yield fake


@pytest.fixture
def provider(twilio) -> TwilioProvider:
    return TwilioProvider(DEFAULT_SID, DEFAULT_TOKEN, api_base=twilio.url)


def _envelope(channel="sms", to=DEBTOR, body="Hi Maria, can we talk about your account?", **fields) -> Envelope:
    message_id = fields.pop("message_id", uuid.uuid4())
    return Envelope(message_id=message_id, channel=channel, from_address=OURS, to_address=to, body=body,
                    created_at=fields.pop("created_at", NOW),
                    status_callback=f"https://app.example/api/v1/webhooks/twilio/status?m={message_id}", **fields)


# -- send ----------------------------------------------------------------------------------------------------------
def test_an_sms_reaches_twilio_with_its_status_callback(provider, twilio):
    """Does Twilio receive To, From, Body and the StatusCallback URL carrying our id, and do we keep its SM sid?"""
    envelope = _envelope()
    accepted = provider.send(envelope)

    [got] = twilio.received
    assert (got["to"], got["from"], got["body"]) == (DEBTOR, OURS, envelope.body)
    assert got["status_callback"] == f"https://app.example/api/v1/webhooks/twilio/status?m={envelope.message_id}"
    assert accepted.external_id == got["sid"] and accepted.external_id.startswith("SM") and accepted.status == "sent"


def test_whatsapp_numbers_carry_the_prefix(provider, twilio):
    """Are both numbers sent as `whatsapp:+1...` for the WhatsApp channel?"""
    provider.send(_envelope(channel="whatsapp"))
    assert (twilio.received[0]["to"], twilio.received[0]["from"]) == (f"whatsapp:{DEBTOR}", f"whatsapp:{OURS}")


def test_a_message_without_status_callback_sends_none(provider, twilio):
    """No callback URL on the envelope: is no StatusCallback field sent at all?"""
    provider.send(Envelope(message_id=uuid.uuid4(), channel="sms", from_address=OURS, to_address=DEBTOR, body="x",
                           created_at=NOW))
    assert twilio.received[0]["status_callback"] is None


# -- refusals ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("number, code, words, opt_out", [
    ("+15005550001", 21211, "invalid phone number", False),
    ("+15005550009", 21614, "not a mobile number", False),
    ("+15005550003", 21408, "region is not enabled", False),
    ("+15005550004", 21610, "unsubscribed", True),
])
def test_twilio_magic_numbers_are_permanent(provider, twilio, number, code, words, opt_out):
    """Are Twilio's refusals of a number permanent, named by code and in words, and is 21610 an opt-out?"""
    with pytest.raises(PermanentError) as caught:
        provider.send(_envelope(to=number))
    error = caught.value
    assert error.code == code and error.status == 400 and error.opt_out is opt_out
    assert str(code) in error.reason and words in error.reason
    assert twilio.received == []


def test_whatsapp_outside_the_window_is_permanent_and_named(provider, twilio):
    """Is 63016 (WhatsApp free-form message outside 24 hours) permanent, with the reason in words?"""
    twilio.fail(400, requests=1, code=63016, message="Failed to send freeform message because you are outside the "
                                                     "allowed window.")
    with pytest.raises(PermanentError) as caught:
        provider.send(_envelope(channel="whatsapp"))
    assert caught.value.code == 63016 and "24-hour window" in caught.value.reason
    assert not caught.value.opt_out


@pytest.mark.parametrize("status", [500, 503])
def test_a_twilio_outage_is_retryable(provider, twilio, status):
    """Is a 5xx a retry, and does the message go through once Twilio is back?"""
    twilio.fail(status, requests=1)
    with pytest.raises(RetryableError) as caught:
        provider.send(_envelope())
    assert caught.value.status == status and twilio.received == []
    assert provider.send(_envelope()).external_id == twilio.received[0]["sid"]


def test_rate_limiting_is_retried_after_twilio_says(provider, twilio):
    """Is a 429 a retry that keeps Twilio's Retry-After?"""
    twilio.fail(429, requests=1, retry_after=17)
    with pytest.raises(RetryableError) as caught:
        provider.send(_envelope())
    assert caught.value.status == 429 and caught.value.retry_after == 17


def test_a_wrong_auth_token_waits_for_an_operator(twilio):
    """A rejected token is our setup, not the debtor's number: is it retried rather than failing the message?"""
    with pytest.raises(RetryableError) as caught:
        TwilioProvider(DEFAULT_SID, "not-the-token", api_base=twilio.url).send(_envelope())
    assert caught.value.status == 401 and caught.value.code == 20003


def test_an_unreachable_twilio_is_retryable(clock):
    """Is a refused connection a retry?"""
    fake = FakeTwilio(clock=clock.now).start()
    url = fake.url
    fake.stop()
    with pytest.raises(RetryableError) as caught:
        TwilioProvider(DEFAULT_SID, DEFAULT_TOKEN, api_base=url).send(_envelope())
    assert "unreachable" in caught.value.reason
    assert not caught.value.ambiguous  # the connection was never made: nothing reached Twilio


def test_a_lost_answer_is_retryable_but_ambiguous(provider, twilio):
    """Twilio took the message and the connection died before its answer: the error says Twilio may have it."""
    twilio.drop_answers(1)
    with pytest.raises(RetryableError) as caught:
        provider.send(_envelope())
    assert caught.value.ambiguous and len(twilio.received) == 1


# -- find ----------------------------------------------------------------------------------------------------------
def test_find_answers_none_when_twilio_never_got_it(provider, twilio):
    """Nothing was sent (or only other texts to the same debtor): is it safe to send, i.e. None?"""
    provider.send(_envelope(body="A different message"))
    assert provider.find(_envelope()) is None


def test_find_recognises_the_message_it_sent(provider, twilio, clock):
    """After a crash between Twilio's answer and our commit, does find() return Twilio's sid and status?"""
    envelope = _envelope()
    sid = provider.send(envelope).external_id
    clock.advance(minutes=3)
    assert provider.find(envelope) == Found(external_id=sid, status="sent")
    twilio.set_status(sid, "delivered")
    assert provider.find(envelope).status == "delivered"


def test_find_reports_an_undelivered_message_with_its_code(provider, twilio):
    """Is Twilio's `undelivered` our `failed`, with the code and its meaning in the reason?"""
    envelope = _envelope(channel="whatsapp")
    sid = provider.send(envelope).external_id
    twilio.set_status(sid, "undelivered", 63016, "Outside the allowed window")
    found = provider.find(envelope)
    assert found.status == "failed" and "63016" in found.reason and "24-hour window" in found.reason


def test_find_ignores_messages_sent_before_the_row_was_written(provider, twilio, clock):
    """An identical text sent an hour earlier (another row) is not this row's message."""
    provider.send(_envelope())
    clock.advance(hours=1)
    assert provider.find(_envelope(created_at=clock.now())) is None


def test_find_cannot_tell_identical_messages_apart(provider, twilio):
    """Two identical texts to the same number in the window: is that for a person, not a guess?"""
    provider.send(_envelope())
    provider.send(_envelope())
    with pytest.raises(CannotReconcile):
        provider.find(_envelope())


def test_find_reads_past_the_first_page(provider, twilio, clock):
    """With more messages than one page holds, does find() follow Twilio's next_page_uri?"""
    first = _envelope(body="The first one")
    sid = provider.send(first).external_id
    for n in range(55):
        clock.advance(seconds=1)
        provider.send(_envelope(body=f"Later message {n}"))
    assert provider.find(first).external_id == sid
    assert any(r["args"].get("Page") == "1" for r in twilio.requests)


def test_find_during_an_outage_is_retried(provider, twilio):
    """A lookup that Twilio cannot answer now is asked again later (RetryableError), not decided."""
    twilio.fail(503, requests=1)
    with pytest.raises(RetryableError):
        provider.find(_envelope())


def test_a_lookup_twilio_refuses_cannot_reconcile(provider, twilio):
    """A lookup refused for good (a 4xx) tells us nothing: CannotReconcile, so a person decides."""
    twilio.fail(404, requests=1, code=20404, message="The requested resource was not found")
    with pytest.raises(CannotReconcile):
        provider.find(_envelope())


def test_the_lookup_window_starts_two_minutes_before_the_row(provider, twilio):
    """Does find() ask Twilio for messages sent since the row was written minus two minutes (clock skew)?"""
    provider.find(_envelope())
    [lookup] = [r for r in twilio.requests if r["method"] == "GET"]
    assert lookup["args"]["DateSent>"] == (NOW - dt.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lookup["args"]["To"] == DEBTOR and lookup["args"]["From"] == OURS
