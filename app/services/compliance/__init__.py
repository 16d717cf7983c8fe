"""The compliance gate: every message to a debtor passes `check` (or `decide` on loaded facts) before it exists."""
from app.services.compliance.decision import ALLOW, BLOCK, DEFER, REQUIRE_CONTENT, Decision, Issue
from app.services.compliance.facts import Attempt, Facts
from app.services.compliance.gate import check, decide, record

__all__ = ["ALLOW", "BLOCK", "DEFER", "REQUIRE_CONTENT", "Attempt", "Decision", "Facts", "Issue", "check", "decide",
           "record"]
