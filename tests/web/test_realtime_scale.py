"""Does the Procfile's web process (gunicorn's gevent worker) hold websockets, talk to PostgreSQL without stalling
its other sockets, enqueue RQ jobs, and deliver what a separate RQ worker emits through Redis?

These run the real processes, so they need PostgreSQL and Redis (DATABASE_URL and REDIS_URL, as `.ci/run`'s second
pass sets them)."""
from __future__ import annotations

import asyncio
import os
import queue
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyotp
import pytest
import requests
import socketio as socketio_client
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import Message, WebhookEvent
from tests.conftest import _redis_url
from tests.factories import PASSWORD, gen_account, gen_business, gen_user

ROOT = Path(__file__).resolve().parents[2]
DEBTOR_PHONE = "+12125550188"
SMS_PATH = "/api/v1/webhooks/twilio/sms"

pytestmark = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
    reason="the gevent web process is checked against PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's `web:` line as the platform runs it, on a loopback port."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = line.split(":", 1)[1].replace("${PORT:-5000}", str(port)).replace("0.0.0.0", "127.0.0.1")
    words = shlex.split(command)
    assert words[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *words[1:]]


class Server(str):
    """The base URL, plus the environment the web process was given (the worker gets the same)."""

    env: dict
    log: Path


def _start(port: int, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(procfile_web_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("wb"), start_new_session=True)


def _wait_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the web process did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


@pytest.fixture(scope="module")
def gevent_servers(app, database_url, tmp_path_factory):
    """Two web processes exactly as the Procfile starts them, sharing this test worker's database and Redis
    database (the first one's URL is the public one Twilio signs)."""
    workdir = tmp_path_factory.mktemp("gevent-web")
    ports = [_free_port(), _free_port()]
    public = f"http://127.0.0.1:{ports[0]}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_", "ANTHROPIC_", "SOCKETIO_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=_redis_url(), SECRET_KEY="test-secret-key", PUBLIC_URL=public)
    servers, processes = [], []
    try:
        for i, port in enumerate(ports):
            log = workdir / f"web{i}.log"
            processes.append(_start(port, dict(env, PORT=str(port)), log))
            server = Server(f"http://127.0.0.1:{port}")
            server.env, server.log = env, log
            servers.append(server)
        for server, process in zip(servers, processes):
            _wait_ready(server, process, server.log)
        yield servers
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def gevent_server(gevent_servers):
    return gevent_servers[0]


class SocketClient:
    """A python-socketio AsyncClient on its own event loop thread; received events land in a queue."""

    def __init__(self, events: tuple[str, ...]):
        self.received: queue.Queue = queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = socketio_client.AsyncClient(reconnection=False)
        for name in events:
            self.sio.on(name, lambda data, name=name: self.received.put((name, data)))

    def _run(self, coroutine, timeout: float = 20):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def connect(self, base: str, token: str) -> None:
        self._run(self.sio.connect(base, transports=["websocket"], auth={"token": token}, wait_timeout=10))

    @property
    def transport(self) -> str:
        return self.sio.transport()

    def next_event(self, timeout: float) -> tuple[str, dict]:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        try:
            self._run(self.sio.disconnect())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


def login(base: str, user) -> str:
    """An access token from the server's own login endpoint (password and TOTP, as an integration signs in)."""
    response = requests.post(base + "/api/v1/auth/login", timeout=10, json={
        "email": user.email, "password": PASSWORD, "mfaCode": pyotp.TOTP(user.mfa_secret).now()})
    assert response.status_code == 200, response.text
    return response.json()["data"]["token"]


def post_sms(base: str, to_number: str, body: str) -> tuple[str, requests.Response]:
    """A plain text from the debtor to one of our numbers, signed as Twilio signs it."""
    sid = "SM" + secrets.token_hex(16)
    form = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": DEBTOR_PHONE, "To": to_number,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
    signature = RequestValidator("sandbox-twilio-token").compute_signature(base + SMS_PATH, form)
    return sid, requests.post(base + SMS_PATH, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def test_rq_worker_event_reaches_agents_on_both_gevent_processes(gevent_servers):
    """Two agents hold JWT-authenticated websockets, one on each gevent web process; a debtor's text arrives at the
    first process and is queued for RQ; a separate worker process stores it and emits through Redis: does each
    agent get `message.created` for that message, in the business room, with the same event id?"""
    business = gen_business()
    agents = [gen_user(business, "agent"), gen_user(business, "agent")]
    gen_account(business, phone=DEBTOR_PHONE)
    clients = [SocketClient(("message.created",)) for _ in gevent_servers]
    try:
        for client, server, agent in zip(clients, gevent_servers, agents):
            client.connect(server, login(server, agent))
            assert client.transport == "websocket"
        public = gevent_servers[0]
        sid, response = post_sms(public, business.sms_number, "Can I pay half on Friday?")
        assert response.status_code == 200
        worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
                                cwd=ROOT, env=public.env, capture_output=True, text=True, timeout=120)
        assert worker.returncode == 0, worker.stderr[-2000:]
        message_id = db.session.scalar(select(Message.id).where(Message.external_id == sid))
        assert message_id is not None, "the worker stored the text the gevent process queued"
        received = []
        for client in clients:
            deadline = time.monotonic() + 10
            while True:
                name, payload = client.next_event(timeout=max(0.1, deadline - time.monotonic()))
                if payload.get("room") == f"business:{business.id}":
                    break
            assert name == "message.created" and payload["messageId"] == str(message_id)
            received.append(payload["eventId"])
        assert re.fullmatch(r"\d+-\d+", received[0]) and received[0] == received[1]
    finally:
        for client in clients:
            client.close()
    assert all("Using worker: gevent" in server.log.read_text() for server in gevent_servers)


def test_a_request_waiting_on_postgresql_does_not_stall_the_process(gevent_server):
    """While one request waits on a PostgreSQL lock, does the same gevent process still answer /healthz (which asks
    the database and Redis) at once? psycopg's C wait would hold the whole process until the lock was released."""
    number = gen_business().sms_number
    outcome: dict = {}
    with db.engine.connect() as locker:
        locker.execute(text("LOCK TABLE webhook_events IN SHARE MODE"))  # blocks the webhook's INSERT
        waiting = threading.Thread(target=lambda: outcome.update(zip(("sid", "response"), post_sms(
            gevent_server, number, "Is this still open?"))))
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive(), "the webhook should be waiting on the lock"
        started = time.monotonic()
        try:
            health = requests.get(gevent_server + "/healthz", timeout=3)
        except requests.Timeout:
            health = None
        answered_in = time.monotonic() - started
        still_waiting = waiting.is_alive()
        locker.rollback()
    waiting.join(30)
    assert health is not None and answered_in < 1.0, f"/healthz took {answered_in:.2f} s behind a waiting query"
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert still_waiting, "/healthz answered while the other request was still waiting on PostgreSQL"
    assert outcome["response"].status_code == 200
    stored = db.session.scalar(select(func.count()).select_from(WebhookEvent).where(
        WebhookEvent.external_id == outcome["sid"]))
    assert stored == 1
