"""POST /api/v1/accounts/<id>/payment-link: who may create a payment link, what the answer holds, and what happens
to the link when the compliance gate stops the message."""
import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Message, PortalLink
from app.services.portal import links
from tests.api.helpers import api_login, bearer
from tests.factories import NOW, gen_account, gen_business, gen_user
from tests.messaging import EMAIL, PHONE, debtor, messaging_business


@pytest.fixture
def shop(client, clock):
    business = messaging_business("Pay Co")
    manager = gen_user(business, "manager")
    return business, bearer(api_login(client, manager, clock)["token"])


def _post(client, headers, account, **body):
    return client.post(f"/api/v1/accounts/{account.id}/payment-link", json=body, headers=headers)


def _error(response, status, code, field=None):
    assert response.status_code == status, response.get_json()
    err = response.get_json()["error"]
    assert err["code"] == code and (field is None or err["field"] == field), err
    return err


def test_a_manager_sends_a_payment_link_by_text(client, shop, clock):
    """Does a manager get 201 with the link, its expiry, the message id and its delivery status, the text carry the
    link, and the link open the portal (purpose payment, 7 days)?"""
    business, headers = shop
    account = debtor(business, contacted=True)
    response = _post(client, headers, account)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert set(data) == {"url", "expiresAt", "messageId", "deliveryStatus", "channel"}
    assert data["deliveryStatus"] == "queued" and data["channel"] == "sms"
    assert data["expiresAt"] == f"{clock.now() + dt.timedelta(days=7):%Y-%m-%dT%H:%M:%SZ}"
    token = re.fullmatch(r"http://127\.0\.0\.1:5000/p/([A-Za-z0-9_-]{35})", data["url"]).group(1)
    link = links.resolve(db.session, token, clock.now())
    message = db.session.get(Message, uuid.UUID(data["messageId"]))
    assert link.purpose == "payment" and link.message_id == message.id and link.created_by_id is not None
    assert data["url"] in message.content and message.to_address == PHONE
    assert (message.kind, message.purpose) == ("agent", "payment_link")  # staff-sent: counted, held by disputes
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "portal_link_issued")).one()


def test_an_email_link_and_a_link_not_sent(client, shop):
    """Does channel=email send to the email on file, and send=false only issue the link?"""
    business, headers = shop
    account = debtor(business, contacted=True)
    emailed = _post(client, headers, account, channel="email").get_json()["data"]
    assert db.session.get(Message, uuid.UUID(emailed["messageId"])).to_address == EMAIL
    quiet = _post(client, headers, account, send=False)
    assert quiet.status_code == 201
    data = quiet.get_json()["data"]
    assert data["messageId"] is None and data["deliveryStatus"] is None and data["url"].startswith("http")
    assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_idempotency_key_replays_the_same_link(client, shop):
    """Does a retried POST with the same Idempotency-Key answer the same link without sending twice?"""
    business, headers = shop
    account = debtor(business, contacted=True)
    keyed = {**headers, "Idempotency-Key": "pay-1"}
    first = client.post(f"/api/v1/accounts/{account.id}/payment-link", json={}, headers=keyed)
    second = client.post(f"/api/v1/accounts/{account.id}/payment-link", json={}, headers=keyed)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json() and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(PortalLink)) == 1


def test_a_blocked_send_answers_422_and_revokes_the_link(client, shop, clock):
    """With a cease on file, is the answer 422 COMPLIANCE_BLOCKED with the rules, the message stored blocked and the
    link revoked?"""
    business, headers = shop
    account = debtor(business, contacted=True, cease_received_at=NOW - dt.timedelta(days=1), cease_type="cease")
    err = _error(_post(client, headers, account), 422, "COMPLIANCE_BLOCKED")
    assert any(rule.startswith("CEASE") for rule in err["rules"]) and err["messageId"]
    link = db.session.scalars(select(PortalLink)).one()
    assert link.revoked_at == clock.now()
    assert db.session.get(Message, uuid.UUID(err["messageId"])).delivery_status == "blocked"


def test_a_deferred_send_is_scheduled(client, shop, clock):
    """At 22:00 in Dallas, is the link's message scheduled for the morning (201, scheduledFor)?"""
    business, headers = shop
    account = debtor(business, contacted=True)
    clock.set(dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.timezone.utc))
    data = _post(client, headers, account).get_json()["data"]
    assert data["deliveryStatus"] == "scheduled" and data["scheduledFor"] == "2026-11-26T14:00:00Z"


def test_bad_bodies_are_400(client, shop):
    """Is an unknown channel, a channel without an address or a non-boolean send a 400 naming the field?"""
    business, headers = shop
    account = debtor(business, contacted=True, email=None)
    _error(_post(client, headers, account, channel="fax"), 400, "VALIDATION_ERROR", "channel")
    _error(_post(client, headers, account, channel="email"), 400, "VALIDATION_ERROR", "channel")
    _error(_post(client, headers, account, send="yes"), 400, "VALIDATION_ERROR", "send")
    assert db.session.scalar(select(func.count()).select_from(PortalLink)) == 0


def test_who_may_create_a_payment_link(client, shop, clock):
    """Is another business's account 404, another agent's queue 403, the agent's own queue 201, and no token 401?"""
    business, headers = shop
    account = debtor(business, contacted=True)
    other = gen_account(gen_business())
    _error(_post(client, headers, other), 404, "NOT_FOUND")
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    account.assigned_agent_id = colleague.id
    db.session.commit()
    agent_headers = bearer(api_login(client, agent, clock)["token"])
    _error(_post(client, agent_headers, account), 403, "FORBIDDEN")
    account.assigned_agent_id = agent.id
    db.session.commit()
    assert _post(client, agent_headers, account).status_code == 201
    _error(client.post(f"/api/v1/accounts/{account.id}/payment-link", json={}), 401, "UNAUTHORIZED")


def test_the_openapi_document_lists_the_endpoint(client):
    """Is the operation in /api/v1/openapi.json?"""
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/accounts/{id}/payment-link"]["post"]
    assert "201" in operation["responses"] and "422" in operation["responses"]


def test_an_open_dispute_holds_a_payment_link_staff_send(client, shop):
    """DISPUTE-1: a written dispute inside the validation period stops collection, and a payment link staff send on
    their own is collection; the link is revoked with the blocked message."""
    from app.models import DebtDispute

    business, headers = shop
    account = debtor(business, contacted=True, validation_period_end=(NOW + dt.timedelta(days=10)).date())
    db.session.add(DebtDispute(business_id=business.id, account_id=account.id, kind="dispute",
                               received_at=NOW - dt.timedelta(days=1), written=True, channel="mail", within_vp=True))
    db.session.commit()
    err = _error(_post(client, headers, account), 422, "COMPLIANCE_BLOCKED")
    assert any(rule.startswith("DISPUTE") for rule in err["rules"])
    assert db.session.scalars(select(PortalLink)).one().revoked_at is not None
