"""CEASE-1..5: after a cease only the enumerated notices pass (COMPLIANCE.md 1.2, D-7, D-17)."""
import uuid

import pytest

from app.services.compliance.decision import ALLOW, BLOCK, INFO
from app.services.compliance.facts import Cease, History, Inbound, Outbound
from app.services.compliance.gate import decide
from app.services.compliance.inbound import observe
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import ACCOUNT_ID, at, attempt, debtor, facts

CEASE_RULES = ("CEASE-1", "CEASE-2", "CEASE-3", "CEASE-4", "CEASE-5")
OTHER_ACCOUNT = uuid.UUID("00000000-0000-4000-8000-000000000099")
FOOTER = ("\n\nThis communication is from a debt collector.\n"
          "To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")
TERMINATE_BODY = "Hi Ana,\n\nAcme Recovery: we have stopped collection efforts on this account." + FOOTER
REMEDY_BODY = ("Hi Ana,\n\nAcme Recovery: the creditor may pursue remedies it ordinarily uses, "
               "such as filing suit." + FOOTER)
RECEIPT_BODY = "Hi Ana,\n\nAcme Recovery receipt: we received $50.00 on 2026-07-20. Reference R-1001." + FOOTER


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


def ceased(**changes):
    return debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z"), channel="mail"),), **changes)


def cease_notice(purpose="cease_terminate", template="cease_terminate", body=TERMINATE_BODY, **changes):
    return attempt(channel="email", purpose=purpose, template=template, body=body,
                   subject="About your account", **changes)


def receipt(request_id=None, body=RECEIPT_BODY, channel="email", **changes):
    return attempt(channel=channel, kind="transactional", purpose="receipt", body=body,
                   subject="Payment receipt" if channel == "email" else None,
                   consumer_request_id=request_id, now="2026-07-20T15:00Z", **changes)


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_070_written_cease_blocks_later_campaign_sms():
    decision = decide(attempt(now="2026-07-12T15:00Z"), facts(ceased()))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "CEASE-1")


def test_scenario_071_cease_terminate_template_email_is_allowed():
    decision = decide(cease_notice(), facts(ceased()))
    assert decision.outcome == ALLOW, decision.issues
    assert INFO in severities(decision, "CEASE-2")
    assert decision.issue("CEASE-1") is None


def test_scenario_072_remedy_may_template_is_allowed_with_legal_approval():
    d = ceased(time_barred="false", legal_action_approved=True)
    message = cease_notice(purpose="cease_remedy_may", template="cease_remedy_may", body=REMEDY_BODY, kind="agent")
    decision = decide(message, facts(d))
    assert decision.outcome == ALLOW, decision.issues
    assert INFO in severities(decision, "CEASE-2")


def test_scenario_074_automatic_receipt_after_cease_is_blocked():
    decision = decide(receipt(), facts(ceased()))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "CEASE-3")


def test_scenario_075_receipt_the_consumer_asked_for_after_the_cease_is_allowed():
    d = ceased(receipt_requests=(("req-1", at("2026-07-20T14:55Z")),))
    decision = decide(receipt("req-1"), facts(d))
    assert decision.outcome == ALLOW, decision.issues
    assert INFO in severities(decision, "CEASE-3")


def test_scenario_076_free_text_cease_in_chat_blocks_the_ai_plan_offer():
    chat = "chat-7f3a"
    inbound = Inbound(id="in-76", channel="web_chat", received_at=at("2026-07-15T14:59Z"),
                      body="stop contacting me, I'm not paying", address=chat)
    after = observe(facts(debtor(authenticated_addresses=frozenset({chat}))), inbound)
    assert after.debtor.cease_candidate_at == inbound.received_at
    reply = attempt(channel="web_chat", to_address=chat, kind="ai", in_reply_to="in-76",
                    body="Can we set up a plan? This communication is from a debt collector.")
    decision = decide(reply, after)
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "CEASE-4")


# -- CEASE-1 / CEASE-5 scope ----------------------------------------------------------------------------------
def test_cease1_silent_without_a_cease():
    assert decide(attempt(), facts(), rules=only(*CEASE_RULES)).outcome == ALLOW


@pytest.mark.parametrize("purpose", ["collection", "verification", "marketing", "optout_confirm", "attorney_comm"])
def test_cease1_blocks_every_other_purpose(purpose):
    decision = decide(attempt(purpose=purpose), facts(ceased()), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK and decision.issue("CEASE-1").severity == BLOCK


def test_cease1_refusal_to_pay_and_oral_cease_block_too():
    for cease in (Cease(received_at=at("2026-07-10T14:00Z"), type="refuse_to_pay"),
                  Cease(received_at=at("2026-07-10T14:00Z"), written=False, channel="voice")):
        assert decide(attempt(), facts(debtor(ceases=(cease,))), rules=only("CEASE-1")).outcome == BLOCK


def test_cease1_privacy_answer_passes():
    decision = decide(attempt(channel="email", purpose="privacy_response"), facts(ceased()), rules=only(*CEASE_RULES))
    assert decision.outcome == ALLOW


def test_cease5_cease_naming_this_debt_covers_it():
    d = debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z"), account_id=ACCOUNT_ID),))
    assert decide(attempt(), facts(d), rules=only(*CEASE_RULES)).outcome == BLOCK


def test_cease5_cease_naming_another_debt_does_not_cover_this_one():
    d = debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z"), account_id=OTHER_ACCOUNT),))
    decision = decide(attempt(), facts(d), rules=only(*CEASE_RULES))
    assert decision.outcome == ALLOW
    assert decision.issue("CEASE-5").severity == INFO
    assert decision.issue("CEASE-1") is None


def test_cease5_cease_naming_no_debt_covers_every_debt():
    d = debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z"), account_id=None),),
               account_id=OTHER_ACCOUNT)
    decision = decide(attempt(account_id=OTHER_ACCOUNT), facts(d), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK and decision.issue("CEASE-5") is None


# -- CEASE-2 --------------------------------------------------------------------------------------------------
def test_cease2_notice_without_template_is_blocked():
    decision = decide(cease_notice(template=None), facts(ceased()), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK and decision.issue("CEASE-2").severity == BLOCK


def test_cease2_template_of_another_purpose_is_blocked():
    decision = decide(cease_notice(template="cease_remedy_may"), facts(ceased()), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK


def test_cease2_template_variant_is_accepted():
    decision = decide(cease_notice(purpose="cease_remedy_intends", template="cease_remedy_intends:es"),
                      facts(ceased()), rules=only(*CEASE_RULES))
    assert decision.outcome == ALLOW


def test_cease2_silent_without_a_cease():
    decision = decide(cease_notice(template=None), facts(), rules=only(*CEASE_RULES))
    assert decision.issue("CEASE-2") is None


# -- CEASE-3 --------------------------------------------------------------------------------------------------
def test_cease3_request_made_before_the_cease_does_not_count():
    d = ceased(receipt_requests=(("req-0", at("2026-07-09T14:00Z")),))
    assert decide(receipt("req-0"), facts(d), rules=only("CEASE-3")).outcome == BLOCK


def test_cease3_request_id_must_match():
    d = ceased(receipt_requests=(("req-1", at("2026-07-20T14:55Z")),))
    assert decide(receipt("req-2"), facts(d), rules=only("CEASE-3")).outcome == BLOCK


def test_cease3_one_receipt_per_request():
    d = ceased(receipt_requests=(("req-1", at("2026-07-20T14:55Z")),))
    sent = Outbound(channel="email", sent_at=at("2026-07-20T14:56Z"), kind="transactional", purpose="receipt",
                    consumer_request_id="req-1")
    decision = decide(receipt("req-1"), facts(d, history=History(outbound=(sent,))), rules=only("CEASE-3"))
    assert decision.outcome == BLOCK


def test_cease3_receipt_with_a_balance_push_is_blocked():
    d = ceased(receipt_requests=(("req-1", at("2026-07-20T14:55Z")),))
    body = RECEIPT_BODY.replace("R-1001.", "R-1001. Your remaining balance is $362.50.")
    assert decide(receipt("req-1", body=body), facts(d), rules=only("CEASE-3")).outcome == BLOCK


def test_cease3_whatsapp_receipt_is_blocked():
    d = ceased(receipt_requests=(("req-1", at("2026-07-20T14:55Z")),))
    assert decide(receipt("req-1", channel="whatsapp"), facts(d), rules=only("CEASE-3")).outcome == BLOCK


def test_cease3_silent_without_a_cease():
    assert decide(receipt(), facts(), rules=only(*CEASE_RULES)).outcome == ALLOW


# -- CEASE-4 --------------------------------------------------------------------------------------------------
def test_cease4_candidate_blocks_collection():
    d = debtor(cease_candidate_at=at("2026-07-15T14:00Z"))
    decision = decide(attempt(), facts(d), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK and decision.issue("CEASE-4").severity == BLOCK


def test_cease4_candidate_lets_the_acknowledgement_template_through():
    d = debtor(cease_candidate_at=at("2026-07-15T14:00Z"))
    decision = decide(cease_notice(), facts(d), rules=only(*CEASE_RULES))
    assert decision.outcome == ALLOW


def test_cease4_candidate_still_needs_the_template():
    d = debtor(cease_candidate_at=at("2026-07-15T14:00Z"))
    decision = decide(cease_notice(template="free text"), facts(d), rules=only(*CEASE_RULES))
    assert decision.outcome == BLOCK and decision.issue("CEASE-2").severity == BLOCK


def test_cease4_silent_without_a_candidate():
    assert decide(attempt(), facts(), rules=only("CEASE-4")).issue("CEASE-4") is None
