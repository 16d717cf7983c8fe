"""CONTENT-1..12, TBD-1, DISPUTE-3/5, PRIV-4: prohibited content blocks (never rewritten); sensitive numbers are
masked. Scenarios 73, 88-93, 106, 107, 109 of COMPLIANCE.md section 3 go through the whole gate."""
import datetime as dt
import string
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.compliance import snippets
from app.services.compliance.context import Context
from app.services.compliance.decision import BLOCK, REQUIRE_CONTENT
from app.services.compliance.facts import (
    Attorney, Cease, Dispute, History, Inbound, Validation,
)
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from app.services.compliance.rules import content
from app.services.compliance.rules.content import mask, pii_spans
from tests.unit.compliance.builders import PHONE, at, attempt, debtor, facts, policy
from tests.unit.compliance.test_lexicon import COMPLIANT

OURS = [r for r in RULES if r.fn.__module__ == content.__name__]
OUR_IDS = {r.id for r in OURS}
SMS_TAIL = " This communication is from a debt collector. Reply STOP to opt out."
EMAIL_TAIL = ("\n\nThis communication is from a debt collector.\n"
              "To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc")
SPANISH_TAIL = " Esta comunicación proviene de un cobrador de deudas. Responda STOP para cancelar."
IN_PERIOD = dt.date(2026, 8, 1)  # the attempts below go out 2026-07-15


def sms(text, **changes):
    return attempt(body=f"Acme Recovery: {text}{SMS_TAIL}", **changes)


def email(text, **changes):
    return attempt(channel="email", body=f"Hi Ana,\n\nAcme Recovery: {text}{EMAIL_TAIL}", **changes)


def in_period(**changes):
    v = debtor().validation
    return debtor(validation=replace(v, period_end=IN_PERIOD), **changes)


def issues(message, f=None):
    """Our rules only, so other families' verdicts do not blur what these tests check."""
    ctx = Context(message, f or facts())
    found = []
    for r in OURS:
        result = r.fn(ctx)
        found.extend(() if result is None else (result,) if not isinstance(result, (list, tuple)) else result)
    return found


def ids(message, f=None, severity=BLOCK):
    return {i.rule for i in issues(message, f) if i.severity == severity}


# -- scenarios (whole gate) -------------------------------------------------------------------------------------
def test_scenario_073_time_barred_remedy_notice_mentioning_suit_is_blocked():
    d = debtor(ceases=(Cease(received_at=at("2026-07-10T14:00Z"), channel="mail"),), time_barred="true",
               legal_action_approved=True)
    notice = email("the creditor may pursue remedies it ordinarily uses, such as filing suit.",
                   purpose="cease_remedy_may", template="cease_remedy_may", kind="agent", subject="About your account")
    decision = decide(notice, facts(d))
    assert decision.outcome == BLOCK
    assert decision.issue("TBD-1").severity == BLOCK  # the cease itself is CEASE-2's, judged by its own family


def test_scenario_088_ai_threat_to_sue_without_legal_approval_is_blocked():
    decision = decide(sms("If you don't pay we will sue you.", kind="ai"), facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-4").severity == BLOCK
    assert "CONTENT-4" in decision.issue("CONTENT-12").detail


def test_scenario_089_ai_you_will_be_arrested_is_blocked():
    decision = decide(sms("You will be arrested.", kind="ai"), facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-3").severity == BLOCK


def test_scenario_090_ai_your_wife_will_be_told_is_blocked():
    decision = decide(sms("Your wife will be told about this debt.", kind="ai"), facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-8").severity == BLOCK


def test_scenario_091_ai_masked_profanity_is_blocked():
    decision = decide(sms("Pay your f***ing bill.", kind="ai"), facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-2").severity == BLOCK


def test_scenario_092_ai_denying_it_is_a_debt_collector_is_blocked():
    # No disclosure in this body: DISC-2 (another family) asks for it too; CONTENT-5 is the block.
    draft = attempt(body="Acme Recovery: This is not a debt collector, just a friendly reminder. "
                         "Reply STOP to opt out.", kind="ai")
    decision = decide(draft, facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-5").severity == BLOCK


def test_scenario_093_ai_claiming_to_be_a_real_person_is_blocked():
    asked = Inbound(id="in-93", channel="sms", received_at=at("2026-07-15T14:59Z"), body="am I talking to a bot?",
                    address=PHONE)
    draft = sms("No, I'm a real person.", kind="ai", in_reply_to="in-93")
    decision = decide(draft, facts(history=History(inbound=(asked,))))
    assert decision.outcome == BLOCK
    issue = decision.issue("CONTENT-5")
    assert issue.severity == BLOCK and "claims to be human" in issue.detail


def test_scenario_106_pay_within_48_hours_or_we_escalate_inside_the_validation_period():
    decision = decide(sms("Pay within 48 hours or we escalate."), facts(in_period()))
    assert decision.outcome == BLOCK
    assert decision.issue("DISPUTE-3").severity == BLOCK
    assert decision.issue("CONTENT-4").severity == BLOCK


def test_scenario_107_ai_may_take_legal_action_on_time_barred_debt():
    decision = decide(sms("If you do not pay, we may take legal action.", kind="ai"),
                      facts(debtor(time_barred="true")))
    assert decision.outcome == BLOCK
    assert decision.issue("TBD-1").severity == BLOCK


def test_scenario_109_processing_fee_not_in_the_agreement_is_blocked():
    decision = decide(email("a $25 processing fee will be added to your payment."), facts())
    assert decision.outcome == BLOCK
    assert decision.issue("CONTENT-7").severity == BLOCK


# -- the compliant corpus produces no issue ---------------------------------------------------------------------
CORPUS_DEBTOR = debtor(plan_amounts=frozenset({Decimal("50.00"), Decimal("137.50")}),
                       recorded_payments=frozenset({Decimal("50.00")}))


def _spanish(text):
    return any(w in text for w in ("á", "é", "í", "ó", "ñ", "¿", " su ", " de ", "Hola", "Usted", "Sin ", "Llame"))


@pytest.mark.parametrize("kind", ["campaign", "agent", "ai"])
@pytest.mark.parametrize("period_end", [dt.date(2026, 6, 8), IN_PERIOD])
def test_compliant_corpus_produces_no_issue(kind, period_end):
    d = replace(CORPUS_DEBTOR, validation=replace(CORPUS_DEBTOR.validation, period_end=period_end))
    for text in COMPLIANT:
        message = attempt(body=text, kind=kind, language="es" if _spanish(text) else "en")
        assert issues(message, facts(d)) == [], text


def test_approved_notices_are_not_threats():
    rosenthal = snippets.ROSENTHAL["en"]  # speaks of "threats of violence or arrest" and "obscene language"
    assert issues(email(rosenthal), facts()) == []
    ca = snippets.TBD_CA["en"][0].format(collector="Acme Recovery")  # "we will not sue you"
    assert ids(email(ca), facts(debtor(time_barred="true"))) == set()
    ny = snippets.TBD_NY["en"]
    assert ids(email(ny), facts(debtor(time_barred="true"))) == set()


# -- CONTENT-1 / 2 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["We know where you live.", "Te vamos a golpear."])
def test_content_1_violence(text):
    assert "CONTENT-1" in ids(sms(text))


@pytest.mark.parametrize("text", ["Pay your f*cking bill.", "this is sh!t", "Pague, pendejo."])
def test_content_2_profanity_masked_and_spanish(text):
    assert "CONTENT-2" in ids(sms(text))


def test_content_1_and_2_leave_ordinary_reminders_alone():
    assert not {"CONTENT-1", "CONTENT-2"} & ids(sms("Hello Ana, we are here to help with your account."))


# -- CONTENT-3 ------------------------------------------------------------------------------------------------------
APPROVED = dict(legal_action_approved=True, time_barred="false")


def test_content_3_arrest_is_never_lawful_even_for_an_approved_agent():
    assert "CONTENT-3" in ids(sms("You will go to jail.", kind="agent"), facts(debtor(**APPROVED)))


def test_content_3_garnishment_needs_approval_and_a_human():
    text = "We will garnish your wages."
    assert "CONTENT-3" in ids(sms(text))
    assert "CONTENT-3" in ids(sms(text, kind="agent"))
    assert "CONTENT-3" not in ids(sms(text, kind="agent"), facts(debtor(**APPROVED)))
    assert "CONTENT-3" in ids(sms(text, kind="ai"), facts(debtor(**APPROVED)))
    assert "CONTENT-3" in ids(sms(text, kind="agent"), facts(debtor(legal_action_approved=True,
                                                                      time_barred="unknown")))


def test_content_3_spanish_seizure():
    assert "CONTENT-3" in ids(sms("Vamos a embargar su salario.", language="es"))
    assert "CONTENT-3" not in ids(sms("Sin embargo, puede pagar en línea.", language="es"))


# -- CONTENT-4 ------------------------------------------------------------------------------------------------------
def test_content_4_threat_blocks_campaigns_and_unapproved_agents():
    assert "CONTENT-4" in ids(sms("We will sue you."))
    assert "CONTENT-4" in ids(sms("We will sue you.", kind="agent"))


def test_content_4_approved_agent_on_a_live_debt_may_state_intended_action():
    assert "CONTENT-4" not in ids(sms("We will file a lawsuit.", kind="agent"), facts(debtor(**APPROVED)))


def test_content_4_time_barred_or_unknown_or_ai_always_blocks():
    for d, kind in ((debtor(legal_action_approved=True, time_barred="unknown"), "agent"),
                    (debtor(legal_action_approved=True, time_barred="true"), "agent"),
                    (debtor(**APPROVED), "ai")):
        assert "CONTENT-4" in ids(sms("We will file a lawsuit.", kind=kind), facts(d))


def test_content_4_approved_cease_remedy_template_may_name_the_remedy():
    notice = email("the creditor may pursue remedies it ordinarily uses, such as filing suit.",
                   purpose="cease_remedy_may", template="cease_remedy_may")
    assert "CONTENT-4" not in ids(notice, facts(debtor(**APPROVED)))
    assert "CONTENT-4" in ids(replace(notice, template=None), facts(debtor(**APPROVED)))


def test_content_4_spanish_threat():
    assert "CONTENT-4" in ids(sms("Iniciaremos una demanda en su contra.", language="es"))


# -- CONTENT-5 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "This is the IRS.", "We are the law office of Smith.", "This is Experian.", "This isn't a debt collector.",
    "I am not a bot.", "No soy un robot, soy una persona real.",
])
def test_content_5_false_identity(text):
    assert "CONTENT-5" in ids(sms(text))


def test_content_5_claiming_to_be_human_blocks_an_agent_too():
    issue = next(i for i in issues(sms("I'm a real person, not a machine.", kind="agent")) if i.rule == "CONTENT-5")
    assert issue.severity == BLOCK and "human" in issue.detail


def test_content_5_a_law_firm_may_say_it_is_one():
    firm = facts(policy_=policy(business_name="Smith Law Group"))
    assert "CONTENT-5" not in ids(sms("This is the law office of Smith Law Group."), firm)
    assert "CONTENT-5" in ids(sms("This is the law office of Smith Law Group."))


def test_content_5_offering_a_human_is_not_a_claim():
    assert "CONTENT-5" not in ids(sms("Want to talk to a real person? Reply AGENT.", kind="ai"))


# -- CONTENT-6 ------------------------------------------------------------------------------------------------------
def test_content_6_wrong_balance_blocks():
    issue = next(i for i in issues(sms("Your balance is $500.00.")) if i.rule == "CONTENT-6")
    assert "$500.00" in issue.detail


def test_content_6_values_on_the_record_pass():
    d = debtor(plan_amounts=frozenset({Decimal("137.50")}), recorded_payments=frozenset({Decimal("50")}))
    for text in ("Your balance is $412.50.", "3 payments of $137.50.", "Your payment of $50 was received.",
                 "After your $137.50 payment your balance will be $275.00."):
        assert "CONTENT-6" not in ids(sms(text), facts(d)), text


def test_content_6_an_amount_not_on_the_record_blocks():
    assert "CONTENT-6" in ids(sms("A payment of $75.00 is due."))


def test_content_6_a_plan_value_stated_as_the_balance_blocks():
    d = debtor(plan_amounts=frozenset({Decimal("50")}))
    assert "CONTENT-6" in ids(sms("You owe $50.00."), facts(d))


def test_content_6_skips_the_debtors_own_offer():
    assert "CONTENT-6" not in ids(sms("You offered to pay $30 a month; we will review it."))


def test_content_6_ambiguous_format_blocks():
    assert "CONTENT-6" in ids(sms("Your balance is $1.200."), facts(debtor(balance=Decimal("1200"))))


def test_content_6_ledger_receipt_checks_recorded_payments_when_known():
    receipt = email("we received $50.00 on 2026-07-20.", kind="transactional", purpose="receipt")
    assert "CONTENT-6" not in ids(receipt)
    assert "CONTENT-6" in ids(receipt, facts(debtor(recorded_payments=frozenset({Decimal("60")}))))


# -- CONTENT-7 ------------------------------------------------------------------------------------------------------
def test_content_7_authorized_fee_passes():
    d = debtor(authorized_fees=frozenset({Decimal("25")}))
    assert "CONTENT-7" not in ids(email("a $25 processing fee applies to card payments."), facts(d))


def test_content_7_unauthorized_fee_and_spanish_fee():
    assert "CONTENT-7" in ids(email("a $5 convenience fee applies."))
    assert "CONTENT-7" in ids(sms("Se aplicará un cargo por procesamiento de $25.", language="es"))


def test_content_7_fee_named_without_amount_blocks_when_none_is_authorized():
    assert "CONTENT-7" in ids(sms("A convenience fee applies to card payments."))
    d = debtor(authorized_fees=frozenset({Decimal("3")}))
    assert "CONTENT-7" not in ids(sms("A convenience fee applies to card payments."), facts(d))


def test_content_7_no_fee_is_not_a_fee():
    assert "CONTENT-7" not in ids(sms("There is no processing fee for paying online."))


# -- CONTENT-8 .. 11 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule_id,text,quiet", [
    ("CONTENT-8", "We will call your employer.", "Your employer is not contacted by us."),
    ("CONTENT-9", "Not paying this debt is a crime.", "If you think this is identity theft, tell us."),
    ("CONTENT-10", "You will be served with a summons.", "Your dispute was received."),
    ("CONTENT-11", "Send us a postdated check.", "We accept checks and cards."),
])
def test_content_8_to_11(rule_id, text, quiet):
    assert rule_id in ids(sms(text))
    assert rule_id not in ids(sms(quiet))


# -- TBD-1 ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("barred", ["true", "unknown"])
@pytest.mark.parametrize("text", ["We may take legal action.", "We will not sue you.", "This could go to court."])
def test_tbd_1_any_mention_of_suit_when_time_barred_or_unknown(barred, text):
    assert "TBD-1" in ids(sms(text, kind="agent"), facts(debtor(time_barred=barred, legal_action_approved=True)))


def test_tbd_1_does_not_apply_to_a_live_debt():
    assert "TBD-1" not in ids(sms("We will not sue you."), facts(debtor(time_barred="false")))


def test_tbd_1_still_reads_a_threat_next_to_a_disclosure():
    ca = snippets.TBD_CA["en"][0].format(collector="Acme Recovery")
    text = ca + " Because of the age of your debt, the creditor will sue you anyway."
    assert "TBD-1" in ids(email(text), facts(debtor(time_barred="true")))


# -- DISPUTE-3 / 5 --------------------------------------------------------------------------------------------------
def test_dispute_3_deadline_before_period_end_blocks():
    assert "DISPUTE-3" in ids(sms("Please pay $412.50 by July 20."), facts(in_period()))


def test_dispute_3_deadline_after_period_end_passes():
    assert "DISPUTE-3" not in ids(sms("Please pay $412.50 by August 15."), facts(in_period()))


def test_dispute_3_only_during_the_validation_period():
    assert "DISPUTE-3" not in ids(sms("You must pay now."))  # period ended 2026-06-08
    assert "DISPUTE-3" in ids(sms("You must pay now."), facts(in_period()))


def test_dispute_3_period_not_computed_counts_as_running():
    d = debtor(validation=Validation())
    assert "DISPUTE-3" in ids(sms("Disputing won't help you."), facts(d))


def test_dispute_3_spanish_and_futility():
    d = facts(in_period())
    assert "DISPUTE-3" in ids(sms("Pague antes del 20 de julio.", language="es"), d)
    assert "DISPUTE-3" in ids(sms("Disputing won't help you."), d)


def test_dispute_3_arrangement_reminders_may_name_their_date():
    reminder = sms("Your installment of $50.00: please pay by July 20.", kind="transactional")
    d = in_period(plan_amounts=frozenset({Decimal("50.00")}))
    assert "DISPUTE-3" not in ids(reminder, facts(d))
    assert "DISPUTE-3" in ids(replace(reminder, kind="campaign"), facts(d))


def test_dispute_3_period_end_is_read_in_the_consumers_time():
    # 2026-08-02T02:00Z is still Aug 1 in New York: the period (ending Aug 1) runs.
    message = sms("You must pay now.", now="2026-08-02T02:00Z")
    assert "DISPUTE-3" in ids(message, facts(in_period()))
    assert "DISPUTE-3" not in ids(replace(message, now=at("2026-08-02T05:00Z")), facts(in_period()))


def test_dispute_5():
    assert "DISPUTE-5" in ids(sms("If you don't dispute it, you admit you owe it."))
    assert "DISPUTE-5" not in ids(sms("If you do not dispute by July 8, we will assume our information is correct."))


# -- PRIV-4 ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,kind", [
    ("Your account ACME-000123 is past due.", "account number"),
    ("SSN on file: 123-45-6789.", "SSN-like number"),
    ("We have DOB 01/02/1980 on file.", "date of birth"),
    ("Card 4111111111111111 was declined.", "digit run"),
])
def test_priv_4_sensitive_numbers_require_redaction(text, kind):
    found = [i for i in issues(sms(text)) if i.rule == "PRIV-4"]
    assert found and found[0].severity == REQUIRE_CONTENT and found[0].items == ("redact",)
    assert kind in found[0].detail


@pytest.mark.parametrize("text", [
    "Your account ending in 0123 is past due.", "Call 1-800-555-0100 or (212) 555-0143.",
    "Mail: New York, NY 10001-1234.",
    "Pay at https://pay.example.com/u/12345678.", "Call +18005550100.",
])
def test_priv_4_leaves_last_four_phones_and_links_alone(text):
    assert "PRIV-4" not in ids(sms(text), severity=REQUIRE_CONTENT)


def test_priv_4_only_for_text_channels():
    assert "PRIV-4" not in ids(email("Your account ACME-000123 is past due."), severity=REQUIRE_CONTENT)


def test_mask_keeps_the_last_four():
    f = facts()
    assert mask("Account ACME-000123, SSN 123-45-6789.", f) == "Account ****-**0123, SSN ***-**-6789."
    assert mask("DOB: 01/02/1980", f) == "DOB: **/**/****"
    assert mask("Nothing here.", f) == "Nothing here."


_PII = st.lists(st.sampled_from(["ACME-000123", "acme000123", "123-45-6789", "123456789", "4111 1111 1111 1111",
                                 "DOB 1/2/1980", "born March 3, 1990", "1-800-555-0100", "$1234567", "0123",
                                 " ", "-", "x", ".", "\n"]) | st.text(alphabet=string.digits + " -/", max_size=12),
                max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PII)
def test_masking_is_idempotent_and_leaves_nothing_to_mask(text):
    f = facts()
    once = mask(text, f)
    assert mask(once, f) == once
    assert pii_spans(once, f) == []


# -- CONTENT-12 -----------------------------------------------------------------------------------------------------
def test_content_12_records_the_ai_verdict_and_only_for_the_ai():
    assert "CONTENT-12" in ids(sms("You will be arrested.", kind="ai"))
    assert "CONTENT-12" not in ids(sms("You will be arrested.", kind="agent"))
    assert "CONTENT-12" not in ids(sms("Your balance is $412.50.", kind="ai"))


@pytest.mark.parametrize("changes,state", [
    (dict(attorney=Attorney(name="J. Doe", address="1 Main St")), "attorney-represented"),
    (dict(attorney_pending_at=at("2026-07-14T15:00Z")), "attorney-represented"),
    (dict(ceases=(Cease(received_at=at("2026-07-10T14:00Z")),)), "cease on file"),
    (dict(cease_candidate_at=at("2026-07-14T15:00Z")), "cease candidate"),
    (dict(disputes=(Dispute(received_at=at("2026-07-01T15:00Z")),)), "dispute hold"),
    (dict(unverified_addresses=frozenset({PHONE})), "recipient unverified"),
    (dict(bankruptcy=True), "bankruptcy"),
])
def test_content_12_the_ai_never_writes_to_these_accounts(changes, state):
    found = [i for i in issues(sms("How can I help?", kind="ai"), facts(debtor(**changes))) if i.rule == "CONTENT-12"]
    assert found and any(state in i.detail for i in found)
    assert not [i for i in issues(sms("How can I help?", kind="agent"), facts(debtor(**changes)))
                if i.rule == "CONTENT-12"]


def test_content_12_a_cease_on_another_debt_does_not_stop_the_ai():
    import uuid
    other = Cease(received_at=at("2026-07-10T14:00Z"), account_id=uuid.UUID(int=99))
    assert "CONTENT-12" not in ids(sms("How can I help?", kind="ai"), facts(debtor(ceases=(other,))))


@pytest.mark.parametrize("text,changes,why", [
    ("Hi Ana, $412.50.", {}, "do not say which value"),
    ("Your first installment is $412.50.", {}, "installment"),
    ("Su saldo es de $1.200.", dict(language="es"), "two readings"),
    ("A convenience fee applies.", {}, "fee"),
    ("Bonjour, votre paiement est en retard.", dict(language="fr"), "language"),
    ("Рау уоur bill.", {}, "Latin script"),
])
def test_content_12_ambiguous_drafts_block(text, changes, why):
    d = debtor(authorized_fees=frozenset({Decimal("3")}), balance=Decimal("412.50"))
    found = [i for i in issues(sms(text, kind="ai", **changes), facts(d)) if i.rule == "CONTENT-12"]
    assert found and any(why in i.detail for i in found), found


# -- properties -----------------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["campaign", "agent", "ai", "transactional"]), st.sampled_from(["sms", "email"]))
def test_the_content_rules_never_raise(text, kind, channel):
    for issue in issues(attempt(body=text, kind=kind, channel=channel), facts(in_period(time_barred="unknown"))):
        assert issue.rule in OUR_IDS


BLOCKED = (
    ("If you don't pay we will sue you.", dict(kind="ai"), {}, "CONTENT-4"),
    ("You will be arrested.", {}, {}, "CONTENT-3"),
    ("Your wife will be told about this debt.", {}, {}, "CONTENT-8"),
    ("Pay your f***ing bill.", {}, {}, "CONTENT-2"),
    ("This is not a debt collector, just a friendly reminder.", {}, {}, "CONTENT-5"),
    ("No, I'm a real person.", dict(kind="ai"), {}, "CONTENT-5"),
    ("This adds a $25 processing fee.", {}, {}, "CONTENT-7"),
    ("Your balance is $999.00.", {}, {}, "CONTENT-6"),
    ("We may take legal action.", {}, dict(time_barred="true"), "TBD-1"),
    ("Failing to dispute is an admission that you owe the debt.", {}, {}, "DISPUTE-5"),
    ("Please send a postdated check.", {}, {}, "CONTENT-11"),
    ("You will receive a summons.", {}, {}, "CONTENT-10"),
    ("Not paying this debt is a crime.", {}, {}, "CONTENT-9"),
    ("We know where you live.", {}, {}, "CONTENT-1"),
    ("Pay within 48 hours.", {}, dict(validation=replace(debtor().validation, period_end=IN_PERIOD)), "DISPUTE-3"),
    ("Usted irá a la cárcel.", dict(language="es"), {}, "CONTENT-3"),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BLOCKED), st.sampled_from(COMPLIANT), st.booleans())
def test_adding_compliant_text_never_unblocks(blocked, sentence, before):
    text, message_changes, debtor_changes, rule_id = blocked
    f = facts(replace(CORPUS_DEBTOR, **debtor_changes))
    body = f"{sentence} {text}" if before else f"{text} {sentence}"
    assert rule_id in ids(attempt(body=body, **message_changes), f), body
