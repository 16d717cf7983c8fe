"""DISPUTE-1, DISPUTE-2, DISPUTE-4 (stage 7): holds on the debt while a dispute or a creditor request is open.

DISPUTE-3 and DISPUTE-5 are content rules and live with the content family."""
from __future__ import annotations

from app.services.compliance.decision import BLOCK, Issue
from app.services.compliance.registry import rule
from app.services.compliance.rules.stops import COLLECTION_PURPOSES


def _open(ctx, kind: str):
    """Unanswered written disputes of a kind inside the validation period: the ones that hold the debt."""
    return [x for x in ctx.debtor.disputes if x.kind == kind and x.answered_at is None and x.within_vp and x.written]


def _part(dispute) -> str:
    return "the whole debt" if dispute.portion is None else f"{dispute.portion} of the debt"


@rule("DISPUTE-1", 7)
def dispute1_hold(ctx):
    """1006.38(d)(2), (d)(2)(i)-(ii) [V]; 1692g(a)(4) [V]: a written dispute (electronic counts, conservative)
    inside the validation period stops collection until verification is sent. Verification, dispute
    acknowledgments and duplicative-dispute notices (purpose dispute_ack) still pass. A partial dispute holds the
    whole debt, since a message cannot show which part it collects."""
    if ctx.purpose not in COLLECTION_PURPOSES:
        return None
    found = _open(ctx, "dispute")
    if not found:
        return None
    first = min(found, key=lambda x: x.received_at)
    return Issue("DISPUTE-1", BLOCK,
                 f"dispute of {_part(first)} received {first.received_at:%Y-%m-%d}: verification not yet sent")


@rule("DISPUTE-2", 7)
def dispute2_original_creditor(ctx):
    """1006.38(c)(1) [V]; 1006.34(c)(3)(ii) [V]; 1692g(a)(5) [V]: a written request for the original creditor inside
    the validation period stops collection until the name and address have been sent."""
    if ctx.purpose not in COLLECTION_PURPOSES:
        return None
    found = _open(ctx, "original_creditor")
    if not found:
        return None
    first = min(found, key=lambda x: x.received_at)
    return Issue("DISPUTE-2", BLOCK,
                 f"original-creditor request received {first.received_at:%Y-%m-%d}: name and address not yet sent")


@rule("DISPUTE-4", 7)
def dispute4_outside_vp(ctx):
    """1692e(8) [V]; PRD: a dispute (or creditor request) outside the validation period, or an oral one, creates no
    hold, but the AI may not answer it: its messages go to a human until the dispute is answered."""
    if ctx.kind != "ai":
        return None
    if not any(x.answered_at is None and not (x.within_vp and x.written) for x in ctx.debtor.disputes):
        return None
    return Issue("DISPUTE-4", BLOCK, "open dispute outside the validation period: route to a human")
