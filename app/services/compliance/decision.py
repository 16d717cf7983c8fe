"""What the gate answers: one outcome, every rule's issues, and the record stored on the message."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ALLOW = "allow"
DEFER = "defer"
REQUIRE_CONTENT = "require_content"
BLOCK = "block"
OUTCOMES = (ALLOW, DEFER, REQUIRE_CONTENT, BLOCK)

WARN = "warn"
INFO = "info"
SEVERITIES = (BLOCK, DEFER, REQUIRE_CONTENT, WARN, INFO)
"""`warn` is recorded and does not stop the message (D-10, D-18); `info` is a logged exemption (TIME-5)."""

DEFER_HORIZON = dt.timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Issue:
    rule: str
    severity: str
    detail: str = ""
    items: tuple[str, ...] = ()  # REQUIRE_CONTENT: snippet keys the pipeline may append
    until: dt.datetime | None = None  # DEFER: the earliest instant this rule allows

    def as_dict(self) -> dict:
        out = {"rule": self.rule, "severity": self.severity, "detail": self.detail}
        if self.items:
            out["items"] = list(self.items)
        if self.until is not None:
            out["until"] = _iso(self.until)
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str
    issues: tuple[Issue, ...] = ()
    until: dt.datetime | None = None  # DEFER only
    items: tuple[str, ...] = ()  # REQUIRE_CONTENT only: the snippets to append, in order
    evaluated_at: dt.datetime | None = None
    candidate_zones: tuple[str, ...] = ()
    zone_sources: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int | None] = field(default_factory=dict)
    is_reply: bool = False
    inbound_ref: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == ALLOW

    @property
    def rules(self) -> tuple[str, ...]:
        """Rule ids with a stopping verdict, for the API's COMPLIANCE_BLOCKED error."""
        stopping = {BLOCK, DEFER, REQUIRE_CONTENT}
        return tuple(dict.fromkeys(i.rule for i in self.issues if i.severity in stopping))

    def issue(self, rule: str) -> Issue | None:
        return next((i for i in self.issues if i.rule == rule), None)

    def to_record(self, *, gate_version: str, ruleset_hash: str, content_sha256: str) -> dict:
        """The append-only `compliance` record of COMPLIANCE.md section 2."""
        return {
            "gate_version": gate_version,
            "ruleset_hash": ruleset_hash,
            "evaluated_at": _iso(self.evaluated_at) if self.evaluated_at else None,
            "passed": self.passed,
            "decision": self.outcome.upper(),
            "deferred_until": _iso(self.until) if self.until else None,
            "issues": [i.as_dict() for i in self.issues],
            "candidate_zones": list(self.candidate_zones),
            "zone_sources": dict(self.zone_sources),
            "counts": dict(self.counts),
            "content_sha256": content_sha256,
            "required_content_added": [],
            "session": {"is_reply": self.is_reply, "inbound_ref": self.inbound_ref},
            "override": None,
        }


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
