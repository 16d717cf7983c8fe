"""ATTY-1..4 (stage 5): a represented consumer is reached through the attorney."""
from __future__ import annotations

import datetime as dt

from app.services.compliance.decision import BLOCK, INFO, Issue
from app.services.compliance.registry import rule

ATTORNEY_CHANNELS = frozenset({"email", "mail"})


def direct_contact_exception(ctx) -> str | None:
    """Why ATTY-1 lets a message reach the represented consumer, or None: the attorney consented to direct
    communication, or did not respond within `attorney_wait_days` of our last contact (1006.6(b)(2))."""
    a = ctx.debtor.attorney
    if a is None:
        return None
    start = ctx.start
    if a.consented_direct_at is not None and a.consented_direct_at <= start:
        return f"attorney consented to direct communication on {a.consented_direct_at:%Y-%m-%d}"
    sent = a.last_contact_sent_at
    if sent is not None and (a.responded_at is None or a.responded_at < sent):
        wait = dt.timedelta(days=ctx.policy.attorney_wait_days)
        if start >= sent + wait:
            return f"attorney did not respond within {ctx.policy.attorney_wait_days} days of {sent:%Y-%m-%d}"
    return None


def _represented_block(ctx) -> bool:
    return ctx.debtor.attorney is not None and ctx.to_debtor and direct_contact_exception(ctx) is None


@rule("ATTY-1", 5)
def atty1_represented(ctx):
    """1692c(a)(2) [V]; 1006.6(b)(2) [V]: once the collector knows of an attorney for the debt (an attorney record
    means the name or address is known or readily found), nothing goes to the consumer unless an exception holds."""
    if ctx.debtor.attorney is None or not ctx.to_debtor:
        return None
    why = direct_contact_exception(ctx)
    if why:
        return Issue("ATTY-1", INFO, why)
    return Issue("ATTY-1", BLOCK, "consumer represented by an attorney: write to the attorney (route to a human)")


@rule("ATTY-2", 5)
def atty2_to_attorney(ctx):
    """1692c(b) list incl. "his attorney" [V]: messages to the consumer's attorney on file are allowed, by email or
    mail, at the attorney's address; consumer time and frequency rules do not apply to them (those rules read
    ctx.to_attorney). Any other destination is a third party."""
    if not ctx.to_attorney:
        return None
    a = ctx.debtor.attorney
    if a is None:
        return Issue("ATTY-2", BLOCK, "no attorney on file: the recipient is a third party")
    if ctx.channel not in ATTORNEY_CHANNELS:
        return Issue("ATTY-2", BLOCK, f"attorney messages go by email or mail, not {ctx.channel}")
    on_file = a.email if ctx.channel == "email" else a.address
    if not on_file or _plain(on_file) != _plain(ctx.attempt.to_address):
        return Issue("ATTY-2", BLOCK, "destination is not the attorney's address on file")
    return Issue("ATTY-2", INFO, "to the consumer's attorney: consumer time and frequency rules n/a, not counted")


@rule("ATTY-3", 5)
def atty3_pending(ctx):
    """1006.6(b)(2) [V] (knowledge): an inbound mention of a lawyer or firm blocks messages to the consumer until an
    agent resolves it."""
    at = ctx.debtor.attorney_pending_at
    if at is None or not ctx.to_debtor:
        return None
    return Issue("ATTY-3", BLOCK, f"attorney mentioned {at:%Y-%m-%d %H:%M}Z: pending agent review")


@rule("ATTY-4", 5)
def atty4_california(ctx):
    """Cal. Civ. 1788.14(c) [V]: California lets a collector answer a represented debtor's inquiry in the ordinary
    course of business; the federal rule has no such exception, so a reply is blocked like any other message."""
    if ctx.state != "CA" or ctx.attempt.in_reply_to is None or not _represented_block(ctx):
        return None
    return Issue("ATTY-4", BLOCK, "CA ordinary-course reply exception not applied (federal rule controls)")


def _plain(address: str | None) -> str:
    return " ".join((address or "").split()).casefold()
