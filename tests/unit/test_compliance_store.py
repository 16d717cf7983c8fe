"""Does evaluate() decide on the stored facts and append exactly one decision row, in the caller's transaction?"""
from __future__ import annotations

import datetime as dt
import pathlib
import re
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import ComplianceDecision
from app.services.compliance import settings, store
from app.services.compliance.facts import Facts
from app.services.compliance.gate import GATE_VERSION
from app.services.errors import NotFound
from app.services.tenancy import Principal, acting_as
from tests.factories import NOW, gen_user
from tests.unit.test_compliance_loader import (EMAIL, _ana, _attempt, _business, _consent, _conversation,
                                               _message)


def _rows():
    return db.session.scalars(select(ComplianceDecision).order_by(ComplianceDecision.created_at)).all()


def test_evaluate_records_the_decision_with_its_rules_and_actor():
    business = _business()
    account = _ana(business)
    _consent(account)
    user = gen_user(business, "agent")
    principal = Principal(business_id=business.id, role="agent", user_id=user.id)
    early = _attempt(account, now=dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.timezone.utc))  # 06:00 New York
    decision = store.evaluate(db.session, early, principal=principal)
    db.session.commit()
    assert decision.outcome == "defer"
    (row,) = _rows()
    assert (row.business_id, row.account_id, row.channel, row.kind, row.purpose, row.outcome) == (
        business.id, account.id, "sms", "campaign", "collection", "defer")
    assert row.rules == list(store.recorded_rules(decision)) and "TIME-1" in row.rules
    assert "CONSENT-1" not in row.rules, "info verdicts are not in the indexed list"
    assert row.record["decision"] == "DEFER" and row.record["gate_version"] == GATE_VERSION
    assert row.record["deferred_until"] == "2026-11-25T13:00:00Z"
    assert row.evaluated_at == early.now and row.actor_user_id == user.id and row.to_address == early.to_address


def test_warnings_are_indexed_and_the_principal_in_scope_is_the_actor():
    business = _business(consent3_blocking=False)
    account = _ana(business, email_provenance=None, state="CA", zip="90012")  # outside New York's email rule
    user = gen_user(business, "manager")
    with acting_as(Principal(business_id=business.id, role="manager", user_id=user.id)):
        decision = store.evaluate(db.session, _attempt(account, channel="email", now=NOW + dt.timedelta(hours=4)))
    assert decision.outcome == "allow"
    (row,) = _rows()
    assert row.rules == ["CONSENT-3"] and row.actor_user_id == user.id


def test_the_row_belongs_to_the_callers_transaction():
    business = _business()
    account = _ana(business)
    store.evaluate(db.session, _attempt(account))
    assert db.session.scalar(select(func.count()).select_from(ComplianceDecision)) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ComplianceDecision)) == 0


def test_a_principal_of_another_business_is_refused():
    mine, theirs = _business("Mine Co"), _business("Theirs Co")
    account = _ana(theirs)
    with pytest.raises(NotFound):
        store.evaluate(db.session, _attempt(account), principal=Principal(business_id=mine.id, role="manager"))
    with pytest.raises(NotFound):
        store.evaluate(db.session, replace(_attempt(account), business_id=mine.id))
    assert _rows() == []


def test_the_dispatch_recheck_does_not_count_the_message_against_itself():
    """FREQ-4 allows one WhatsApp per 24 h: the queued message being re-checked is not its own earlier attempt."""
    business = _business()
    account = _ana(business)
    _consent(account, channel="whatsapp")
    conv = _conversation(account, channel="whatsapp")
    attempt = _attempt(account, channel="whatsapp", template="payment_reminder:en")
    assert store.evaluate(db.session, attempt).outcome == "allow"
    queued = _message(conv, when=NOW, status="queued")
    later = replace(attempt, now=NOW + dt.timedelta(minutes=10))
    assert store.evaluate(db.session, later, message_id=queued.id).outcome == "allow"
    second = store.evaluate(db.session, later)
    assert second.outcome == "defer" and second.issue("FREQ-4") is not None
    rows = _rows()
    assert [r.message_id for r in rows] == [None, queued.id, None]


def test_lowered_caps_reach_the_gate():
    business = _business(caps={"FREQ-2": 2})
    account = _ana(business)
    _consent(account)
    conv = _conversation(account)
    for days in (1, 2):
        _message(conv, when=NOW - dt.timedelta(days=days))
    decision = store.evaluate(db.session, _attempt(account))
    assert decision.outcome == "defer" and "(cap 2)" in decision.issue("FREQ-2").detail


def test_freq5_switched_off_by_the_platform_leaves_the_email_cap(clock):
    """Scenario 35: five emails in 168 h, FREQ-5 off: the sixth email waits on FREQ-3 alone."""
    business = _business()
    account = _ana(business)
    conv = _conversation(account, channel="email", address=EMAIL)
    for hours in (96, 80, 60, 40, 20):
        _message(conv, when=NOW - dt.timedelta(hours=hours))
    first = store.evaluate(db.session, _attempt(account, channel="email"))
    assert first.issue("FREQ-5") is not None
    root = gen_user(None, "super_admin")
    settings.update_platform(db.session, Principal(business_id=None, role="super_admin", user_id=root.id),
                             {"freq5_enabled": False}, NOW)
    decision = store.evaluate(db.session, _attempt(account, channel="email"))
    assert decision.outcome == "defer" and decision.issue("FREQ-5") is None
    assert decision.until == NOW - dt.timedelta(hours=96) + dt.timedelta(hours=168)
    assert decision.issue("FREQ-3") is not None


def test_a_custom_loader_is_used_as_given():
    business = _business()
    account = _ana(business)

    class Fixed:
        def load(self, attempt):
            return Facts()

    decision = store.evaluate(db.session, _attempt(account), loader=Fixed())
    assert decision.issue("CONSENT-1").severity == "block"
    assert _rows()[0].outcome == "block"


def test_counts_by_outcome_and_rule_since_a_time():
    business, other = _business(), _business("Other Co")
    account = _ana(business)
    _consent(account)
    early = dt.datetime(2026, 11, 25, 11, 0, tzinfo=dt.timezone.utc)
    store.evaluate(db.session, _attempt(account, now=early))  # defer TIME-1
    store.evaluate(db.session, _attempt(account))  # allow
    store.evaluate(db.session, _attempt(account, channel="whatsapp"))  # block CONSENT-2
    store.evaluate(db.session, _attempt(_ana(other)))
    db.session.commit()
    found = store.counts(db.session, business.id, early)
    assert found.total == 3 and found.by_outcome == {"defer": 1, "allow": 1, "block": 1}
    assert found.by_rule[("TIME-1", "defer")] == 1 and found.by_rule[("CONSENT-2", "block")] == 1
    assert store.counts(db.session, business.id, early + dt.timedelta(minutes=1)).total == 2
    assert store.counts(db.session, business.id, early, NOW).total == 1
    only = store.counts(db.session, business.id, early, rule="TIME-1")
    assert only.total == 1 and only.by_outcome == {"defer": 1}
    assert store.counts(db.session, uuid.uuid4(), early).total == 0


def test_nothing_but_the_store_writes_decisions():
    """The table is append-only through evaluate(): no other module builds a ComplianceDecision."""
    root = pathlib.Path(__file__).resolve().parents[2] / "app"
    built = re.compile(r"(?<!class )\bComplianceDecision\(")
    writers = [str(p.relative_to(root)) for p in root.rglob("*.py") if built.search(p.read_text())]
    assert writers == ["services/compliance/store.py"]


def test_a_decision_costs_ten_statements():
    """Nine reads (DbLoader) and the one insert, whatever the history holds."""
    business = _business()
    account = _ana(business)
    _consent(account)
    conv = _conversation(account, last_inbound_at=NOW)
    for hours in range(1, 30):
        _message(conv, when=NOW - dt.timedelta(hours=hours * 9))
    attempt = _attempt(account)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split())[:60])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        store.evaluate(db.session, attempt)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 10 and statements[-1].startswith("INSERT INTO compliance_decisions"), statements
