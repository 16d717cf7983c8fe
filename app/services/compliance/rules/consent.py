"""CONSENT-1..5 and CHAN-1..3 (stage 8): permission for the address and the channel.

CHAN-2 (WhatsApp template vs free-form) is CONSENT-2 and is reported under that id; its second sentence (WhatsApp
voice calls count as telephone calls) belongs to the frequency family.
"""
from __future__ import annotations

import datetime as dt

from app.services.compliance import snippets
from app.services.compliance.decision import BLOCK, INFO, WARN, Issue
from app.services.compliance.registry import Later, deferring, rule
from app.services.compliance.rules.optout import MARKETING, _memo, address_key, events, same_address

STAGE = 8
WHATSAPP_WINDOW = dt.timedelta(hours=24)  # CONSENT-2: the customer-service window
FRESHNESS = dt.timedelta(days=60)  # CONSENT-4: 1006.6(d)(5)(i)(A)
RND_MAX_AGE = dt.timedelta(days=60)
"""CONSENT-4: how long a reassigned-numbers check counts as current. Interpretation [U]: the same 60 days as the
consumer-texted prong; configurable here."""
RND_RETRY = dt.timedelta(hours=1)
"""CONSENT-4 in blocking mode defers this long: the pipeline runs the reassigned-numbers check at once when it sees
the issue and decides again; until it has, each decision defers by another hour (never past the horizon)."""
EVIDENCE = {
    "web": "IP address", "keyword": "inbound message id", "oral": "recording id", "written": "document id",
    "portal": "portal user or session", "creditor_attested": "API key or user",
}
TEXTING = frozenset({"sms", "whatsapp"})
EMAIL_PROVENANCE = frozenset({"consumer_emailed", "consumer_consent", "creditor_notice", "prior_collector"})


def _keyword_opt_in(ctx, channel: str):
    """The latest START/YES (OptOut action 'opt_in') for this number: a keyword consent with its inbound id."""
    _, ins = events(ctx)
    mine = [i for i in ins if i.channel == channel and same_address(channel, i.address, ctx.address)]
    return max(mine, key=lambda i: i.received_at) if mine else None


@rule("CONSENT-1", STAGE)
def sms_consent(ctx):
    """An SMS needs a stored, unrevoked opt-in for that number with its evidence: IP for web opt-ins, the
    inbound message id for keywords, the recording id for oral consent; D-14 adds portal and creditor_attested (API
    key or user). Revocation by the debtor always wins. A reply to the debtor's own text and the OPT-4/7/8 system
    replies answer the debtor and need no standing consent.
    Source: 47 USC 227(b)(1)(A)(iii) [V]; FCC 04-194 "text and voice calls" [S]; PRD. Note: the codified
    federal-debt exception in 227(b)(1)(A)(iii) was struck (Barr v. AAPC, 2020) [U]; ATDS scope narrowed (Facebook
    v. Duguid, 2021) [U] ; FCC 2008 ACA International ruling (number given in the credit transaction = prior express
    consent for collection calls) [U] — PRD consent is stricter and covers all of these."""
    if ctx.channel != "sms" or not ctx.to_debtor or ctx.is_system_reply:
        return None
    phone = ctx.phone
    consent = phone.sms_consent if phone is not None else None
    active = consent is not None and consent.active(ctx.start)
    if active and consent.method in EVIDENCE and consent.evidence:
        if consent.method == "web":
            return None
        return Issue("CONSENT-1", INFO, f"{consent.method} consent; evidence {EVIDENCE[consent.method]} "
                                        f"{consent.evidence}")
    keyword = _keyword_opt_in(ctx, "sms")
    if keyword is not None and (consent is None or consent.revoked_at is None
                                or consent.revoked_at < keyword.received_at):
        return Issue("CONSENT-1", INFO, f"keyword opt-in at {keyword.received_at:%Y-%m-%dT%H:%M:%SZ}, inbound "
                                        f"{keyword.id or 'unknown'}")
    if active:
        if consent.method not in EVIDENCE:
            return Issue("CONSENT-1", BLOCK, f"unknown consent method {consent.method!r}")
        return Issue("CONSENT-1", BLOCK, f"{consent.method} consent without its evidence ({EVIDENCE[consent.method]})")
    if ctx.is_reply:
        return Issue("CONSENT-1", INFO, "reply to the debtor's own text; no standing SMS consent")
    if phone is None:
        return Issue("CONSENT-1", BLOCK, "number not on the debtor's file: no SMS consent")
    if consent is None:
        return Issue("CONSENT-1", BLOCK, "no SMS consent for this number")
    if consent.revoked_at is not None and consent.revoked_at <= ctx.start:
        return Issue("CONSENT-1", BLOCK, f"SMS consent revoked at {consent.revoked_at:%Y-%m-%dT%H:%M:%SZ}")
    return Issue("CONSENT-1", BLOCK, "SMS consent not yet in force")


def _last_whatsapp_inbound(ctx) -> dt.datetime | None:
    times = [m.received_at for m in ctx.history.inbound if m.channel == "whatsapp" and m.received_at <= ctx.start
             and same_address("whatsapp", m.address, ctx.address)]
    if ctx.debtor.whatsapp_last_inbound_at and ctx.debtor.whatsapp_last_inbound_at <= ctx.start:
        times.append(ctx.debtor.whatsapp_last_inbound_at)
    return max(times) if times else None


def _whatsapp_opted_in(ctx) -> bool:
    phone = ctx.phone
    if phone is not None and phone.whatsapp_consent is not None and phone.whatsapp_consent.active(ctx.start):
        return True
    if ctx.debtor.whatsapp_optin_at is not None and ctx.debtor.whatsapp_optin_at <= ctx.start:
        return True
    return _keyword_opt_in(ctx, "whatsapp") is not None


@rule("CONSENT-2", STAGE)
def whatsapp(ctx):
    """WhatsApp needs the debtor's opt-in; business-initiated messages, and anything sent more than 24 h
    after the debtor's last WhatsApp message, must be an approved template; free-form only as a reply inside the
    24 h customer-service window. Also CHAN-2.
    Source: Meta developer docs [S]; 360dialog/Bird docs [S]; PRD."""
    if ctx.channel != "whatsapp" or not ctx.to_debtor:
        return None
    if not ctx.is_system_reply and not _whatsapp_opted_in(ctx):
        return Issue("CONSENT-2", BLOCK, "no WhatsApp opt-in for this number")
    if ctx.attempt.template:
        return None
    last = _last_whatsapp_inbound(ctx)
    if last is None or ctx.start - last > WHATSAPP_WINDOW:
        since = "no WhatsApp message from the debtor" if last is None else \
            f"the debtor's last WhatsApp message was {(ctx.start - last).total_seconds() / 3600:.0f} h ago"
        return Issue("CONSENT-2", BLOCK, f"free-form WhatsApp outside the 24 h window ({since}): use an approved "
                                         f"template")
    if not ctx.is_reply:
        return Issue("CONSENT-2", BLOCK, "business-initiated WhatsApp must use an approved template")
    return None


@rule("CONSENT-3", STAGE)
def email_provenance(ctx):
    """Email only to an address obtained by a Reg F procedure: the consumer emailed from it, gave prior
    consent directly, the creditor-notice procedure, or the prior collector used it. D-10: a safe harbor, WARN by
    default, BLOCK with Policy.consent3_blocking.
    Source: 1006.6(d)(4)(i)(B) [V]; (d)(4)(ii)(C)(2),(4),(5) [V]; (d)(3)(i) [V]; other prongs [U]."""
    if ctx.channel != "email" or not ctx.to_debtor or ctx.is_system_reply or ctx.is_reply:
        return None
    e = ctx.email
    if e is not None and (e.provenance in EMAIL_PROVENANCE or e.debtor_emailed_from_at is not None
                          or (e.consent is not None and e.consent.active(ctx.start))):
        return None
    why = "address not on the debtor's file" if e is None else f"provenance {e.provenance or 'unknown'}"
    severity = BLOCK if ctx.policy.consent3_blocking else WARN
    return Issue("CONSENT-3", severity, f"email outside the Reg F safe harbor: {why}")


def _fresh(ctx) -> str | None:
    """None when the number is fresh (CONSENT-4); else why not."""
    def compute(ctx):
        if ctx.is_reply or ctx.is_system_reply:
            return None
        phone = ctx.phone
        start = ctx.start
        last = phone.last_inbound_text_at if phone is not None else None
        if last is not None and last <= start and start - last <= FRESHNESS:
            return None
        key = address_key("sms", ctx.address)
        texted = [m.received_at for m in ctx.history.inbound if m.channel in TEXTING and m.received_at <= start
                  and m.address and address_key("sms", m.address) == key]
        if last is not None:
            texted.append(last)
        last = max(texted) if texted else None
        if last is not None and start - last <= FRESHNESS:
            return None
        if phone is not None and phone.rnd_checked_at is not None and start - phone.rnd_checked_at <= RND_MAX_AGE:
            return None
        if last is None:
            text = "never texted from this number"
        else:
            text = f"last text from the number {(start - last).days} days ago"
        return f"{text}; no reassigned-numbers check within {RND_MAX_AGE.days} days"
    return _memo(ctx, "_consent4", compute)


@rule("CONSENT-4", STAGE)
def number_freshness(ctx):
    """Text only a number the consumer texted from within 60 days, or one a reassigned-numbers check
    cleared (check age: RND_MAX_AGE, interpretation [U]). D-10: a safe harbor, WARN by default; with
    Policy.consent4_blocking the deferring half below applies.
    Source: 1006.6(d)(5)(i)(A)-(B), (d)(5)(ii) [V]."""
    if ctx.channel not in ("sms", "whatsapp") or not ctx.to_debtor or ctx.policy.consent4_blocking:
        return None
    why = _fresh(ctx)
    return Issue("CONSENT-4", WARN, why) if why else None


@deferring("CONSENT-4", STAGE)
def number_freshness_pending(ctx, t):
    """Policy.consent4_blocking: DEFER pending the reassigned-numbers check (see RND_RETRY).
    Source: 1006.6(d)(5)(i)(A)-(B), (d)(5)(ii) [V]."""
    if ctx.channel not in ("sms", "whatsapp") or not ctx.to_debtor or not ctx.policy.consent4_blocking:
        return None
    why = _fresh(ctx)
    until = ctx.start + RND_RETRY
    if why and t < until:
        return Later(until, f"{why}: pending a reassigned-numbers check")
    return None


@rule("CONSENT-5", STAGE)
def marketing(ctx):
    """Marketing needs the debtor's separate marketing consent; marketing is never mixed into a collection
    message.
    Source: PRD; 64.1200(a)(2), (c)(2) [U]; 15 USC 7704 [U]."""
    if not ctx.to_debtor:
        return None
    if ctx.purpose == "marketing":
        at = ctx.debtor.marketing_consent_at
        if at is None or at > ctx.start:
            return Issue("CONSENT-5", BLOCK, "marketing without the debtor's marketing consent")
        return None
    if MARKETING.search(snippets.canon(ctx.text)):
        return Issue("CONSENT-5", BLOCK, f"marketing content in a {ctx.purpose} message")
    return None


@rule("CHAN-1", STAGE)
def no_postcards(ctx):
    """No postcards.
    Source: 1692f(7) [V]."""
    if ctx.channel == "postcard":
        return Issue("CHAN-1", BLOCK, "postcards are never used")
    return None


@rule("CHAN-3", STAGE)
def artificial_voice(ctx):
    """A prerecorded or AI voice call needs the consumer's consent for that number (FCC 2024: AI voice is
    "artificial").
    Source: 1692d(6) [V]; 1006.14(g) [V]; FCC AI-voice ruling [S: Kelley Drye]."""
    if ctx.channel != "voice" or not ctx.to_debtor:
        return None
    if not (ctx.attempt.artificial_voice or ctx.kind == "ai"):
        return None
    phone = ctx.phone
    consent = phone.voice_consent if phone is not None else None
    if consent is None or not consent.active(ctx.start):
        return Issue("CHAN-3", BLOCK, "prerecorded or AI voice without consent for this number")
    return None
