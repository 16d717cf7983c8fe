"""VALID-1..7: the validation notice, D-4 first contact by text, VALID-5 dates."""
import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from app.services.compliance import snippets
from app.services.compliance.decision import ALLOW, BLOCK, REQUIRE_CONTENT, WARN
from app.services.compliance.facts import Itemization, Validation
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from app.services.compliance.rules.validation import assumed_receipt, federal_holidays, period_end
from tests.unit.compliance.builders import at, attempt, debtor, facts, policy

ITEMIZED = Itemization(date=dt.date(2026, 3, 31), date_type="charge-off date", amount=Decimal("412.50"))
FIRST = Validation()  # nothing conveyed yet: the next message is the initial communication
VALID = [r for r in RULES if r.id.startswith("VALID-")]


def only(*ids):
    return [r for r in RULES if r.id in ids]


def rules_of(decision, severity=BLOCK):
    return {i.rule for i in decision.issues if i.severity == severity}


def initial_debtor(**changes):
    return debtor(validation=FIRST, itemization=ITEMIZED, **changes)


def sms_first_contact(f):
    """The D-4 text first contact: mini-Miranda, PRD 9.2.3 summary with the portal link, STOP."""
    return (f"Acme Recovery: Hi Ana.\n{snippets.MINI_MIRANDA['en']}\n"
            f"{snippets.render('validation_summary', f, language='en', channel='sms')}\nReply STOP to opt out.")


def email_notice(f, on, language="en", without=(), extra=""):
    """An initial email carrying the full notice in the body, minus the parts named in `without`."""
    parts = [snippets.render(p, f, language=language, channel="email", provided_on=on)
             for p in snippets.MVN_PARTS if p not in without]
    lang = snippets.lang_of(language)
    return "\n\n".join(["Acme Recovery", snippets.MINI_MIRANDA[lang], *parts, extra,
                        snippets.render("opt_out_notice", f, language=lang, channel="email")])


# -- scenarios ----------------------------------------------------------------------------------------------------
def test_scenario_095_first_contact_by_sms_with_and_without_the_disclosure():
    f = facts(initial_debtor())
    allowed = decide(attempt(body=sms_first_contact(f)), f)
    assert allowed.outcome == ALLOW, allowed.issues
    bare = decide(attempt(body="Acme Recovery: Hi Ana, please call us about your account. Reply STOP to opt out."), f)
    assert bare.outcome == REQUIRE_CONTENT
    assert set(bare.items) == {"mini_miranda_initial", "validation_summary"}
    assert {"VALID-2", "DISC-1"} <= rules_of(bare, REQUIRE_CONTENT)
    # the full notice is then due within 5 days (VALID-7)
    after = facts(debtor(validation=Validation(initial_comm_at=at("2026-07-15T15:00Z"), method="sms_summary")))
    assert decide(attempt("2026-07-21T15:00Z"), after).outcome == BLOCK


def test_scenario_096_first_email_with_mvn_missing_itemization_requires_those_fields():
    f = facts(initial_debtor())
    body = email_notice(f, dt.date(2026, 7, 15), without=("mvn_itemization_date", "mvn_itemization"))
    decision = decide(attempt(channel="email", body=body), f)
    assert decision.outcome == REQUIRE_CONTENT, decision.issues
    assert decision.issue("VALID-3").items == ("mvn_itemization_date", "mvn_itemization")
    assert decision.items == ("mvn_itemization_date", "mvn_itemization")


def test_scenario_099_spanish_preferred_initial_email_with_english_mvn_requires_the_spanish_mvn():
    f = facts(initial_debtor(preferred_language="es"))
    body = email_notice(f, dt.date(2026, 7, 15))
    decision = decide(attempt(channel="email", body=body, language="en"), f)
    assert decision.outcome == REQUIRE_CONTENT, decision.issues
    assert decision.issue("VALID-6").items == ("validation_notice_es",)
    spanish = email_notice(f, dt.date(2026, 7, 15), language="es")
    assert decide(attempt(channel="email", body=f"{body}\n\n{spanish}", language="en"), f,
                  rules=only("VALID-6")).issues == ()


def test_scenario_100_spanish_notice_after_the_spanish_offer_is_allowed():
    v = Validation(initial_comm_at=at("2026-07-01T15:00Z"), initial_had_validation=True,
                   notice_sent_at=at("2026-07-01T15:00Z"), method="email", period_end=dt.date(2026, 8, 8),
                   spanish_offer_included=True, spanish_requested_at=at("2026-07-14T15:00Z"),
                   esign_consent_at=at("2026-07-01T15:00Z"))
    f = facts(debtor(validation=v, itemization=ITEMIZED))
    waiting = decide(attempt(), f, rules=only("VALID-6"))
    assert waiting.issue("VALID-6").severity == WARN
    parts = snippets.render("validation_notice", f, language="es", channel="email")
    body = "\n\n".join(["Acme Recovery", snippets.DEBT_COLLECTOR["es"], parts,
                        snippets.render("opt_out_notice", f, language="es", channel="email")])
    decision = decide(attempt(channel="email", purpose="validation_notice", language="es", body=body,
                              subject="Aviso de validación"), f)
    assert decision.outcome == ALLOW, decision.issues
    english = decide(attempt(channel="email", purpose="validation_notice", language="en", body=email_notice(
        f, None)), f, rules=only("VALID-6"))
    assert english.outcome == REQUIRE_CONTENT and english.issue("VALID-6").items == ("validation_notice_es",)


def test_scenario_101_mvn_emailed_monday_june_1_ends_july_8():
    assert assumed_receipt(dt.date(2026, 6, 1)) == dt.date(2026, 6, 8)
    assert period_end(dt.date(2026, 6, 1)) == dt.date(2026, 7, 8)
    f = facts(initial_debtor())
    on = dt.date(2026, 6, 1)
    body = email_notice(f, on)
    assert "July 8, 2026" in body
    decision = decide(attempt("2026-06-01T15:00Z", channel="email", body=body), f)
    assert decision.outcome == ALLOW, decision.issues
    wrong = decide(attempt("2026-06-01T15:00Z", channel="email", body=body.replace("July 8, 2026", "July 1, 2026")), f)
    assert wrong.outcome == REQUIRE_CONTENT and wrong.issue("VALID-3").items == ("mvn_period_end",)


def test_scenario_102_no_notice_by_day_5_blocks_collection():
    v = Validation(initial_comm_at=at("2026-06-01T14:00Z"), initial_had_validation=False)
    decision = decide(attempt("2026-06-07T15:00Z"), facts(debtor(validation=v)))
    assert decision.outcome == BLOCK and "VALID-7" in rules_of(decision)


def test_scenario_103_path_b_email_notice_without_esign_is_blocked():
    v = Validation(initial_comm_at=at("2026-07-10T15:00Z"), initial_had_validation=False)
    f = facts(debtor(validation=v, itemization=ITEMIZED))
    notice = attempt("2026-07-13T15:00Z", channel="email", purpose="validation_notice",
                     attachments=("validation_notice_pdf",))
    decision = decide(notice, f)
    assert decision.outcome == BLOCK and "VALID-4" in rules_of(decision)
    with_consent = replace(v, esign_consent_at=at("2026-07-11T15:00Z"))
    assert decide(notice, facts(debtor(validation=with_consent, itemization=ITEMIZED)),
                  rules=only("VALID-4")).issues == ()


# -- VALID-5 dates --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year, holiday", [
    (2026, dt.date(2026, 7, 3)),  # July 4 is a Saturday: observed Friday
    (2027, dt.date(2027, 7, 5)),  # July 4 is a Sunday: observed Monday
    (2021, dt.date(2021, 12, 31)),  # 1 January 2022 is a Saturday
    (2026, dt.date(2026, 11, 26)),  # Thanksgiving: fourth Thursday
    (2026, dt.date(2026, 5, 25)),  # Memorial Day: last Monday
    (2030, dt.date(2030, 1, 21)),  # MLK day, any year
    (2026, dt.date(2026, 6, 19)),  # Juneteenth
])
def test_federal_holidays(year, holiday):
    assert holiday in federal_holidays(year)


def test_juneteenth_only_from_2021():
    assert dt.date(2020, 6, 19) not in federal_holidays(2020)


def test_period_end_skips_the_observed_holiday():
    # Wed 2026-07-01: Jul 2 (1), Jul 3 observed holiday, Jul 4-5 weekend, Jul 6-9 (2-5)
    assert assumed_receipt(dt.date(2026, 7, 1)) == dt.date(2026, 7, 9)
    assert period_end(dt.date(2026, 7, 1)) == dt.date(2026, 8, 8)


def test_period_end_over_thanksgiving():
    # Tue 2026-11-24: 25 (1), 26 holiday, 27 (2), 30 (3), Dec 1 (4), Dec 2 (5)
    assert period_end(dt.date(2026, 11, 24)) == dt.date(2027, 1, 1)


def test_valid5_warns_when_the_stored_end_is_too_early():
    v = Validation(initial_comm_at=at("2026-06-01T15:00Z"), initial_had_validation=True,
                   notice_sent_at=at("2026-06-01T15:00Z"), period_end=dt.date(2026, 7, 1))
    decision = decide(attempt(), facts(debtor(validation=v)), rules=only("VALID-5"))
    assert decision.issue("VALID-5").severity == WARN and "2026-07-08" in decision.issue("VALID-5").detail
    assert decide(attempt(), facts(), rules=only("VALID-5")).issues == ()


# -- VALID-2 / VALID-3 --------------------------------------------------------------------------------------------
def test_valid2_only_for_the_initial_communication():
    assert decide(attempt(), facts(), rules=only("VALID-2")).issues == ()


def test_valid2_email_with_the_pdf_attached():
    f = facts(initial_debtor())
    decision = decide(attempt(channel="email", attachments=("validation_notice_pdf",)), f, rules=only("VALID-2"))
    assert decision.issues == ()
    without = decide(attempt(channel="email"), f, rules=only("VALID-2"))
    assert without.issue("VALID-2").items == ("validation_notice",)


def test_valid2_portal_link_flag_counts_as_the_link():
    f = facts(initial_debtor())
    summary = snippets.render("validation_summary", f, language="en", channel="sms").replace(
        "\nYour full validation notice: https://pay.example.com", "")
    body = f"{snippets.MINI_MIRANDA['en']}\n{summary}"
    assert decide(attempt(body=body), f, rules=only("VALID-2")).outcome == REQUIRE_CONTENT
    assert decide(attempt(body=body, portal_link=True), f, rules=only("VALID-2")).issues == ()


def test_valid2_spanish_first_contact_needs_the_spanish_summary():
    f = facts(initial_debtor(preferred_language="es"))
    decision = decide(attempt(body=sms_first_contact(f)), f, rules=only("VALID-2"))
    assert decision.outcome == REQUIRE_CONTENT


def test_valid2_help_reply_is_not_an_initial_communication():
    f = facts(initial_debtor())
    assert decide(attempt(purpose="help_reply", kind="system"), f, rules=only("VALID-2", "VALID-3")).issues == ()


def test_valid3_with_pdf_names_missing_data():
    f = facts(debtor(validation=FIRST), policy(dispute_address=None))
    decision = decide(attempt(channel="email", attachments=("validation_notice_pdf",)), f, rules=only("VALID-3"))
    issue = decision.issue("VALID-3")
    assert issue.items == ("mvn_itemization_date", "mvn_itemization", "mvn_dispute_address")
    assert "D-15" in issue.detail and "D-12" in issue.detail


def test_valid3_complete_data_and_pdf_pass():
    f = facts(initial_debtor())
    a = attempt(channel="email", attachments=("validation_notice_pdf",))
    assert decide(a, f, rules=only("VALID-3")).issues == ()


def test_valid3_not_for_later_collection_messages():
    assert decide(attempt(channel="email"), facts(), rules=only("VALID-3")).issues == ()


# -- VALID-4 / VALID-7 ---------------------------------------------------------------------------------------------
def test_valid4_initial_email_needs_no_esign():
    f = facts(initial_debtor())
    a = attempt(channel="email", purpose="validation_notice", attachments=("validation_notice_pdf",))
    assert decide(a, f, rules=only("VALID-4")).issues == ()


def test_valid4_mail_is_fine():
    f = facts(debtor(itemization=ITEMIZED))
    a = attempt(channel="mail", to_address=None, purpose="validation_notice")
    assert decide(a, f, rules=only("VALID-4")).issues == ()


@pytest.mark.parametrize("changes, blocked", [
    (dict(), True),
    (dict(notice_sent_at=at("2026-06-04T15:00Z")), False),
    (dict(initial_had_validation=True), False),
])
def test_valid7_cases(changes, blocked):
    v = Validation(initial_comm_at=at("2026-06-01T14:00Z"), **changes)
    decision = decide(attempt("2026-06-07T15:00Z"), facts(debtor(validation=v)), rules=only("VALID-7"))
    assert (decision.outcome == BLOCK) is blocked


def test_valid7_waits_five_days_and_spares_other_purposes_and_paid_debts():
    v = Validation(initial_comm_at=at("2026-06-01T14:00Z"))
    rules = only("VALID-7")
    assert decide(attempt("2026-06-06T13:59Z"), facts(debtor(validation=v)), rules=rules).issues == ()
    assert decide(attempt("2026-06-06T14:00Z"), facts(debtor(validation=v)), rules=rules).outcome == BLOCK
    assert decide(attempt("2026-06-08T15:00Z", purpose="validation_notice"), facts(debtor(validation=v)),
                  rules=rules).issues == ()
    assert decide(attempt("2026-06-08T15:00Z"), facts(debtor(validation=v, status="paid")), rules=rules).issues == ()


def test_valid7_names_the_missing_dispute_address():
    v = Validation(initial_comm_at=at("2026-06-01T14:00Z"))
    decision = decide(attempt("2026-06-08T15:00Z"), facts(debtor(validation=v), policy(dispute_address=None)),
                      rules=only("VALID-7"))
    assert "D-15" in decision.issue("VALID-7").detail


def test_all_valid_rules_are_quiet_on_a_consent_ok_later_message():
    assert decide(attempt(), facts(), rules=VALID).issues == ()
