"""Are jobs enqueued only after the commit, and do they run on the real RQ worker?"""
from app.extensions import db
from app.models import Business
from tests.factories import gen_business

RESULTS = []


def record(value):
    """A job: appends to RESULTS (runs in the same process under the burst worker)."""
    RESULTS.append(value)
    return value


def test_enqueued_job_waits_for_commit_and_runs(app):
    RESULTS.clear()
    jobs = app.extensions["jobs"]
    db.session.add(Business(name="Q", email="q@example.com", settings={}))
    jobs.enqueue(db.session, "default", record, "after-commit")
    assert jobs.queues["default"].count == 0
    db.session.commit()
    assert jobs.queues["default"].count == 1
    assert jobs.work_burst() is True
    assert RESULTS == ["after-commit"]


def test_rolled_back_job_is_never_enqueued(app):
    RESULTS.clear()
    jobs = app.extensions["jobs"]
    jobs.enqueue(db.session, "messages", record, "never")
    db.session.rollback()
    db.session.commit()
    assert jobs.queues["messages"].count == 0
    assert jobs.work_burst() is False
    assert RESULTS == []


def test_enqueue_once_many_skips_keys_with_a_job_waiting_and_runs_the_rest(app):
    RESULTS.clear()
    jobs = app.extensions["jobs"]
    assert jobs.enqueue_once("default", record, "a", key="once-a") is True
    enqueued = jobs.enqueue_once_many("default", "tests.unit.test_jobs.record",
                                      [(("a",), "once-a"), (("b",), "once-b"), (("c",), "once-c"), (("b",), "once-b")])
    assert enqueued == 2  # "a" already waits; the second "b" finds the marker its first set
    assert jobs.queues["default"].count == 3
    assert jobs.enqueue_once_many("default", "tests.unit.test_jobs.record", []) == 0
    assert jobs.work_burst() is True
    assert sorted(RESULTS) == ["a", "b", "c"]


def test_clock_tick_purges_expired_idempotency_keys(app, clock):
    import datetime as dt

    from app.models import IdempotencyKey
    from jobs.clock import tick

    business = gen_business()
    db.session.add_all([
        IdempotencyKey(business_id=business.id, key="old", method="POST", path="/x", request_sha256="0" * 64,
                       created_at=clock.now() - dt.timedelta(hours=25), expires_at=clock.now() - dt.timedelta(hours=1)),
        IdempotencyKey(business_id=business.id, key="new", method="POST", path="/x", request_sha256="0" * 64,
                       created_at=clock.now(), expires_at=clock.now() + dt.timedelta(hours=24)),
    ])
    db.session.commit()
    tick(app)
    db.session.expire_all()
    assert [k.key for k in db.session.query(IdempotencyKey).all()] == ["new"]
