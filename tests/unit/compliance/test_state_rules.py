"""STATE-NY-1 (email provenance in New York) and STATE-NYC-1 (NYC electronic-communication consent)."""
import pytest

from app.services.compliance.decision import ALLOW, BLOCK, WARN
from app.services.compliance.facts import Consent, History, Inbound
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import at, attempt, debtor, email, facts, policy

NY1 = [r for r in RULES if r.id == "STATE-NY-1"]
NYC1 = [r for r in RULES if r.id == "STATE-NYC-1" and not r.deferring]
SEPTEMBER = "2026-09-15T15:00Z"


def test_scenario_115_nyc_without_consent_warns_by_default_and_blocks_when_switched_on():
    d = debtor(nyc=True, nyc_consent_at=None)
    default = decide(attempt(SEPTEMBER), facts(d))
    assert default.outcome == ALLOW, default.issues
    assert default.issue("STATE-NYC-1").severity == WARN
    strict = decide(attempt(SEPTEMBER), facts(d, policy(nyc_blocking=True)))
    assert strict.outcome == BLOCK and strict.issue("STATE-NYC-1").severity == BLOCK


def test_nyc_rule_starts_on_2026_09_01_new_york_time():
    d = debtor(nyc=True)
    strict = policy(nyc_blocking=True)
    assert decide(attempt("2026-09-01T03:59Z"), facts(d, strict), rules=NYC1).issues == ()  # Aug 31, 23:59 EDT
    assert decide(attempt("2026-09-01T04:00Z"), facts(d, strict), rules=NYC1).outcome == BLOCK


def test_nyc_consent_on_file_passes():
    d = debtor(nyc=True, nyc_consent_at=at("2026-08-01T00:00Z"))
    assert decide(attempt(SEPTEMBER), facts(d, policy(nyc_blocking=True)), rules=NYC1).issues == ()


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_nyc_covers_every_electronic_channel(channel):
    d = debtor(nyc=True)
    decision = decide(attempt(SEPTEMBER, channel=channel), facts(d), rules=NYC1)
    assert decision.issue("STATE-NYC-1").severity == WARN


def test_nyc_not_for_web_chat_system_replies_or_others():
    strict = policy(nyc_blocking=True)
    assert decide(attempt(SEPTEMBER, channel="web_chat"), facts(debtor(nyc=True), strict), rules=NYC1).issues == ()
    confirm = attempt(SEPTEMBER, purpose="optout_confirm", kind="system")
    assert decide(confirm, facts(debtor(nyc=True), strict), rules=NYC1).issues == ()
    assert decide(attempt(SEPTEMBER), facts(debtor(nyc=False), strict), rules=NYC1).issues == ()


def test_ny_email_the_consumer_gave_with_consent_passes():
    for changes in (dict(provenance="consumer_consent"), dict(provenance="consumer_emailed"),
                    dict(provenance=None, consent=Consent(at("2026-01-01T00:00Z"), "portal", "user-1"))):
        assert decide(attempt(channel="email"), facts(debtor(emails=(email(**changes),))), rules=NY1).issues == ()


@pytest.mark.parametrize("changes, why", [
    (dict(provenance="creditor_notice"), "not provided by the consumer"),
    (dict(provenance="prior_collector"), "not provided by the consumer"),
    (dict(provenance="data_broker"), "not provided by the consumer"),
    (dict(provenance="consumer_emailed", employer_operated=True), "employer-operated"),
    (dict(provenance="consumer_consent", is_work=True), "employer-operated"),
])
def test_ny_email_otherwise_is_blocked(changes, why):
    decision = decide(attempt(channel="email"), facts(debtor(emails=(email(**changes),))), rules=NY1)
    assert decision.outcome == BLOCK and why in decision.issue("STATE-NY-1").detail


def test_ny_broker_email_is_blocked_in_the_whole_gate_where_consent3_only_warns():
    decision = decide(attempt(channel="email"), facts(debtor(emails=(email(provenance="data_broker"),))))
    assert decision.outcome == BLOCK and decision.issue("STATE-NY-1").severity == BLOCK
    assert decision.issue("CONSENT-3").severity == WARN


def test_ny_reply_to_the_consumers_own_email_is_voluntary_unless_employer_operated():
    msg = Inbound("em-1", "email", at("2026-07-15T14:00Z"), "what do I owe?", address="ana@home.example")
    f = facts(history=History(inbound=(msg,)))
    reply = attempt(channel="email", to_address="ana@home.example", in_reply_to="em-1")
    assert decide(reply, f, rules=NY1).issues == ()
    work = facts(debtor(emails=(email("ana@corp.example", is_work=True, provenance="consumer_emailed"),)),
                 history=History(inbound=(Inbound("em-2", "email", at("2026-07-15T14:00Z"), "hi",
                                                  address="ana@corp.example"),)))
    to_work = attempt(channel="email", to_address="ana@corp.example", in_reply_to="em-2")
    assert decide(to_work, work, rules=NY1).outcome == BLOCK


def test_ny_rule_only_for_ny_email():
    outside = debtor(state="NJ", zip="07030", city="Hoboken", emails=(email(provenance="data_broker"),))
    assert decide(attempt(channel="email"), facts(outside), rules=NY1).issues == ()
    assert decide(attempt(), facts(debtor(emails=(email(provenance="data_broker"),))), rules=NY1).issues == ()
