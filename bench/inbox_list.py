"""The inbox list with 10,000 open conversations in one business, on PostgreSQL.

Builds a business with 10,000 open conversations (plus resolved ones), each with a short thread of messages, and a
second business with 100 open conversations: the baseline, measured in the same run with the same code. Measures
the first page of the list (with its filtered total and the totals per view) through the service
(app.services.inbox_list.list_page) and through the page view (GET /conversations, the whole page and the HTMX
list partial), p50 and p95 over --runs runs each; then prints the EXPLAIN ANALYZE of the page's statements.

The schema of the database named by DATABASE_URL is emptied first, so the database name must contain "bench".

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_inbox python -m bench.inbox_list [--runs 200]
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

from bench.grid import measure as grid_measure

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Elizabeth",
         "José", "María", "Luis", "Carmen", "Aisha", "Mei", "Hiroshi", "Fatima", "Olga", "Darnell", "Keisha"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
        "García", "Rodríguez", "Martínez", "Nguyen", "Patel", "Kim", "Okafor", "Kowalski", "Chen", "Murphy"]
LINES = [
    ("outbound", "Hi {first}, this is about your account. This is an attempt to collect a debt. Any information "
                 "obtained will be used for that purpose. Reply STOP to opt out."),
    ("inbound", "I can't pay it all right now. Can I do a payment plan?"),
    ("outbound", "Yes. Would you prefer monthly or every two weeks? Reply STOP to opt out."),
    ("inbound", "Monthly please, after the 15th when I get paid."),
    ("outbound", "Noted. I will send the options shortly."),
    ("inbound", "Thank you"),
]
PASSWORD = "Bench-Inbox-Password-42"
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.timezone.utc)


def _empty_schema(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _ensure_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def generate(db_session, business, agents, *, open_count: int, resolved_count: int, seed: int) -> None:
    """Accounts, conversations and messages, in batches of core INSERTs (the ORM would take minutes)."""
    from app.models import Account, Conversation, Message

    rng = random.Random(seed)
    total = open_count + resolved_count
    accounts, conversations, messages = [], [], []
    for i in range(total):
        account_id, conversation_id = uuid.uuid4(), uuid.uuid4()
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{rng.randrange(1000)}"
        phone = f"+1212{rng.randrange(10 ** 7):07d}"
        agent = rng.choice(agents) if rng.random() < 0.5 else None
        accounts.append(dict(id=account_id, business_id=business.id, first_name=first, last_name=last, phone=phone,
                             account_number=f"B{seed}-{i:07d}",
                             current_balance=Decimal(rng.randrange(2500, 900000)) / 100,
                             assigned_agent_id=agent.id if agent and rng.random() < 0.6 else None, state="NY",
                             zip="10001", created_at=NOW, updated_at=NOW))
        start = NOW - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
        lines = LINES[:rng.randrange(2, len(LINES) + 1)]
        at = start
        for direction, text in lines:
            at += dt.timedelta(minutes=rng.randrange(1, 240))
            inbound = direction == "inbound"
            messages.append(dict(id=uuid.uuid4(), business_id=business.id, conversation_id=conversation_id,
                                 account_id=account_id, sender_type="debtor" if inbound else "agent",
                                 sender_id=None if inbound or agent is None else agent.id,
                                 kind="inbound" if inbound else "agent", channel="sms", direction=direction,
                                 content=text.format(first=first),
                                 delivery_status="received" if inbound else "delivered",
                                 created_at=at, updated_at=at, compliance_issues=[]))
        status = "resolved" if i >= open_count else ("escalated" if rng.random() < 0.08 else "active")
        conversations.append(dict(id=conversation_id, business_id=business.id, account_id=account_id, channel="sms",
                                  status=status, assigned_agent_id=agent.id if agent else None,
                                  resolution_type="paid" if status == "resolved" else None, debtor_address=phone,
                                  last_message_at=at,
                                  last_message_from="debtor" if lines[-1][0] == "inbound" else "agent",
                                  unread_count=1 if lines[-1][0] == "inbound" else 0,
                                  sentiment=rng.choice(("positive", "neutral", "negative", None)),
                                  created_at=start, updated_at=at))
    for model, rows in ((Account, accounts), (Conversation, conversations), (Message, messages)):
        for index in range(0, len(rows), 2000):
            db_session.execute(sa.insert(model), rows[index:index + 2000])
    db_session.commit()


def measure(label: str, fn, runs: int) -> str:
    return "  " + grid_measure(label, fn, runs, warmup=3, width=46)


def database_time(db_session, fn) -> tuple[int, float]:
    """The statements `fn` runs and the sum of their execution times inside PostgreSQL (EXPLAIN ANALYZE of each,
    with the same parameters): a figure the machine's other load disturbs less than wall time."""
    captured = []
    engine = db_session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    total = 0.0
    raw = db_session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        for statement, parameters in captured:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            total += cursor.fetchone()[0][0]["Execution Time"]
    db_session.rollback()
    return len(captured), total


def _signed_in_client(app, user, clock):
    import pyotp

    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data[:300]
    response = client.post("/login/mfa", data={"code": pyotp.TOTP(user.mfa_secret).at(clock.now())})
    assert response.status_code == 302, response.data[:300]
    return client


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=10_000, help="open conversations in the measured business")
    parser.add_argument("--resolved", type=int, default=2_000, help="resolved ones beside them")
    parser.add_argument("--baseline", type=int, default=100, help="open conversations in the baseline business")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    url = url.replace("postgres://", "postgresql://", 1)
    if "bench" not in sa.engine.make_url(url).database:
        raise SystemExit("the database's schema is emptied first: use one whose name contains 'bench'")
    _ensure_database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    _empty_schema(url.replace("postgresql://", "postgresql+psycopg://", 1))

    import logging

    import pyotp
    from flask_migrate import upgrade

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.services import inbox_list
    from app.services.auth.users import create_user, get_or_create_business
    from app.services.clock import FrozenClock
    from app.services.tenancy import Principal

    logging.disable(logging.INFO)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    app = create_app(Config.from_env({**os.environ, "DATABASE_URL": url}, WTF_CSRF_ENABLED=False,
                                     EMBEDDED_WORKER=False))
    clock = FrozenClock(NOW)
    app.extensions["clock"] = clock
    with app.app_context():
        upgrade()
        businesses = {}
        for name, open_count, resolved, seed in (("Inbox Bench Large", args.open, args.resolved, 1),
                                                 ("Inbox Bench Baseline", args.baseline, 0, 2)):
            business = get_or_create_business(db.session, name)
            manager = create_user(db.session, email=f"manager{seed}@bench.example", password=PASSWORD, role="manager",
                                  business=business, first_name="Bench", last_name="Manager",
                                  mfa_secret=pyotp.random_base32(), verified=True, now=NOW, check_strength=False)
            agents = [create_user(db.session, email=f"agent{seed}-{i}@bench.example", password=PASSWORD, role="agent",
                                  business=business, first_name="Agent", last_name=str(i), verified=True, now=NOW,
                                  mfa_secret=pyotp.random_base32(), check_strength=False) for i in range(4)]
            db.session.commit()
            started = time.perf_counter()
            generate(db.session, business, agents, open_count=open_count, resolved_count=resolved, seed=seed)
            print(f"{name}: {open_count:,} open + {resolved:,} resolved conversations generated in "
                  f"{time.perf_counter() - started:.1f} s")
            businesses[name] = (business.id, manager, agents[0])
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        messages = db.session.execute(sa.text("SELECT count(*) FROM messages")).scalar()
        print(f"{messages:,} messages in all\n")

        def service(principal, query):
            def run():
                page = inbox_list.list_page(db.session, principal, query, now=clock.now())
                db.session.rollback()
                return page
            return run

        for name, (business_id, manager, agent) in businesses.items():
            print(f"{name}:")
            as_manager = Principal(business_id=business_id, role="manager", user_id=manager.id)
            as_agent = Principal(business_id=business_id, role="agent", user_id=agent.id)
            cases = {
                "service: first page, all open (manager)": service(as_manager, inbox_list.InboxQuery()),
                "service: first page, the agent's queue": service(as_agent, inbox_list.InboxQuery()),
                "service: unassigned view": service(as_manager, inbox_list.InboxQuery(view="unassigned")),
                "service: search message text 'after the 15'": service(
                    as_manager, inbox_list.InboxQuery(search="after the 15")),
                "service: search debtor name 'okafor1'": service(as_manager, inbox_list.InboxQuery(search="okafor1")),
            }
            page = cases["service: first page, all open (manager)"]()
            print(f"  (first page: {len(page.rows)} rows of {page.total:,}; views "
                  + ", ".join(f"{v}={t.conversations:,}" for v, t in page.totals.items()) + ")")
            for label, fn in cases.items():
                statements, inside = database_time(db.session, fn)
                print(measure(label, fn, args.runs) + f"  ({statements} statements, {inside:5.1f} ms in PostgreSQL)")
            client = _signed_in_client(app, manager, clock)
            db.session.rollback()

            def view(headers=None, client=client):
                response = client.get("/conversations", headers=headers or {})
                assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:2000])
                return response

            print(measure("view: GET /conversations (whole page)", view, args.runs))
            print(measure("view: GET /conversations (HTMX list)",
                          lambda: view({"HX-Request": "true", "HX-Target": "inbox-list"}), args.runs))
            print()

        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
        business_id, manager, _ = businesses["Inbox Bench Large"]
        principal = Principal(business_id=business_id, role="manager", user_id=manager.id)
        query = inbox_list.InboxQuery()
        statements = {
            "the page": inbox_list._ordered(inbox_list._filtered(inbox_list._row_select(), principal, query,
                                                                 clock.now())).limit(inbox_list.PAGE_SIZE + 1),
            "search 'after the 15'": inbox_list._ordered(inbox_list._filtered(
                inbox_list._row_select(), principal, inbox_list.InboxQuery(search="after the 15"),
                clock.now())).limit(inbox_list.PAGE_SIZE + 1),
        }
        for label, stmt in statements.items():
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(sa.text(f"EXPLAIN ANALYZE {compiled}")).scalars().all()
            print(f"EXPLAIN ANALYZE {label}:\n  " + "\n  ".join(plan[:24]) + "\n")
            db.session.rollback()


if __name__ == "__main__":
    main()
