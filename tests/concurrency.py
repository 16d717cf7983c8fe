"""Racing calls for tests of locks: each call runs in its own thread and app context (its own database session),
all released at the same moment."""
from __future__ import annotations

import threading

from app.extensions import db


def race(app, calls) -> list:
    """Each call's outcome, in order: what it returned (its transaction committed) or the exception it raised (its
    transaction rolled back)."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        with app.app_context():
            try:
                start.wait()
                outcomes[index] = call()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 (the outcome the test inspects)
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
