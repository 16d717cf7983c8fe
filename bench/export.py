"""Account export: CSV of 10,000, 100,000 and 1,000,000 accounts streams at constant memory.

Each export runs in a fresh process, sampling its resident memory every 5,000 rows, through the service the API streams
(app.services.accounts.export.csv_stream), into /dev/null. Baseline in the same run: the same 100,000 rows read
into a list first (what a non-streaming export would hold).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/fc_bench_export python -m bench.export
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from sqlalchemy import text

SIZES = {"Export 10k": 10_000, "Export 100k": 100_000, "Export 1M": 1_000_000}


def _prepare() -> None:
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.auth.users import create_business
    from bench.grid import generate

    app = create_app()
    with app.app_context():
        upgrade()
        for seed, (name, rows) in enumerate(SIZES.items(), start=10):
            if db.session.execute(text("SELECT count(*) FROM businesses WHERE name = :n"), {"n": name}).scalar():
                continue
            business = create_business(db.session, name)
            db.session.commit()
            started = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, business.id, rows, seed)
            print(f"generated {rows:,} accounts for {name} in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.execute(text("ANALYZE accounts"))
        db.session.commit()


def _rss_mb() -> int:
    """Resident memory now (the high-water mark of getrusage would include start-up)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) // 1024


def _child(name: str, mode: str) -> None:
    """One export in this process; prints rows, bytes, seconds and peak RSS."""
    from app import create_app
    from app.extensions import db
    from app.services.accounts import export
    from app.services.accounts.search import AccountQuery
    from app.services.tenancy import Principal

    app = create_app()
    with app.app_context():
        business_id = db.session.execute(text("SELECT id FROM businesses WHERE name = :n"), {"n": name}).scalar()
        principal = Principal(business_id=business_id, role="manager")
        rss_before = peak = _rss_mb()
        started = time.perf_counter()
        written = rows = 0
        chunks = export.csv_stream(db.session, principal, AccountQuery())
        if mode == "list":  # the baseline: everything in memory before the first byte goes out
            chunks = list(chunks)
        with open(os.devnull, "w") as sink:
            for chunk in chunks:
                sink.write(chunk)
                written += len(chunk)
                rows += 1
                if rows % 5000 == 0:
                    peak = max(peak, _rss_mb())
        seconds = time.perf_counter() - started
        peak = max(peak, _rss_mb())
        print(f"{rows - 1}\t{written}\t{seconds:.2f}\t{rss_before}\t{peak}")


def _run(name: str, mode: str) -> list[str]:
    out = subprocess.run([sys.executable, "-m", "bench.export", "--child", name, mode], check=True,
                         capture_output=True, text=True, env=os.environ).stdout
    return [line for line in out.splitlines() if not line.startswith("{")][-1].split("\t")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1], argv[2])
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database")
    _prepare()
    print(f"{'export':<34}{'rows':>10}{'MB':>8}{'s':>8}{'RSS before MB':>15}{'peak RSS MB':>13}")
    runs = [(name, "stream") for name in SIZES] + [("Export 100k", "list")]
    for name, mode in runs:
        rows, written, seconds, before, peak = _run(name, mode)
        label = f"{name} ({'streamed' if mode == 'stream' else 'baseline: held in a list'})"
        print(f"{label:<34}{int(rows):>10,}{int(written) / 1e6:>8.0f}{float(seconds):>8.1f}{before:>15}{peak:>13}")


if __name__ == "__main__":
    main()
