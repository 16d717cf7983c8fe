"""The account grid over 1,000,000 accounts in one business (plus 1,000,000 in another), on PostgreSQL.

Measures the first page (with meta.total) of: a partial-name search, a status + tag filter, a balance sort,
through the real service (app.services.accounts.search.run). Baseline in the same run: the same queries
with the grid's PostgreSQL-only indexes dropped. Prints EXPLAIN plans.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_grid python -m bench.grid [--rows 1000000]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import time
import uuid

from sqlalchemy import text

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Elizabeth",
         "José", "María", "Luis", "Carmen", "Aisha", "Mei", "Hiroshi", "Fatima", "Olga", "Darnell", "Keisha", "Tyrone"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "García", "Rodríguez", "Martínez", "Hernández", "López", "Nguyen", "Patel", "Kim", "Okafor", "Kowalski",
        "Schmidt", "O'Brien", "Murphy", "Rossi", "Chen", "Thompson", "White", "Harris", "Clark", "Lewis"]
STATUSES = ["active"] * 64 + ["in_payment_plan"] * 14 + ["paid_in_full"] * 8 + ["disputed"] * 4 + ["legal"] * 2 + \
    ["closed"] * 4 + ["payment_failed"] * 4
TAGS = ["medical", "utility", "auto", "rent", "telecom", "high_priority", "hardship", "returning"]
def _grid_indexes():
    """The PostgreSQL-only grid indexes of migrations 0004, 0006 and 0008 (the baseline runs without them)."""
    import importlib.util
    from pathlib import Path

    indexes, replaced = {}, set()
    for filename in ("0004_grid_indexes.py", "0006_status_tags_index.py", "0008_grid_order_indexes.py"):
        path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / filename
        spec = importlib.util.spec_from_file_location(filename[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        indexes.update({name: f"CREATE INDEX {name} {definition}" for name, definition in module.INDEXES.items()})
        replaced.update(getattr(module, "REPLACED", ()))
    return {name: sql for name, sql in indexes.items() if name not in replaced}


GRID_INDEXES = _grid_indexes()


def generate(conn, business_id, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    buffer = io.StringIO()
    now = "2026-11-25 12:00:00+00"
    for i in range(rows):
        tags = "[" + ",".join(f'"{t}"' for t in rng.sample(TAGS, rng.choice((0, 1, 1, 2)))) + "]"
        buffer.write("\t".join([
            str(uuid.uuid4()), str(business_id), rng.choice(FIRST), rng.choice(LAST) + str(rng.randrange(1000)),
            f"user{seed}_{i}@example.com", f"+1212{rng.randrange(10**7):07d}", f"B{seed}-{i:08d}",
            f"{rng.randrange(2_500, 1_000_000) / 100:.2f}", rng.choice(STATUSES), tags, now, now,
            "US", "{}", "[]", "en", "unknown"] + ["f"] * 12) + "\n")
        if buffer.tell() > 16_000_000:
            _copy(conn, buffer)
            buffer = io.StringIO()
    _copy(conn, buffer)


def _copy(conn, buffer) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy("COPY accounts (id, business_id, first_name, last_name, email, phone, account_number, "
                         "current_balance, status, tags, created_at, updated_at, country, custom_fields, "
                         "inconvenient_times, preferred_language, time_barred, do_not_contact, do_not_sms, "
                         "do_not_email, do_not_call, do_not_whatsapp, sms_consent, email_consent, whatsapp_consent, "
                         "legal_action_approved, bankruptcy, deceased, attorney_pending) FROM STDIN") as copy:
            copy.write(buffer.getvalue())


def measure(label, fn, runs=30, *, warmup=1, width=34):
    """p50 and p95 of `runs` calls after `warmup` calls, as one line."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    ordered = sorted(samples)
    return f"{label:<{width}} p50={statistics.median(samples) * 1000:7.1f} ms  p95={ordered[int(0.95 * (len(ordered) - 1))] * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.accounts.search import AccountQuery, run
    from app.services.auth.users import create_business
    from app.services.tenancy import Principal

    app = create_app()
    with app.app_context():
        upgrade()
        if not db.session.execute(text("SELECT count(*) FROM accounts")).scalar():
            a, b = create_business(db.session, "Grid A"), create_business(db.session, "Grid B")
            db.session.commit()
            started = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, a.id, args.rows, 1)
                generate(conn, b.id, args.rows, 2)
            print(f"generated {2 * args.rows:,} accounts in {time.perf_counter() - started:.1f} s")
            db.session.execute(text("ANALYZE accounts"))
            db.session.commit()
        business_id = db.session.execute(text("SELECT id FROM businesses WHERE name = 'Grid A'")).scalar()
        principal = Principal(business_id=business_id, role="manager")
        name = db.session.execute(text("SELECT last_name FROM accounts WHERE business_id = :b LIMIT 1"),
                                  {"b": business_id}).scalar()[:6]
        db.session.rollback()  # no open transaction may hold a lock while indexes are dropped and built
        queries = {
            f"partial name '{name}'": AccountQuery(search=name),
            "common name 'smith'": AccountQuery(search="smith"),
            "status=legal + tag=hardship": AccountQuery(statuses=["legal"], tags=["hardship"]),
            "sort by balance desc": AccountQuery(sort_by="balance", sort_order="desc"),
            "newest first (the default)": AccountQuery(),
        }

        def page(query):
            rows, total, estimate = run(db.session, principal, query, page=1, limit=20)
            db.session.rollback()
            return total, estimate

        def report(title):
            print(title)
            for label, query in queries.items():
                total, estimate = page(query)
                print("  " + measure(label, lambda q=query: page(q)) + f"  total={total:,}{' (estimate)' if estimate else ''}")

        db.session.rollback()
        with db.engine.begin() as conn:
            for name_ in GRID_INDEXES:
                conn.execute(text(f"DROP INDEX IF EXISTS {name_}"))
        report("baseline: without the grid indexes")
        db.session.rollback()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gin"))
            for sql in GRID_INDEXES.values():
                conn.execute(text(sql))
            conn.execute(text("ANALYZE accounts"))
        report("with the grid indexes (migrations 0004, 0006 and 0008)")
        from app.services.accounts.search import build, page_of

        for label, query in queries.items():
            stmt = page_of(build(principal, query), query, page=1, limit=20)
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
            print(f"\nEXPLAIN {label}:\n  " + "\n  ".join(plan[:12]))
            db.session.rollback()


if __name__ == "__main__":
    main()
