"""The one entry point message pipelines call: load the facts, decide, and append the decision to
compliance_decisions in the caller's transaction. Nothing else writes that table (PRIV-3 keeps it 3 years)."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from app.models import ComplianceDecision
from app.services.compliance.decision import BLOCK, DEFER, REQUIRE_CONTENT, WARN, Decision
from app.services.compliance.facts import Attempt
from app.services.compliance.gate import decide, record
from app.services.compliance.loader import DbLoader
from app.services.errors import NotFound
from app.services.tenancy import Principal, current_principal

RECORDED_SEVERITIES = frozenset({BLOCK, DEFER, REQUIRE_CONTENT, WARN})
"""Rule ids kept in the indexed `rules` list: every verdict that stopped the message or warned about it."""


def evaluate(db_session, attempt: Attempt, *, loader=None, message_id=None, principal: Principal | None = None
             ) -> Decision:
    """Decide on `attempt` and record the decision (not committed: the caller's transaction owns it).

    `message_id` names the stored message this decision is about (the re-check at dispatch); that message is left
    out of the history it is judged against. The principal defaults to the one in scope."""
    principal = principal or current_principal()
    if attempt.business_id is None:
        raise PermissionError("no business in scope")
    if principal is not None and principal.business_id is not None and principal.business_id != attempt.business_id:
        raise NotFound("Account not found")
    message_key = _uuid(message_id) if message_id is not None else None
    if loader is None:
        loader = DbLoader(db_session, exclude_message_ids=(message_key,) if message_key else ())
    facts = loader.load(attempt)
    decision = decide(attempt, facts)
    db_session.add(ComplianceDecision(
        business_id=attempt.business_id, account_id=attempt.account_id, message_id=message_key,
        channel=attempt.channel, kind=attempt.kind, purpose=attempt.purpose, recipient=attempt.recipient,
        to_address=(attempt.to_address or None) and attempt.to_address[:255],
        consumer_request_id=attempt.consumer_request_id, outcome=decision.outcome,
        rules=recorded_rules(decision), record=record(attempt, decision),
        evaluated_at=decision.evaluated_at or attempt.now,
        actor_user_id=principal.user_id if principal else None,
        actor_api_key_id=principal.api_key_id if principal else None,
    ))
    db_session.flush()
    return decision


def recorded_rules(decision: Decision) -> list[str]:
    return list(dict.fromkeys(i.rule for i in decision.issues if i.severity in RECORDED_SEVERITIES))


@dataclass
class DecisionCounts:
    """What support engineers ask first: how many decisions, how they ended, and which rules drove them."""

    total: int = 0
    by_outcome: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)  # (rule id, outcome) -> decisions


def counts(db_session, business_id, since: dt.datetime, until: dt.datetime | None = None, *,
           rule: str | None = None) -> DecisionCounts:
    """Decisions of one business in [since, until), counted by outcome and by (rule, outcome)."""
    stmt = select(ComplianceDecision.outcome, ComplianceDecision.rules).where(
        ComplianceDecision.business_id == _uuid(business_id), ComplianceDecision.evaluated_at >= since)
    if until is not None:
        stmt = stmt.where(ComplianceDecision.evaluated_at < until)
    if rule and db_session.get_bind().dialect.name == "postgresql":
        stmt = stmt.where(type_coerce(ComplianceDecision.rules, JSONB).contains([rule]))
    found = DecisionCounts()
    for outcome, rules in db_session.execute(stmt.execution_options(yield_per=5000)):
        rules = rules or []
        if rule and rule not in rules:
            continue
        found.total += 1
        found.by_outcome[outcome] += 1
        for rule_id in rules:
            found.by_rule[(rule_id, outcome)] += 1
    return found


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
