"""Completing a message with the approved snippets the gate asks for (REQUIRE_CONTENT), then deciding again.

Both the pipeline and the account file's "can we contact now?" use this, so what staff are told matches what is
sent. Items whose data is missing (a dispute address not set up) stay missing and the decision keeps saying so."""
from __future__ import annotations

from dataclasses import replace

from app.services.compliance import snippets
from app.services.compliance.decision import REQUIRE_CONTENT, Decision
from app.services.compliance.facts import Attempt, Facts
from app.services.compliance.gate import decide

ROUNDS = 3
"""How often a message may take the snippets the gate asks for and be decided again."""


def required_items(decision: Decision) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for i in decision.issues if i.severity == REQUIRE_CONTENT for item in i.items))


def complete(attempt: Attempt, facts: Facts) -> tuple[Attempt, Decision, tuple[str, ...]]:
    """Append the footer for every REQUIRE_CONTENT item (whatever the outcome: a deferred message must be complete
    when it is released) and decide again; returns the final attempt, its decision and the items added."""
    decision = decide(attempt, facts)
    added: list[str] = []
    for _ in range(ROUNDS):
        items = required_items(decision)
        if not items:
            break
        extra = snippets.footer(items, facts, language=attempt.language or facts.debtor.preferred_language,
                                channel=attempt.channel, provided_on=attempt.now.date())
        if not extra or extra in attempt.body:
            break
        added.extend(i for i in items if i not in added and not snippets.missing_data(i, facts, attempt.now.date()))
        attempt = replace(attempt, body=f"{attempt.body}\n{extra}", portal_link=attempt.portal_link or bool(
            "validation_summary" in items and facts.policy.portal_url))
        decision = decide(attempt, facts)
    return attempt, decision, tuple(added)
