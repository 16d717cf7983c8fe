"""DISC-1..4, TBD-2, STATE-CA-1/2: required disclosures as approved snippets."""
import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from app.services.compliance import snippets
from app.services.compliance.decision import ALLOW, REQUIRE_CONTENT, WARN
from app.services.compliance.facts import History, Itemization, Outbound, Validation
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import COMPLIANT_EMAIL, COMPLIANT_SMS, at, attempt, debtor, facts, policy

ITEMIZED = Itemization(date=dt.date(2026, 3, 31), date_type="charge-off date", amount=Decimal("412.50"))
CALIFORNIA = dict(state="CA", zip="94103", city="San Francisco")
CA_TIME = "2026-07-15T18:00Z"  # 11:00 PDT, 14:00 EDT (the 212 phone keeps New York a candidate zone)
FAMILY = [r for r in RULES if r.fn.__module__.endswith("rules.disclosures")]


def only(*ids):
    return [r for r in RULES if r.id in ids]


def rules_of(decision, severity=REQUIRE_CONTENT):
    return {i.rule for i in decision.issues if i.severity == severity}


# -- scenarios ----------------------------------------------------------------------------------------------------
def test_scenario_094_first_email_with_mvn_but_no_mini_miranda():
    f = facts(debtor(validation=Validation(), itemization=ITEMIZED))
    notice = snippets.render("validation_notice", f, language="en", channel="email", provided_on=dt.date(2026, 7, 15))
    body = f"Acme Recovery\n\n{notice}\n\n{snippets.render('opt_out_notice', f, language='en', channel='email')}"
    decision = decide(attempt(channel="email", body=body), f)
    assert decision.outcome == REQUIRE_CONTENT, decision.issues
    assert decision.items == ("mini_miranda_initial",) and rules_of(decision) == {"DISC-1"}


def test_scenario_097_later_sms_without_debt_collector_disclosure():
    body = "Acme Recovery: Hi Ana, a payment on your account is due. Reply STOP to opt out."
    decision = decide(attempt(body=body), facts())
    assert decision.outcome == REQUIRE_CONTENT and decision.items == ("debt_collector_disclosure",)
    assert rules_of(decision) == {"DISC-2"}


def test_scenario_098_spanish_sms_with_english_only_disclosures():
    f = facts(debtor(preferred_language="es"))
    body = ("Acme Recovery: Hola Ana, tiene un pago pendiente. This communication is from a debt collector. "
            "Reply STOP to opt out.")
    decision = decide(attempt(body=body), f)
    assert decision.outcome == REQUIRE_CONTENT, decision.issues
    assert rules_of(decision) == {"DISC-3"}
    assert decision.items == ("debt_collector_disclosure", "opt_out_notice")
    fixed = body + "\n" + snippets.footer(decision.items, f, language="es", channel="sms")
    assert "Esta comunicación proviene de un cobrador de deudas." in fixed
    assert decide(attempt(body=fixed), f).outcome == ALLOW


def test_scenario_108_first_written_notice_to_a_ca_address():
    d = debtor(**CALIFORNIA, validation=Validation(), itemization=ITEMIZED)
    f = facts(d, policy(ca_license_no="10059-99"))
    body = (f"Acme Recovery\n\n{snippets.MINI_MIRANDA['en']}\n\nYour validation notice is attached.\n\n"
            f"{snippets.render('opt_out_notice', f, language='en', channel='email')}")
    decision = decide(attempt(CA_TIME, channel="email", body=body, attachments=("validation_notice_pdf",)), f)
    assert decision.outcome == REQUIRE_CONTENT, decision.issues
    assert decision.items == ("ca_1812_700_notice", "ca_license_no")
    assert rules_of(decision) == {"STATE-CA-1", "STATE-CA-2"}


# -- DISC-1 / DISC-2 ------------------------------------------------------------------------------------------------
def test_disc1_only_for_the_initial_communication():
    assert decide(attempt(), facts(), rules=only("DISC-1")).issues == ()
    f = facts(debtor(validation=Validation()))
    assert decide(attempt(), f, rules=only("DISC-1")).issue("DISC-1").items == ("mini_miranda_initial",)
    body = COMPLIANT_SMS + " " + snippets.MINI_MIRANDA["en"]
    assert decide(attempt(body=body), f, rules=only("DISC-1")).issues == ()


def test_disc1_not_for_system_replies():
    f = facts(debtor(validation=Validation()))
    assert decide(attempt(purpose="help_reply", kind="system"), f, rules=only("DISC-1", "DISC-2")).issues == ()


def test_disc2_mini_miranda_alone_is_not_the_later_disclosure():
    body = "Acme Recovery: " + snippets.MINI_MIRANDA["en"] + " Reply STOP to opt out."
    assert decide(attempt(body=body), facts(), rules=only("DISC-2")).outcome == REQUIRE_CONTENT


@pytest.mark.parametrize("purpose, required", [
    ("optout_confirm", False), ("help_reply", False), ("optin_confirm", True), ("collection", True),
    ("receipt", True), ("verification", True),
])
def test_disc2_exemptions(purpose, required):
    decision = decide(attempt(body="Acme Recovery: hello.", purpose=purpose), facts(), rules=only("DISC-2"))
    assert (decision.outcome == REQUIRE_CONTENT) is required


def test_disc2_to_the_attorney_and_in_web_chat():
    a = attempt(channel="email", recipient="attorney", to_address="counsel@law.example", body="Counsel, see attached.")
    assert decide(a, facts(), rules=only("DISC-2")).outcome == REQUIRE_CONTENT
    assert decide(attempt(channel="web_chat", to_address=None, body="Hi"), facts(),
                  rules=only("DISC-2")).outcome == REQUIRE_CONTENT


# -- DISC-3 ----------------------------------------------------------------------------------------------------------
def test_disc3_quiet_for_english_and_for_spanish_in_spanish():
    assert decide(attempt(), facts(), rules=only("DISC-3")).issues == ()
    body = ("Acme Recovery: Hola Ana. Esta comunicación proviene de un cobrador de deudas. "
            "Responda STOP para cancelar.")
    assert decide(attempt(body=body, language="es"), facts(), rules=only("DISC-3")).issues == ()


def test_disc3_spanish_message_without_any_disclosure_is_disc2_and_opt6_not_disc3():
    decision = decide(attempt(body="Acme Recovery: Hola Ana.", language="es"), facts(),
                      rules=only("DISC-2", "DISC-3", "OPT-6"))
    assert rules_of(decision) == {"DISC-2", "OPT-6"}
    text = snippets.footer(decision.items, facts(), language="es", channel="sms")
    assert "Responda STOP para cancelar." in text and "cobrador de deudas" in text


def test_disc3_initial_spanish_message_needs_the_spanish_mini_miranda():
    f = facts(debtor(validation=Validation(), preferred_language="es"))
    body = "Acme Recovery: Hola Ana. " + snippets.MINI_MIRANDA["en"] + " Responda STOP para cancelar."
    decision = decide(attempt(body=body), f, rules=only("DISC-1", "DISC-3"))
    assert rules_of(decision) == {"DISC-3"} and decision.items == ("mini_miranda_initial",)


def test_disc3_language_without_approved_texts_warns():
    decision = decide(attempt(language="fr"), facts(), rules=only("DISC-3"))
    assert decision.outcome == ALLOW and decision.issue("DISC-3").severity == WARN


# -- DISC-4 ----------------------------------------------------------------------------------------------------------
def test_disc4_name_required_and_dba_accepted():
    body = "Hi Ana, a payment is due. This communication is from a debt collector. Reply STOP to opt out."
    assert decide(attempt(body=body), facts(), rules=only("DISC-4")).items == ("collector_name",)
    dba = facts(policy_=policy(dba="AcmePay"))
    assert decide(attempt(body="AcmePay: " + body), dba, rules=only("DISC-4")).issues == ()


def test_disc4_email_from_name_identifies_and_another_name_is_warned():
    body = COMPLIANT_EMAIL.replace(" with Acme Recovery", "")
    ok = decide(attempt(channel="email", body=body, from_name="Acme Recovery"), facts(), rules=only("DISC-4"))
    assert ok.issues == ()
    other = decide(attempt(channel="email", from_name="Billing Dept"), facts(), rules=only("DISC-4"))
    assert other.outcome == ALLOW and other.issue("DISC-4").severity == WARN


def test_disc4_business_without_a_name_is_a_setup_warning():
    decision = decide(attempt(), facts(policy_=policy(business_name="", dba=None)), rules=only("DISC-4"))
    assert decision.outcome == ALLOW and decision.issue("DISC-4").severity == WARN


# -- TBD-2 -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("place, nyc, items", [
    (CALIFORNIA, False, ("time_barred_notice_ca",)),
    (dict(state="NY", zip="10001"), False, ("time_barred_notice_ny",)),
    (dict(state="NY", zip="10001"), True, ("time_barred_notice_ny", "time_barred_notice_nyc")),
    (dict(state="TX", zip="75201"), False, None),
])
def test_tbd2_state_notices(place, nyc, items):
    f = facts(debtor(**place, nyc=nyc, time_barred="true"))
    decision = decide(attempt(CA_TIME, channel="email"), f, rules=only("TBD-2"))
    assert (decision.issue("TBD-2").items if items else decision.issues) == (items or ())
    if items:
        fixed = COMPLIANT_EMAIL + "\n\n" + snippets.footer(items, f, language="en", channel="email")
        assert decide(attempt(CA_TIME, channel="email", body=fixed), f, rules=only("TBD-2")).issues == ()


@pytest.mark.parametrize("time_barred, channel", [("unknown", "sms"), ("false", "sms"), ("true", "web_chat")])
def test_tbd2_not_triggered(time_barred, channel):
    f = facts(debtor(**CALIFORNIA, time_barred=time_barred))
    assert decide(attempt(CA_TIME, channel=channel), f, rules=only("TBD-2")).issues == ()


def test_tbd2_ca_notice_after_the_reporting_period():
    f = facts(debtor(**CALIFORNIA, time_barred="true", past_credit_reporting_period=True))
    reportable = snippets.render("time_barred_notice_ca", facts(debtor(**CALIFORNIA)), language="en")
    decision = decide(attempt(CA_TIME, body=COMPLIANT_SMS + " " + reportable), f, rules=only("TBD-2"))
    assert decision.issue("TBD-2").items == ("time_barred_notice_ca",)


# -- STATE-CA-1 / STATE-CA-2 ---------------------------------------------------------------------------------------
def test_ca1_only_the_first_written_notice():
    sent = Outbound("email", at("2026-07-01T18:00Z"), address="ana.ruiz@example.com")
    d = debtor(**CALIFORNIA, validation=Validation(initial_comm_at=at("2026-07-01T18:00Z"), method="sms_summary"))
    first = decide(attempt(CA_TIME, channel="email"), facts(d), rules=only("STATE-CA-1"))
    assert first.issue("STATE-CA-1").items == ("ca_1812_700_notice",)
    later = decide(attempt(CA_TIME, channel="email"), facts(d, history=History(outbound=(sent,))),
                   rules=only("STATE-CA-1"))
    assert later.issues == ()
    mailed = replace(d, validation=replace(d.validation, notice_sent_at=at("2026-07-02T18:00Z"), method="mail"))
    assert decide(attempt(CA_TIME, channel="email"), facts(mailed), rules=only("STATE-CA-1")).issues == ()


def test_ca1_not_for_texts_nor_other_states():
    d = debtor(**CALIFORNIA, validation=Validation())
    assert decide(attempt(CA_TIME), facts(d), rules=only("STATE-CA-1")).issues == ()
    ny = debtor(validation=Validation())
    assert decide(attempt(CA_TIME, channel="email"), facts(ny), rules=only("STATE-CA-1")).issues == ()


def test_ca1_spanish_message_needs_the_spanish_notice():
    d = debtor(**CALIFORNIA, validation=Validation(), preferred_language="es")
    f = facts(d)
    body = COMPLIANT_EMAIL + "\n" + snippets.ROSENTHAL["en"]
    assert decide(attempt(CA_TIME, channel="email", body=body), f, rules=only("STATE-CA-1")).outcome == REQUIRE_CONTENT
    body_es = COMPLIANT_EMAIL + "\n" + snippets.ROSENTHAL["es"]
    assert decide(attempt(CA_TIME, channel="email", body=body_es), f, rules=only("STATE-CA-1")).issues == ()


@pytest.mark.parametrize("channel", ["sms", "email", "web_chat", "whatsapp"])
def test_ca2_license_on_digital_messages_when_recorded(channel):
    d = debtor(**CALIFORNIA)
    with_license = facts(d, policy(ca_license_no="10059-99"))
    a = attempt(CA_TIME, channel=channel)
    assert decide(a, with_license, rules=only("STATE-CA-2")).issue("STATE-CA-2").items == ("ca_license_no",)
    assert decide(a, facts(d), rules=only("STATE-CA-2")).issues == ()  # D-15: nothing recorded, nothing required
    shown = replace(a, body=a.body + " CA Lic. #10059-99")
    assert decide(shown, with_license, rules=only("STATE-CA-2")).issues == ()


def test_ca2_system_replies_keep_their_template():
    f = facts(debtor(**CALIFORNIA), policy(ca_license_no="10059-99"))
    assert decide(attempt(CA_TIME, purpose="optout_confirm", kind="system"), f, rules=only("STATE-CA-2")).issues == ()


def test_family_is_quiet_on_a_consent_ok_message():
    assert decide(attempt(), facts(), rules=FAMILY).issues == ()
    assert decide(attempt(channel="email"), facts(), rules=FAMILY).issues == ()


def test_items_come_in_a_stable_order():
    f = facts(debtor(**CALIFORNIA, validation=Validation(), time_barred="true", preferred_language="en"),
              policy(ca_license_no="10059-99"))
    a = attempt(CA_TIME, channel="email", body="Hello")
    first = decide(a, f, rules=FAMILY).items
    again = decide(a, f, rules=list(reversed(FAMILY))).items
    assert first == again == ("mini_miranda_initial", "collector_name", "ca_1812_700_notice", "ca_license_no",
                              "time_barred_notice_ca")
    text = snippets.footer(first, f, language="en", channel="email")
    order = [text.index(s) for s in ("From Acme Recovery.", snippets.MINI_MIRANDA["en"], "The law limits",
                                     "The state Rosenthal", "California license number")]
    assert order == sorted(order)
