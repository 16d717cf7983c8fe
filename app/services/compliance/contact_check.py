""""Can we contact now?": the gate's answer for a standard collection message on each channel, stored nowhere.

The account file asks this question many times a day; storing each answer would flood the decision log with
messages that were never written. So the facts are loaded the way the pipelines load them (DbLoader) and the gate
decides in memory. The message is the one an agent would send: a short sentence plus the approved snippets the
gate asks for (the pipeline appends those by itself), so the answer is about whether the debtor may be contacted,
not about wording.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from app.models import Account
from app.services.compliance import compose, snippets
from app.services.compliance.decision import BLOCK, REQUIRE_CONTENT, SEVERITIES, Decision, Issue
from app.services.compliance.facts import Attempt, Facts
from app.services.compliance.gate import decide
from app.services.compliance.loader import DbLoader
from app.services.errors import NotFound
from app.services.tenancy import Principal
from app.services.timezones import US_FALLBACK_ZONES

CHANNELS = (("sms", "SMS"), ("email", "Email"), ("whatsapp", "WhatsApp"))
ITEM_LABELS = {
    "collector_name": "the collector's name", "mini_miranda_initial": "the mini-Miranda",
    "debt_collector_disclosure": "the debt-collector disclosure", "validation_summary": "the debt summary and portal link",
    "validation_notice": "the validation notice", "opt_out_notice": "the opt-out notice",
    "ca_1812_700_notice": "the California Rosenthal notice", "ca_license_no": "the California licence number",
    "time_barred_notice_ca": "the California time-barred notice", "time_barred_notice_ny": "the New York time-barred notice",
    "time_barred_notice_nyc": "the NYC time-barred notice", "neutral_subject": "a neutral subject",
    "neutral_preview": "a neutral preview", "neutral_sender": "a neutral sender name",
}
"""How the panel names the snippets (the gate's item keys)."""


def item_label(item: str) -> str:
    base = item.split(":", 1)[0]
    if base.startswith("mvn_"):
        return "the validation notice's " + base[4:].replace("_", " ")
    return ITEM_LABELS.get(base, base.replace("_", " "))


@dataclass(frozen=True)
class ZoneTime:
    zone: str
    local: dt.datetime
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChannelCheck:
    """One channel's answer, ready to show."""

    channel: str
    label: str
    address: str | None
    decision: Decision | None = None  # None: no address on file for this channel
    added: tuple[str, ...] = ()  # snippets the standard message took on before the final decision
    zones: tuple[ZoneTime, ...] = ()
    next_allowed: tuple[ZoneTime, ...] = ()  # the deferral's end in each candidate zone
    issues: tuple[Issue, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        return self.decision.outcome if self.decision else "no_address"

    @property
    def stopping_rules(self) -> tuple[str, ...]:
        return self.decision.rules if self.decision else ()

    @property
    def blocking_rules(self) -> tuple[str, ...]:
        """The rules that block (a BLOCK also lists deferrals, which would not matter until the block lifts)."""
        if not self.decision:
            return ()
        return tuple(dict.fromkeys(i.rule for i in self.decision.issues if i.severity == BLOCK))

    @property
    def added_labels(self) -> list[str]:
        return [item_label(i) for i in self.added]

    @property
    def required_labels(self) -> list[str]:
        return [item_label(i) for i in (self.decision.items if self.decision else ())]


def check_now(db_session, principal: Principal, account: Account, now: dt.datetime, *, loader=None
              ) -> list[ChannelCheck]:
    """The decision for SMS, email and WhatsApp at `now`, for an account of the caller's business."""
    if principal.business_id is None or account.business_id != principal.business_id:
        raise NotFound("Account not found")
    loader = loader or DbLoader(db_session)
    return [_check(loader, account, channel, label, now) for channel, label in CHANNELS]


def _check(loader, account: Account, channel: str, label: str, now: dt.datetime) -> ChannelCheck:
    address = account.email if channel == "email" else account.phone
    if not address:
        return ChannelCheck(channel=channel, label=label, address=None)
    attempt = Attempt(business_id=account.business_id, account_id=account.id, channel=channel, to_address=address,
                      body="", now=now, kind="agent", purpose="collection",
                      subject=snippets.NEUTRAL_SUBJECT["es" if account.preferred_language == "es" else "en"]
                      if channel == "email" else None)
    facts = loader.load(attempt)
    attempt, decision, added = standard_message(attempt, facts)
    return ChannelCheck(channel=channel, label=label, address=address, decision=decision, added=added,
                        zones=_zone_times(decision, now), issues=_ordered(decision.issues),
                        next_allowed=_zone_times(decision, decision.until) if decision.until else ())


def standard_message(attempt: Attempt, facts: Facts) -> tuple[Attempt, Decision, tuple[str, ...]]:
    """A plain sentence, then whatever approved snippets the gate asks for, as the pipeline appends them."""
    name = facts.debtor.first_name or "there"
    sender = facts.policy.dba or facts.policy.business_name or "us"
    attempt = replace(attempt, body=f"Hi {name}, this is {sender} with an update about your account.")
    return compose.complete(attempt, facts)


def _ordered(issues) -> tuple[Issue, ...]:
    """Stopping verdicts first (block, defer, content), then warnings and logged exemptions."""
    return tuple(sorted(issues, key=lambda i: SEVERITIES.index(i.severity) if i.severity in SEVERITIES else 99))


def _zone_times(decision: Decision, at: dt.datetime) -> tuple[ZoneTime, ...]:
    zones = decision.candidate_zones or tuple(sorted(US_FALLBACK_ZONES))
    sources: dict[str, list[str]] = {}
    for source, names in (decision.zone_sources or {}).items():
        for name in str(names).split(","):
            sources.setdefault(name, []).append(source.replace("_", " "))
    return tuple(ZoneTime(zone=z, local=at.astimezone(ZoneInfo(z)), sources=tuple(sorted(sources.get(z, ()))))
                 for z in zones)
