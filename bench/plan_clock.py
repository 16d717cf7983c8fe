"""The clock's installment charges over 100,000 active auto-pay plans, on PostgreSQL and Redis.

Builds one business with --plans active auto-pay plans (six monthly installments each, the earlier ones paid),
--due of them with an installment due today in the debtor's zone (zones spread over the United States, a tenth of
the accounts with no zone known), the rest due on later days. Then, with the clock frozen at 17:00 UTC:

1. the clock's charge scanner (jobs.clock.charge_due_installments) is run tick after tick, as the clock does, until a
   tick enqueues nothing: the time until every due charge is on the payments queue, and the number of ticks;
2. a second run over the same data: it must enqueue nothing (each claim is taken once, each waiting job once);
3. the baseline, in the same run: the same number of jobs with none of the checks, one SELECT of the claimed
   installments' ids and a plain RQ enqueue of a job for each, one by one, on another queue.

The schema of the database named by DATABASE_URL is emptied first (its name must contain "bench"), and the Redis
database named by REDIS_URL is flushed (its number must be 15).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_plans REDIS_URL=redis://127.0.0.1:6379/15 \
        python -m bench.plan_clock [--plans 100000] [--due 5000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
import uuid
from decimal import Decimal

import sqlalchemy as sa

from bench.inbox_list import _empty_schema, _ensure_database

NOW = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.timezone.utc)
"""Noon in New York, 07:00 in Honolulu: 1 December everywhere in the United States."""
ZONES = [("America/New_York", "NY", "10001"), ("America/Chicago", "IL", "60601"), ("America/Denver", "CO", "80202"),
         ("America/Phoenix", "AZ", "85004"), ("America/Los_Angeles", "CA", "94105"),
         ("America/Anchorage", "AK", "99501"), ("Pacific/Honolulu", "HI", "96813")]
INSTALLMENTS = 6
AMOUNT = Decimal("50.00")


def generate(db_session, business_id, *, plans: int, due: int, seed: int = 7) -> None:
    """Accounts, plans and installments in batches of core INSERTs. Plan i < `due` has installment 3 due today;
    the others have their next installment 1 to 27 days ahead."""
    from app.models import Account, PaymentInstallment, PaymentPlan

    rng = random.Random(seed)
    today = NOW.date()
    batch = {Account: [], PaymentPlan: [], PaymentInstallment: []}

    def flush():
        for model, rows in batch.items():
            if rows:
                db_session.execute(sa.insert(model), rows)
                rows.clear()
        db_session.commit()

    for i in range(plans):
        account_id, plan_id = uuid.uuid4(), uuid.uuid4()
        zone, state, zip_code = rng.choice(ZONES)
        batch[Account].append(dict(
            id=account_id, business_id=business_id, first_name="Plan", last_name=f"Bench{i}",
            phone=f"+1212{i:07d}", account_number=f"PB-{i:07d}", current_balance=AMOUNT * INSTALLMENTS,
            original_balance=AMOUNT * INSTALLMENTS, status="in_payment_plan", state=state, zip=zip_code,
            timezone=None if i % 10 == 9 else zone, created_at=NOW, updated_at=NOW))
        next_due = today if i < due else today + dt.timedelta(days=rng.randrange(1, 28))
        start = next_due - dt.timedelta(days=90)
        dates = [start + dt.timedelta(days=30 * n) for n in range(1, INSTALLMENTS + 1)]
        current = 3 if i < due else 1 + sum(d < next_due for d in dates[:INSTALLMENTS - 1])
        dates[current - 1] = next_due
        batch[PaymentPlan].append(dict(
            id=plan_id, business_id=business_id, account_id=account_id, total_amount=AMOUNT * INSTALLMENTS,
            down_payment=Decimal("0.00"), installment_amount=AMOUNT, number_of_installments=INSTALLMENTS,
            frequency="monthly", start_date=start, next_payment_date=next_due, status="active",
            payments_made=current - 1, amount_paid=AMOUNT * (current - 1), auto_pay_enabled=True,
            stripe_payment_method_id="pm_card_visa", stripe_customer_id="cus_bench", agreement_signed=True,
            missed_count=0, schedule_versions=[], created_at=NOW, updated_at=NOW))
        for number, day in enumerate(dates, start=1):
            paid = number < current
            batch[PaymentInstallment].append(dict(
                id=uuid.uuid4(), business_id=business_id, payment_plan_id=plan_id, number=number, amount=AMOUNT,
                due_date=day, status="paid" if paid else "scheduled", attempts=1 if paid else 0,
                paid_at=NOW - dt.timedelta(days=30 * (current - number)) if paid else None,
                created_at=NOW, updated_at=NOW))
        if len(batch[Account]) == 2000:
            flush()
    flush()


def run_clock(scanner, queue, now) -> tuple[float, int, int]:
    """(seconds, ticks, jobs enqueued): scanner ticks back to back until one enqueues nothing."""
    before = queue.count
    started = time.perf_counter()
    ticks = 0
    while True:
        ticks += 1
        if not scanner(now):
            break
    return time.perf_counter() - started, ticks, queue.count - before


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=5_000)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "").replace("postgres://", "postgresql://", 1)
    redis_url = os.environ.get("REDIS_URL", "")
    if not url.startswith("postgresql") or "bench" not in sa.engine.make_url(url).database:
        raise SystemExit("set DATABASE_URL to a PostgreSQL database whose name contains 'bench' (it is emptied)")
    if not redis_url.endswith("/15"):
        raise SystemExit("set REDIS_URL to Redis database 15 (it is flushed)")
    _ensure_database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    _empty_schema(url.replace("postgresql://", "postgresql+psycopg://", 1))

    import logging

    from flask_migrate import upgrade
    from rq import Queue

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.models import PaymentInstallment
    from app.services.auth.users import get_or_create_business
    from app.services.clock import FrozenClock
    from jobs import clock as clock_jobs

    logging.disable(logging.INFO)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    app = create_app(Config.from_env({**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url},
                                     EMBEDDED_WORKER=False))
    app.extensions["clock"] = FrozenClock(NOW)
    with app.app_context():
        jobs = app.extensions["jobs"]
        jobs.connection.flushdb()
        upgrade()
        business = get_or_create_business(db.session, "Plan Clock Bench")
        db.session.commit()
        started = time.perf_counter()
        generate(db.session, business.id, plans=args.plans, due=args.due)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentInstallment))
        print(f"{args.plans:,} active auto-pay plans ({rows:,} installments), {args.due:,} due today: generated in "
              f"{time.perf_counter() - started:.1f} s\n")

        queue = jobs.queues["payments"]
        seconds, ticks, enqueued = run_clock(clock_jobs.charge_due_installments, queue, NOW)
        print(f"clock, first run:  {enqueued:,} charges enqueued in {seconds:.2f} s over {ticks} ticks "
              f"({seconds / max(enqueued, 1) * 1000:.2f} ms per charge)")
        processing = db.session.scalar(sa.select(sa.func.count()).where(PaymentInstallment.status == "processing"))
        print(f"                   {processing:,} installments claimed (processing)")
        seconds, ticks, again = run_clock(clock_jobs.charge_due_installments, queue, NOW)
        print(f"clock, second run: {again:,} charges enqueued in {seconds:.2f} s over {ticks} ticks")

        bare = Queue("bench-baseline", connection=jobs.connection)
        started = time.perf_counter()
        ids = db.session.scalars(sa.select(PaymentInstallment.id).where(
            PaymentInstallment.status == "processing")).all()
        db.session.rollback()
        for installment_id in ids:
            bare.enqueue("jobs.payments.charge_installment", str(installment_id))
        seconds = time.perf_counter() - started
        print(f"baseline:          {len(ids):,} ids selected and bare RQ jobs enqueued in {seconds:.2f} s "
              f"({seconds / max(len(ids), 1) * 1000:.2f} ms per job)")
        jobs.connection.flushdb()
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if enqueued != args.due or again:
            raise SystemExit(f"FAILED: expected {args.due} charges on the first run and none on the second")


if __name__ == "__main__":
    main()
