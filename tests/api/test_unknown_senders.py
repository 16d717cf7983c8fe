"""Does a message from an unknown address land in the unknown-senders list of that business only?"""
from __future__ import annotations

from app.extensions import db
from app.services.channels.inbound import InboundMessage, receive
from tests.api.helpers import api_login, bearer
from tests.factories import NOW, gen_user
from tests.messaging import messaging_business


def test_unknown_senders_are_listed_for_their_business_only(client, clock):
    business = messaging_business()
    other = messaging_business()
    receive(db.session, InboundMessage(channel="sms", from_address="+14695550177", to_address=business.sms_number,
                                       body="<script>alert(1)</script> who is this", external_id="SMunknown1",
                                       provider="twilio"), NOW)
    db.session.commit()
    token = api_login(client, gen_user(business, "agent"), clock)["token"]
    data = client.get("/api/v1/unknown-senders", headers=bearer(token)).get_json()
    assert data["meta"]["total"] == 1
    row = data["data"][0]
    assert row["from"] == "+14695550177" and row["replied"] and row["body"].startswith("<script>")
    other_token = api_login(client, gen_user(other, "manager"), clock)["token"]
    assert client.get("/api/v1/unknown-senders", headers=bearer(other_token)).get_json()["meta"]["total"] == 0
    assert client.get("/api/v1/unknown-senders?channel=fax", headers=bearer(token)).status_code == 400
