"""Outbound webhooks to a business's URLs: JSON {id, type, createdAt, data}, signed
`X-Funnelchat-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`, delivered by a job after commit and
retried with exponential backoff for 24 h; the database row is the source of truth (the clock re-enqueues)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import uuid
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import select, update

from app.models import WebhookDelivery, WebhookEndpoint
from app.services.crypto import Keyring
from app.services.batch import insert_many
from app.services.errors import NotFound, ValidationError
from app.services.on_commit import on_commit
from app.services.tenancy import Principal

EVENTS = ("account.created", "account.updated", "account.deleted", "payment.succeeded", "payment.failed",
          "payment.refunded", "payment_plan.defaulted")
RETRY_WINDOW = dt.timedelta(hours=24)
TIMEOUT_SECONDS = 10


def _keyring() -> Keyring:
    config = current_app.config["CONFIG_OBJECT"]
    return Keyring.from_config(config.ENCRYPTION_KEYS, current_app.config["SECRET_KEY"])


def signature(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def check_url(url: str, allow_private: bool) -> str:
    """https only, and never an internal address (SSRF) except in the sandbox, where local receivers are the point."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError("Enter a full URL, e.g. https://example.com/hooks/funnelchat.", field="url")
    if parts.scheme != "https" and not allow_private:
        raise ValidationError("Webhook URLs must use https.", field="url")
    if not allow_private:
        try:
            addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
        except socket.gaierror:
            raise ValidationError("That host name does not resolve.", field="url") from None
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
                raise ValidationError("Webhook URLs must point to a public address.", field="url")
    return url


def create_endpoint(db_session, principal: Principal, url: str, events: list[str], description: str | None,
                    now: dt.datetime) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once to the admin)."""
    config = current_app.config["CONFIG_OBJECT"]
    url = check_url(url, allow_private=config.sandbox)
    events = [e for e in events if e in EVENTS]
    if not events:
        raise ValidationError("Choose at least one event.", field="events")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(business_id=principal.business_id, url=url, events=events, description=description,
                               secret_encrypted=_keyring().encrypt(secret.encode(), b"webhook"),
                               created_by_id=principal.user_id, created_at=now)
    db_session.add(endpoint)
    db_session.flush()
    return endpoint, secret


def endpoints(db_session, business_id):
    return db_session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.business_id == business_id)
                              .order_by(WebhookEndpoint.created_at)).all()


def deliveries(db_session, business_id, limit: int = 100):
    return db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.business_id == business_id)
                              .order_by(WebhookDelivery.created_at.desc()).limit(limit)).all()


def get_endpoint(db_session, business_id, endpoint_id) -> WebhookEndpoint:
    try:
        endpoint = db_session.get(WebhookEndpoint, uuid.UUID(str(endpoint_id)))
    except ValueError:
        endpoint = None
    if endpoint is None or endpoint.business_id != business_id:
        raise NotFound("Webhook endpoint not found")
    return endpoint


def emit(db_session, business_id, event_type: str, data: dict, now: dt.datetime) -> list[WebhookDelivery]:
    """Queue the event for every active endpoint that subscribed; delivery starts after the commit."""
    subscribed = [e for e in db_session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.business_id == business_id, WebhookEndpoint.active.is_(True))) if event_type in e.events]
    if not subscribed:
        return []
    event_id = uuid.uuid4()
    body = current_app.json.dumps({"id": str(event_id), "type": event_type,
                                   "createdAt": now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
                                   "data": data})
    rows = []
    for endpoint in subscribed:
        row = WebhookDelivery(business_id=business_id, endpoint_id=endpoint.id, event_id=event_id,
                              event_type=event_type, body=body, status="pending", next_attempt_at=now, created_at=now)
        db_session.add(row)
        rows.append(row)
    db_session.flush()
    jobs = current_app.extensions["jobs"]
    for row in rows:
        jobs.enqueue(db_session, "default", "jobs.webhooks.deliver", str(row.id))
    return rows


def emit_many(db_session, business_id, event_type: str, items: list, now: dt.datetime, data=lambda item: item) -> int:
    """`emit` for a batch (imports): one endpoint query, one insert; `data` is called only when someone listens."""
    subscribed = [e for e in db_session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.business_id == business_id, WebhookEndpoint.active.is_(True))) if event_type in e.events]
    if not subscribed or not items:
        return 0
    created = now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    rows = []
    for item in items:
        event_id = uuid.uuid4()
        body = current_app.json.dumps({"id": str(event_id), "type": event_type, "createdAt": created,
                                       "data": data(item)})
        rows.extend({"id": uuid.uuid4(), "business_id": business_id, "endpoint_id": endpoint.id,
                     "event_id": event_id, "event_type": event_type, "body": body, "status": "pending",
                     "next_attempt_at": now, "created_at": now} for endpoint in subscribed)
    insert_many(db_session, WebhookDelivery, rows)
    jobs = current_app.extensions["jobs"]
    for row in rows:
        jobs.enqueue(db_session, "default", "jobs.webhooks.deliver", str(row["id"]))
    return len(rows)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1, 2, 4 ... minutes, capped at one hour, with jitter so endpoints are not hit in lockstep."""
    base = min(30 * 2 ** (attempts - 1), 3600)
    return dt.timedelta(seconds=base * random.uniform(0.8, 1.2))


def deliver(db_session, delivery_id, now: dt.datetime, session: requests.Session | None = None) -> str:
    """Claim a due delivery and POST it; a replayed or concurrent job finds it claimed and does nothing."""
    claimed = db_session.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == uuid.UUID(str(delivery_id)), WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now).values(status="sending")).rowcount
    db_session.commit()
    if not claimed:
        return "skipped"
    row = db_session.get(WebhookDelivery, uuid.UUID(str(delivery_id)))
    endpoint = db_session.get(WebhookEndpoint, row.endpoint_id)
    row.attempts += 1
    if endpoint is None or not endpoint.active:
        row.status, row.last_error = "failed", "endpoint disabled"
        db_session.commit()
        return row.status
    secret = _keyring().decrypt(endpoint.secret_encrypted, b"webhook").decode()
    stamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": "funnelChat-Webhooks/1.0",
               "X-Funnelchat-Event": row.event_type, "X-Funnelchat-Delivery": str(row.id),
               "X-Funnelchat-Signature": signature(secret, stamp, row.body)}
    try:
        response = (session or requests).post(endpoint.url, data=row.body.encode(), headers=headers,
                                              timeout=TIMEOUT_SECONDS, allow_redirects=False)
        row.last_status_code, row.last_error = response.status_code, None
        ok = 200 <= response.status_code < 300
        if not ok:
            row.last_error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        ok, row.last_error = False, exc.__class__.__name__
    if ok:
        row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
    elif now - row.created_at >= RETRY_WINDOW:
        row.status, row.next_attempt_at = "failed", None
    else:
        row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
    db_session.commit()
    return row.status


def due(db_session, now: dt.datetime) -> list[uuid.UUID]:
    """Pending deliveries whose time has come (the clock enqueues them; a lost job is never lost work)."""
    return list(db_session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now).limit(500)))


def release_stuck(db_session, now: dt.datetime) -> int:
    """A delivery left 'sending' by a crashed worker for 5 minutes goes back to pending (receivers dedupe by id)."""
    return db_session.execute(update(WebhookDelivery).where(
        WebhookDelivery.status == "sending",
        WebhookDelivery.next_attempt_at <= now - dt.timedelta(minutes=5)).values(status="pending")).rowcount or 0
