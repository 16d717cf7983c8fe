"""DISPUTE-1, -2, -4: holds on the debt while a dispute or a creditor request is open (COMPLIANCE.md 1.5)."""
import datetime as dt
from decimal import Decimal

import pytest

from app.services.compliance.decision import ALLOW, BLOCK
from app.services.compliance.facts import Dispute, Inbound, Validation
from app.services.compliance.gate import decide
from app.services.compliance.inbound import observe
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import PHONE, at, attempt, debtor, facts

DISPUTE_RULES = ("DISPUTE-1", "DISPUTE-2", "DISPUTE-4")
REMINDER_SMS = ("Acme Recovery: Hi Ana, a reminder that a payment on your account is due. "
                "This communication is from a debt collector. Reply STOP to opt out.")
VERIFICATION_EMAIL = ("Hi Ana,\n\nAs you asked, Acme Recovery sends verification of the debt: First Bank, "
                      "account ending 0123, $412.50 as of 2026-06-30.\n\nThis communication is from a debt collector.\n"
                      "To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


def in_validation_period(**changes):
    """Notice emailed 2026-07-01; the validation period ends 2026-08-08; 07-11 is day 10."""
    validation = Validation(initial_comm_at=at("2026-07-01T14:00Z"), initial_had_validation=True,
                            notice_sent_at=at("2026-07-01T14:00Z"), method="email", period_end=dt.date(2026, 8, 8))
    return debtor(validation=validation, **changes)


def disputed(**changes):
    return in_validation_period(disputes=(Dispute(received_at=at("2026-07-11T15:00Z"), **changes),))


@pytest.fixture
def after_dispute_text():
    text = Inbound(id="in-104", channel="sms", received_at=at("2026-07-11T15:00Z"), body="this isn't my debt",
                   address=PHONE)
    return observe(facts(in_validation_period()), text)


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_104_texted_dispute_in_validation_period_blocks_payment_reminder(after_dispute_text):
    (dispute,) = after_dispute_text.debtor.disputes
    assert dispute.within_vp and dispute.written and dispute.answered_at is None
    decision = decide(attempt(now="2026-07-13T15:00Z", body=REMINDER_SMS), after_dispute_text)
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "DISPUTE-1")


def test_scenario_105_verification_email_passes_the_dispute_hold(after_dispute_text):
    message = attempt(now="2026-07-13T15:00Z", channel="email", kind="agent", purpose="verification",
                      subject="Verification you requested", body=VERIFICATION_EMAIL)
    decision = decide(message, after_dispute_text)
    assert decision.issue("DISPUTE-1") is None
    assert decision.outcome == ALLOW, decision.issues


# -- DISPUTE-1 ------------------------------------------------------------------------------------------------
def test_dispute1_answered_dispute_releases_the_hold():
    d = disputed(answered_at=at("2026-07-12T15:00Z"))
    assert decide(attempt(), facts(d), rules=only(*DISPUTE_RULES)).outcome == ALLOW


def test_dispute1_dispute_outside_the_period_holds_nothing_for_people():
    d = disputed(within_vp=False)
    assert decide(attempt(), facts(d), rules=only("DISPUTE-1")).outcome == ALLOW


def test_dispute1_partial_dispute_holds_collection():
    d = disputed(portion=Decimal("100.00"))
    decision = decide(attempt(), facts(d), rules=only("DISPUTE-1"))
    assert decision.outcome == BLOCK and "100.00" in decision.issue("DISPUTE-1").detail


def test_dispute1_oral_dispute_is_not_a_written_one():
    assert decide(attempt(), facts(disputed(written=False)), rules=only("DISPUTE-1")).outcome == ALLOW


@pytest.mark.parametrize("purpose", ["verification", "dispute_ack", "receipt", "optout_confirm", "privacy_response"])
def test_dispute1_non_collection_purposes_pass(purpose):
    decision = decide(attempt(purpose=purpose), facts(disputed()), rules=only(*DISPUTE_RULES))
    assert decision.outcome == ALLOW


@pytest.mark.parametrize("purpose", ["collection", "cease_remedy_may", "cease_remedy_intends"])
def test_dispute1_collection_purposes_are_held(purpose):
    assert decide(attempt(purpose=purpose), facts(disputed()), rules=only("DISPUTE-1")).outcome == BLOCK


# -- DISPUTE-2 ------------------------------------------------------------------------------------------------
def test_dispute2_open_original_creditor_request_holds_collection():
    decision = decide(attempt(), facts(disputed(kind="original_creditor")), rules=only(*DISPUTE_RULES))
    assert decision.outcome == BLOCK and decision.issue("DISPUTE-2").severity == BLOCK
    assert decision.issue("DISPUTE-1") is None


def test_dispute2_original_creditor_answer_passes():
    message = attempt(channel="email", purpose="original_creditor_info")
    assert decide(message, facts(disputed(kind="original_creditor")), rules=only(*DISPUTE_RULES)).outcome == ALLOW


def test_dispute2_answered_request_releases_the_hold():
    d = disputed(kind="original_creditor", answered_at=at("2026-07-12T15:00Z"))
    assert decide(attempt(), facts(d), rules=only("DISPUTE-2")).outcome == ALLOW


# -- DISPUTE-4 ------------------------------------------------------------------------------------------------
def test_dispute4_outside_the_period_routes_ai_to_a_human():
    d = disputed(within_vp=False)
    decision = decide(attempt(kind="ai"), facts(d), rules=only(*DISPUTE_RULES))
    assert decision.outcome == BLOCK and decision.issue("DISPUTE-4").severity == BLOCK


@pytest.mark.parametrize("kind", ["agent", "campaign", "transactional"])
def test_dispute4_blocks_only_the_ai(kind):
    assert decide(attempt(kind=kind), facts(disputed(within_vp=False)), rules=only(*DISPUTE_RULES)).outcome == ALLOW


def test_dispute4_answered_dispute_frees_the_ai():
    d = disputed(within_vp=False, answered_at=at("2026-07-12T15:00Z"))
    assert decide(attempt(kind="ai"), facts(d), rules=only("DISPUTE-4")).outcome == ALLOW


def test_dispute4_inbound_dispute_after_the_period_is_recorded_outside_it():
    late = Inbound(id="in-9", channel="sms", received_at=at("2026-08-20T15:00Z"), body="I dispute this amount",
                   address=PHONE)
    after = observe(facts(in_validation_period()), late)
    (dispute,) = after.debtor.disputes
    assert not dispute.within_vp
    assert decide(attempt(now="2026-08-21T15:00Z", kind="ai"), after, rules=only(*DISPUTE_RULES)).outcome == BLOCK
    assert decide(attempt(now="2026-08-21T15:00Z"), after, rules=only(*DISPUTE_RULES)).outcome == ALLOW
