"""Compliance gate on one core: decisions per second and p50/p99 latency of decide(), in memory (no database).

(a) typical: a New York debtor with 30 days of history already loaded (10 outbound, 5 inbound), a campaign SMS
    at midday; once for one account decided over and over, once for 5,000 distinct accounts seen for the first
    time (cold phone and ZIP lookups).
(b) worst case: no location known (every US zone) at night, every rule active: 240 outbound, 60 inbound and
    30 calls over 60 days, 8 designated inconvenient times, workplace hours, Spanish, the NYC flag, a 600-character
    body. A California address gives the debtor a zone, so CA is measured as (c) with the rest of (b).
Then cProfile of (a) and (b): where the time goes per rule family, and the costliest functions.
Target: >= 20,000 decisions/s and p99 < 1 ms for (a).

    python -m bench.compliance [--n 20000] [--no-profile]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 7, 15, 16, 0, tzinfo=UTC)  # Wednesday 12:00 EDT
NIGHT = dt.datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # 03:30 EDT, 21:30 HST, 17:30 in Guam
SMS_BODY = ("Acme Recovery: Hi Ana, a payment on your account is due. "
            "This communication is from a debt collector. Reply STOP to opt out.")
SPANISH_BODY = ("Acme Recovery: Hola Ana, tiene un pago pendiente en su cuenta. Puede pagar en línea en "
                "https://pay.example.com/p/abc o llamarnos al 800-555-0100 de lunes a viernes. Si ya pagó, ignore "
                "este mensaje. Podemos ofrecerle un plan de pagos adaptado a su situación: responda PLAN y un agente "
                "le escribirá. Esta comunicación proviene de un cobrador de deudas. Responda STOP para no recibir "
                "más mensajes. ")
TARGET_RATE, TARGET_P99_MS = 20_000, 1.0


def _pin_one_core() -> tuple[str, set | None]:
    """Run on one core; returns a label and the previous affinity, to restore."""
    if hasattr(os, "sched_setaffinity"):
        before = os.sched_getaffinity(0)
        core = min(before)
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}", before
    return "not pinned", None


def _ago(days: float, base: dt.datetime = NOW) -> dt.datetime:
    return base - dt.timedelta(days=days)


def typical(account: int = 0, now: dt.datetime = NOW):
    """(attempt, facts) for (a); `account` varies the phone number and ids."""
    from app.services.compliance.facts import (
        Attempt, Consent, Debtor, Email, Facts, History, Inbound, Outbound, Phone, Policy, Validation,
    )

    number = f"+1212555{account % 10_000:04d}"
    email = f"debtor{account}@example.com"
    consent = Consent(granted_at=_ago(60, now), method="web", evidence="203.0.113.9")
    debtor = Debtor(
        account_id=uuid.UUID(int=account + 1), first_name="Ana", last_name="Ruiz", state="NY", zip="10001",
        city="New York", phones=(Phone(number, sms_consent=consent, last_inbound_text_at=_ago(3, now)),),
        emails=(Email(email, provenance="consumer_consent"),), account_number="ACME-000123",
        original_creditor="First Bank", current_creditor="First Bank", balance=Decimal("412.50"),
        original_balance=Decimal("412.50"), time_barred="false",
        validation=Validation(initial_comm_at=_ago(45, now), initial_had_validation=True,
                              notice_sent_at=_ago(45, now), method="email",
                              period_end=(now - dt.timedelta(days=5)).date()),
    )
    policy = Policy(business_name="Acme Recovery", messaging_number="+12125550100", support_phone="+18005550100",
                    support_email="help@acme.example", dispute_address="PO Box 1, New York, NY 10001",
                    portal_url="https://pay.example.com")
    inbound = tuple(Inbound(f"in-{i}", "sms", _ago(2 + 5 * i, now) + dt.timedelta(hours=1), "ok thanks", address=number)
                    for i in range(5))
    outbound = tuple(
        Outbound("sms" if i % 3 else "email", _ago(1.5 + 2.8 * i, now), address=number if i % 3 else email,
                 id=f"out-{i}", in_reply_to=f"in-{i // 2}" if i % 4 == 1 else None)
        for i in range(10))
    attempt = Attempt(business_id=uuid.UUID(int=1), account_id=debtor.account_id, channel="sms", to_address=number,
                      body=SMS_BODY, now=now)
    return attempt, Facts(debtor=debtor, policy=policy, history=History(outbound=outbound, inbound=inbound))


def worst(california: bool = False):
    """(attempt, facts) for (b), or (c) with a California address."""
    from app.services.compliance.facts import (
        Attempt, Blackout, Call, Consent, Debtor, Email, Facts, History, Inbound, Outbound, Phone, Policy, Validation,
    )

    now = NIGHT
    consent = Consent(granted_at=_ago(200, now), method="keyword", evidence="in-0")
    phones = (Phone("+18005550143", sms_consent=consent, whatsapp_consent=consent, last_inbound_text_at=_ago(1, now)),
              Phone("+18885550143", type="work", sms_consent=consent))
    blackouts = tuple(Blackout(dt.time(h, 0), dt.time(h, 20), weekdays=frozenset({i % 7, (i + 3) % 7}),
                               designated_at=_ago(30 + i, now)) for i, h in enumerate(range(0, 24, 3)))
    work = (Blackout(dt.time(9), dt.time(11), weekdays=frozenset(range(5)), designated_at=_ago(20, now)),)
    debtor = Debtor(
        account_id=uuid.UUID(int=99), first_name="Ana", last_name="Ruiz",
        state="CA" if california else None, zip="90012" if california else None,
        phones=phones, emails=(Email("ana@example.com", provenance="consumer_consent"),
                               Email("ana@employer.example", is_work=True)),
        whatsapp_optin_at=_ago(200, now), whatsapp_last_inbound_at=_ago(0.5, now), preferred_language="es",
        inconvenient_times=blackouts, workplace_objection_at=_ago(20, now), work_hours=work, nyc=True,
        nyc_consent_at=_ago(100, now), account_number="ACME-000123", original_creditor="First Bank",
        current_creditor="First Bank", balance=Decimal("412.50"), original_balance=Decimal("412.50"),
        time_barred="unknown",
        validation=Validation(initial_comm_at=_ago(45, now), initial_had_validation=True, notice_sent_at=_ago(45, now),
                              method="email", period_end=(now - dt.timedelta(days=5)).date()),
    )
    policy = Policy(business_name="Acme Recovery", messaging_number="+12125550100", support_phone="+18005550100",
                    support_email="help@acme.example", dispute_address="PO Box 1, Los Angeles, CA 90012",
                    portal_url="https://pay.example.com", ca_license_no="CA-12345", freq7_enabled=True,
                    time7_blocking=True, nyc_cap=3, consent3_blocking=True, consent4_blocking=True, tp5_blocking=True,
                    caps={"FREQ-2": 3, "FREQ-3": 4})
    channels = ("sms", "email", "whatsapp", "web_chat")
    inbound = tuple(Inbound(f"in-{i}", channels[i % 4], _ago(i, now), "¿cuánto debo?", address="+18005550143")
                    for i in range(60))
    outbound = tuple(Outbound(channels[i % 4], _ago(0.25 * i + 0.6, now), address="+18005550143", id=f"out-{i}",
                              in_reply_to=f"in-{i % 60}" if i % 5 == 0 else None,
                              provider_status=("sent", "delivered", "undelivered", "rejected")[i % 4])
                     for i in range(240))
    calls = tuple(Call(_ago(2 * i + 1, now), connected=i % 2 == 0, conversation=i % 9 == 0, address="+18005550143")
                  for i in range(30))
    body = (SPANISH_BODY * 2)[:600]
    attempt = Attempt(business_id=uuid.UUID(int=1), account_id=debtor.account_id, channel="sms",
                      to_address="+18005550143", body=body, now=now, kind="ai", language="es")
    history = History(outbound=outbound, inbound=inbound, calls=calls)
    return attempt, Facts(debtor=debtor, policy=policy, history=history)


def measure(cases, rounds: int) -> tuple[float, float, list[int], list[int]]:
    """Decide every case `rounds` times: (decisions per wall second, per CPU second of this thread, wall latencies,
    CPU latencies), in ns. CPU time leaves out the time the process waited for a core on a busy machine."""
    from app.services.compliance.gate import decide

    clock, cpu = time.perf_counter_ns, time.thread_time_ns
    wall_lat: list[int] = []
    cpu_lat: list[int] = []
    gc.collect()
    started, cpu_started = time.perf_counter(), time.thread_time()
    for _ in range(rounds):
        for attempt, facts in cases:
            t0, c0 = clock(), cpu()
            decide(attempt, facts)
            c1, t1 = cpu(), clock()
            wall_lat.append(t1 - t0)
            cpu_lat.append(c1 - c0)
    wall, cpu_spent = time.perf_counter() - started, time.thread_time() - cpu_started
    return len(wall_lat) / wall, len(wall_lat) / cpu_spent, wall_lat, cpu_lat


def _pct(values: list[int], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] / 1e6


def _row(label: str, measured, outcome: str) -> str:
    rate, cpu_rate, wall, cpu = measured
    return (f"{label:<42} {rate:>8,.0f}/s {cpu_rate:>8,.0f}/s  "
            f"{statistics.median(wall) / 1e6:6.3f} {_pct(wall, 99):6.3f}  "
            f"{statistics.median(cpu) / 1e6:6.3f} {_pct(cpu, 99):6.3f}  {outcome}")


def _family(fn) -> str:
    return Path(fn.__code__.co_filename).stem


def wall_by_family(cases, rounds: int) -> tuple[dict[str, float], float]:
    """Wall-clock time per rule family (each rule function timed with perf_counter, no profiler), and the total
    per decision, in microseconds."""
    from app.services.compliance.gate import decide
    from app.services.compliance.registry import RULES, Rule

    clock = time.perf_counter_ns
    spent: dict[str, int] = defaultdict(int)

    def timed(fn, family, deferring):
        if deferring:
            def run(ctx, t):
                t0 = clock()
                try:
                    return fn(ctx, t)
                finally:
                    spent[family] += clock() - t0
        else:
            def run(ctx):
                t0 = clock()
                try:
                    return fn(ctx)
                finally:
                    spent[family] += clock() - t0
        return run

    rules = [Rule(r.id, r.stage, timed(r.fn, _family(r.fn), r.deferring), r.deferring) for r in RULES]
    total = 0
    for _ in range(rounds):
        for attempt, facts in cases:
            t0 = clock()
            decide(attempt, facts, rules=rules)
            total += clock() - t0
    decisions = rounds * len(cases)
    return {k: v / decisions / 1000 for k, v in spent.items()}, total / decisions / 1000


def profile(label: str, cases, rounds: int, top: int = 12) -> None:
    """Time per rule family, two ways: wall clock with each rule function timed (a few hundred ns of timer per
    rule call included), and inclusive time under cProfile (each registered rule function's cumulative time, summed
    by module; the profiler inflates small functions). A rule that first touches a lazily computed Context value
    (zones, address, is_reply ...) is charged for computing it. Then the costliest functions under cProfile."""
    from app.services.compliance.gate import decide
    from app.services.compliance.registry import RULES

    wall, wall_total = wall_by_family(cases, rounds)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for attempt, facts in cases:
            decide(attempt, facts)
    profiler.disable()
    entries = pstats.Stats(profiler).stats  # (file, line, name) -> (primitive calls, calls, tottime, cumtime, callers)
    decisions = rounds * len(cases)
    total = next(ct for (f, _, name), (_, _, _, ct, _) in entries.items() if name == "decide" and f.endswith("gate.py"))

    profiled: dict[str, float] = defaultdict(float)
    for r in RULES:
        code = r.fn.__code__
        entry = entries.get((code.co_filename, code.co_firstlineno, code.co_name))
        if entry:
            profiled[_family(r.fn)] += entry[3]
    outside = "(Context(), combine, issues: gate.py)"
    profiled[outside] = total - sum(profiled.values())
    wall[outside] = wall_total - sum(wall.values())
    print(f"\n{label}: {decisions:,} decisions; {wall_total:.1f} us each with rules timed, "
          f"{total / decisions * 1e6:.1f} us under cProfile")
    print(f"  {'rule family':<40} {'wall us':>9} {'share':>7} {'cProfile us':>12} {'share':>7}")
    for family in sorted(profiled, key=lambda k: -wall.get(k, 0)):
        w, c = wall.get(family, 0.0), profiled[family] / decisions * 1e6
        print(f"  {family:<40} {w:9.1f} {w / wall_total:7.1%} {c:12.1f} {profiled[family] / total:7.1%}")
    print("  costliest functions under cProfile (own time):")
    ranked = sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, name), (_, calls, tottime, _, _) in ranked:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else filename
        print(f"    {tottime / decisions * 1e6:7.2f} us  {calls / decisions:6.1f} calls  {name}  ({where})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000, help="decisions per measured row")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    pinned, before = _pin_one_core()
    try:
        _run(args, pinned)
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


def _run(args, pinned: str) -> None:
    from app.services.compliance.gate import decide

    one = [typical()]
    many = [typical(account=i, now=NOW + dt.timedelta(seconds=7 * i)) for i in range(5_000)]
    bad, bad_ca = [worst()], [worst(california=True)]
    outcome = {id(c): decide(*c[0]).outcome.upper() for c in (one, bad, bad_ca)}
    outcome[id(many)] = decide(*many[0]).outcome.upper()

    measure(one, 2_000)  # warm-up: imports, regexes, zone files
    rows = []
    typical_run = measure(one, args.n)
    rows.append(_row("(a) typical, one account", typical_run, outcome[id(one)]))
    rows.append(_row(f"(a) typical, {len(many):,} accounts first seen", measure(many, 1), outcome[id(many)]))
    rows.append(_row(f"(a) typical, {len(many):,} accounts seen again", measure(many, max(1, args.n // len(many))),
                     outcome[id(many)]))
    worst_rounds = max(1, args.n // 10)
    rows.append(_row("(b) worst: every US zone, night, all rules", measure(bad, worst_rounds), outcome[id(bad)]))
    rows.append(_row("(c) as (b) with a California address", measure(bad_ca, worst_rounds), outcome[id(bad_ca)]))

    from app.services.compliance.registry import RULES

    print(f"compliance gate, {len(RULES)} rules registered, one process {pinned}, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'case':<42} {'decisions per second':>19}  {'wall ms':>13}  {'CPU ms':>13}  outcome")
    print(f"{'':<42} {'wall':>9} {'CPU':>9}  {'p50':>6} {'p99':>6}  {'p50':>6} {'p99':>6}")
    for row in rows:
        print(row)
    rate, cpu_rate, wall, cpu = typical_run
    for label, r, lat in (("wall", rate, wall), ("CPU", cpu_rate, cpu)):
        ok = r >= TARGET_RATE and _pct(lat, 99) < TARGET_P99_MS
        print(f"target for (a), {label} time: >= {TARGET_RATE:,}/s and p99 < {TARGET_P99_MS} ms: "
              f"{'met' if ok else 'NOT met'}")

    if not args.no_profile:
        profile("(a) typical, one account", one, max(1, args.n // 4))
        profile("(b) worst case", bad, max(1, args.n // 40))


if __name__ == "__main__":
    main()
