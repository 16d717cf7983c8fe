"""CONSENT-1..5, CHAN-1..3: permission for the address and the channel."""
import datetime as dt
from dataclasses import replace

import pytest

from app.services.compliance.decision import ALLOW, BLOCK, DEFER, INFO, WARN
from app.services.compliance.facts import Consent, History, Inbound, OptOut
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import PHONE, at, attempt, debtor, email, facts, phone, policy

NOW = at("2026-07-15T15:00Z")
TEXAS = dict(state="TX", zip="75201", city="Dallas")


def only(*ids):
    return [r for r in RULES if r.id in ids]


def rules_of(decision, severity=BLOCK):
    return {i.rule for i in decision.issues if i.severity == severity}


def keyword_consent(evidence="in-4411"):
    return Consent(granted_at=at("2026-07-01T15:00Z"), method="keyword", evidence=evidence)


# -- scenarios ----------------------------------------------------------------------------------------------------
def test_scenario_064_number_without_sms_opt_in_is_blocked():
    d = debtor(phones=(phone(sms_consent=None),))
    decision = decide(attempt(), facts(d))
    assert decision.outcome == BLOCK and "CONSENT-1" in rules_of(decision)


def test_scenario_065_keyword_yes_with_inbound_id_is_consent_without_ip():
    d = debtor(phones=(phone(sms_consent=keyword_consent()),))
    decision = decide(attempt(), facts(d))
    assert decision.outcome == ALLOW, decision.issues
    logged = decision.issue("CONSENT-1")
    assert logged.severity == INFO and "in-4411" in logged.detail


def test_scenario_066_free_form_whatsapp_30h_after_the_debtors_message_is_blocked():
    last = NOW - dt.timedelta(hours=30)
    d = debtor(whatsapp_last_inbound_at=last)
    msg = Inbound("wa-1", "whatsapp", last, "hola", address=PHONE)
    reply = attempt(channel="whatsapp", in_reply_to="wa-1", kind="agent")
    decision = decide(reply, facts(d, history=History(inbound=(msg,))))
    assert decision.outcome == BLOCK and "CONSENT-2" in rules_of(decision)
    assert "template" in decision.issue("CONSENT-2").detail


def test_scenario_067_stale_number_warns_by_default_and_defers_when_switched_on():
    d = debtor(phones=(phone(last_inbound_text_at=NOW - dt.timedelta(days=90), rnd_checked_at=None),))
    default = decide(attempt(), facts(d))
    assert default.outcome == ALLOW and default.issue("CONSENT-4").severity == WARN
    strict = decide(attempt(), facts(d, policy(consent4_blocking=True)))
    assert strict.outcome == DEFER and strict.until == at("2026-07-15T16:00Z")
    assert strict.issue("CONSENT-4").severity == DEFER


def test_scenario_068_marketing_without_marketing_consent_is_blocked():
    offer = attempt(purpose="marketing", body="Acme Recovery: improve your score with our partner's credit repair "
                                               "program! Reply STOP to opt out.")
    decision = decide(offer, facts())
    assert decision.outcome == BLOCK and "CONSENT-5" in rules_of(decision)


def test_scenario_069_broker_email_warns_by_default_and_blocks_when_switched_on():
    d = debtor(**TEXAS, emails=(email(provenance="data_broker"),))
    default = decide(attempt(channel="email"), facts(d))
    assert default.outcome == ALLOW, default.issues
    assert default.issue("CONSENT-3").severity == WARN
    strict = decide(attempt(channel="email"), facts(d, policy(consent3_blocking=True)))
    assert strict.outcome == BLOCK and "CONSENT-3" in rules_of(strict)


def test_scenario_110_postcards_are_blocked():
    decision = decide(attempt(channel="postcard", to_address=None), facts())
    assert decision.outcome == BLOCK and "CHAN-1" in rules_of(decision)


# -- CONSENT-1 ----------------------------------------------------------------------------------------------------
C1 = only("CONSENT-1")


def test_consent1_web_opt_in_with_ip_is_silent():
    assert decide(attempt(), facts(), rules=C1).issues == ()


@pytest.mark.parametrize("method", ["web", "keyword", "oral", "creditor_attested"])
def test_consent1_evidence_is_required(method):
    consent = Consent(granted_at=at("2026-07-01T15:00Z"), method=method, evidence=None)
    decision = decide(attempt(), facts(debtor(phones=(phone(sms_consent=consent),))), rules=C1)
    assert decision.outcome == BLOCK and "evidence" in decision.issue("CONSENT-1").detail


def test_consent1_creditor_attested_counts_d14():
    consent = Consent(granted_at=at("2026-07-01T15:00Z"), method="creditor_attested", evidence="api-key-7")
    assert decide(attempt(), facts(debtor(phones=(phone(sms_consent=consent),))), rules=C1).outcome == ALLOW


def test_consent1_revocation_wins():
    consent = Consent(granted_at=at("2026-07-01T15:00Z"), method="creditor_attested", evidence="api-key-7",
                      revoked_at=at("2026-07-10T15:00Z"))
    decision = decide(attempt(), facts(debtor(phones=(phone(sms_consent=consent),))), rules=C1)
    assert decision.outcome == BLOCK and "revoked" in decision.issue("CONSENT-1").detail


def test_consent1_start_after_revocation_is_a_keyword_consent():
    revoked = replace(keyword_consent(), revoked_at=at("2026-07-10T15:00Z"))
    start = OptOut("sms", PHONE, at("2026-07-12T15:00Z"), at("2026-07-12T15:00Z"), action="opt_in", id="in-9:opt_in")
    f = facts(debtor(phones=(phone(sms_consent=revoked),)), history=History(optouts=(start,)))
    decision = decide(attempt(), f, rules=C1)
    assert decision.outcome == ALLOW and "in-9" in decision.issue("CONSENT-1").detail


def test_consent1_number_not_on_file():
    decision = decide(attempt(to_address="+13125550123"), facts(), rules=C1)
    assert decision.outcome == BLOCK and "not on the debtor's file" in decision.issue("CONSENT-1").detail


def test_consent1_reply_to_the_debtors_text_needs_no_standing_consent():
    d = debtor(phones=(phone(sms_consent=None),))
    msg = Inbound("in-1", "sms", at("2026-07-15T14:58Z"), "what do I owe?", address=PHONE)
    decision = decide(attempt(in_reply_to="in-1"), facts(d, history=History(inbound=(msg,))), rules=C1)
    assert decision.outcome == ALLOW and decision.issue("CONSENT-1").severity == INFO


def test_consent1_not_for_other_channels():
    d = debtor(phones=(phone(sms_consent=None),))
    assert decide(attempt(channel="email"), facts(d), rules=C1).issues == ()


# -- CONSENT-2 ----------------------------------------------------------------------------------------------------
C2 = only("CONSENT-2")


def test_consent2_template_passes_outside_the_window():
    assert decide(attempt(channel="whatsapp", template="payment_reminder"), facts(), rules=C2).issues == ()


def test_consent2_free_form_reply_inside_the_window():
    last = NOW - dt.timedelta(hours=2)
    msg = Inbound("wa-1", "whatsapp", last, "hola", address=PHONE)
    f = facts(debtor(whatsapp_last_inbound_at=last), history=History(inbound=(msg,)))
    assert decide(attempt(channel="whatsapp", in_reply_to="wa-1"), f, rules=C2).issues == ()


def test_consent2_business_initiated_free_form_is_blocked_even_in_the_window():
    f = facts(debtor(whatsapp_last_inbound_at=NOW - dt.timedelta(hours=2)))
    decision = decide(attempt(channel="whatsapp"), f, rules=C2)
    assert decision.outcome == BLOCK and "business-initiated" in decision.issue("CONSENT-2").detail


def test_consent2_needs_the_opt_in():
    d = debtor(phones=(phone(whatsapp_consent=None),), whatsapp_optin_at=None)
    decision = decide(attempt(channel="whatsapp", template="payment_reminder"), facts(d), rules=C2)
    assert decision.outcome == BLOCK and "opt-in" in decision.issue("CONSENT-2").detail
    d2 = replace(d, whatsapp_optin_at=at("2026-07-01T00:00Z"))
    assert decide(attempt(channel="whatsapp", template="payment_reminder"), facts(d2), rules=C2).outcome == ALLOW


# -- CONSENT-3 ----------------------------------------------------------------------------------------------------
C3 = only("CONSENT-3")


@pytest.mark.parametrize("changes", [dict(provenance="consumer_emailed"), dict(provenance="creditor_notice"),
                                     dict(provenance="prior_collector"), dict(provenance=None,
                                                                               debtor_emailed_from_at=NOW)])
def test_consent3_reg_f_procedures_pass(changes):
    assert decide(attempt(channel="email"), facts(debtor(emails=(email(**changes),))), rules=C3).issues == ()


def test_consent3_address_not_on_file_warns():
    decision = decide(attempt(channel="email", to_address="someone@else.example"), facts(), rules=C3)
    assert decision.outcome == ALLOW and decision.issue("CONSENT-3").severity == WARN


# -- CONSENT-4 ----------------------------------------------------------------------------------------------------
C4 = only("CONSENT-4")


def test_consent4_recent_text_or_recent_rnd_check_is_fresh():
    texted = debtor(phones=(phone(last_inbound_text_at=NOW - dt.timedelta(days=59)),))
    checked = debtor(phones=(phone(last_inbound_text_at=None, rnd_checked_at=NOW - dt.timedelta(days=3)),))
    for d in (texted, checked):
        assert decide(attempt(), facts(d, policy(consent4_blocking=True)), rules=C4).issues == ()


def test_consent4_old_rnd_check_is_not_enough():
    d = debtor(phones=(phone(last_inbound_text_at=None, rnd_checked_at=NOW - dt.timedelta(days=61)),))
    assert decide(attempt(), facts(d), rules=C4).issue("CONSENT-4").severity == WARN


def test_consent4_not_for_email():
    d = debtor(phones=(phone(last_inbound_text_at=None),))
    assert decide(attempt(channel="email"), facts(d, policy(consent4_blocking=True)), rules=C4).issues == ()


def test_consent4_defer_settles_even_when_scheduled():
    d = debtor(phones=(phone(last_inbound_text_at=None),))
    a = attempt(scheduled_at=at("2026-07-16T15:00Z"))
    decision = decide(a, facts(d, policy(consent4_blocking=True)), rules=C4)
    assert decision.outcome == DEFER and decision.until == at("2026-07-16T16:00Z")


# -- CONSENT-5 ----------------------------------------------------------------------------------------------------
C5 = only("CONSENT-5")


def test_consent5_marketing_with_consent_passes():
    d = debtor(marketing_consent_at=at("2026-01-01T00:00Z"))
    assert decide(attempt(purpose="marketing", body="Acme Recovery news."), facts(d), rules=C5).issues == ()


def test_consent5_marketing_never_rides_in_a_collection_message():
    d = debtor(marketing_consent_at=at("2026-01-01T00:00Z"))
    body = "Acme Recovery: a payment is due. Also: use promo code SAVE10 with our partners!"
    decision = decide(attempt(body=body), facts(d), rules=C5)
    assert decision.outcome == BLOCK and "marketing content" in decision.issue("CONSENT-5").detail


def test_consent5_a_settlement_offer_is_not_marketing():
    body = "Acme Recovery: we can offer a settlement of $300. This communication is from a debt collector."
    assert decide(attempt(body=body), facts(), rules=C5).issues == ()


# -- CHAN ---------------------------------------------------------------------------------------------------------
def test_chan1_only_postcards():
    assert decide(attempt(channel="mail", to_address=None), facts(), rules=only("CHAN-1")).issues == ()


def test_chan3_ai_voice_needs_consent():
    rules = only("CHAN-3")
    assert decide(attempt(channel="voice", kind="ai"), facts(), rules=rules).outcome == BLOCK
    assert decide(attempt(channel="voice", artificial_voice=True), facts(), rules=rules).outcome == BLOCK
    assert decide(attempt(channel="voice", kind="agent"), facts(), rules=rules).issues == ()
    voice = Consent(granted_at=at("2026-01-01T00:00Z"), method="written", evidence="doc-1")
    d = debtor(phones=(phone(voice_consent=voice),))
    assert decide(attempt(channel="voice", kind="ai"), facts(d), rules=rules).outcome == ALLOW


def test_emails_to_the_attorney_skip_consumer_consent_rules():
    rules = only("CONSENT-1", "CONSENT-3", "CONSENT-5")
    a = attempt(channel="email", recipient="attorney", to_address="counsel@law.example")
    assert decide(a, facts(debtor(emails=())), rules=rules).issues == ()
