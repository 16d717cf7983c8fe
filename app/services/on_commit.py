"""Side effects that must wait for the transaction: run after COMMIT, dropped on ROLLBACK."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)
_KEY = "on_commit_callbacks"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run callback once the session's outermost transaction commits; never if it rolls back."""
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    session.info.setdefault(_KEY, []).append((transaction, callback))


def _within(transaction: SessionTransaction, ancestor: SessionTransaction) -> bool:
    node = transaction
    while node is not None:
        if node is ancestor:
            return True
        node = node.parent
    return False


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    # after_commit also fires when a savepoint is released: wait for the outermost commit.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_KEY, [])
    for _, callback in pending:
        try:
            callback()
        except Exception:  # a failed side effect must not undo the committed work
            log.exception("after-commit callback failed", extra={"callback": getattr(callback, "__name__", "?")})


@event.listens_for(Session, "after_soft_rollback")
def _drop_callbacks(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_KEY)
    if not pending:
        return
    kept = [(t, cb) for t, cb in pending if not _within(t, previous_transaction)]
    session.info[_KEY] = kept
