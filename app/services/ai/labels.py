"""The labels every engine speaks, and the escalation rule (FR-CONV-022, PRD 9.3/9.4/9.7).

The 14 intents are the PRD's eight plus the ones the law makes us handle on their own. A message escalates to a
person when its intent needs a human (request_human, hostile, dispute, attorney_represented, bankruptcy), when its
sentiment is hostile, or when it mentions a lawsuit, a court or legal action, in English or Spanish, whatever the
intent. The legal-words pattern over-matches on purpose: a needless handoff costs a minute, a missed one a lawsuit.
"""
from __future__ import annotations

import re

from app.services.compliance.inbound import normalize

INTENTS = ("payment_plan", "dispute", "balance_inquiry", "make_payment", "hardship", "request_human", "hostile",
           "cease_contact", "attorney_represented", "wrong_person", "already_paid", "workplace_objection",
           "bankruptcy", "other")
SENTIMENTS = ("positive", "neutral", "negative", "hostile")
LANGUAGES = ("en", "es")

# The corpus guide's precedence: a message that carries several intents is labeled with the first that applies.
PRECEDENCE = ("cease_contact", "attorney_represented", "bankruptcy", "wrong_person", "dispute", "already_paid",
              "request_human", "hostile", "workplace_objection", "hardship", "payment_plan", "make_payment",
              "balance_inquiry", "other")

ESCALATE_INTENTS = frozenset({"request_human", "hostile", "dispute", "attorney_represented", "bankruptcy"})
ESCALATE_SENTIMENTS = frozenset({"hostile"})

# Reasons a message escalates, as recorded on the turn and shown in the inbox.
REASON_INTENT = "intent"
REASON_SENTIMENT = "hostile_sentiment"
REASON_LEGAL = "legal_matter"

LEGAL_RE = re.compile("|".join(f"(?:{p})" for p in (
    r"\blaw ?suits?\b",
    r"\bsu(?:e|ed|es|ing)\b",
    r"\bcourts?\b",
    r"\bcourthouse\b",
    r"\blegal (?:action|proceedings?|steps?|matters?|case|claim|complaint|recourse)\b",
    r"\blitigat\w*\b",
    r"\bsmall claims\b",
    r"\bclass action\b",
    r"\bjudge\b",
    r"\b(?:file|filing|filed) (?:a )?(?:claim|complaint|case) (?:against|with)\b",
    r"\battorney general\b",
    r"\bcfpb\b",
    r"\bdemanda(?:r|re|ria|remos|rlos|rles|rte|rlo|ndo|dos?)?\b",
    r"\bdemand(?:o|e|en|are|aremos)\b",
    r"\b(?:corte|cortes|tribunal|tribunales|juzgado|juez|jueza)\b",
    r"\b(?:accion(?:es)? legal(?:es)?|proceso (?:legal|judicial)|via legal|juicio|pleito|litigio)\b",
    r"\b(?:queja|denuncia) (?:formal |ante |con )\b",
)))


def mentions_legal(text: str) -> bool:
    """A lawsuit, court or legal action named in the text (EN/ES), on the text folded as the inbound reader folds."""
    return LEGAL_RE.search(normalize(text)) is not None


def escalation_reasons(intent: str, sentiment: str, text: str, also=()) -> tuple[str, ...]:
    """Why this message goes to a person; empty when it need not. `also`: other intents the message is known to
    carry besides its label ("my lawyer says stop calling me" is labeled a cease and still has an attorney)."""
    reasons = []
    if intent in ESCALATE_INTENTS or not ESCALATE_INTENTS.isdisjoint(also):
        reasons.append(REASON_INTENT)
    if sentiment in ESCALATE_SENTIMENTS:
        reasons.append(REASON_SENTIMENT)
    if mentions_legal(text):
        reasons.append(REASON_LEGAL)
    return tuple(reasons)


def must_escalate(intent: str, sentiment: str, text: str) -> bool:
    """The corpus's `must_escalate` for a message with these labels."""
    return bool(escalation_reasons(intent, sentiment, text))
