"""Stripe in tests: one localstripe per test worker (the real stripe SDK talks to it over HTTP), a fixture that
points the app at it, and helpers for what a browser would do with Stripe.js (make a card PaymentMethod,
pass or fail 3-D Secure).

Registered in tests/conftest.py, so any test can ask for `localstripe_url`, `stripe_config` or `stripe_client`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import stripe

from app.config import SANDBOX_STRIPE_PUBLISHABLE_KEY, SANDBOX_STRIPE_SECRET_KEY, SANDBOX_STRIPE_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """Start localstripe on a free loopback port for this test worker; its base URL, once it answers."""
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    log = open(log_path, "w")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.services.payments.localstripe_server", "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(base):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            raise RuntimeError(f"localstripe did not start on {base}:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


@pytest.fixture
def stripe_config(app, localstripe_url, monkeypatch):
    """Point the app's configuration (the Config object and the Flask mapping) at this worker's localstripe, with
    the sandbox keys, for one test; the app's own Config object is returned."""
    config = app.config["CONFIG_OBJECT"]
    settings = {"STRIPE_API_BASE": localstripe_url, "STRIPE_SECRET_KEY": SANDBOX_STRIPE_SECRET_KEY,
                "STRIPE_PUBLISHABLE_KEY": SANDBOX_STRIPE_PUBLISHABLE_KEY,
                "STRIPE_WEBHOOK_SECRET": SANDBOX_STRIPE_WEBHOOK_SECRET}
    for name, value in settings.items():
        monkeypatch.setattr(config, name, value)
        monkeypatch.setitem(app.config, name, value)
    return config


@pytest.fixture
def stripe_client(stripe_config) -> stripe.StripeClient:
    """A client of this worker's localstripe with the secret key, as the server side would use."""
    return stripe.StripeClient(stripe_config.STRIPE_SECRET_KEY, base_addresses={"api": stripe_config.STRIPE_API_BASE},
                               max_network_retries=0)


def card_payment_method(client: stripe.StripeClient, number: str, *, exp_month: int = 12, exp_year: int = 2034,
                        cvc: str = "123") -> str:
    """A card PaymentMethod id from a raw test card number (what Stripe.js makes in the browser).

    localstripe accepts raw numbers; 4000000000000002 is made here and declined only when it is attached."""
    method = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}})
    return method.id


def authenticate(client: stripe.StripeClient, payment_intent_id: str, client_secret: str, *,
                 success: bool = True) -> stripe.PaymentIntent:
    """Pass or fail the 3-D Secure step of a PaymentIntent in `requires_action` (localstripe's stand-in for the
    bank's challenge that confirmCardPayment shows); the PaymentIntent as it is afterwards."""
    response = client.raw_request("post", f"/v1/payment_intents/{payment_intent_id}/_authenticate",
                                  client_secret=client_secret, success="true" if success else "false")
    return client.deserialize(response, api_mode="V1")
