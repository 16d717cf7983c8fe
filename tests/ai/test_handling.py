"""Is each intent handled as PRD 9.3 and the issue say: who answers, who takes over and why, what is recorded?"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.services.ai import handling as h
from app.services.ai.labels import INTENTS
from app.services.payments.plan_policy import DEFAULTS, PlanPolicy


@pytest.fixture(autouse=True)
def _app_context():
    """Pure functions: no application or database."""
    yield


def test_every_intent_has_a_policy():
    assert set(h.POLICY) == set(INTENTS)
    for intent in INTENTS:
        plan = h.plan(intent, text="hello")
        assert isinstance(plan, h.Plan)
        assert plan.reply_key is None or plan.reply_key in h.REPLY_KEYS
        assert (plan.handoff_reason is not None) == plan.escalate, intent
    with pytest.raises(ValueError):
        h.plan("refund")


@pytest.mark.parametrize("intent, reply, escalate, stop", [
    ("payment_plan", h.PLAN_OPTIONS, False, False),
    ("hardship", h.HARDSHIP_OPTIONS, False, False),
    ("balance_inquiry", h.BALANCE, False, False),
    ("make_payment", h.PAY_LINK, False, False),
    ("dispute", h.DISPUTE, True, False),
    ("request_human", h.HANDOFF, True, False),
    ("hostile", h.HOSTILE, True, False),
    ("cease_contact", h.CEASE_ACK, False, True),
    ("attorney_represented", None, True, True),
    ("wrong_person", h.WRONG_PERSON, False, True),
    ("already_paid", h.ALREADY_PAID, True, False),
    ("workplace_objection", h.WORKPLACE, False, False),
    ("bankruptcy", None, True, True),
    ("other", h.OTHER, False, False),
])
def test_each_intent_is_handled_as_specified(intent, reply, escalate, stop):
    plan = h.plan(intent, text="ok", confidence=0.95)
    assert (plan.reply_key, plan.escalate, plan.stop_contact) == (reply, escalate, stop)


def test_attorney_contact_is_recorded_and_the_debtor_left_alone():
    plan = h.plan("attorney_represented",
                  text="My attorney is Jane Ortiz, call her at (212) 555-0188 or jortiz@OrtizLaw.com. Stop texting me")
    assert plan.reply_key is None and plan.stop_contact and plan.escalate
    assert "attorney" in plan.handoff_reason
    assert h.ATTORNEY_PENDING in plan.records
    assert h.record_values(plan.records, h.ATTORNEY_NAME) == ["Jane Ortiz"]
    assert h.record_values(plan.records, h.ATTORNEY_PHONE) == ["+12125550188"]
    assert h.record_values(plan.records, h.ATTORNEY_EMAIL) == ["jortiz@ortizlaw.com"]


@pytest.mark.parametrize("text, expected", [
    ("mi abogado es el Lic. Ramón Díaz, 305-555-0101", {"attorney_name": "Ramón Díaz",
                                                         "attorney_phone": "+13055550101"}),
    ("talk to my lawyer", {}),
    ("my lawyer will call you", {}),
    ("Lawyer: Mark O'Neil 1-646-555-0199", {"attorney_name": "Mark O'Neil", "attorney_phone": "+16465550199"}),
    ("email my counsel at legal@firm.example.com", {"attorney_email": "legal@firm.example.com"}),
])
def test_attorney_contact_parsing(text, expected):
    assert h.attorney_contact(text) == expected


def test_an_attorney_without_details_is_still_pending():
    plan = h.plan("attorney_represented", text="I have a lawyer now")
    assert plan.records == [h.ATTORNEY_PENDING]


def test_wrong_person_marks_the_address_and_asks_nothing_of_anyone():
    plan = h.plan("wrong_person", text="wrong number, don't know any Ana")
    assert plan.records == [h.ADDRESS_UNVERIFIED] and plan.stop_contact
    assert not plan.escalate and plan.reply_key == h.WRONG_PERSON
    legal = h.plan("wrong_person", text="wrong number. text again and I'll take you to court")
    assert legal.reply_key == h.WRONG_PERSON and legal.escalate and "court" in legal.handoff_reason


def test_cease_is_d17():
    """Immediate block, one acknowledgement, a manager's review; resolved rather than escalated."""
    plan = h.plan("cease_contact", text="stop contacting me you idiots", sentiment="hostile")
    assert plan.reply_key == h.CEASE_ACK and plan.stop_contact and not plan.escalate
    assert plan.records == [h.CEASE_CANDIDATE, h.MANAGER_REVIEW]


def test_bankruptcy_stops_collection_and_escalates():
    plan = h.plan("bankruptcy", text="I filed chapter 7 last month")
    assert plan.reply_key is None and plan.stop_contact and plan.escalate
    assert plan.records == [h.BANKRUPTCY] and "bankruptcy" in plan.handoff_reason


def test_workplace_objection_is_recorded():
    plan = h.plan("workplace_objection", text="don't call me at work")
    assert plan.records == [h.WORKPLACE_OBJECTION] and plan.reply_key == h.WORKPLACE and not plan.escalate


def test_already_paid_asks_for_proof_and_escalates_unless_the_ledger_has_it():
    text = "I already paid $150.00 on the 3rd"
    assert h.claimed_amounts(text) == [Decimal("150.00")]
    missing = h.plan("already_paid", text=text, payment_in_ledger=h.payment_in_ledger(text, [Decimal("90.00")]))
    assert (missing.reply_key, missing.escalate) == (h.ALREADY_PAID, True)
    assert missing.records == [f"{h.PAYMENT_CLAIM}:150.00"]
    found = h.plan("already_paid", text=text, payment_in_ledger=h.payment_in_ledger(text, [Decimal("150")]))
    assert (found.reply_key, found.escalate, found.handoff_reason) == (h.PAYMENT_FOUND, False, None)
    assert not h.payment_in_ledger("ya pagué", [Decimal("150")])  # no amount named: a person checks
    assert h.payment_in_ledger("ya pagué 150 dólares", [Decimal("150.00")])


def test_dispute_acknowledges_and_escalates():
    plan = h.plan("dispute", text="I don't owe this")
    assert plan.reply_key == h.DISPUTE and plan.escalate and plan.records == [h.DISPUTE_RECEIVED]


def test_hostile_is_logged_and_escalated_and_hostile_sentiment_overrides_a_calm_reply():
    plan = h.plan("hostile", text="you people are scum", sentiment="hostile")
    assert plan.reply_key == h.HOSTILE and plan.escalate and h.HOSTILE_LOGGED in plan.records
    angry = h.plan("balance_inquiry", text="how much do I owe, you vultures", sentiment="hostile")
    assert angry.reply_key == h.HOSTILE and angry.escalate and "Hostile tone" in angry.handoff_reason


def test_a_legal_mention_hands_off_whatever_the_intent():
    plan = h.plan("payment_plan", text="can I pay 100 a month or do I see you in court", confidence=0.99)
    assert plan.reply_key == h.HANDOFF and plan.escalate and "legal action" in plan.handoff_reason
    es = h.plan("make_payment", text="quiero pagar pero mi hermano dice que los voy a demandar", confidence=0.9)
    assert es.reply_key == h.HANDOFF and es.escalate


@pytest.mark.parametrize("confidence, escalate", [(0.69, True), (0.70, False), (0.95, False)])
def test_low_confidence_hands_off_fr_conv_022(confidence, escalate):
    plan = h.plan("other", text="??", confidence=confidence)
    assert plan.escalate is escalate
    if escalate:
        assert plan.reply_key == h.HANDOFF and "0.69" in plan.handoff_reason and "0.70" in plan.handoff_reason
    else:
        assert plan.reply_key == h.OTHER


def test_low_confidence_never_undoes_a_protective_intent():
    plan = h.plan("cease_contact", text="stop", confidence=0.4)
    assert plan.reply_key == h.CEASE_ACK and plan.stop_contact


def test_plan_requests_record_what_the_debtor_can_afford():
    assert h.plan("payment_plan", text="can I pay 100 a month?").records == [f"{h.AFFORDABLE}:100 monthly"]
    assert h.plan("hardship", text="perdí mi trabajo, solo puedo $50 cada quincena").records == \
        [f"{h.AFFORDABLE}:50 biweekly"]
    assert h.plan("payment_plan", text="can we set up a plan").records == []


def test_offer_uses_the_parsed_amount_and_falls_back_to_the_policys_frequency():
    start = dt.date(2026, 7, 15)
    monthly_only = PlanPolicy(frequencies=("monthly",))
    found = h.offer("I can do 40 a week", monthly_only, Decimal("1250.00"), start=start)
    assert found.frequency == "monthly" and found.affordable == Decimal("40")
    assert len(found.proposals) == 3 and all(p.frequency == "monthly" for p in found.proposals)
    none = h.offer("set me up a plan", DEFAULTS, Decimal("1250.00"), start=start)
    assert none.affordable is None and none.frequency == DEFAULTS.frequencies[0]
