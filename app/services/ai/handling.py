"""What the assistant does with each intent (PRD 9.3, 9.7; FR-CONV-022; COMPLIANCE.md D-17, ATTY-3, TP-2, WORK):
whether it replies and with which reviewed template, whether a person takes over and why, and which facts the
message establishes.

Plain data and small functions, no database: `plan(...)` says what should happen and the conversation's
orchestrator applies it (records, status, notifications) and sends the reply through the gate. Records are short
strings, "<key>" or "<key>:<value>", so a turn can store them as they are and `record_values` can read them back.

Why some intents get no reply at all: once an attorney is known (ATTY-3) or a bankruptcy is stated, nothing about
the debt should reach the debtor, and the gate blocks every AI draft to such an account (CONTENT-12(b)); a person
answers, if anyone does. A cease gets its one CEASE-2(i) acknowledgement, the approved template, never an AI text;
when the inbound pipeline already sent it at ingestion (its keyword reader saw the cease), nothing more is sent.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from app.services.ai import amounts
from app.services.ai.labels import INTENTS, REASON_LEGAL, REASON_SENTIMENT, escalation_reasons
from app.services.errors import ValidationError
from app.services.payments import plans
from app.services.payments.plan_policy import PlanPolicy

CONFIDENCE_THRESHOLD = 0.70  # FR-CONV-022

# -- reply keys (replies.py holds the texts) ------------------------------------------------------------------------
PLAN_OPTIONS = "plan_options"
HARDSHIP_OPTIONS = "hardship_options"
PAY_IN_FULL = "pay_in_full"  # no plan fits the policy (balance too small): the pay link instead
BALANCE = "balance"
PAY_LINK = "pay_link"
DISPUTE = "dispute"
HANDOFF = "handoff"
HOSTILE = "hostile"
CEASE_ACK = "cease_ack"
WRONG_PERSON = "wrong_person"
WORKPLACE = "workplace"
ALREADY_PAID = "already_paid"  # ask for proof
PAYMENT_FOUND = "payment_found"  # the ledger shows the payment
OTHER = "other"
REPLY_KEYS = (PLAN_OPTIONS, HARDSHIP_OPTIONS, PAY_IN_FULL, BALANCE, PAY_LINK, DISPUTE, HANDOFF, HOSTILE, CEASE_ACK,
              WRONG_PERSON, WORKPLACE, ALREADY_PAID, PAYMENT_FOUND, OTHER)

# -- records --------------------------------------------------------------------------------------------------------
ATTORNEY_PENDING = "attorney_pending"  # ATTY-3: hold every message to the debtor until an agent resolves it
ATTORNEY_NAME = "attorney_name"
ATTORNEY_PHONE = "attorney_phone"
ATTORNEY_EMAIL = "attorney_email"
ADDRESS_UNVERIFIED = "address_unverified"  # TP-2: the address the message came from is not the debtor's
WORKPLACE_OBJECTION = "workplace_objection"  # WORK-2/3
BANKRUPTCY = "bankruptcy"  # stop collection
CEASE_CANDIDATE = "cease_candidate"  # D-17 / CEASE-4: blocked at once
MANAGER_REVIEW = "manager_review"  # D-17: a manager confirms or clears the cease within 24 h (not an escalation)
DISPUTE_RECEIVED = "dispute_received"
PAYMENT_CLAIM = "payment_claim"  # the debtor says they paid; value: the amount named, if any
AFFORDABLE = "affordable"  # value: "<amount> <frequency>", what the debtor said they can pay
HOSTILE_LOGGED = "hostile_logged"  # PRD 9.3 "Hostile -> apologize, escalate, log"

# -- handoff reasons, as agents read them in the inbox --------------------------------------------------------------
REASONS = {
    "request_human": "The debtor asked to talk to a person.",
    "hostile": "Hostile or abusive message: the assistant apologised and stopped.",
    "dispute": "The debtor disputes the debt: record the dispute and send verification.",
    "attorney_represented": "The debtor says an attorney represents them: contact the attorney, not the debtor.",
    "bankruptcy": "The debtor says they filed for bankruptcy: collection is stopped until it is checked.",
    "already_paid": "The debtor says they already paid and the ledger does not show it: check their proof.",
}
REASON_SENTIMENT_TEXT = "Hostile tone: a person should answer."
REASON_LEGAL_TEXT = "The message mentions a lawsuit, a court or legal action."
REASON_LOW_CONFIDENCE = "The assistant is not sure what the debtor wants (confidence {confidence:.2f}, below 0.70)."


@dataclass
class Plan:
    """What to do with one inbound message. `reply_key` None: send nothing. `stop_contact`: no further message to
    the debtor about the debt (the orchestrator sets the holds the records name)."""

    reply_key: str | None
    escalate: bool
    handoff_reason: str | None
    records: list[str] = field(default_factory=list)
    stop_contact: bool = False


@dataclass(frozen=True)
class Policy:
    """Per intent: the reply when all is well, whether it always goes to a person, whether contact stops."""

    reply_key: str | None
    escalate: bool = False
    stop_contact: bool = False


POLICY: dict[str, Policy] = {
    "payment_plan": Policy(PLAN_OPTIONS),
    "hardship": Policy(HARDSHIP_OPTIONS),
    "balance_inquiry": Policy(BALANCE),
    "make_payment": Policy(PAY_LINK),
    "dispute": Policy(DISPUTE, escalate=True),
    "request_human": Policy(HANDOFF, escalate=True),
    "hostile": Policy(HOSTILE, escalate=True),
    "cease_contact": Policy(CEASE_ACK, escalate=False, stop_contact=True),  # D-17: resolved, not escalated
    "attorney_represented": Policy(None, escalate=True, stop_contact=True),
    "wrong_person": Policy(WRONG_PERSON, stop_contact=True),
    "already_paid": Policy(ALREADY_PAID, escalate=True),  # unless the ledger shows the payment
    "workplace_objection": Policy(WORKPLACE),
    "bankruptcy": Policy(None, escalate=True, stop_contact=True),
    "other": Policy(OTHER),
}
assert set(POLICY) == set(INTENTS)

NEVER_OVERRIDDEN = frozenset({"cease_contact", "attorney_represented", "wrong_person", "bankruptcy"})
"""Intents whose handling stands whatever else the message carries: a hostile cease is still a cease."""


def plan(intent: str, *, text: str = "", confidence: float = 1.0, sentiment: str = "neutral",
         payment_in_ledger: bool = False, also=()) -> Plan:
    """The handling of one message read as `intent` (labels.INTENTS) with `confidence` and `sentiment`.
    `payment_in_ledger`: for already_paid, whether the payment the debtor names is recorded (see
    `payment_in_ledger`). `also`: other intents the engine is sure the message carries."""
    if intent not in POLICY:
        raise ValueError(f"unknown intent {intent!r}")
    rule = POLICY[intent]
    records = _records(intent, text)
    reasons = escalation_reasons(intent, sentiment, text, also=also)

    if intent in NEVER_OVERRIDDEN:
        escalate, reason = rule.escalate, REASONS.get(intent) if rule.escalate else None
        if intent == "wrong_person" and REASON_LEGAL in reasons:  # a stranger naming a court still needs a person
            escalate, reason = True, REASON_LEGAL_TEXT
        return Plan(rule.reply_key, escalate, reason, records, rule.stop_contact)

    if intent == "already_paid" and payment_in_ledger:
        reply, escalate, reason = PAYMENT_FOUND, False, None
    elif intent == "already_paid":
        reply, escalate, reason = ALREADY_PAID, True, REASONS["already_paid"]
    else:
        reply, escalate, reason = rule.reply_key, rule.escalate, REASONS.get(intent) if rule.escalate else None

    if REASON_SENTIMENT in reasons and intent != "hostile":
        reply, escalate, reason = HOSTILE, True, _join(reason, REASON_SENTIMENT_TEXT)
        records.append(HOSTILE_LOGGED)
    if REASON_LEGAL in reasons:
        if reply not in (HOSTILE, DISPUTE, ALREADY_PAID):
            reply = HANDOFF
        escalate, reason = True, _join(reason, REASON_LEGAL_TEXT)
    if not escalate and confidence < CONFIDENCE_THRESHOLD:
        reply, escalate, reason = HANDOFF, True, REASON_LOW_CONFIDENCE.format(confidence=confidence)
    if intent == "hostile" and HOSTILE_LOGGED not in records:
        records.append(HOSTILE_LOGGED)
    return Plan(reply, escalate, reason, records, rule.stop_contact)


def _join(first: str | None, second: str) -> str:
    return f"{first} {second}" if first else second


def _records(intent: str, text: str) -> list[str]:
    if intent == "attorney_represented":
        contact = attorney_contact(text)
        return [ATTORNEY_PENDING] + [f"{key}:{value}" for key, value in contact.items()]
    if intent == "wrong_person":
        return [ADDRESS_UNVERIFIED]
    if intent == "workplace_objection":
        return [WORKPLACE_OBJECTION]
    if intent == "bankruptcy":
        return [BANKRUPTCY]
    if intent == "cease_contact":
        return [CEASE_CANDIDATE, MANAGER_REVIEW]
    if intent == "dispute":
        return [DISPUTE_RECEIVED]
    if intent == "already_paid":
        named = claimed_amounts(text)
        return [f"{PAYMENT_CLAIM}:{named[0]}" if named else PAYMENT_CLAIM]
    if intent in ("payment_plan", "hardship"):
        offer = amounts.parse_affordable(text)
        if offer is not None:
            return [f"{AFFORDABLE}:{offer.amount} {offer.frequency or ''}".rstrip()]
    return []


def record_values(records, key: str) -> list[str]:
    """The values recorded under `key` ("attorney_phone:+15551234567" -> "+15551234567"); "" for a bare key."""
    out = []
    for item in records:
        name, _, value = item.partition(":")
        if name == key:
            out.append(value)
    return out


# -- the attorney's contact ------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\d+])(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)")
_NAME_WORD = r"(?:[A-ZÁÉÍÓÚÑ][A-Za-zÁÉÍÓÚÑáéíóúñ'’-]*[a-záéíóúñ]|[A-Z]\.)"  # Ortiz, O'Neil, McKay, Díaz-Paz
_NAME = re.compile(
    r"(?i:\b(?:attorney|lawyer|counsel|abogad[oa]|licenciad[oa]|lic\.)(?:'s name)?(?: is| es| se llama|:|,)?\s+)"
    rf"((?:(?:Mr|Mrs|Ms|Sr|Sra|Dr)\.?\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}})")
_NOT_NAMES = frozenset({"I", "He", "She", "We", "They", "You", "Please", "Call", "Contact", "The", "My", "Mi", "Su",
                        "El", "La", "Por", "Favor", "Llame", "Llamen", "And", "Y", "Will", "Is", "Es"})


def attorney_contact(text: str) -> dict[str, str]:
    """The attorney's name, phone (E.164) and email when the message gives them: "my lawyer is Jane Ortiz,
    (212) 555-0188, jortiz@ortizlaw.com", "mi abogado es el Lic. Ramón Díaz 305-555-0101"."""
    found: dict[str, str] = {}
    m = _NAME.search(text or "")
    if m:
        words = m.group(1).split()
        while words and words[-1] in _NOT_NAMES:
            words.pop()
        if len(words) >= 2 and words[0] not in _NOT_NAMES:
            found[ATTORNEY_NAME] = " ".join(words)
    m = _PHONE.search(text or "")
    if m:
        found[ATTORNEY_PHONE] = "+1" + "".join(m.groups())
    m = _EMAIL.search(text or "")
    if m:
        found[ATTORNEY_EMAIL] = m.group(0).lower()
    return found


# -- already paid ----------------------------------------------------------------------------------------------------
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+(?:\.\d{2})?)|(\d+(?:\.\d{2})?)\s?(?:dollars|dolares|"
                    r"dólares|usd|bucks)", re.IGNORECASE)


def claimed_amounts(text: str) -> list[Decimal]:
    """Money amounts the debtor names ("I paid $150 last week", "ya pagué 200 dólares")."""
    out = []
    for m in _MONEY.finditer(text or ""):
        out.append(Decimal((m.group(1) or m.group(2)).replace(",", "")).quantize(Decimal("0.01")))
    return out


def payment_in_ledger(text: str, recorded_payments) -> bool:
    """Whether the payment the debtor says they made is one the ledger recorded: an amount they name that a
    succeeded payment has. A claim that names no amount cannot be matched, and a person checks it."""
    recorded = {Decimal(p).quantize(Decimal("0.01")) for p in recorded_payments}
    return any(a in recorded for a in claimed_amounts(text))


# -- plan proposals (PRD 9.5) ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    """What the debtor said they can afford (None: no amount named) and the policy's options for it."""

    affordable: Decimal | None
    frequency: str
    proposals: tuple[plans.Proposal, ...]


def offer(text: str, policy: PlanPolicy, available, *, start: dt.date) -> Offer:
    """The three proposals from plans.proposals for what the account owes now, fitted to the amount and frequency
    the debtor names ("100 a month", "$50 cada quincena"). A frequency the policy does not offer falls back to the
    policy's first; an amount no plan can take leaves the options at the policy's own."""
    said = amounts.parse_affordable(text)
    frequency = said.frequency if said and said.frequency in policy.frequencies else policy.frequencies[0]
    affordable = said.amount if said else None
    try:
        options = plans.proposals(policy, available, affordable=affordable, frequency=frequency, start=start)
    except ValidationError:
        affordable = None
        options = plans.proposals(policy, available, frequency=frequency, start=start)
    return Offer(affordable, frequency, tuple(options))
