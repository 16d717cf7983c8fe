"""ACCT (stage 1), PRIV-1/2 (stage 2) and DNC (stage 3): account-level stops."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from app.services.compliance.decision import BLOCK, INFO, Issue
from app.services.compliance.registry import rule
from app.services.timezones import normalize_e164

COLLECTION_PURPOSES = frozenset({"collection", "validation_notice", "payment_link", "cease_remedy_may",
                                 "cease_remedy_intends"})
"""Purposes that pursue the debt. A payment link staff send on their own is one (held by disputes and closed
accounts); a fresh portal link the debtor asked for ("portal_link") is transactional (D-16)."""
"""Messages that press for payment. Verification, acknowledgments, receipts and system replies are not."""

CLOSED_STATUSES = frozenset({"paid", "settled", "discharged"})

ACCT1_EXEMPT = frozenset({"privacy_response"})
"""Under the automatic stay only a privacy-law answer passes (it is owed by statute and says nothing of payment)."""

DNC1_LEGAL_NOTICES = frozenset({
    "validation_notice", "verification", "original_creditor_info", "privacy_response", "cease_terminate",
})
"""Notices the law makes the collector send (1006.34 validation, 1006.38 verification and original creditor,
CCPA/GDPR answers) plus the 1692c(c)(1) notice that efforts are ending: these pass an internal DNC hit, with
counsel-approved text. Everything else, marketing and payment requests included, is blocked."""

PHONE_CHANNELS = frozenset({"sms", "whatsapp", "voice"})
DNC_REGISTRY_MAX_AGE = dt.timedelta(days=31)


@lru_cache(maxsize=8192)
def norm_address(address: str | None) -> str | None:
    """One spelling per address, so lists kept by people and loaders match ctx.address (E.164 or lower-case)."""
    if not address:
        return None
    text = address.strip()
    if "@" in text or not any(ch.isdigit() for ch in text):
        return text.lower()
    return normalize_e164(text) or text.lower()


def address_in(ctx, addresses) -> bool:
    """Whether the destination is in a set of addresses, however they were spelled."""
    if not addresses:
        return False
    mine = ctx.address
    if mine in addresses:
        return True
    return any(norm_address(a) == mine for a in addresses)


@rule("ACCT-1", 1)
def acct1_bankruptcy(ctx):
    """11 USC 362(a) [U]: the automatic stay bars acts to collect; unverified and configurable, so nothing but a
    privacy-law answer leaves while the flag is set."""
    if ctx.debtor.bankruptcy and ctx.purpose not in ACCT1_EXEMPT:
        return Issue("ACCT-1", BLOCK, "bankruptcy: automatic stay")
    return None


@rule("ACCT-2", 1)
def acct2_deceased(ctx):
    """1006.6(a)(4) [V]; comment 6(a)(4)-1 [V]: for a deceased consumer only the estate's executor, administrator or
    personal representative is the consumer; anyone else is a third party."""
    d = ctx.debtor
    if not d.deceased:
        return None
    rep = norm_address(d.representative_address)
    if rep and ctx.address == rep and ctx.attempt.recipient in ("debtor", "attorney"):
        return None
    return Issue("ACCT-2", BLOCK, "deceased: only the estate's representative may be contacted")


@rule("ACCT-3", 1)
def acct3_closed(ctx):
    """[U] (1006.30 area), unverified and configurable: a paid, settled or discharged debt is not collected."""
    status = (ctx.debtor.status or "").lower()
    if status in CLOSED_STATUSES and ctx.purpose in COLLECTION_PURPOSES:
        return Issue("ACCT-3", BLOCK, f"debt {status}: no collection messages")
    return None


@rule("PRIV-1", 2)
def priv1_ccpa(ctx):
    """Cal. Civ. 1798.130(a)(2)(A) [V]; 1798.145 GLBA carve-out [S]; FCRA carve-out and 1798.105(d) [U]: an
    executed deletion suppresses the debtor; a denial (e.g. GLBA-covered data) stops nothing and logs its reason."""
    p = ctx.debtor.privacy
    if p.ccpa_delete_done:
        return Issue("PRIV-1", BLOCK, "CCPA deletion executed: debtor suppressed")
    if p.ccpa_denied_reason:
        return Issue("PRIV-1", INFO, f"CCPA deletion denied: {p.ccpa_denied_reason}")
    return None


@rule("PRIV-2", 2)
def priv2_gdpr_marketing(ctx):
    """GDPR Art. 21(3), 17(3)(e) [U], Art. 12(3) [V: Irish DPC]: an objection to direct marketing stops marketing;
    collection continues under the legal-claims exception."""
    p = ctx.debtor.privacy
    if p.gdpr_scope and p.marketing_objection and ctx.purpose == "marketing":
        return Issue("PRIV-2", BLOCK, "GDPR objection to direct marketing")
    return None


@rule("DNC-1", 3)
def dnc1_internal(ctx):
    """PRD: a hit on the internal do-not-contact list (account or address) blocks all outbound except legally
    required notices approved by counsel (DNC1_LEGAL_NOTICES), which pass with a logged issue."""
    d = ctx.debtor
    hit = "account" if d.dnc else ("address" if address_in(ctx, d.dnc_addresses) else None)
    if hit is None:
        return None
    if ctx.purpose in DNC1_LEGAL_NOTICES:
        return Issue("DNC-1", INFO, f"internal DNC ({hit}): legally required notice '{ctx.purpose}' passes")
    return Issue("DNC-1", BLOCK, f"internal do-not-contact list ({hit})")


@rule("DNC-2", 3)
def dnc2_national(ctx):
    """64.1200(c)(2) [U], unverified and configurable: the National DNC Registry covers telephone solicitations, so
    only marketing to a phone needs a registry check no older than 31 days; listed or unknown blocks."""
    if ctx.purpose != "marketing" or ctx.channel not in PHONE_CHANNELS:
        return None
    p = ctx.phone
    status = p.dnc_registry if p else "unknown"
    fresh = p is not None and p.dnc_registry_checked_at is not None and \
        ctx.start - p.dnc_registry_checked_at <= DNC_REGISTRY_MAX_AGE
    if status == "not_listed" and fresh:
        return None
    if status == "listed" and fresh:
        return Issue("DNC-2", BLOCK, "number on the National DNC Registry: no marketing")
    return Issue("DNC-2", BLOCK, "National DNC Registry check missing or older than 31 days: no marketing")
