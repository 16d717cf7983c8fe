"""The account file's Messages tab: staff send through the gate and see each message's delivery, escaped."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Message
from app.services.channels.inbound import InboundMessage, receive
from tests.factories import NOW, gen_user
from tests.messaging import debtor, messaging_business
from tests.web.auth_helpers import sign_in


def test_a_manager_sends_an_sms_and_sees_it_queued(client, clock):
    business = messaging_business()
    account = debtor(business, contacted=True)
    sign_in(client, gen_user(business, "manager"), clock)
    response = client.post(f"/accounts/{account.id}/messages", data={"channel": "sms", "content": "Hi Maria, can we talk?"},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sent to the provider queue." in html and "<html" not in html
    message = db.session.scalars(select(Message)).one()
    assert message.delivery_status == "queued" and message.sender_type == "agent"
    assert "Reply STOP to opt out." in message.content
    page = client.get(f"/accounts/{account.id}?tab=messages").get_data(as_text=True)
    assert "Hi Maria, can we talk?" in page and "queued" in page


def test_a_blocked_message_says_why_inline(client, clock):
    business = messaging_business()
    account = debtor(business, contacted=True, cease_received_at=NOW - dt.timedelta(days=1), cease_type="written",
                     cease_channel="mail", cease_written=True)
    sign_in(client, gen_user(business, "business_admin"), clock)
    html = client.post(f"/accounts/{account.id}/messages", data={"channel": "sms", "content": "Hello"},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Not sent. Blocked by CEASE" in html and 'aria-invalid="true"' in html
    assert "blocked by CEASE" in html  # the stored, blocked message is listed with its rules


def test_a_debtors_script_is_shown_as_text(client, clock):
    business = messaging_business()
    account = debtor(business, contacted=True)
    receive(db.session, InboundMessage(channel="sms", from_address=account.phone, to_address=business.sms_number,
                                       body="<script>alert('x')</script><b>hi</b>", external_id="SMxss",
                                       provider="twilio"), NOW)
    db.session.commit()
    sign_in(client, gen_user(business, "manager"), clock)
    page = client.get(f"/accounts/{account.id}?tab=messages").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_an_agent_cannot_message_another_agents_debtor(client, clock):
    business = messaging_business()
    other = gen_user(business, "agent")
    account = debtor(business, contacted=True, assigned_agent_id=other.id)
    sign_in(client, gen_user(business, "agent"), clock)
    response = client.post(f"/accounts/{account.id}/messages", data={"channel": "sms", "content": "Hello"},
                           headers={"HX-Request": "true"})
    assert db.session.scalars(select(Message)).first() is None
    assert response.status_code in (403, 404) or "another agent" in response.get_data(as_text=True)
