"""Can a business admin read and change the business's settings, and see its sender addresses?"""
from __future__ import annotations

from app.extensions import db
from app.models import Business
from tests.api.helpers import api_login, bearer
from tests.factories import gen_business, gen_user


def test_admin_settings_show_the_sender_addresses_and_usage(client, clock):
    """DESIGN.md section 8: messaging {smsNumber, whatsappNumber, emailAddress}, unique per business."""
    business = gen_business()
    other = gen_business()
    token = api_login(client, gen_user(business, "business_admin"), clock)["token"]
    data = client.get("/api/v1/admin/settings", headers=bearer(token)).get_json()["data"]
    messaging = data["messaging"]
    assert messaging["smsNumber"].startswith("+1555") and messaging["emailAddress"].endswith("@sandbox.funnelchat.test")
    assert messaging["smsNumber"] != db.session.get(Business, other.id).sms_number
    assert data["usage"] == {"periodStart": "2026-11-01", "messagesSent": 0, "messagesReceived": 0}
    assert data["compliance"]["windowStart"] == "08:00" and data["name"] == business.name


def test_a_business_admin_changes_profile_and_compliance_settings(client, clock):
    business = gen_business()
    token = api_login(client, gen_user(business, "business_admin"), clock)["token"]
    response = client.patch("/api/v1/admin/settings", headers=bearer(token), json={
        "phone": "+1 214 555 0100", "compliance": {"supportEmail": "help@acme.example",
                                                   "disputeAddress": "PO Box 1, Dallas, TX 75201"}})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["phone"] == "+1 214 555 0100" and data["compliance"]["supportEmail"] == "help@acme.example"
    bad = client.patch("/api/v1/admin/settings", headers=bearer(token), json={"smsNumber": "+15550000000"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "smsNumber"


def test_managers_and_agents_may_not_read_settings(client, clock):
    business = gen_business()
    for role in ("manager", "agent"):
        token = api_login(client, gen_user(business, role), clock)["token"]
        assert client.get("/api/v1/admin/settings", headers=bearer(token)).status_code == 403
