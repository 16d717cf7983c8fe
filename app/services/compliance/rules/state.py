"""STATE-NY-1 and STATE-NYC-1 (stage 8): state address rules.

The NYC per-account frequency cap is the frequency family's (it registers its own STATE-NYC-1 deferring rule).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.services.compliance.decision import BLOCK, WARN, Issue
from app.services.compliance.registry import rule

STAGE = 8
NY_VOLUNTARY = frozenset({"consumer_emailed", "consumer_consent"})
NYC_ELECTRONIC = frozenset({"sms", "whatsapp", "email"})
NYC_EFFECTIVE = dt.date(2026, 9, 1)  # amended DCWP rules, per the latest report [S]
NEW_YORK = ZoneInfo("America/New_York")


@rule("STATE-NY-1", STAGE)
def new_york_email(ctx):
    """NY debtor: email only to an address the consumer voluntarily provided (on file with consumer provenance
    or consent, or the address the consumer wrote to us from), never one the employer operates.
    Source: 23 NYCRR 1 (email provision) [S: insideARM, CU Times]; exact section/wording [U]."""
    if ctx.channel != "email" or not ctx.to_debtor or ctx.state != "NY":
        return None
    e = ctx.email
    if e is None:
        if ctx.is_reply:  # the consumer wrote to us from it: provided voluntarily
            return None
        return Issue("STATE-NY-1", BLOCK, "NY: address not on the debtor's file")
    if e.employer_operated or e.is_work:
        return Issue("STATE-NY-1", BLOCK, "NY: employer-operated email address")
    voluntary = (e.provenance in NY_VOLUNTARY or e.debtor_emailed_from_at is not None or ctx.is_reply
                 or (e.consent is not None and e.consent.active(ctx.start)))
    if not voluntary:
        return Issue("STATE-NY-1", BLOCK, f"NY: address not provided by the consumer with consent "
                                          f"(provenance {e.provenance or 'unknown'})")
    return None


@rule("STATE-NYC-1", STAGE)
def new_york_city_consent(ctx):
    """NYC consumer, on or after 2026-09-01 (New York time): SMS, WhatsApp and email need documented
    electronic-communication consent (Debtor.nyc_consent_at). D-9/D-18: WARN by default, BLOCK with
    Policy.nyc_blocking. The OPT-4/7/8 system replies answer the consumer and are not held.
    Source: [S: nyc.gov DCWP FAQ, Orrick, Americollect, Counselor Library]; cap numbers and section text [U]."""
    d = ctx.debtor
    if not d.nyc or ctx.channel not in NYC_ELECTRONIC or not ctx.to_debtor or ctx.is_system_reply:
        return None
    if ctx.start.astimezone(NEW_YORK).date() < NYC_EFFECTIVE:
        return None
    if d.nyc_consent_at is not None and d.nyc_consent_at <= ctx.start:
        return None
    severity = BLOCK if ctx.policy.nyc_blocking else WARN
    return Issue("STATE-NYC-1", severity, f"NYC consumer without documented consent to {ctx.channel}")
