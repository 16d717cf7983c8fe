"""TP-1..5 (stage 6): debt information reaches only the consumer (or the people the law treats as such)."""
from __future__ import annotations

import re

from app.services.compliance.decision import BLOCK, REQUIRE_CONTENT, WARN, Issue
from app.services.compliance.registry import rule
from app.services.compliance.rules.stops import address_in, norm_address

DEBT_CONTENT = re.compile(
    r"[$€£]\s?\d|\bus\$|\b\d[\d,]*(?:\.\d{2})?\s?(?:usd|dollars?|d[oó]lares|pesos)\b"
    r"|\b(?:debts?|debtors?|balances?|owe[ds]?|owing|past[- ]due|overdue|arrears|payments?|pay|paid|due"
    r"|accounts?|creditors?|collections?|collectors?|settle(?:ment)?|invoices?|charge[- ]off|installments?"
    r"|deudas?|deudor(?:a|es)?|saldos?|adeuda|debe|cuentas?|pagos?|pagar|cobranzas?|cobros?|cobrador(?:a|es)?"
    r"|acreedor(?:a|es)?|vencid[oa]s?|facturas?|cuotas?)\b",
    re.IGNORECASE,
)
"""Debt content (TP-2): an amount, or a word that tells the reader a debt or a payment relationship exists.
"This communication is from a debt collector" is itself debt content. Deliberately broad: a false positive
only keeps a message from an unverified address; opt-out confirmations and HELP replies carry none of these."""

PREVIEW_WORDS = re.compile(
    r"\b(?:debts?|debtors?|collections?|collectors?|deudas?|deudor(?:a|es)?|cobranzas?|cobros?|cobrador(?:a|es)?)\b",
    re.IGNORECASE,
)
"""TP-5: "debt" and "collection" with their plurals and agent nouns, and the Spanish deuda/cobranza/cobro family."""

PREVIEW_CHARS = 40
PREVIEW_CHANNELS = frozenset({"sms", "whatsapp"})
PUBLIC_RECIPIENTS = frozenset({"group", "public"})
ADDRESSED_CHANNELS = frozenset({"sms", "whatsapp", "email", "voice"})


def has_debt_content(text: str) -> bool:
    return DEBT_CONTENT.search(text) is not None


def _on_file(ctx, address: str | None) -> bool:
    """Addresses the creditor supplied or the consumer proved (D-13), and the estate's representative."""
    a = norm_address(address)
    if a is None:
        return False
    d = ctx.debtor
    return (any(p.e164 == a for p in d.phones) or any(e.address.lower() == a for e in d.emails)
            or a == norm_address(d.representative_address))


def _authenticated(ctx, address: str | None) -> bool:
    a = norm_address(address)
    return a is not None and any(norm_address(x) == a for x in ctx.debtor.authenticated_addresses)


def unverified_reason(ctx) -> str | None:
    """Why the destination may not be the consumer, or None when it is verified: addresses the creditor supplied
    (D-13) or the consumer authenticated are the consumer's until a wrong-party signal."""
    d = ctx.debtor
    if ctx.purpose == "help_reply":
        return "HELP replies go to whoever texted HELP, who may not be the consumer (reassigned number)"
    if address_in(ctx, d.unverified_addresses):
        return "address marked unverified after a wrong-party signal"
    record = ctx.phone if ctx.channel in ("sms", "whatsapp", "voice") else ctx.email if ctx.channel == "email" else None
    if record is not None and not record.verified:
        return "address marked unverified after a wrong-party signal"
    if ctx.channel == "web_chat" and not _authenticated(ctx, ctx.attempt.to_address):
        return "web chat visitor not authenticated"
    m = ctx.inbound
    if m is not None and m.address and not _on_file(ctx, m.address) and not _authenticated(ctx, m.address) \
            and not _authenticated(ctx, ctx.attempt.to_address):
        return "conversation started from an address not on file, not authenticated"
    if ctx.channel in ADDRESSED_CHANNELS and record is None and not _on_file(ctx, ctx.attempt.to_address) \
            and not _authenticated(ctx, ctx.attempt.to_address):
        return "address not on file and not authenticated"
    return None


@rule("TP-1", 6)
def tp1_third_party(ctx):
    """1692c(b) [V]; 1006.6(a) [V]; 1006.6(d)(2)(ii) [V]: debt information goes only to the consumer, the consumer's
    attorney and the other listed parties; a message addressed to a third party is blocked."""
    if ctx.attempt.recipient == "third_party":
        return Issue("TP-1", BLOCK, "recipient is a third party")
    return None


@rule("TP-2", 6)
def tp2_right_party(ctx):
    """1692c(b) [V]; 1006.6(d)(3) safe-harbor structure [V-partial]: debt content only to an address verified as the
    consumer's (D-13); after "wrong number" / "not me" / a third-party reply, in web chat, in conversations started
    from an address not on file and for any address not on file, the recipient must authenticate first. HELP replies
    carry none (OPT-8: the sender may be a reassigned number's new owner)."""
    if not ctx.to_debtor:
        return None
    reason = unverified_reason(ctx)
    if reason is None or not has_debt_content(ctx.text):
        return None
    return Issue("TP-2", BLOCK, f"debt content to an unverified recipient: {reason}")


@rule("TP-3", 6)
def tp3_location_contacts(ctx):
    """15 USC 1692b [V via frrsdigital/lawserver]; 1006.10(b)-(c) [V]: location-information contacts are possible
    in law, but funnelChat disables third-party outbound."""
    if ctx.attempt.recipient == "third_party":
        return Issue("TP-3", BLOCK, "third-party outbound is disabled")
    return None


@rule("TP-4", 6)
def tp4_public(ctx):
    """1006.22(f)(4) [V]: nothing viewable by the public or the person's social-media contacts, WhatsApp groups
    included."""
    if ctx.attempt.recipient in PUBLIC_RECIPIENTS or ctx.channel == "social":
        return Issue("TP-4", BLOCK, f"{ctx.attempt.recipient} / {ctx.channel}: visible to others")
    return None


@rule("TP-5", 6)
def tp5_preview(ctx):
    """Policy; analogy to 1692f(8) envelope rule [V] (D-18): "debt"/"collection" must not show in an email subject
    or From name, an SMS/WhatsApp sender name, or the first 40 characters of an SMS/WhatsApp body. A warning unless
    the business makes it blocking."""
    a = ctx.attempt
    items: list[str] = []
    if ctx.channel == "email":
        if a.subject and PREVIEW_WORDS.search(a.subject):
            items.append("neutral_subject")
    elif ctx.channel in PREVIEW_CHANNELS:
        if PREVIEW_WORDS.search(a.body[:PREVIEW_CHARS]):
            items.append("neutral_preview")
    else:
        return None
    if a.from_name and PREVIEW_WORDS.search(a.from_name):
        items.append("neutral_sender")
    if not items:
        return None
    detail = "debt words visible before opening: " + ", ".join(items)
    if ctx.policy.tp5_blocking:
        return Issue("TP-5", REQUIRE_CONTENT, detail, items=tuple(items))
    return Issue("TP-5", WARN, detail)
