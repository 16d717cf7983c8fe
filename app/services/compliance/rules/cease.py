"""CEASE-1..5 (stage 4): after a cease only the enumerated notices pass."""
from __future__ import annotations

import re

from app.services.compliance.decision import BLOCK, INFO, Issue
from app.services.compliance.facts import CEASE_PURPOSES
from app.services.compliance.registry import rule

CEASE_PASS = CEASE_PURPOSES | {"receipt", "privacy_response"}
"""Purposes judged by CEASE-2 (the enumerated notices) or CEASE-3 (receipts), and privacy-law answers, which are
owed by statute and are not communications about the debt. Everything else stops at a cease."""

EXCEPTION_LABEL = {
    "cease_terminate": "(i) efforts terminated",
    "cease_remedy_may": "(ii) may invoke remedies",
    "cease_remedy_intends": "(iii) intends to invoke a remedy",
}

RECEIPT_CHANNELS = frozenset({"email", "sms", "web_chat"})

RECEIPT_DEMAND = re.compile(
    r"\b(balance|remaining|outstanding|owe[ds]?|owing|past due|overdue|due|pay now|please pay|payment plan|"
    r"settle|settlement|offer|discount|saldo|adeuda|debe|pendiente|vencid[oa]s?|pague)\b",
    re.IGNORECASE,
)
"""A receipt after a cease states amount, date and reference only: these words make it a demand."""


def approved_template(purpose: str, template: str | None) -> bool:
    """Approved cease templates are keyed `<purpose>` or `<purpose>:<variant>` (language, version)."""
    if not template or purpose not in CEASE_PURPOSES:
        return False
    return template == purpose or template.startswith(purpose + ":")


def _account(ctx):
    return ctx.attempt.account_id or ctx.debtor.account_id


def covering_ceases(ctx):
    """CEASE-5 scope: a cease naming no debt covers every debt of the debtor; one naming a debt covers that one."""
    account = _account(ctx)
    return tuple(c for c in ctx.debtor.ceases if c.account_id is None or c.account_id == account)


def _under_cease(ctx) -> bool:
    return bool(covering_ceases(ctx)) or ctx.debtor.cease_candidate_at is not None


@rule("CEASE-1", 4)
def cease1_written(ctx):
    """15 USC 1692c(c) [V]; 1006.6(c)(1) [V]; 1006.6(a) [V]; "electronic = writing" [U]: after a refusal to pay or a
    request to stop, nothing about the debt goes out except the CEASE-2/CEASE-3 exceptions. A cease recorded as oral
    is honored the same way (PRD "honor cease-and-desist immediately")."""
    ceases = covering_ceases(ctx)
    if not ceases or ctx.purpose in CEASE_PASS:
        return None
    first = min(ceases, key=lambda c: c.received_at)
    return Issue("CEASE-1", BLOCK, f"{first.type} received {first.received_at:%Y-%m-%d}: communication must stop")


@rule("CEASE-2", 4)
def cease2_exceptions(ctx):
    """1692c(c)(1)-(3) [V]; 1006.6(c)(2)(i)-(iii) [V]: under a cease (or a cease candidate) only the three enumerated
    notices pass, and only as an approved template of their purpose."""
    if ctx.purpose not in CEASE_PURPOSES or not _under_cease(ctx):
        return None
    label = EXCEPTION_LABEL[ctx.purpose]
    if approved_template(ctx.purpose, ctx.attempt.template):
        return Issue("CEASE-2", INFO, f"cease exception {label}: approved template")
    return Issue("CEASE-2", BLOCK, f"cease exception {label} needs an approved template")


@rule("CEASE-3", 4)
def cease3_receipt(ctx):
    """Interpretation [U] — OPEN-7 (D-7), configurable: a receipt after a cease is not an enumerated exception. It
    passes once, by email, SMS or web chat, as the answer to a request the consumer made after the cease, stating
    facts only."""
    if ctx.purpose != "receipt" or not _under_cease(ctx):
        return None
    d = ctx.debtor
    times = [c.received_at for c in covering_ceases(ctx)]
    if d.cease_candidate_at is not None:
        times.append(d.cease_candidate_at)
    since = min(times)
    ref = ctx.attempt.consumer_request_id
    if ctx.channel not in RECEIPT_CHANNELS:
        return Issue("CEASE-3", BLOCK, f"receipt after cease: not allowed by {ctx.channel}")
    request = next((r for r in d.receipt_requests if ref and r[0] == ref), None)
    if request is None or request[1] <= since:
        return Issue("CEASE-3", BLOCK, "receipt after cease without a consumer request made after the cease")
    if any(o.consumer_request_id == ref and o.purpose == "receipt" and o.decision == "allow"
           for o in ctx.history.outbound):
        return Issue("CEASE-3", BLOCK, "receipt for this request already sent")
    if RECEIPT_DEMAND.search(ctx.text):
        return Issue("CEASE-3", BLOCK, "receipt after cease must state facts only (no balance or demand)")
    return Issue("CEASE-3", INFO, f"receipt requested by the consumer after the cease ({ref})")


@rule("CEASE-4", 4)
def cease4_candidate(ctx):
    """1006.6(c)(1) [V] + PRD "honor cease-and-desist immediately" (D-17): a free-text cease blocks every collection
    message at once, pending a human who confirms (CEASE-1) or clears it."""
    at = ctx.debtor.cease_candidate_at
    if at is None or ctx.purpose in CEASE_PASS:
        return None
    return Issue("CEASE-4", BLOCK, f"cease candidate since {at:%Y-%m-%d %H:%M}Z: pending review")


@rule("CEASE-5", 4)
def cease5_other_debts(ctx):
    """PRD-conservative: a cease applies to all the debtor's debts unless it names one; a cease naming another debt
    does not cover this one, which is logged so the audit shows why nothing stopped."""
    account = _account(ctx)
    others = [c for c in ctx.debtor.ceases if c.account_id is not None and c.account_id != account]
    if not others or covering_ceases(ctx):
        return None
    return Issue("CEASE-5", INFO, f"{len(others)} cease(s) name another debt and do not cover this one")
