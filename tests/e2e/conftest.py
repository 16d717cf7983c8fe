"""Browser tests: the real app (`python -m app.devserver`, as `make run` starts it) on a free port with a
fresh database, driven by Playwright in Debian's Chromium, with an axe-core check on every page visited."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyotp
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text()
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _app_context():
    """Browser tests talk to a separate server process: no in-process app context."""
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic"]}


class LiveServer(str):
    """The base URL, plus where the server keeps its database (to read the sandbox outbox)."""

    database: Path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The product as `make run` serves it: migrations, demo data, localstripe, embedded worker and clock."""
    workdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_", "ANTHROPIC_", "REDIS_URL", "DATABASE_URL"))}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{workdir / 'e2e.db'}", LOCALSTRIPE_PORT=str(_free_port()),
               SECRET_KEY="e2e-secret")
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "app.devserver"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if json.loads(response.read()).get("status") == "ok":
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise RuntimeError("server did not start:\n" + (workdir / "server.log").read_text()[-3000:])
        time.sleep(0.3)
    server = LiveServer(base)
    server.database = workdir / "e2e.db"
    yield server
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


def check_accessibility(page, name: str) -> list[dict]:
    """Run axe-core on the page; fail on any serious or critical violation (WCAG 2.1 AA rules)."""
    page.evaluate(AXE)
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(result["violations"], indent=2))
    assert not bad, f"accessibility violations on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in bad)
    return result["violations"]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, base: str, email: str, secret: str, password: str = "Demo-Collect-2026!") -> None:
    page.goto(f"{base}/login")
    check_accessibility(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/login/mfa")
    check_accessibility(page, "mfa")
    page.get_by_label("Authentication code").fill(fresh_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url("**/dashboard")


def outbox_link(server, to: str, pattern: str) -> str:
    """The newest sandbox email to `to`, and the first link in it matching `pattern`."""
    import re
    import sqlite3

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(server.database) as conn:
            row = conn.execute("SELECT body FROM sandbox_messages WHERE to_address = ? ORDER BY created_at DESC",
                               (to,)).fetchone()
        if row:
            match = re.search(pattern, row[0])
            if match:
                return match.group(0)
        time.sleep(0.3)
    raise AssertionError(f"no email to {to} with a link like {pattern}")


_USED_STEPS: dict[str, int] = {}


def fresh_code(secret: str) -> str:
    """A TOTP code from a step this secret has not used yet (the server refuses replays), not about to expire."""
    totp = pyotp.TOTP(secret)
    while True:
        now = time.time()
        step = int(now // totp.interval)
        if step > _USED_STEPS.get(secret, -1) and totp.interval - now % totp.interval >= 3:
            _USED_STEPS[secret] = step
            return totp.at(now)
        time.sleep(0.5)


def api_call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    """One JSON API call to the live server (`path` below /api/v1), as an integration would make it."""
    request = urllib.request.Request(f"{base}/api/v1{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())


def api_token(base: str, email: str, secret: str, password: str = "Demo-Collect-2026!") -> str:
    """An access token for a demo staff member (a fresh TOTP step each time)."""
    body = {"email": email, "password": password, "mfaCode": fresh_code(secret)}
    return api_call(base, "POST", "/auth/login", body=body)["data"]["token"]
