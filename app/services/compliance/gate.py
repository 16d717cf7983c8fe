"""The one gate: run every rule, then combine (COMPLIANCE.md section 2).

`decide(attempt, facts)` is pure: the same attempt and facts give the same decision, whatever order the rules
are listed in. `check(attempt, loader)` loads the facts first.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

from app.services.compliance import rules as _rules  # noqa: F401  (registers every rule)
from app.services.compliance.context import Context
from app.services.compliance.decision import (
    ALLOW, BLOCK, DEFER, DEFER_HORIZON, INFO, REQUIRE_CONTENT, SEVERITIES, WARN, Decision, Issue,
)
from app.services.compliance.facts import Attempt, Facts
from app.services.compliance.registry import RULES, Later, Rule, ruleset_hash

GATE_VERSION = "1.0.0"
FIXED_POINT_ROUNDS = 50


class Loader(Protocol):
    def load(self, attempt: Attempt) -> Facts: ...


def check(attempt: Attempt, loader: Loader) -> Decision:
    """Load what the rules read, then decide."""
    return decide(attempt, loader.load(attempt))


def decide(attempt: Attempt, facts: Facts, rules: Iterable[Rule] | None = None) -> Decision:
    verdicts, waits = _split(rules)
    ctx = Context(attempt, facts)

    issues: list[tuple[int, Issue]] = []
    for r in verdicts:
        found = r.fn(ctx)
        if found is None:
            continue
        if isinstance(found, Issue):
            issues.append((r.stage, found))
        else:
            issues.extend((r.stage, issue) for issue in found)
    start = first = ctx.start
    for r in waits:  # every deferring rule's own verdict at the requested time, for the audit record
        later = r.fn(ctx, start)
        if later is not None and later.until > start:
            issues.append((r.stage, Issue(r.id, DEFER, later.detail, until=later.until)))
            first = max(first, later.until)

    issues.sort(key=lambda pair: (pair[0], pair[1].rule, SEVERITIES.index(pair[1].severity), pair[1].detail))
    ordered = tuple(issue for _, issue in issues)
    common = dict(
        issues=ordered, evaluated_at=ctx.now, candidate_zones=ctx.zones, zone_sources=dict(ctx.candidates.sources),
        counts=ctx.counts, is_reply=ctx.is_reply, inbound_ref=ctx.attempt.in_reply_to if ctx.is_reply else None,
    )
    severities = {i.severity for i in ordered}
    if BLOCK in severities:
        return Decision(BLOCK, **common)

    t = start if first == start else _fixed_point(ctx, waits, first)
    if t is None or t > ctx.now + DEFER_HORIZON:
        horizon = Issue("DEFER_HORIZON", BLOCK, "no allowed time within 14 days")
        return Decision(BLOCK, **{**common, "issues": ordered + (horizon,)})
    if t > start:
        return Decision(DEFER, until=t, **common)
    if REQUIRE_CONTENT in severities:
        items = tuple(dict.fromkeys(item for i in ordered if i.severity == REQUIRE_CONTENT for item in i.items))
        return Decision(REQUIRE_CONTENT, items=items, **common)
    return Decision(ALLOW, **common)


_SPLIT: tuple[int, list[Rule], list[Rule]] | None = None


def _split(rules) -> tuple[list[Rule], list[Rule]]:
    """Verdict rules and deferring rules; the registered set is split once (rules register at import)."""
    global _SPLIT
    if rules is None:
        if _SPLIT is None or _SPLIT[0] != len(RULES):
            _SPLIT = (len(RULES), [r for r in RULES if not r.deferring], [r for r in RULES if r.deferring])
        return _SPLIT[1], _SPLIT[2]
    rules = list(rules)
    return [r for r in rules if not r.deferring], [r for r in rules if r.deferring]


def _fixed_point(ctx: Context, waits: list[Rule], t):
    """The earliest instant >= t that every deferring rule allows (t being what the first pass asked for);
    None if it does not settle."""
    for _ in range(FIXED_POINT_ROUNDS):
        if t > ctx.now + DEFER_HORIZON:
            return t
        latest = t
        for r in waits:
            later: Later | None = r.fn(ctx, t)
            if later is not None and later.until > latest:
                latest = later.until
        if latest == t:
            return t
        if latest > ctx.now + DEFER_HORIZON:
            return latest
        t = latest
    return None


def content_sha256(attempt: Attempt) -> str:
    return hashlib.sha256(f"{attempt.subject or ''}\x00{attempt.body}".encode()).hexdigest()


def record(attempt: Attempt, decision: Decision) -> dict:
    """The compliance record stored on the message."""
    return decision.to_record(gate_version=GATE_VERSION, ruleset_hash=ruleset_hash(), content_sha256=content_sha256(attempt))


__all__ = ["ALLOW", "BLOCK", "DEFER", "INFO", "REQUIRE_CONTENT", "WARN", "check", "decide", "record"]
