"""ACCT, PRIV and DNC: account-level stops (COMPLIANCE.md 1.1, 1.8, 1.18)."""
import pytest

from app.services.compliance.decision import ALLOW, BLOCK, INFO
from app.services.compliance.facts import Privacy
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import EMAIL, PHONE, at, attempt, debtor, facts, phone

MARKETING_SMS = ("Acme Recovery: a partner offer for you. This communication is from a debt collector. "
                 "Reply STOP to opt out.")


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


ANY_MESSAGE = [
    attempt(),
    attempt(channel="email"),
    attempt(channel="email", purpose="validation_notice"),
    attempt(kind="agent", purpose="verification", channel="email"),
    attempt(kind="transactional", purpose="receipt", channel="email"),
]


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_063_internal_dnc_hit_on_phone_blocks_sms():
    decision = decide(attempt(), facts(debtor(dnc_addresses=frozenset({PHONE}))))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "DNC-1")


@pytest.mark.parametrize("message", ANY_MESSAGE)
def test_scenario_111_ccpa_deletion_executed_blocks_any_message(message):
    decision = decide(message, facts(debtor(privacy=Privacy(ccpa_delete_done=True))))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "PRIV-1")


def test_scenario_112_ccpa_deletion_denied_allows_collection_sms_and_logs_reason():
    reason = "GLBA-covered collection data (1798.145)"
    decision = decide(attempt(), facts(debtor(privacy=Privacy(ccpa_denied_reason=reason))))
    assert decision.outcome == ALLOW
    issue = decision.issue("PRIV-1")
    assert issue is not None and issue.severity == INFO and reason in issue.detail


def test_scenario_113_gdpr_marketing_objection_blocks_marketing_email():
    d = debtor(privacy=Privacy(gdpr_scope=True, marketing_objection=True))
    decision = decide(attempt(channel="email", purpose="marketing"), facts(d))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "PRIV-2")


def test_scenario_113_gdpr_marketing_objection_allows_collection_email():
    d = debtor(privacy=Privacy(gdpr_scope=True, marketing_objection=True))
    decision = decide(attempt(channel="email"), facts(d))
    assert decision.outcome == ALLOW
    assert decision.issue("PRIV-2") is None


@pytest.mark.parametrize("message", ANY_MESSAGE)
def test_scenario_114_bankruptcy_blocks_any_message(message):
    decision = decide(message, facts(debtor(bankruptcy=True)))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "ACCT-1")


# -- ACCT -----------------------------------------------------------------------------------------------------
def test_acct1_silent_without_bankruptcy():
    assert decide(attempt(), facts(), rules=only("ACCT-1")).issue("ACCT-1") is None


def test_acct1_lets_a_privacy_law_answer_through():
    decision = decide(attempt(channel="email", purpose="privacy_response"), facts(debtor(bankruptcy=True)),
                      rules=only("ACCT-1"))
    assert decision.outcome == ALLOW


def test_acct2_deceased_blocks_messages_to_the_debtor_address():
    d = debtor(deceased=True, representative_address="executor@estate.example")
    decision = decide(attempt(), facts(d), rules=only("ACCT-2"))
    assert decision.outcome == BLOCK and decision.issue("ACCT-2").severity == BLOCK


def test_acct2_deceased_allows_the_estate_representative():
    d = debtor(deceased=True, representative_address="Executor@Estate.example")
    message = attempt(channel="email", to_address="executor@estate.example ")
    assert decide(message, facts(d), rules=only("ACCT-2")).outcome == ALLOW


def test_acct2_deceased_without_representative_blocks_everything():
    d = debtor(deceased=True)
    assert decide(attempt(channel="email"), facts(d), rules=only("ACCT-2")).outcome == BLOCK


def test_acct2_silent_for_a_living_debtor():
    assert decide(attempt(), facts(), rules=only("ACCT-2")).issue("ACCT-2") is None


@pytest.mark.parametrize("status", ["paid", "settled", "discharged", "PAID"])
def test_acct3_closed_debt_blocks_collection(status):
    decision = decide(attempt(), facts(debtor(status=status)), rules=only("ACCT-3"))
    assert decision.outcome == BLOCK


@pytest.mark.parametrize("purpose", ["receipt", "verification", "dispute_ack", "optout_confirm"])
def test_acct3_closed_debt_allows_non_collection_purposes(purpose):
    decision = decide(attempt(purpose=purpose), facts(debtor(status="paid")), rules=only("ACCT-3"))
    assert decision.outcome == ALLOW


def test_acct3_silent_for_active_debt():
    assert decide(attempt(), facts(debtor(status="active")), rules=only("ACCT-3")).outcome == ALLOW


# -- PRIV -----------------------------------------------------------------------------------------------------
def test_priv1_silent_without_requests():
    assert decide(attempt(), facts(), rules=only("PRIV-1")).issue("PRIV-1") is None


def test_priv2_needs_gdpr_scope():
    d = debtor(privacy=Privacy(gdpr_scope=False, marketing_objection=True))
    assert decide(attempt(purpose="marketing"), facts(d), rules=only("PRIV-2")).outcome == ALLOW


def test_priv2_needs_an_objection():
    d = debtor(privacy=Privacy(gdpr_scope=True, marketing_objection=False))
    assert decide(attempt(purpose="marketing"), facts(d), rules=only("PRIV-2")).outcome == ALLOW


# -- DNC ------------------------------------------------------------------------------------------------------
def test_dnc1_account_level_blocks_every_channel():
    for message in (attempt(), attempt(channel="email")):
        assert decide(message, facts(debtor(dnc=True)), rules=only("DNC-1")).outcome == BLOCK


def test_dnc1_matches_addresses_however_they_were_typed():
    d = debtor(dnc_addresses=frozenset({"(212) 555-0143", EMAIL.upper()}))
    assert decide(attempt(), facts(d), rules=only("DNC-1")).outcome == BLOCK
    assert decide(attempt(channel="email"), facts(d), rules=only("DNC-1")).outcome == BLOCK


def test_dnc1_other_address_is_not_a_hit():
    d = debtor(dnc_addresses=frozenset({"+13105550199", "someone@else.example"}))
    assert decide(attempt(), facts(d), rules=only("DNC-1")).issue("DNC-1") is None


@pytest.mark.parametrize("purpose", ["validation_notice", "verification", "privacy_response", "cease_terminate"])
def test_dnc1_legally_required_notice_passes_with_a_logged_issue(purpose):
    decision = decide(attempt(channel="email", purpose=purpose), facts(debtor(dnc=True)), rules=only("DNC-1"))
    assert decision.outcome == ALLOW
    assert decision.issue("DNC-1").severity == INFO


@pytest.mark.parametrize("purpose", ["marketing", "receipt", "collection", "optout_confirm"])
def test_dnc1_other_purposes_blocked(purpose):
    assert decide(attempt(purpose=purpose), facts(debtor(dnc=True)), rules=only("DNC-1")).outcome == BLOCK


def test_dnc2_marketing_sms_without_registry_check_blocks():
    decision = decide(attempt(purpose="marketing", body=MARKETING_SMS), facts(), rules=only("DNC-2"))
    assert decision.outcome == BLOCK


def test_dnc2_listed_number_blocks_marketing():
    d = debtor(phones=(phone(dnc_registry="listed", dnc_registry_checked_at=at("2026-07-10T00:00Z")),))
    assert decide(attempt(purpose="marketing"), facts(d), rules=only("DNC-2")).outcome == BLOCK


def test_dnc2_fresh_clear_check_allows_marketing():
    d = debtor(phones=(phone(dnc_registry="not_listed", dnc_registry_checked_at=at("2026-07-01T00:00Z")),))
    assert decide(attempt(purpose="marketing"), facts(d), rules=only("DNC-2")).outcome == ALLOW


def test_dnc2_stale_check_counts_as_unknown():
    d = debtor(phones=(phone(dnc_registry="not_listed", dnc_registry_checked_at=at("2026-06-01T00:00Z")),))
    assert decide(attempt(purpose="marketing"), facts(d), rules=only("DNC-2")).outcome == BLOCK


def test_dnc2_does_not_touch_collection_or_email():
    assert decide(attempt(), facts(), rules=only("DNC-2")).outcome == ALLOW
    assert decide(attempt(channel="email", purpose="marketing"), facts(), rules=only("DNC-2")).outcome == ALLOW

