"""Do side effects wait for the commit, and vanish with a rollback?"""
from app.extensions import db
from app.models import Business
from app.services.on_commit import on_commit


def test_runs_after_commit_only():
    calls = []
    db.session.add(Business(name="A", email="a@example.com", settings={}))
    on_commit(db.session, lambda: calls.append("sent"))
    db.session.flush()
    assert calls == []
    db.session.commit()
    assert calls == ["sent"]


def test_dropped_on_rollback():
    calls = []
    db.session.add(Business(name="B", email="b@example.com", settings={}))
    on_commit(db.session, lambda: calls.append("sent"))
    db.session.rollback()
    db.session.commit()
    assert calls == []


def test_savepoint_rollback_drops_only_its_own_callbacks():
    calls = []
    db.session.add(Business(name="C", email="c@example.com", settings={}))
    on_commit(db.session, lambda: calls.append("outer"))
    nested = db.session.begin_nested()
    on_commit(db.session, lambda: calls.append("inner"))
    nested.rollback()
    db.session.commit()
    assert calls == ["outer"]


def test_savepoint_release_keeps_callbacks():
    calls = []
    with db.session.begin_nested():
        on_commit(db.session, lambda: calls.append("inner"))
    assert calls == []
    db.session.commit()
    assert calls == ["inner"]


def test_failing_callback_does_not_stop_the_others():
    calls = []

    def boom():
        raise RuntimeError("provider down")

    on_commit(db.session, boom)
    on_commit(db.session, lambda: calls.append("second"))
    db.session.commit()
    assert calls == ["second"]


def test_each_commit_runs_its_own_callbacks_once():
    calls = []
    on_commit(db.session, lambda: calls.append(1))
    db.session.commit()
    db.session.commit()
    assert calls == [1]
