"""Do account changes reach a business's webhook URL, signed, exactly once per event, retried when it fails?"""
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import WebhookDelivery
from app.services import webhooks
from tests.api.helpers import api_login, bearer
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in


@pytest.fixture
def receiver():
    """A real HTTP server on loopback that records what it receives and answers with a chosen status."""
    state = {"requests": [], "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["requests"].append((dict(self.headers), body.decode()))
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/hooks"
    yield state
    server.shutdown()


def test_account_events_are_delivered_signed_and_retried(client, clock, app, receiver):
    business = gen_business()
    admin = gen_user(business, "business_admin")
    sign_in(client, admin, clock)
    page = client.post("/settings/webhooks", data={"url": receiver["url"], "events": ["account.created", "account.updated"]})
    assert page.status_code == 201
    secret = re.search(rb'id="new-webhook-secret">(whsec_[^<]+)<', page.data).group(1).decode()
    assert secret.encode() not in client.get("/settings/webhooks").data

    clock.advance(seconds=30)
    headers = bearer(api_login(client, admin, clock)["token"])
    created = client.post("/api/v1/accounts", json={"firstName": "Web", "lastName": "Hook", "currentBalance": 10},
                          headers=headers).get_json()["data"]
    assert receiver["requests"] == [], "nothing is sent inside the request"
    app.extensions["jobs"].work_burst()
    sent_headers, body = receiver["requests"][0]
    event = json.loads(body)
    assert event["type"] == "account.created" and event["data"]["id"] == created["id"] and event["createdAt"].endswith("Z")
    assert sent_headers["X-Funnelchat-Event"] == "account.created"
    stamp, mac = re.match(r"t=(\d+),v1=([0-9a-f]{64})$", sent_headers["X-Funnelchat-Signature"]).groups()
    assert hmac.compare_digest(mac, hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest())

    receiver["status"] = 503
    client.patch(f"/api/v1/accounts/{created['id']}", json={"notes": "changed"}, headers=headers)
    app.extensions["jobs"].work_burst()
    failed = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_type == "account.updated")).one()
    db.session.refresh(failed)
    assert failed.status == "pending" and failed.attempts == 1 and failed.last_status_code == 503
    receiver["status"] = 200
    webhooks.deliver(db.session, failed.id, clock.now())
    assert db.session.get(WebhookDelivery, failed.id).status == "pending", "not before its backoff time"
    clock.advance(minutes=2)
    from jobs.clock import tick

    tick(app)
    app.extensions["jobs"].work_burst()
    db.session.expire_all()
    delivered = db.session.get(WebhookDelivery, failed.id)
    assert delivered.status == "delivered" and delivered.attempts == 2
    assert json.loads(receiver["requests"][-1][1])["data"]["changedFields"] == ["notes"]
    assert webhooks.deliver(db.session, failed.id, clock.now()) == "skipped", "a replayed job sends nothing twice"
    log = client.get("/settings/webhooks").get_data(as_text=True)
    assert "account.updated" in log and "delivered" in log


def test_deliveries_give_up_after_24_hours(client, clock, app, receiver):
    business = gen_business()
    admin = gen_user(business, "business_admin")
    sign_in(client, admin, clock)
    client.post("/settings/webhooks", data={"url": receiver["url"], "events": ["account.created"]})
    receiver["status"] = 500
    clock.advance(seconds=30)
    headers = bearer(api_login(client, admin, clock)["token"])
    client.post("/api/v1/accounts", json={"firstName": "A", "lastName": "B", "currentBalance": 1}, headers=headers)
    row = db.session.scalars(select(WebhookDelivery)).one()
    clock.advance(hours=24, seconds=1)
    assert webhooks.deliver(db.session, row.id, clock.now()) == "failed"


def test_public_urls_only_outside_the_sandbox(app):
    with pytest.raises(Exception, match="https"):
        webhooks.check_url("http://example.com/x", allow_private=False)
    with pytest.raises(Exception, match="public"):
        webhooks.check_url("https://127.0.0.1/x", allow_private=False)
    assert webhooks.check_url("http://127.0.0.1:9/x", allow_private=True)


def test_managers_cannot_configure_webhooks(client, clock):
    sign_in(client, gen_user(gen_business(), "manager"), clock)
    assert client.get("/settings/webhooks").status_code == 403
