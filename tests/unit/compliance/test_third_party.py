"""TP-1..5: debt information reaches only the consumer (COMPLIANCE.md 1.4, D-13, D-18)."""
import pytest

from app.services.compliance.decision import ALLOW, BLOCK, REQUIRE_CONTENT, WARN
from app.services.compliance.facts import History, Inbound
from app.services.compliance.gate import decide
from app.services.compliance.inbound import observe
from app.services.compliance.registry import RULES
from app.services.compliance.rules.third_party import has_debt_content
from tests.unit.compliance.builders import COMPLIANT_SMS, EMAIL, PHONE, at, attempt, debtor, email, facts, phone, policy

TP_RULES = ("TP-1", "TP-2", "TP-3", "TP-4", "TP-5")
BALANCE_REPLY = ("Acme Recovery: your balance is $412.50. This communication is from a debt collector. "
                 "Reply STOP to opt out.")
OPTOUT_CONFIRMATION = "Acme Recovery: You're unsubscribed from texts to this number. We will honor this request."


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


def inbound(body, id_="in-1", channel="sms", address=PHONE, received="2026-07-15T14:58Z"):
    return Inbound(id=id_, channel=channel, received_at=at(received), body=body, address=address)


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_082_wife_answers_ai_reply_with_balance_is_blocked():
    after = observe(facts(), inbound("this is his wife, he's not here", id_="in-82"))
    reply = attempt(kind="ai", in_reply_to="in-82", body=BALANCE_REPLY)
    decision = decide(reply, after)
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "TP-2")


def test_scenario_083_wrong_number_marks_the_number_unverified_and_blocks_debt_content():
    after = observe(facts(), inbound("wrong number", id_="in-83"))
    assert PHONE in after.debtor.unverified_addresses
    assert not next(p for p in after.debtor.phones if p.e164 == PHONE).verified
    for message in (attempt(), attempt(kind="ai", in_reply_to="in-83", body=BALANCE_REPLY),
                    attempt(now="2026-07-20T15:00Z")):
        decision = decide(message, after)
        assert decision.outcome == BLOCK
        assert BLOCK in severities(decision, "TP-2")


def test_scenario_084_whatsapp_group_is_blocked():
    decision = decide(attempt(channel="whatsapp", recipient="group", to_address="group:1203630"), facts())
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "TP-4")


def test_scenario_085_debt_words_in_email_subject_warn_by_default():
    decision = decide(attempt(channel="email", subject="PAST DUE COLLECTION NOTICE"), facts())
    assert decision.outcome == ALLOW, decision.issues
    assert severities(decision, "TP-5") == {WARN}


def test_scenario_085_debt_words_in_email_subject_require_a_neutral_subject_when_blocking():
    message = attempt(channel="email", subject="PAST DUE COLLECTION NOTICE")
    decision = decide(message, facts(policy_=policy(tp5_blocking=True)))
    assert decision.outcome == REQUIRE_CONTENT
    assert "neutral_subject" in decision.items
    assert decision.issue("TP-5").severity == REQUIRE_CONTENT


# -- TP-1 / TP-3 / TP-4 ---------------------------------------------------------------------------------------
def test_tp1_and_tp3_block_third_party_recipients():
    decision = decide(attempt(recipient="third_party", to_address="+13105550188"), facts(), rules=only(*TP_RULES))
    assert decision.outcome == BLOCK
    assert decision.issue("TP-1").severity == BLOCK and decision.issue("TP-3").severity == BLOCK


def test_tp1_tp3_tp4_silent_for_the_debtor():
    decision = decide(attempt(), facts(), rules=only(*TP_RULES))
    assert decision.outcome == ALLOW and not decision.issues


@pytest.mark.parametrize("changes", [dict(channel="social", to_address="@ana"), dict(recipient="public")])
def test_tp4_public_places_are_blocked(changes):
    assert decide(attempt(**changes), facts(), rules=only("TP-4")).outcome == BLOCK


# -- TP-2 -----------------------------------------------------------------------------------------------------
def test_tp2_unverified_address_may_still_get_a_message_without_debt_content():
    d = debtor(unverified_addresses=frozenset({PHONE}))
    message = attempt(purpose="optout_confirm", kind="system", body=OPTOUT_CONFIRMATION)
    assert decide(message, facts(d), rules=only("TP-2")).outcome == ALLOW


def test_tp2_help_reply_with_debt_content_is_blocked():
    help_text = "Acme Recovery: for help call 800-555-0100. Reply STOP to opt out."
    for body, outcome in ((help_text, ALLOW), (help_text + " Your past-due balance is $412.", BLOCK)):
        message = attempt(purpose="help_reply", kind="system", body=body)
        assert decide(message, facts(), rules=only("TP-2")).outcome == outcome


def test_tp2_unverified_flag_on_the_record_blocks_debt_content():
    d = debtor(emails=(email(verified=False),))
    assert decide(attempt(channel="email"), facts(d), rules=only("TP-2")).outcome == BLOCK


def test_tp2_unverified_list_matches_however_the_number_was_typed():
    d = debtor(unverified_addresses=frozenset({"212-555-0143"}))
    assert decide(attempt(), facts(d), rules=only("TP-2")).outcome == BLOCK


def test_tp2_web_chat_needs_authentication_before_a_balance():
    message = attempt(channel="web_chat", to_address="chat-1", kind="ai", body=BALANCE_REPLY)
    assert decide(message, facts(), rules=only("TP-2")).outcome == BLOCK
    d = debtor(authenticated_addresses=frozenset({"chat-1"}))
    assert decide(message, facts(d), rules=only("TP-2")).outcome == ALLOW


def test_tp2_conversation_from_a_number_not_on_file_needs_authentication():
    stranger = "+13105550177"
    history = History(inbound=(inbound("what do I owe?", address=stranger),))
    message = attempt(to_address=stranger, kind="ai", in_reply_to="in-1", body=BALANCE_REPLY)
    assert decide(message, facts(history=history), rules=only("TP-2")).outcome == BLOCK
    d = debtor(authenticated_addresses=frozenset({stranger}))
    assert decide(message, facts(d, history=history), rules=only("TP-2")).outcome == ALLOW


def test_tp2_conversation_from_the_number_on_file_is_verified():
    history = History(inbound=(inbound("what do I owe?"),))
    message = attempt(kind="ai", in_reply_to="in-1", body=BALANCE_REPLY)
    assert decide(message, facts(history=history), rules=only("TP-2")).outcome == ALLOW


def test_tp2_address_not_on_file_is_not_verified():
    message = attempt(to_address="+13105550177")
    assert decide(message, facts(), rules=only("TP-2")).outcome == BLOCK
    d = debtor(authenticated_addresses=frozenset({"+13105550177"}))
    assert decide(message, facts(d), rules=only("TP-2")).outcome == ALLOW


def test_tp2_other_verified_addresses_are_unaffected():
    d = debtor(phones=(phone(), phone("+12125550144")), unverified_addresses=frozenset({"+12125550144"}))
    assert decide(attempt(), facts(d), rules=only("TP-2")).outcome == ALLOW


@pytest.mark.parametrize("text", [
    "Your balance is $412.50", "you owe 412.50 USD", "payment due Friday", "about your account",
    "This communication is from a debt collector.", "Su saldo es de 400 dólares", "sobre su deuda", "pago vencido",
])
def test_debt_content_detector_finds_debt_talk(text):
    assert has_debt_content(text)


@pytest.mark.parametrize("text", [
    OPTOUT_CONFIRMATION, "Acme Recovery: for help call 800-555-0100. Msg&data rates may apply. Reply STOP to opt out.",
    "Hi, please call us back at 800-555-0100.",
])
def test_debt_content_detector_passes_neutral_text(text):
    assert not has_debt_content(text)


# -- TP-5 -----------------------------------------------------------------------------------------------------
def test_tp5_sms_preview_with_debt_word_warns():
    message = attempt(body="Debt notice from Acme Recovery. " + COMPLIANT_SMS)
    decision = decide(message, facts(), rules=only("TP-5"))
    assert decision.outcome == ALLOW and decision.issue("TP-5").severity == WARN


def test_tp5_sms_debt_word_after_the_preview_is_fine():
    assert COMPLIANT_SMS.lower().index("debt") >= 40
    assert decide(attempt(), facts(), rules=only("TP-5")).issue("TP-5") is None


def test_tp5_spanish_words_count():
    message = attempt(channel="email", subject="Aviso de cobranza")
    decision = decide(message, facts(policy_=policy(tp5_blocking=True)), rules=only("TP-5"))
    assert decision.outcome == REQUIRE_CONTENT and decision.items == ("neutral_subject",)


def test_tp5_from_name_counts():
    message = attempt(channel="email", from_name="Acme Debt Collections")
    decision = decide(message, facts(policy_=policy(tp5_blocking=True)), rules=only("TP-5"))
    assert decision.outcome == REQUIRE_CONTENT and decision.items == ("neutral_sender",)


def test_tp5_email_body_is_not_a_preview():
    message = attempt(channel="email", to_address=EMAIL, subject="Your account")
    assert decide(message, facts(policy_=policy(tp5_blocking=True)), rules=only("TP-5")).outcome == ALLOW
