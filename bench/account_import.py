"""CSV import of 100,000 realistic rows, end to end, against a raw PostgreSQL COPY of the same rows.

End to end = the upload's text stored as an import, then the background job run to completion (parsing, phone
normalization, ZIP/area-code time zones, duplicate checks, account numbers, consent events, audit rows), on
PostgreSQL with every migration's index. Baseline in the same run: `COPY accounts FROM STDIN` of the same rows,
already typed, into the same table with the same indexes (another business, so numbers do not collide).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_import python -m bench.account_import [--rows 100000]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import time
import uuid

from sqlalchemy import text

from bench.grid import FIRST, LAST, TAGS

PLACES = [  # (city, state, ZIP, area code)
    ("New York", "NY", "10001", "212"), ("Brooklyn", "NY", "11201", "718"), ("Los Angeles", "CA", "90012", "213"),
    ("San Diego", "CA", "92101", "619"), ("Chicago", "IL", "60601", "312"), ("Houston", "TX", "77002", "713"),
    ("Dallas", "TX", "75201", "214"), ("Phoenix", "AZ", "85004", "602"), ("Denver", "CO", "80202", "303"),
    ("Miami", "FL", "33130", "305"), ("Seattle", "WA", "98101", "206"), ("Boston", "MA", "02108", "617"),
    ("Atlanta", "GA", "30303", "404"), ("Honolulu", "HI", "96813", "808"), ("Anchorage", "AK", "99501", "907"),
    ("San Juan", "PR", "00901", "787"), ("Detroit", "MI", "48226", "313"), ("Nashville", "TN", "37203", "615"),
]
HEADER = ["Account Number", "First Name", "Last Name", "Email", "Phone", "Alt Phone", "Street", "City", "State",
          "Zip Code", "Balance", "Original Amount", "Creditor", "Due Date", "Status", "Tags", "Language",
          "SMS Opt-In"]
STATUS = ["active"] * 8 + ["in_payment_plan", "disputed"]
CREDITORS = ["Mercy Hospital", "City Water", "Metro Auto Finance", "Northwind Telecom", "Lakeside Apartments"]


def _phone(rng: random.Random, area: str) -> str:
    digits = f"{area}{rng.randrange(2, 10)}{rng.randrange(10 ** 6):06d}"
    style = rng.randrange(4)
    if style == 0:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if style == 1:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if style == 2:
        return f"+1{digits}"
    return f"1.{digits[:3]}.{digits[3:6]}.{digits[6:]}"


def _due(rng: random.Random) -> str:
    day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(330))
    return (day.isoformat(), day.strftime("%m/%d/%Y"), day.strftime("%d-%b-%Y"))[rng.randrange(3)]


def generate_csv(rows: int, seed: int = 7) -> str:
    """A realistic export from a creditor's system: mixed phone and date formats, tags, Spanish speakers."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        city, state, zip_code, area = rng.choice(PLACES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        balance = rng.randrange(2_500, 1_500_000)
        writer.writerow([
            f"CR-{seed}-{i:07d}", first, last, f"{first.lower()}.{last.lower()}{i}@example.com".replace("'", ""),
            _phone(rng, area), _phone(rng, area) if rng.random() < 0.3 else "",
            f"{rng.randrange(1, 9999)} {rng.choice(['Oak', 'Main', 'Elm', 'Pine', 'Cedar'])} St", city, state,
            zip_code, f"{balance / 100:.2f}", f"{(balance + rng.randrange(0, 50_000)) / 100:.2f}",
            rng.choice(CREDITORS), _due(rng), rng.choice(STATUS),
            ";".join(rng.sample(TAGS, rng.choice((0, 1, 1, 2)))), "es" if rng.random() < 0.15 else "en",
            rng.choice(["yes", "no", ""]),
        ])
    return out.getvalue()


COPY_COLUMNS = ("id", "business_id", "account_number", "first_name", "last_name", "email", "phone",
                "phone_secondary", "address", "city", "state", "zip", "current_balance", "original_balance",
                "original_creditor", "due_date", "status", "tags", "preferred_language", "sms_consent", "timezone",
                "timezone_source", "created_at", "updated_at", "country", "custom_fields", "inconvenient_times",
                "time_barred", "do_not_contact", "do_not_sms", "do_not_email", "do_not_call", "do_not_whatsapp",
                "email_consent", "whatsapp_consent", "legal_action_approved", "bankruptcy", "deceased",
                "attorney_pending")


def copy_rows(csv_text: str, business_id) -> str:
    """The same rows as COPY text, typed the way the import stores them (prepared outside the timing)."""
    import json

    from app.services.accounts import fields
    from app.services.accounts.importer import auto_mapping, read_rows, row_payload
    from app.services.accounts.records import zone_for

    header, rows = read_rows(csv_text)
    mapping = auto_mapping(header)
    out = io.StringIO()
    now = "2026-11-25 12:00:00+00"

    def cell(value):
        if value is None:
            return r"\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    for row in rows:
        v = fields.parse(row_payload(row, header, mapping), partial=False, from_csv=True)
        zone, source = zone_for(v.get("state"), v.get("zip"), (v.get("phone"), v.get("phone_secondary")))
        values = [uuid.uuid4(), business_id, v["account_number"], v["first_name"], v["last_name"], v.get("email"),
                  v.get("phone"), v.get("phone_secondary"), v.get("address"), v.get("city"), v.get("state"),
                  v.get("zip"), v["current_balance"], v.get("original_balance"), v.get("original_creditor"),
                  v.get("due_date"), v.get("status") or "active", json.dumps(v.get("tags") or []),
                  v.get("preferred_language") or "en", bool(v.get("sms_consent")), zone, source, now, now, "US",
                  "{}", "[]", "unknown"] + [False] * 11
        out.write("\t".join(cell(x) for x in values) + "\n")
    return out.getvalue()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print where the import spends its time")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.accounts import import_jobs
    from app.services.auth.users import create_business, create_user
    from app.services.tenancy import Principal

    app = create_app()
    with app.app_context():
        upgrade()
        db.session.execute(text("TRUNCATE accounts, consent_events, audit_logs, account_imports CASCADE"))
        db.session.commit()
        importer_biz = create_business(db.session, f"Import {uuid.uuid4().hex[:6]}")
        copy_biz = create_business(db.session, f"Copy {uuid.uuid4().hex[:6]}")
        admin = create_user(db.session, email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
                            password="Bench-Import-2026!", role="business_admin", business=importer_biz,
                            now=dt.datetime.now(dt.timezone.utc))
        db.session.commit()
        csv_text = generate_csv(args.rows)
        prepared = copy_rows(csv_text, copy_biz.id)
        print(f"{args.rows:,} rows, {len(csv_text) / 1e6:.1f} MB of CSV")

        started = time.perf_counter()
        with db.engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY accounts ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                    copy.write(prepared)
        copy_seconds = time.perf_counter() - started
        print(f"baseline: COPY of the same typed rows        {copy_seconds:6.2f} s")

        principal = Principal(business_id=importer_biz.id, role="business_admin", user_id=admin.id, email=admin.email)
        now = dt.datetime.now(dt.timezone.utc)
        started = time.perf_counter()
        account_import = import_jobs.create_import_from_text(db.session, principal, "bench.csv", csv_text, "skip")
        db.session.commit()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(import_jobs.run_import, db.session, account_import.id, now)
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(35)
        else:
            result = import_jobs.run_import(db.session, account_import.id, now)
        import_seconds = time.perf_counter() - started
        print(f"import end to end (stored, parsed, written)  {import_seconds:6.2f} s  "
              f"imported={result.imported:,} failed={result.failed:,}  ratio to COPY {import_seconds / copy_seconds:.1f}x")
        if result.status != "completed":
            print("import did not complete:", result.status, result.error_message)
        if result.failed:
            print("first errors:", (result.errors or [])[:3])


if __name__ == "__main__":
    main()
