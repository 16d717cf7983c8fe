"""OPT-1..10 (stage 8): opt-outs, their confirmation, re-opt-in and HELP.

Scope is D-3: an opt-out received on any channel (History.optouts with scope "all") blocks every automated
outbound channel (sms, whatsapp, email) to the debtor until the debtor opts in again on that channel: an OptOut
with action "opt_in" (START for sms/whatsapp, the portal preference page for any channel) or a consent the debtor
gave after the opt-out (a creditor's attestation never lifts one, D-14).
Web chat, mail and voice are not automated channels here. An opt-out counts from the moment it was received.

Still allowed while an opt-out stands (OPT-5, D-3): the single OPT-4 confirmation, one reply to each inbound the
debtor sends afterwards on that channel (OPT-5(a)), legally required notices (OPT-5(b)), the OPT-7 confirmation
after a re-opt-in and the OPT-8 HELP reply. Each of those is judged by its own rule below.

OPT-9 (human-received opt-outs recorded within 24 h) and OPT-10 (the audit log) are duties of the inbound pipeline
and the staff tools, not of a message decision: the gate counts an opt-out from `received_at`, so a late record can
never let a message through that an on-time record would have stopped.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from app.services.compliance import snippets
from app.services.compliance.decision import BLOCK, INFO, REQUIRE_CONTENT, Issue
from app.services.compliance.facts import OptOut
from app.services.compliance.keywords import classify
from app.services.compliance.registry import rule

STAGE = 8
AUTOMATED = frozenset({"sms", "whatsapp", "email"})
PHONE_CHANNELS = frozenset({"sms", "whatsapp", "voice"})
CONFIRM_WINDOW = dt.timedelta(minutes=5)  # OPT-4 [S: 2012 SoundBite ruling]
LEGALLY_REQUIRED = frozenset({"validation_notice", "verification", "original_creditor_info", "privacy_response"})
"""OPT-5(b): notices the law itself requires (1006.34, 1006.38, CCPA responses)."""
DEBTOR_CONSENT_METHODS = frozenset({"web", "keyword", "oral", "written", "portal"})
NOT_SENT = frozenset({"rejected"})  # provider refused it before it left the platform (FREQ-6)

_DIGITS = re.compile(r"\D+")
_REOPT = re.compile(r" (start|unstop|resubscribe|re subscribe|subscribe|subscribe again|opt back in|opt in|"
                    r"opt in again|reply yes|text yes|suscribirse|suscribase|reactivar|comenzar|inicio) ")
_DEBT_CONTENT = re.compile(
    r" (debt|debts|deuda|deudas|collect\w*|cobr\w*|balance|balances|saldo|saldos|owe|owed|owes|owing|adeud\w*|"
    r"past due|overdue|vencid\w*|payment|payments|pay|paying|pago|pagos|pagar|amount|amounts|monto|montos|creditor|"
    r"acreedor|account number|numero de cuenta|settle\w*|arrears|delinquent|morosidad|moroso) ")
_MONEY = re.compile(r"[$€£]\s?\d|\b\d+[.,]\d{2}\b|\b\d+\s?(usd|dollars|dolares|dólares)\b", re.IGNORECASE)
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(com|net|org|io|us|co|app|link|ly)\b", re.IGNORECASE)
MARKETING = re.compile(
    r" (credit repair|reparacion de credito|partner offer|partners offer|from our partners|de nuestros socios|"
    r"promo code|promotional code|codigo promocional|sponsored|patrocinado|personal loan offer|loan offer|"
    r"oferta de prestamo|pre approved|preapproved|preaprobado|refer a friend|refiera a un amigo|special offer|"
    r"oferta especial|credit card offer|boost your credit score|mejore su puntaje) ")
"""CONSENT-5 / OPT-4: wording that makes a message marketing."""
_RATES = re.compile(r" (msg|msgs|message|messages) (and )?data rates may apply | tarifas de mensajes y datos ")
_FREQUENCY = re.compile(r" (msg|msgs|message|messages) frequency | frequency varies "
                        r"| \d+ (msg|msgs|messages) (per|a|each|every) (day|week|month) "
                        r"| frecuencia de (los )?mensajes ")


@lru_cache(maxsize=65536)
def address_key(channel: str | None, address: str | None) -> str | None:
    """Comparable form of an address: national digits for phones, lower case for email."""
    if not address:
        return None
    if channel in PHONE_CHANNELS or address.strip().startswith("+"):
        digits = _DIGITS.sub("", address)
        return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return address.strip().lower()


def same_address(channel: str, a: str | None, b: str | None) -> bool:
    """An event without an address covers the whole channel."""
    if not a or not b:
        return True
    return address_key(channel, a) == address_key(channel, b)


def _memo(ctx, key: str, compute):
    """Values several rules of this family read, computed once per decision."""
    cache = ctx.__dict__
    if key not in cache:
        cache[key] = compute(ctx)
    return cache[key]


def events(ctx) -> tuple[tuple[OptOut, ...], tuple[OptOut, ...]]:
    """(opt-outs, opt-ins) received by ctx.start, oldest first. The records are the single source: a human review
    that clears an uncertain opt-out removes its record."""
    def compute(ctx):
        start = ctx.start
        outs = tuple(sorted((o for o in ctx.history.optouts if o.action == "opt_out" and o.received_at <= start),
                            key=lambda o: o.received_at))
        ins = tuple(o for o in ctx.history.optouts if o.action == "opt_in" and o.received_at <= start)
        return outs, ins
    return _memo(ctx, "_opt_events", compute)


def _debtor_consents(ctx, channel: str):
    """Consents the debtor gave for the destination, with the time they were given."""
    found = []
    if channel in ("sms", "whatsapp") and ctx.phone is not None:
        consent = ctx.phone.sms_consent if channel == "sms" else ctx.phone.whatsapp_consent
        if consent is not None and consent.method in DEBTOR_CONSENT_METHODS and consent.active(ctx.start):
            found.append(consent.granted_at)
        if channel == "whatsapp" and ctx.debtor.whatsapp_optin_at and ctx.debtor.whatsapp_optin_at <= ctx.start:
            found.append(ctx.debtor.whatsapp_optin_at)
    if channel == "email" and ctx.email is not None and ctx.email.consent is not None:
        consent = ctx.email.consent
        if consent.method in DEBTOR_CONSENT_METHODS and consent.active(ctx.start):
            found.append(consent.granted_at)
    return found


def covers(o: OptOut, channel: str, address: str | None) -> bool:
    return o.scope == "all" or (o.channel == channel and same_address(channel, o.address, address))


def lifted(ctx, o: OptOut, channel: str, address: str | None) -> bool:
    """A later re-opt-in on this channel (and address) by the debtor."""
    _, ins = events(ctx)
    if any(i.channel == channel and same_address(channel, i.address, address) and i.received_at > o.received_at
           for i in ins):
        return True
    return any(granted > o.received_at for granted in _debtor_consents(ctx, channel))


@dataclass(frozen=True, slots=True)
class Standing:
    same: tuple[OptOut, ...] = ()  # opted out on this channel and address: the Reg F minimum (OPT-5)
    cross: tuple[OptOut, ...] = ()  # opted out elsewhere; D-3 extends it here (OPT-3)
    exception: str | None = None  # optout_confirm, optin_confirm, help, legal, reply
    detail: str = ""

    @property
    def all(self) -> tuple[OptOut, ...]:
        return self.same + self.cross

    @property
    def blocks(self) -> bool:
        return bool(self.all) and self.exception is None


NONE = Standing()


def _answered(ctx, inbound_id: str) -> bool:
    return any(m.in_reply_to == inbound_id and m.decision == "allow" and m.provider_status not in NOT_SENT
               for m in ctx.history.outbound)


def standing(ctx) -> Standing:
    """The opt-outs that cover this attempt and the exception, if any, that lets it pass."""
    def compute(ctx) -> Standing:
        channel = ctx.channel
        if not ctx.history.optouts or channel not in AUTOMATED or not ctx.to_debtor:
            return NONE
        outs, _ = events(ctx)
        address = ctx.address
        covering = [o for o in outs if covers(o, channel, address) and not lifted(ctx, o, channel, address)]
        if not covering:
            return NONE
        same = tuple(o for o in covering if o.channel == channel and same_address(channel, o.address, address))
        cross = tuple(o for o in covering if o not in same)
        purpose = ctx.purpose
        exception, detail = None, ""
        if purpose == "optout_confirm":
            exception = "optout_confirm"
        elif purpose == "optin_confirm":
            exception = "optin_confirm"
        elif purpose == "help_reply":
            exception = "help"
        elif purpose == "cease_terminate":  # a stop request that is also a cease gets this one reply (D-17)
            exception, detail = "cease_ack", "the acknowledgement of a cease request (CEASE-2(i), D-17)"
        elif purpose in LEGALLY_REQUIRED:
            exception, detail = "legal", f"{purpose} is required by law (OPT-5(b))"
        elif ctx.is_reply and ctx.inbound is not None:
            m = ctx.inbound
            latest = max(o.received_at for o in covering)
            if m.received_at > latest and not classify(m.body).opt_out:
                if _answered(ctx, m.id):
                    detail = f"inbound {m.id} was already answered; OPT-5(a) allows one reply"
                else:
                    exception, detail = "reply", f"one reply to the debtor's inbound {m.id} (OPT-5(a))"
        return Standing(same, cross, exception, detail)
    return _memo(ctx, "_opt_standing", compute)


def _when(o: OptOut) -> str:
    return o.received_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _blocked_by(ctx, rule_id: str) -> Issue | None:
    s = standing(ctx)
    if not s.blocks:
        return None
    hit = next((o for o in s.all if o.rule_id == rule_id), None)
    if hit is None:
        return None
    extra = f"; {s.detail}" if s.detail else ""
    return Issue(rule_id, BLOCK, f"opt-out received on {hit.channel} at {_when(hit)}{extra}")


@rule("OPT-1", STAGE)
def keyword_opt_out(ctx):
    """A per-se keyword (STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE, STOPALL, REMOVE), read by
    keywords.classify, blocks later messages from the moment it is received.
    Source: FCC per-se list, 47 CFR 64.1200(a)(10) [S: compliancepoint, manatt, mondaq]; effective 2025-04-11 [V: FR
    effective-date notice]; PRD "immediately"."""
    return _blocked_by(ctx, "OPT-1")


@rule("OPT-2", STAGE)
def reasonable_means_opt_out(ctx):
    """Any wording a reasonable person reads as "stop messaging me", in English or Spanish and on any
    channel, blocks later messages (an unsure reading counts, with human review).
    Source: 64.1200(a)(10) "reasonable person" [S]; Spanish = interpretation [S: compliancepoint cites "No Mas"]."""
    return _blocked_by(ctx, "OPT-2")


@rule("OPT-3", STAGE)
def scope_all_channels(ctx):
    """D-3: an opt-out on any channel or address blocks every automated channel until the debtor opts in
    again on that channel.
    Source: 1006.14(h)(1) [V]; comment 14(h)(1)-2/-3 [S: CFPB FAQ]; revoke-all delay [S]; PRD; D-3."""
    s = standing(ctx)
    if not s.blocks or not s.cross:
        return None
    o = s.cross[-1]
    return Issue("OPT-3", BLOCK, f"opted out on {o.channel} at {_when(o)}; D-3 covers {ctx.channel} until the debtor "
                                 f"opts in again on {ctx.channel}")


@rule("OPT-5", STAGE)
def after_opt_out(ctx):
    """After an opt-out, nothing on that address or medium except one reply to each contact the debtor
    initiates there (a), notices required by law (b) and the OPT-4/7/8 system replies.
    Source: 1006.14(h)(2)(ii)-(iii) [V]."""
    s = standing(ctx)
    if not s.all:
        return None
    if s.exception in ("reply", "legal"):
        return Issue("OPT-5", INFO, s.detail)
    if s.blocks and s.same:
        o = s.same[-1]
        extra = f"; {s.detail}" if s.detail else ""
        return Issue("OPT-5", BLOCK, f"{ctx.channel} to this address opted out at {_when(o)}{extra}")
    return None


def _scan(ctx) -> str:
    """Canonical text without the business's own names (a brand may contain "collections")."""
    c = snippets.canon(ctx.text)
    for name in (ctx.policy.business_name, ctx.policy.dba):
        if name:
            c = c.replace(snippets.canon(name), " ")
    return c


def debt_content(ctx) -> bool:
    """Words or amounts that tell a reader there is a debt (OPT-4, OPT-8: the reader may not be the debtor)."""
    return bool(_DEBT_CONTENT.search(_scan(ctx)) or _MONEY.search(ctx.text))


def has_link(ctx) -> bool:
    return ctx.attempt.portal_link or bool(_URL.search(ctx.text))


def _outbound_since(ctx, purpose: str, since: dt.datetime) -> bool:
    return any(m.purpose == purpose and m.sent_at >= since and m.decision == "allow"
               and m.provider_status not in NOT_SENT and m.channel == ctx.channel for m in ctx.history.outbound)


@rule("OPT-4", STAGE)
def confirmation(ctx):
    """At most one confirmation per opt-out, sent within 5 minutes of receipt, saying only that the request
    was received and will be honored (brand allowed): no START invitation, link, marketing or debt details (D-17).
    Source: 1006.14(h)(2)(i) [V]; 64.1200(a)(12) eff. 2024-04-04 [V: FR dates]; 5-minute figure from 2012 SoundBite
    ruling [S]; whether (a)(12) text says 5 min [U]."""
    if ctx.purpose != "optout_confirm" or ctx.channel not in AUTOMATED:
        return None
    outs, _ = events(ctx)
    address = ctx.address
    mine = [o for o in outs if o.channel == ctx.channel and same_address(ctx.channel, o.address, address)]
    if not mine:
        return Issue("OPT-4", BLOCK, f"no opt-out received on {ctx.channel} to confirm")
    o = mine[-1]
    problems = []
    if ctx.start - o.received_at > CONFIRM_WINDOW:
        problems.append(f"{int((ctx.start - o.received_at).total_seconds() // 60)} min after the opt-out (limit 5)")
    if _outbound_since(ctx, "optout_confirm", o.received_at):
        problems.append("a confirmation was already sent for this opt-out")
    scan = _scan(ctx)
    if _REOPT.search(scan):
        problems.append("invites re-subscription")
    if has_link(ctx):
        problems.append("carries a link")
    if debt_content(ctx):
        problems.append("carries debt details")
    if MARKETING.search(scan):
        problems.append("carries marketing")
    if problems:
        return Issue("OPT-4", BLOCK, "; ".join(problems))
    return Issue("OPT-4", INFO, f"confirmation of the opt-out received at {_when(o)}; time-exempt, not counted")


def present_any(ctx, item: str) -> bool:
    """The item in the message's language, or in English (DISC-3 then asks for the translation)."""
    text, facts, lang = ctx.text, ctx.facts, snippets.lang_of(ctx.language)
    if snippets.present(item, text, facts, language=lang, channel=ctx.channel):
        return True
    return lang != "en" and snippets.present(item, text, facts, language="en", channel=ctx.channel)


@rule("OPT-6", STAGE)
def opt_out_notice(ctx):
    """Every SMS, WhatsApp and email to the consumer states a reasonable, simple way to opt out ("Reply STOP to
    opt out."; email: unsubscribe link or reply STOP). Not web chat; not the OPT-4/7/8 system replies (OPT-7 asks
    for it itself). Also DISC-5.
    Source: 1006.6(e) [S: CFPB FAQ; Collector magazine quote]; comments 6(d)(4)(ii)(C)(4)-1, 6(e)-1 [S];
    no-fee/no-extra-info clause [U]; PRD."""
    if ctx.channel not in AUTOMATED or not ctx.to_debtor or ctx.is_system_reply:
        return None
    if present_any(ctx, "opt_out_notice"):
        return None
    return Issue("OPT-6", REQUIRE_CONTENT, f"no opt-out instructions in the {ctx.channel}", items=("opt_out_notice",))


@rule("OPT-7", STAGE)
def reopt_in_confirmation(ctx):
    """START / UNSTOP / YES after an opt-out: one confirmation, carrying "Reply STOP to opt out" and the
    debt-collector disclosure.
    Source: carrier/CTIA practice [S: AWS, OneSignal, Braze docs]; legal effect = consumer consent [U]."""
    if ctx.purpose != "optin_confirm" or ctx.channel not in AUTOMATED:
        return None
    _, ins = events(ctx)
    mine = [i for i in ins if i.channel == ctx.channel and same_address(ctx.channel, i.address, ctx.address)]
    if not mine:
        return Issue("OPT-7", BLOCK, f"no re-opt-in received on {ctx.channel} to confirm")
    last = max(mine, key=lambda i: i.received_at)
    if standing(ctx).all:
        return Issue("OPT-7", BLOCK, "the debtor opted out again after the re-opt-in")
    if _outbound_since(ctx, "optin_confirm", last.received_at):
        return Issue("OPT-7", BLOCK, "the re-opt-in was already confirmed")
    missing = tuple(item for item in ("debt_collector_disclosure", "opt_out_notice") if not present_any(ctx, item))
    if missing:
        return Issue("OPT-7", REQUIRE_CONTENT, "the confirmation must carry " + ", ".join(missing), items=missing)
    return None


def _contact_present(ctx) -> bool:
    """OPT-8: support phone and/or email; D-15: the messaging number when neither is set."""
    p = ctx.policy
    digits = _DIGITS.sub("", ctx.text)
    if p.support_phone:
        phones = [p.support_phone]
    else:
        phones = [] if p.support_email or not p.messaging_number else [p.messaging_number]
    if any(_DIGITS.sub("", x)[-10:] in digits for x in phones):
        return True
    if p.support_email and p.support_email.lower() in ctx.text.lower():
        return True
    return not (p.support_phone or p.support_email or p.messaging_number)


@rule("OPT-8", STAGE)
def help_reply(ctx):
    """HELP / INFO / AYUDA auto-reply: brand, support phone or email (D-15: else the messaging number),
    "Reply STOP to opt out", "Msg&data rates may apply", message frequency; no debt content (the sender may not
    be the debtor).
    Source: CTIA Short Code Monitoring Handbook [S: excerpt]; Twilio/AWS/vendor docs [S]; no-debt-content = TP-1
    interpretation."""
    if ctx.purpose != "help_reply" or ctx.channel not in ("sms", "whatsapp"):
        return None
    if not ctx.is_reply:
        return Issue("OPT-8", BLOCK, "a HELP reply must answer the debtor's HELP message on this channel")
    if debt_content(ctx):
        return Issue("OPT-8", BLOCK, "HELP reply carries debt content")
    scan = snippets.canon(ctx.text)
    missing = []
    if not snippets.present("collector_name", ctx.text, ctx.facts, language=ctx.language):
        missing.append("brand")
    if not _contact_present(ctx):
        missing.append("support contact")
    if not present_any(ctx, "opt_out_notice"):
        missing.append("STOP instructions")
    if not _RATES.search(scan):
        missing.append("Msg&data rates may apply")
    if not _FREQUENCY.search(scan):
        missing.append("message frequency")
    if missing:
        return Issue("OPT-8", BLOCK, "HELP reply is not the template: missing " + ", ".join(missing))
    return Issue("OPT-8", INFO, "HELP template; any hour, not counted")
