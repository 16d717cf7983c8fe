"""Rules register themselves here: a rule id, its stage in the decision order, and one small function.

Two shapes (COMPLIANCE.md section 2):
- a *verdict* rule, `fn(ctx) -> Issue | iterable of Issue | None`, for BLOCK, REQUIRE_CONTENT, warnings and logs;
- a *deferring* rule, `fn(ctx, t) -> Later | None`, which says the earliest instant >= t it allows (None = t is fine).
The gate runs every rule and combines them; nothing here depends on the order rules are registered in.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Later:
    until: dt.datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    stage: int  # COMPLIANCE.md section 2: 1 ACCT ... 13 TIME
    fn: Callable
    deferring: bool = False

    @property
    def name(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__qualname__}"


RULES: list[Rule] = []


def rule(rule_id: str, stage: int):
    """Register a verdict rule."""
    def register(fn):
        RULES.append(Rule(rule_id, stage, fn))
        return fn
    return register


def deferring(rule_id: str, stage: int):
    """Register a deferring rule (`fn(ctx, t) -> Later | None`)."""
    def register(fn):
        RULES.append(Rule(rule_id, stage, fn, deferring=True))
        return fn
    return register


def ruleset_hash(rules=None) -> str:
    """Changes whenever a rule is added, removed, re-staged or its code changes: stored with every decision."""
    digest = hashlib.sha256()
    for r in sorted(rules or RULES, key=lambda r: (r.id, r.name)):
        digest.update(f"{r.id}|{r.stage}|{r.name}|{r.deferring}|".encode())
        digest.update(r.fn.__code__.co_code)
    return "sha256:" + digest.hexdigest()
