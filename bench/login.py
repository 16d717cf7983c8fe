"""Login latency at 20 concurrent clients against the real server (`python -m app.devserver`).

Baselines in the same run: the password hash alone (Argon2id verify, one thread), and GET /healthz at the
same concurrency (what the server costs without the login work).

    python -m bench.login [--users 120] [--concurrency 20]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pyotp
import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-Pass-2026!x"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _SourceAdapter(HTTPAdapter):
    """Each simulated client has its own loopback address, as real clients have their own IPs."""

    def __init__(self, source_ip: str):
        self.source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kwargs)


def _session(index: int) -> requests.Session:
    session = requests.Session()
    adapter = _SourceAdapter(f"127.0.{30 + index // 250}.{1 + index % 250}")
    session.mount("http://", adapter)
    return session


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _summary(label: str, values: list[float], wall: float) -> str:
    return (f"{label:<28} n={len(values):<4} p50={statistics.median(values) * 1000:7.1f} ms  "
            f"p95={_percentile(values, 95) * 1000:7.1f} ms  max={max(values) * 1000:7.1f} ms  "
            f"throughput={len(values) / wall:6.1f}/s")


def prepare(database_url: str, users: int) -> list[tuple[str, str]]:
    """Migrate a fresh database and create the users (each with its own TOTP secret)."""
    env = dict(os.environ, DATABASE_URL=database_url)
    code = f"""
import pyotp, json
from flask_migrate import upgrade
from app import create_app
from app.extensions import db
from app.services.auth.users import create_user, get_or_create_business
from app.services.clock import get_clock
app = create_app()
out = []
with app.app_context():
    upgrade()
    business = get_or_create_business(db.session, "Bench Agency")
    for i in range({users}):
        secret = pyotp.random_base32()
        create_user(db.session, email=f"bench{{i}}@example.com", password={PASSWORD!r}, role="agent",
                    business=business, mfa_secret=secret, now=get_clock().now(), check_strength=False)
        out.append((f"bench{{i}}@example.com", secret))
    db.session.commit()
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_concurrent(count: int, concurrency: int, job) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    next_index = iter(range(count))

    def worker(worker_id: int):
        session = _session(worker_id)
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            started = time.perf_counter()
            ok = job(session, i)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, errors[0]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args(argv)

    from argon2 import PasswordHasher

    from app.services.auth.passwords import _hasher as ours

    for label, hasher in (("library default", PasswordHasher()), ("ours", ours)):
        stored = hasher.hash(PASSWORD)
        samples = []
        for _ in range(20):
            started = time.perf_counter()
            hasher.verify(stored, PASSWORD)
            samples.append(time.perf_counter() - started)
        print(f"Argon2id verify, {label} (t={hasher.time_cost}, m={hasher.memory_cost} KiB, p={hasher.parallelism}), "
              f"one thread: median {statistics.median(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms")

    workdir = Path(tempfile.mkdtemp(prefix="bench-login-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    users = prepare(database_url, args.users)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_"))}
    env.update(PORT=str(port), DATABASE_URL=database_url, LOCALSTRIPE_PORT=str(_free_port()))
    server = subprocess.Popen([sys.executable, "-m", "app.devserver"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.3)

        def health(session, i):
            return session.get(base + "/healthz", timeout=30).status_code == 200

        def login(session, i):
            email, secret = users[i]
            body = {"email": email, "password": PASSWORD, "mfaCode": pyotp.TOTP(secret).now()}
            return session.post(base + "/api/v1/auth/login", json=body, timeout=60).status_code == 200

        run_concurrent(40, args.concurrency, health)  # warm-up
        lat, wall, errors = run_concurrent(args.users, args.concurrency, health)
        print(_summary(f"GET /healthz x{args.concurrency}", lat, wall) + f"  errors={errors}")
        lat, wall, errors = run_concurrent(args.users, args.concurrency, login)
        print(_summary(f"POST /auth/login x{args.concurrency}", lat, wall) + f"  errors={errors}")
        print(f"server: {'PostgreSQL' if database_url.startswith('postgres') else 'SQLite'}, "
              f"werkzeug threaded (make run), {os.cpu_count()} cores")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
