"""DISC-1..4, TBD-2, STATE-CA-1/2 (stage 11): required content, as approved snippets (app/services/compliance/
snippets.py). Every issue here is REQUIRE_CONTENT whose items are snippet keys the pipeline can append with
`snippets.footer`; WARN only where no snippet can help (a business without a name on file).

DISC-5 (the opt-out notice) is OPT-6 and is reported under that id only.
"""
from __future__ import annotations

from app.services.compliance import snippets
from app.services.compliance.decision import REQUIRE_CONTENT, WARN, Issue
from app.services.compliance.registry import rule
from app.services.compliance.rules.optout import AUTOMATED
from app.services.compliance.rules.validation import NO_DEBT_INFO

STAGE = 11
NO_DISCLOSURE = frozenset({"optout_confirm", "help_reply"})
"""DISC-2 exemption: OPT-4 confirmations and OPT-8 HELP replies carry no debt information (interpretation [U])."""
TBD_CHANNELS = frozenset({"email", "mail", "sms", "whatsapp"})
WRITTEN_NOTICE = frozenset({"email", "mail"})
CA_LICENSE_CHANNELS = frozenset({"email", "mail", "web_chat", "sms", "whatsapp"})
NOT_SENT = frozenset({"rejected"})


def _lang(ctx) -> str:
    return snippets.lang_of(ctx.language)


def _present(ctx, item: str, language: str | None = None) -> bool:
    return snippets.present(item, ctx.text, ctx.facts, language=language or _lang(ctx), channel=ctx.channel,
                            provided_on=ctx.start.date())


def _present_any(ctx, item: str) -> bool:
    """In the message's language or in English; DISC-3 then asks for the translation."""
    return _present(ctx, item) or (_lang(ctx) != "en" and _present(ctx, item, "en"))


def needs_mini_miranda(ctx) -> bool:
    return ctx.is_initial_communication and ctx.to_debtor and ctx.purpose not in NO_DEBT_INFO


def needs_debt_collector(ctx) -> bool:
    """Later communications to the debtor, and every message to the attorney (ATTY-2 policy)."""
    if ctx.purpose in NO_DISCLOSURE:
        return False
    return ctx.to_attorney or (ctx.to_debtor and not ctx.is_initial_communication)


def needs_opt_out_notice(ctx) -> bool:
    return ctx.channel in AUTOMATED and ctx.to_debtor and not ctx.is_system_reply


@rule("DISC-1", STAGE)
def mini_miranda(ctx):
    """The initial communication states that the collector is attempting to collect a debt and that any
    information obtained will be used for that purpose (PRD text).
    Source: 1692e(11) [V]; 1006.18(e)(1) [V]; 1006.34(b)(2) [V]."""
    if not needs_mini_miranda(ctx) or _present_any(ctx, "mini_miranda_initial"):
        return None
    return Issue("DISC-1", REQUIRE_CONTENT, "initial communication without the mini-Miranda",
                 items=("mini_miranda_initial",))


@rule("DISC-2", STAGE)
def debt_collector(ctx):
    """Every later communication (AI replies, chat turns, SMS, WhatsApp, email; to the attorney too, by
    policy) states "This communication is from a debt collector." Exempt: OPT-4 confirmations and OPT-8 HELP
    replies, which carry no debt information (interpretation [U]).
    Source: 1692e(11) [V]; 1006.18(e)(2) [V]; LCM = voicemail [S: CFPB FAQ page]."""
    if not needs_debt_collector(ctx) or _present_any(ctx, "debt_collector_disclosure"):
        return None
    return Issue("DISC-2", REQUIRE_CONTENT, "no debt-collector disclosure", items=("debt_collector_disclosure",))


@rule("DISC-3", STAGE)
def same_language(ctx):
    """Disclosures in the language of the message: a Spanish message needs the Spanish texts (English ones
    alone do not count). A language without approved texts is warned about and gets the English ones.
    Source: 1006.18(e)(4) [V]; Spanish wording [U]."""
    code = (ctx.language or "en")[:2].lower()
    if code == "en":
        return None
    if code not in snippets.LANGUAGES:
        return Issue("DISC-3", WARN, f"no approved {code} disclosures; the English texts apply")
    wanted = []
    if needs_mini_miranda(ctx):
        wanted.append("mini_miranda_initial")
    if needs_debt_collector(ctx):
        wanted.append("debt_collector_disclosure")
    if needs_opt_out_notice(ctx):
        wanted.append("opt_out_notice")
    items = tuple(item for item in wanted if _present(ctx, item, "en") and not _present(ctx, item, code))
    if not items:
        return None
    return Issue("DISC-3", REQUIRE_CONTENT, f"disclosures in English only in a {code} message", items=items)


@rule("DISC-4", STAGE)
def collector_name(ctx):
    """The collector's true business name (or registered DBA) appears in every message; never another name:
    an email From name without it is warned about.
    Source: 1692e(14) [V]."""
    if not (ctx.to_debtor or ctx.to_attorney):
        return None
    if not snippets.collector(ctx.facts):
        return Issue("DISC-4", WARN, "the business has no name on file")
    from_name = ctx.attempt.from_name
    text = f"{from_name}\n{ctx.text}" if from_name else ctx.text
    issues = []
    if from_name and not snippets.present("collector_name", from_name, ctx.facts, language="en"):
        issues.append(Issue("DISC-4", WARN, f"From name {from_name!r} is not the business's true name or DBA"))
    if not snippets.present("collector_name", text, ctx.facts, language=_lang(ctx)):
        issues.append(Issue("DISC-4", REQUIRE_CONTENT, "the business's name does not appear",
                            items=("collector_name",)))
    return issues


@rule("TBD-2", STAGE)
def time_barred_notices(ctx):
    """Time-barred debt, written or electronic messages: the CA 1788.14(d) notice (the (d)(2) wording once
    past the FCRA reporting period), the NY 23 NYCRR 1.3 and NYC 6 RCNY 5-77 notices (texts unverified [U],
    configurable). Required in every such message, not only the first after the debt became time-barred: the history
    does not show which message carried it. "unknown" does not trigger it (the notice would state as fact what is
    not known).
    Source: Cal. Civ. 1788.14(d)(1) [V-partial text]; NY/NYC [S]."""
    d = ctx.debtor
    if d.time_barred != "true" or ctx.channel not in TBD_CHANNELS or not ctx.to_debtor or ctx.is_system_reply:
        return None
    wanted = []
    if ctx.state == "CA":
        wanted.append("time_barred_notice_ca")
    if ctx.state == "NY":
        wanted.append("time_barred_notice_ny")
    if d.nyc:
        wanted.append("time_barred_notice_nyc")
    items = tuple(item for item in wanted if not _present(ctx, item))
    if not items:
        return None
    return Issue("TBD-2", REQUIRE_CONTENT, "time-barred debt: state notice missing", items=items)


def _first_written_notice(ctx) -> bool:
    """No email or letter has gone to the debtor before (sent history, or a validation notice by email or mail)."""
    v = ctx.debtor.validation
    if v.notice_sent_at is not None and v.notice_sent_at < ctx.start and v.method in WRITTEN_NOTICE:
        return False
    return not any(m.channel in WRITTEN_NOTICE and m.recipient == "debtor" and m.decision == "allow"
                   and m.provider_status not in NOT_SENT and m.sent_at < ctx.start for m in ctx.history.outbound)


@rule("STATE-CA-1", STAGE)
def rosenthal_notice(ctx):
    """CA address: the first written notice carries the Rosenthal notice of Civ. 1812.700(a), in type at
    least as large as the debt-specific text.
    Source: Cal. Civ. 1812.700 [S: verbatim quote], 1812.701(b) [V]."""
    if ctx.state != "CA" or ctx.channel not in WRITTEN_NOTICE or not ctx.to_debtor or ctx.is_system_reply:
        return None
    if not _first_written_notice(ctx) or _present(ctx, "ca_1812_700_notice"):
        return None
    return Issue("STATE-CA-1", REQUIRE_CONTENT, "first written notice to a CA debtor without the 1812.700 notice",
                 items=("ca_1812_700_notice",))


@rule("STATE-CA-2", STAGE)
def california_license(ctx):
    """CA: written and digital communications show the collector's California licence number, when the
    business records one (D-15). The OPT-4/7/8 system replies are left as their templates.
    Source: Cal. Civ. 1788.11(f) [V]."""
    if ctx.state != "CA" or not ctx.policy.ca_license_no or ctx.channel not in CA_LICENSE_CHANNELS:
        return None
    if not ctx.to_debtor or ctx.is_system_reply or _present(ctx, "ca_license_no"):
        return None
    return Issue("STATE-CA-2", REQUIRE_CONTENT, "California licence number missing", items=("ca_license_no",))

