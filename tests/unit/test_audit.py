"""Is the audit trail append-only, chained, and free of plaintext debtor PII? Does verify catch tampering?"""
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditLog, DebtorKey
from app.services import audit
from app.services.tenancy import Principal
from tests.factories import gen_account, gen_business, gen_user


def _chain(business, clock, n=4, principal=None):
    principal = principal or Principal(business_id=business.id, role="business_admin")
    for i in range(n):
        clock.advance(seconds=1)
        audit.record(db.session, "account_updated", principal=principal, now=clock.now(), resource_type="account",
                     description=f"change {i}")
    db.session.commit()


def test_a_clean_chain_verifies(runner, clock):
    business = gen_business()
    _chain(business, clock)
    assert audit.verify(db.session, business.id) == []
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "verified" in result.output


def _tamper(sql, **params):
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only"))
        conn.execute(sa.text(sql), params)
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only"))
    db.session.expire_all()


def test_an_altered_row_is_found(runner, clock):
    business = gen_business()
    _chain(business, clock)
    _tamper("UPDATE audit_logs SET description = 'nothing happened' WHERE seq = 2")
    problems = audit.verify(db.session, business.id)
    assert [(p.seq, "altered" in p.problem) for p in problems] == [(2, True)]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "row 2" in result.output


def test_a_deleted_row_is_found(clock):
    business = gen_business()
    _chain(business, clock)
    _tamper("DELETE FROM audit_logs WHERE seq = 3")
    problems = audit.verify(db.session, business.id)
    assert any("missing" in p.problem for p in problems) and any(p.problem.startswith("previous-hash") for p in problems)


def test_postgres_refuses_update_and_delete(clock):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite has no code path that updates audit rows)")
    business = gen_business()
    _chain(business, clock, n=1)
    for sql in ("UPDATE audit_logs SET action = 'x'", "DELETE FROM audit_logs"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(sql))


def test_chains_are_per_business_and_concurrent_chains_do_not_mix(clock):
    a, b = gen_business(), gen_business()
    _chain(a, clock, n=2)
    _chain(b, clock, n=3)
    assert db.session.scalars(sa.select(AuditLog.seq).where(AuditLog.business_id == b.id).order_by(AuditLog.seq)).all() == [1, 2, 3]
    assert audit.verify(db.session, all_businesses=True) == []


def test_debtor_values_are_sealed_and_erasure_keeps_the_chain_valid(clock):
    business = gen_business()
    account = gen_account(business, email="jane@example.com")
    audit.record(db.session, "account_updated", principal=Principal(business_id=business.id, role="manager"),
                 now=clock.now(), resource_type="account", resource_id=account.id, debtor_account_id=account.id,
                 changes={"email": ["jane@example.com", "jane.doe@example.com"], "phone": [None, "+12125550123"]})
    db.session.commit()
    raw = db.session.execute(sa.text("SELECT changes FROM audit_logs")).scalar()
    text = raw if isinstance(raw, str) else json.dumps(raw)
    assert "jane" not in text and "2125550123" not in text
    row = db.session.scalars(sa.select(AuditLog)).one()
    assert audit.open_changes(db.session, row.changes)["email"] == ["jane@example.com", "jane.doe@example.com"]
    key = db.session.get(DebtorKey, account.id)
    key.wrapped_key, key.destroyed_at = None, clock.now()
    db.session.commit()
    assert audit.open_changes(db.session, row.changes) == {"email": None, "phone": None}
    assert audit.verify(db.session, business.id) == []


def test_login_attempts_are_audited_without_unknown_emails(client, clock):
    user = gen_user(gen_business(), "agent")
    client.post("/api/v1/auth/login", json={"email": user.email, "password": "Wrong-Pass-123!"})
    client.post("/api/v1/auth/login", json={"email": "stranger@example.com", "password": "Wrong-Pass-123!"})
    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.created_at)).all()
    assert [r.action for r in rows] == ["login_failed", "login_failed"]
    assert rows[0].user_id == user.id and rows[0].ip_address
    assert rows[1].user_id is None and "stranger" not in json.dumps(rows[1].meta)
