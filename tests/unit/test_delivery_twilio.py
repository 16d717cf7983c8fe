"""Through the real twilio SDK against a local Twilio: is a message whose answer was lost reconciled, not resent?"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Message
from app.services import channels
from app.services.channels import delivery
from tests.factories import NOW
from tests.fakes.twilio_server import DEFAULT_SID, DEFAULT_TOKEN
from tests.messaging import debtor, messaging_business


def _queued(business):
    account = debtor(business, contacted=True)
    outcome = channels.send(db.session, account=account, channel="sms", body="Hi Maria, can we talk?", now=NOW)
    db.session.commit()
    return outcome.message


def test_a_lost_answer_leaves_the_row_for_the_reconciler_which_finds_it(twilio, clock):
    business = messaging_business()
    message = _queued(business)
    twilio.drop_answers(1)
    assert delivery.deliver(db.session, message.id, NOW) == "unconfirmed"
    row = db.session.get(Message, message.id)
    assert row.delivery_status == "sending" and row.provider == "twilio"
    assert delivery.deliver(db.session, message.id, NOW) == "sending"  # a second job does not resend it
    clock.advance(minutes=3)
    assert delivery.reconcile(db.session, clock.now()) == {"found": 1, "requeued": 0, "review": 0}
    row = db.session.get(Message, message.id)
    assert row.delivery_status == "sent" and row.external_id == twilio.received[0]["sid"]
    assert len(twilio.received) == 1


def test_a_status_callback_settles_a_row_whose_answer_was_lost(twilio, client, app, clock):
    """The callback carries our id: it stores Twilio's sid on a row still in `sending` and moves it on."""
    from twilio.request_validator import RequestValidator

    business = messaging_business()
    message = _queued(business)
    twilio.drop_answers(1)
    delivery.deliver(db.session, message.id, NOW)
    sid = twilio.received[0]["sid"]
    url = f"{app.config['PUBLIC_URL']}/api/v1/webhooks/twilio/status?m={message.id}"
    form = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+12145550143", "From": "+12145550100",
            "AccountSid": DEFAULT_SID}
    signature = RequestValidator(DEFAULT_TOKEN).compute_signature(url, form)
    response = client.post(f"/api/v1/webhooks/twilio/status?m={message.id}", data=form,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    db.session.expire_all()
    row = db.session.get(Message, message.id)
    assert row.delivery_status == "delivered" and row.external_id == sid
    clock.advance(minutes=3)
    assert delivery.reconcile(db.session, clock.now()) == {"found": 0, "requeued": 0, "review": 0}


def test_a_message_twilio_never_got_goes_back_to_the_queue_and_out_once(twilio, clock):
    business = messaging_business()
    message = _queued(business)
    row = db.session.get(Message, message.id)
    row.delivery_status, row.claimed_at, row.provider, row.attempts = "sending", NOW, "twilio", 1
    db.session.commit()  # claimed, then the worker died before calling Twilio
    clock.advance(minutes=3)
    assert delivery.reconcile(db.session, clock.now()) == {"found": 0, "requeued": 1, "review": 0}
    assert delivery.deliver(db.session, message.id, clock.now()) == "sent"
    assert len(twilio.received) == 1
    assert db.session.scalars(select(Message.delivery_status).where(Message.id == message.id)).one() == "sent"
