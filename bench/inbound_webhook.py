"""Inbound SMS webhook -> verified -> stored -> routed, at 50 concurrent requests on PostgreSQL.

Baseline in the same run: a bare Flask endpoint that only parses the same form and answers the same TwiML, served
by the same gunicorn settings. Afterwards every request is replayed once more, and the message count must not move.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_inbound python -m bench.inbound_webhook \
        [--requests 3000] [--concurrency 50] [--accounts 20000] [--workers 1] [--threads 100]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from twilio.request_validator import RequestValidator

from bench.login import _free_port, _summary, run_concurrent

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "sandbox-twilio-token"
BODIES = ["Can I pay half now and the rest next month?", "I already paid this last week.",
          "What is my balance?", "Call me after 5pm please", "ok", "Can you send me the details by email?"]

BARE_APP = '''
from flask import Flask, request
app = Flask(__name__)
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

@app.post("/api/v1/webhooks/twilio/sms")
def sms():
    form = request.form
    if not form.get("MessageSid") or not form.get("From"):
        return "missing", 400
    return TWIML, 200, {"Content-Type": "text/xml"}

@app.get("/healthz")
def health():
    return {"status": "ok"}
'''


def prepare(database_url: str, accounts: int) -> dict:
    """A fresh schema, one business with its sandbox number and `accounts` debtors with distinct phones."""
    code = f"""
import json, random, uuid
from decimal import Decimal
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
from app.models import Account
from app.services.auth.users import get_or_create_business
app = create_app()
with app.app_context():
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    upgrade()
    business = get_or_create_business(db.session, "Bench Agency")
    rng = random.Random(7)
    phones = set()
    while len(phones) < {accounts}:
        phones.add(f"+1214{{rng.randint(200, 999)}}{{rng.randint(0, 9999):04d}}")
    phones = sorted(phones)
    rows = [dict(id=uuid.uuid4(), business_id=business.id, first_name="Pat", last_name=f"Debtor{{i}}",
                 phone=p, state="TX", zip="75201", account_number=f"B-{{i:07d}}", current_balance=Decimal("100.00"),
                 status="active", preferred_language="en", country="US", tags=[], custom_fields={{}})
            for i, p in enumerate(phones)]
    db.session.execute(Account.__table__.insert(), rows)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    print(json.dumps({{"number": business.sms_number, "phones": phones}}))
"""
    env = dict(os.environ, DATABASE_URL=database_url)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def serve(app_spec: str, port: int, env: dict, workers: int, threads: int, cwd: Path, log: Path) -> subprocess.Popen:
    """gunicorn as in the Procfile; its log goes to a file (a pipe nobody reads would stall the server)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", str(workers), "--threads",
         str(threads), "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning", app_spec],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)


def wait_ready(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("server did not start (see its log)")
            time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def forms(setup: dict, count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [{"MessageSid": "SM" + uuid.UUID(int=rng.getrandbits(128)).hex, "AccountSid": "ACbench",
             "From": rng.choice(setup["phones"]), "To": setup["number"], "Body": rng.choice(BODIES),
             "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
            for _ in range(count)]


def fire(base: str, public: str, payloads: list[dict], concurrency: int, statuses: dict):
    validator = RequestValidator(TOKEN)
    path = "/api/v1/webhooks/twilio/sms"

    def job(session, i):
        form = payloads[i]
        signature = validator.compute_signature(public + path, form)
        response = session.post(base + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=60)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return response.status_code == 200

    return run_concurrent(len(payloads), concurrency, job)


LAG = """
from sqlalchemy import text
from app import create_app
from app.extensions import db
app = create_app()
with app.app_context():
    waiting, p50, p95, worst = db.session.execute(text(
        "SELECT count(*) FILTER (WHERE status = 'received'),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)),"
        " percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)),"
        " max(extract(epoch FROM processed_at - received_at)) FROM webhook_events WHERE event_type = 'inbound.text'"
    )).one()
    print(waiting, p50 or 0, p95 or 0, worst or 0)
"""


def worker_lag(database_url: str) -> tuple[int, float, float, float]:
    out = subprocess.run([sys.executable, "-c", LAG], cwd=ROOT, env=dict(os.environ, DATABASE_URL=database_url),
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[-4]), float(out[-3]), float(out[-2]), float(out[-1])


def drain(database_url: str, timeout: float = 600) -> tuple[int, float, float, float]:
    deadline = time.monotonic() + timeout
    while True:
        lag = worker_lag(database_url)
        if lag[0] == 0 or time.monotonic() > deadline:
            return lag
        time.sleep(1)


def count_messages(database_url: str) -> int:
    code = """
from sqlalchemy import func, select
from app import create_app
from app.extensions import db
from app.models import Conversation, Message
app = create_app()
with app.app_context():
    print(db.session.scalar(select(func.count()).select_from(Message)),
          db.session.scalar(select(func.count()).select_from(Conversation)))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, DATABASE_URL=database_url),
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[-2]), int(out[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=100)
    parser.add_argument("--worker-during-load", action="store_true",
                        help="run the worker while the webhooks arrive (on a small machine it takes the server's CPU)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    if not (database_url or "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (it is emptied)")
    setup = prepare(database_url, args.accounts)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"))
    bare_dir = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    (bare_dir / "bare_form_app.py").write_text(BARE_APP)

    results = {}
    for label, spec, cwd in (("bare Flask form parse", "bare_form_app:app", bare_dir),
                             ("webhook -> stored -> routed", "wsgi:app", ROOT)):
        port = _free_port()
        public = f"http://127.0.0.1:{port}"
        server = serve(spec, port, dict(env, PORT=str(port), PUBLIC_URL=public), args.workers, args.threads, cwd,
                       bare_dir / f"{spec.split(':')[0]}.log")
        worker = None

        def start_worker():
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"], cwd=ROOT,
                                    env=dict(env, PUBLIC_URL=public), stdout=subprocess.DEVNULL,
                                    stderr=(bare_dir / "worker.log").open("ab"), start_new_session=True)

        if spec == "wsgi:app" and args.worker_during_load:
            worker = start_worker()
        try:
            wait_ready(public, server)
            statuses: dict = {}
            fire(public, public, forms(setup, 200, seed=1), args.concurrency, {})  # warm-up
            payloads = forms(setup, args.requests, seed=2)
            lat, wall, errors = fire(public, public, payloads, args.concurrency, statuses)
            results[label] = lat
            print(_summary(f"{label} x{args.concurrency}", lat, wall) + f"  errors={errors} statuses={statuses}")
            if spec == "wsgi:app":
                drain_started = time.monotonic()
                worker = worker or start_worker()
                waiting, p50, p95, worst = drain(database_url)
                drained = time.monotonic() - drain_started
                print(f"worker (one process): {args.requests} texts stored and routed, drained in {drained:.1f} s "
                      f"after the load ({args.requests / drained:.0f}/s); request -> routed p50={p50 * 1000:.0f} ms "
                      f"p95={p95 * 1000:.0f} ms, queueing included ({waiting} still waiting)")
                before = count_messages(database_url)
                replay_statuses: dict = {}
                fire(public, public, payloads, args.concurrency, replay_statuses)
                drain(database_url)
                after = count_messages(database_url)
                print(f"replayed {len(payloads)} webhooks: statuses={replay_statuses}; messages/conversations "
                      f"{before} -> {after} ({'no duplicates' if before == after else 'DUPLICATES'})")
        finally:
            stop(server)
            if worker is not None:
                stop(worker)
    from bench.login import _percentile

    bare = _percentile(results["bare Flask form parse"], 95)
    ours = _percentile(results["webhook -> stored -> routed"], 95)
    print(f"p95 ratio webhook/bare = {ours / bare:.2f} (PostgreSQL, gunicorn gthread {args.workers}x{args.threads}, "
          f"{os.cpu_count()} cores, {args.accounts} accounts)")


if __name__ == "__main__":
    main()
