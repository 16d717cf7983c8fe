"""Faults in the outbound pipeline, end to end with real processes: PostgreSQL, Redis, an RQ worker, the clock and a
local Twilio Messages API (tests/fakes/twilio_server.py) reached through the real twilio SDK.

1. Kill: 1,000 SMS are queued; the worker is SIGKILLed (with its work horse) `--kills` times while it sends, and
   restarted each time. At the end every message must have reached the provider exactly once: none lost, none
   doubled (the clock's reconciler settles rows a killed worker left in `sending`).
2. Outage: the provider answers 503 for `--outage` seconds while 100 more SMS are queued; they wait ("retrying")
   and go out after it, each once.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_fault python -m bench.fault_sends [--messages 1000]

The gate runs on the wall clock, so debtors are placed in a US zone where it is daytime now (TIME-1)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.login import _free_port

ROOT = Path(__file__).resolve().parents[1]
SID, TOKEN = "AC" + "f" * 32, "fault-bench-token"
ZONES = [  # (zone, state, zip, area code)
    ("America/New_York", "NY", "10001", "212"), ("America/Chicago", "IL", "60601", "312"),
    ("America/Denver", "CO", "80202", "303"), ("America/Los_Angeles", "CA", "94105", "415"),
    ("America/Anchorage", "AK", "99501", "907"), ("Pacific/Honolulu", "HI", "96813", "808"),
    ("Pacific/Guam", "GU", "96910", "671"),
]


def daytime_zone() -> tuple[str, str, str, str]:
    now = dt.datetime.now(dt.timezone.utc)
    for zone in ZONES:
        local = now.astimezone(ZoneInfo(zone[0]))
        if 9 <= local.hour < 18:
            return zone
    raise SystemExit("no US zone is in daytime now (11:00-13:00 UTC): run the benchmark at another hour")


def run_app(code: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr[-4000:])
    return result.stdout


PREPARE = """
import datetime as dt, uuid
from decimal import Decimal
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
from app.models import Account, ConsentEvent
from app.services.auth.users import get_or_create_business
app = create_app()
with app.app_context():
    db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.session.commit()
    upgrade()
    business = get_or_create_business(db.session, "Fault Agency")
    business.settings = {"compliance": {"support_phone": "+18005550100", "dispute_address": "PO Box 1"}}
    db.session.commit()
    print(business.id)
"""

SEND = """
import datetime as dt, sys, uuid
from decimal import Decimal
from app import create_app
from app.extensions import db
from app.models import Account, Business, ConsentEvent
from app.services import channels
from app.services.clock import get_clock
app = create_app()
start, count, state, zip_, area = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
with app.app_context():
    business = db.session.query(Business).one()
    now = get_clock().now()
    long_ago = now - dt.timedelta(days=60)
    for i in range(start, start + count):
        phone = f"+1{area}{2000000 + i:07d}"
        account = Account(business_id=business.id, first_name="Pat", last_name=f"Fault{i}", phone=phone,
                          phone_type="cell", state=state, zip=zip_, account_number=f"F-{i:06d}",
                          current_balance=Decimal("120.00"), original_balance=Decimal("120.00"),
                          original_creditor="First Bank", current_creditor="First Bank", time_barred="false",
                          initial_communication_at=long_ago, initial_had_validation=True,
                          validation_notice_sent_at=long_ago, validation_method="email",
                          validation_period_end=(long_ago + dt.timedelta(days=35)).date())
        db.session.add(account)
        db.session.flush()
        db.session.add(ConsentEvent(business_id=business.id, account_id=account.id, channel="sms", address=phone,
                                    granted=True, source="web", ip_address="203.0.113.9", occurred_at=long_ago))
        outcome = channels.send(db.session, account=account, channel="sms", now=now,
                                body=f"Hi Pat, message {i} about your account. Reply STOP to opt out.")
        assert outcome.message.delivery_status == "queued", (outcome.message.delivery_status,
                                                             outcome.message.compliance_issues)
        db.session.commit()
print("ok")
"""

STATE = """
from collections import Counter
from sqlalchemy import func, select
from app import create_app
from app.extensions import db
from app.models import Message
app = create_app()
with app.app_context():
    rows = db.session.execute(select(Message.delivery_status, func.count()).group_by(Message.delivery_status)).all()
    retrying = db.session.scalar(select(func.count()).select_from(Message).where(
        Message.failed_reason.like("retrying%")))
    review = db.session.scalar(select(func.count()).select_from(Message).where(Message.review_reason.is_not(None)))
    print(dict(rows), retrying, review)
"""


def status(env: dict) -> tuple[dict, int, int]:
    line = run_app(STATE, env).strip().splitlines()[-1]
    counts, retrying, review = line.rsplit(" ", 2)
    return eval(counts), int(retrying), int(review)  # noqa: S307 (our own script's dict output)


def received(state_file: Path) -> Counter:
    ids = Counter()
    if state_file.exists():
        for line in state_file.read_text().splitlines():
            item = json.loads(line)
            query = urllib.parse.urlparse(item.get("status_callback") or "").query
            ids[urllib.parse.parse_qs(query).get("m", ["?"])[0]] += 1
    return ids


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--outage", type=int, default=60, help="seconds of 503 answers")
    parser.add_argument("--fork", action="store_true", help="the worker forks a work horse per job (RQ's default)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    if not (database_url or "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (it is emptied)")
    zone, state, zip_, area = daytime_zone()
    work = Path(tempfile.mkdtemp(prefix="bench-fault-"))
    state_file = work / "twilio.jsonl"
    twilio_port = _free_port()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SENDGRID_", "STRIPE_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN,
               TWILIO_PHONE_NUMBER="+12145550000", TWILIO_API_BASE=f"http://127.0.0.1:{twilio_port}",
               PUBLIC_URL="http://127.0.0.1:9")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    fake = start([sys.executable, "-m", "tests.fakes.twilio_server", "--port", str(twilio_port), "--state-file",
                  str(state_file), "--account-sid", SID, "--auth-token", TOKEN], env, work / "twilio.log")
    processes = [fake]
    try:
        run_app(PREPARE, env)
        print(f"debtors in {zone} ({state} {zip_}, area {area}); queuing {args.messages} SMS...")
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", SEND, "0", str(args.messages), state, zip_, area], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        print(f"queued in {time.monotonic() - started:.1f} s")
        flask = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs"]
        clock = start(flask + ["clock"], env, work / "clock.log")
        processes.append(clock)
        worker_args = flask + ["worker"] + (["--fork"] if args.fork else [])
        worker = start(worker_args, env, work / "worker.log")
        sending_started = time.monotonic()
        step = args.messages // (args.kills + 1)
        for k in range(1, args.kills + 1):
            wait_until(lambda: sum(received(state_file).values()) >= k * step, 300, f"{k * step} sends")
            kill(worker)
            print(f"kill {k}: SIGKILL after {sum(received(state_file).values())} sends; restarting the worker")
            worker = start(worker_args, env, work / "worker.log")
        processes.append(worker)

        def settled():
            counts, _, review = status(env)
            return counts.get("sent", 0) + review >= args.messages and not counts.get("queued") \
                and not counts.get("sending")

        wait_until(settled, 600, "every message to be sent or reconciled")
        counts, _, review = status(env)
        got = received(state_file)
        doubled = {m: n for m, n in got.items() if n > 1}
        print(f"sending took {time.monotonic() - sending_started:.0f} s with {args.kills} kills "
              f"({'forking' if args.fork else 'in-process'} worker)")
        print(f"kill test: provider received {len(got)} distinct messages, {sum(got.values())} requests, "
              f"{len(doubled)} doubled; database {counts}, {review} marked for review "
              f"({'PASS' if len(got) == args.messages and not doubled else 'FAIL'})")

        urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{twilio_port}/_fake/fail", data=f"status=503&seconds={args.outage}".encode(),
            method="POST")).read()
        outage_started = time.monotonic()
        subprocess.run([sys.executable, "-c", SEND, str(args.messages), "100", state, zip_, area], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        time.sleep(5)
        counts, retrying, _ = status(env)
        print(f"outage: after {time.monotonic() - outage_started:.0f} s of 503s, {retrying} messages retrying, "
              f"database {counts}")
        total = args.messages + 100

        def all_out():
            return status(env)[0].get("sent", 0) >= total

        wait_until(all_out, args.outage + 600, "the outage backlog to go out")
        got = received(state_file)
        doubled = {m: n for m, n in got.items() if n > 1}
        print(f"outage test: all {total} sent {time.monotonic() - outage_started:.0f} s after the outage began; "
              f"provider has {len(got)} distinct messages, {len(doubled)} doubled "
              f"({'PASS' if len(got) == total and not doubled else 'FAIL'})")
    finally:
        for process in processes:
            kill(process, signal.SIGTERM)


if __name__ == "__main__":
    main()
