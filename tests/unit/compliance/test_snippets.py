"""Approved texts, their detectors and the footer the pipeline appends (app/services/compliance/snippets.py)."""
import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.compliance import snippets
from app.services.compliance.decision import REQUIRE_CONTENT
from app.services.compliance.facts import History, Itemization, Validation
from app.services.compliance.gate import decide
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import at, attempt, debtor, facts, policy

ITEMIZED = Itemization(date=dt.date(2026, 3, 31), date_type="charge-off date", amount=Decimal("1250.00"),
                       interest=Decimal("12.40"), fees=Decimal("25.00"), payments_credits=Decimal("100.00"))
F = facts(debtor(itemization=ITEMIZED, balance=Decimal("1187.40")), policy(ca_license_no="10059-99"))
APPENDABLE = [i for i in snippets.ORDER]
ON = dt.date(2026, 7, 15)


@pytest.mark.parametrize("item", APPENDABLE + ["validation_notice"])
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_rendered_item_is_present_in_its_own_language(item, language, channel):
    text = snippets.render(item, F, language=language, channel=channel, provided_on=ON)
    assert text
    assert snippets.present(item, text, F, language=language, channel=channel, provided_on=ON)


LANGUAGE_BOUND = ["mini_miranda_initial", "debt_collector_disclosure", "opt_out_notice", "validation_summary",
                  "ca_1812_700_notice", "time_barred_notice_ca", "time_barred_notice_ny", "time_barred_notice_nyc",
                  "validation_notice"]


@pytest.mark.parametrize("item", LANGUAGE_BOUND)
def test_spanish_text_counts_only_for_spanish_messages(item):
    es = snippets.render(item, F, language="es", channel="sms", provided_on=ON)
    en = snippets.render(item, F, language="en", channel="sms", provided_on=ON)
    assert not snippets.present(item, es, F, language="en", channel="sms", provided_on=ON)
    assert not snippets.present(item, en, F, language="es", channel="sms", provided_on=ON)


@pytest.mark.parametrize("variant", [
    "this is an attempt to collect a debt, and any information obtained will be used for that purpose",
    "THIS IS AN ATTEMPT TO COLLECT A DEBT.\n\nANY   INFORMATION OBTAINED WILL BE USED FOR THAT PURPOSE!",
])
def test_detection_tolerates_case_whitespace_punctuation(variant):
    assert snippets.present("mini_miranda_initial", variant, F, language="en")


@pytest.mark.parametrize("almost", [
    "This is an attempt to collect a debt.",  # half of it
    "This is an attempt to collect money. Any information obtained will be used for that purpose.",
])
def test_detection_is_exact_in_substance(almost):
    assert not snippets.present("mini_miranda_initial", almost, F, language="en")


def test_spanish_detection_tolerates_missing_accents():
    assert snippets.present("debt_collector_disclosure", "Esta comunicacion proviene de un cobrador de deudas",
                            F, language="es")


@pytest.mark.parametrize("text, ok", [
    ("This communication is from a debt collector.", True),
    ("This message is from a debt collector.", True),
    ("This is not a debt collector, just a friendly reminder.", False),
    ("This communication is not from a debt collector.", False),
])
def test_debt_collector_disclosure_detector(text, ok):
    assert snippets.present("debt_collector_disclosure", text, F, language="en") is ok


@pytest.mark.parametrize("text, channel, ok", [
    ("Reply STOP to opt out.", "sms", True),
    ("Text STOP to unsubscribe", "whatsapp", True),
    ("To stop emails, reply STOP or unsubscribe: https://pay.example.com/u/abc", "email", True),
    ("Unsubscribe: https://pay.example.com/preferences", "email", True),
    ("Unsubscribe at our website.", "email", False),  # a website visit with no link (OPT-6)
    ("Unsubscribe: https://pay.example.com/preferences", "sms", False),
    ("Call us to opt out.", "sms", False),
])
def test_opt_out_notice_detector(text, channel, ok):
    assert snippets.present("opt_out_notice", text, F, language="en", channel=channel) is ok


def test_email_opt_out_links_to_the_portal_preferences_or_says_reply_stop():
    with_portal = snippets.render("opt_out_notice", F, language="en", channel="email")
    assert "https://pay.example.com/preferences" in with_portal
    bare = facts(policy_=policy(portal_url=None))
    plain = snippets.render("opt_out_notice", bare, language="en", channel="email")
    assert plain == "To stop these emails, reply STOP."
    assert snippets.render("opt_out_notice", F, language="es", channel="sms") == "Responda STOP para cancelar."


def test_collector_name_accepts_true_name_or_dba_only():
    f = facts(policy_=policy(dba="Acme Pay"))
    assert snippets.present("collector_name", "ACME RECOVERY: hi", f, language="en")
    assert snippets.present("collector_name", "acme pay: hi", f, language="en")
    assert not snippets.present("collector_name", "Acme: hi", f, language="en")


def test_validation_summary_is_the_prd_block_with_this_accounts_facts():
    text = snippets.render("validation_summary", F, language="en", channel="sms")
    assert "Original creditor: First Bank" in text and "Amount owed: $1,187.40" in text
    assert "https://pay.example.com" in text
    assert snippets.DISPUTE_RIGHT["en"] in text
    other_amount = text.replace("$1,187.40", "$1,100.00")
    assert not snippets.present("validation_summary", other_amount, F, language="en")
    no_link = text.replace("https://pay.example.com", "our website")
    assert not snippets.present("validation_summary", no_link, F, language="en")


def test_amounts_match_with_or_without_thousands_separator():
    text = snippets.render("validation_summary", F, language="en", channel="sms").replace("$1,187.40", "$1187.40")
    assert snippets.present("validation_summary", text, F, language="en")


def test_mvn_itemization_names_defaulted_values():
    f = facts(debtor(itemization=replace(ITEMIZED, amount=None, defaulted=frozenset({"date"}))))
    text = snippets.render("mvn_itemization", f, language="en")
    assert "Default values used for: date, amount." in text and "you owed: $412.50" in text
    assert snippets.present("mvn_itemization", text, f, language="en")
    assert not snippets.present("mvn_itemization", text.replace(" Default values used for: date, amount.", ""), f,
                                language="en")


def test_period_end_part_uses_the_stored_date_else_valid5():
    stored = facts(debtor(itemization=ITEMIZED))  # builders store 2026-06-08
    assert "June 8, 2026" in snippets.render("mvn_period_end", stored, language="en")
    fresh = facts(debtor(itemization=ITEMIZED, validation=Validation()))
    assert "July 8, 2026" in snippets.render("mvn_period_end", fresh, language="en", provided_on=dt.date(2026, 6, 1))
    assert "8 de julio de 2026" in snippets.render("mvn_period_end", fresh, language="es",
                                                    provided_on=dt.date(2026, 6, 1))
    assert snippets.missing_data("mvn_period_end", fresh) is not None


def test_missing_data_renders_nothing():
    bare = facts(debtor(account_number=None), policy(dispute_address=None, ca_license_no=None))
    for item in ("mvn_itemization_date", "mvn_account", "mvn_dispute_address", "ca_license_no"):
        assert snippets.missing_data(item, bare) is not None
        assert snippets.render(item, bare, language="en") == ""
        assert not snippets.present(item, "anything", bare, language="en")


def test_ca_time_barred_notice_variants():
    reportable = snippets.render("time_barred_notice_ca", F, language="en")
    assert "Acme Recovery may report it to the credit reporting agencies" in reportable
    old = facts(debtor(past_credit_reporting_period=True))
    obsolete = snippets.render("time_barred_notice_ca", old, language="en")
    assert obsolete.endswith("we will not report it to any credit reporting agency.")
    assert not snippets.present("time_barred_notice_ca", reportable, old, language="en")
    continue_to = reportable.replace("may report", "may continue to report")
    assert snippets.present("time_barred_notice_ca", continue_to, F, language="en")


def test_unverified_texts_are_configurable_per_language():
    text = "Counsel-approved NY notice. It says what counsel wrote."
    f = facts(policy_=policy(snippet_texts={"time_barred_notice_ny:en": text}))
    assert snippets.render("time_barred_notice_ny", f, language="en") == text
    assert snippets.present("time_barred_notice_ny", text, f, language="en")
    assert not snippets.present("time_barred_notice_ny", snippets.TBD_NY["en"], f, language="en")
    assert snippets.render("time_barred_notice_ny", f, language="es") == snippets.TBD_NY["es"]
    verified = facts(policy_=policy(snippet_texts={"mini_miranda_initial:en": "anything"}))
    assert snippets.render("mini_miranda_initial", verified, language="en") == snippets.MINI_MIRANDA["en"]


def test_language_suffix_overrides_message_language():
    assert snippets.resolve("validation_notice_es", "en") == ("validation_notice", "es")
    assert snippets.resolve("opt_out_notice", "es-MX") == ("opt_out_notice", "es")
    assert snippets.resolve("opt_out_notice", "fr") == ("opt_out_notice", "en")
    es = snippets.render("validation_notice_es", F, language="en", provided_on=ON)
    assert "es un cobrador de deudas" in es


def test_footer_is_stable_deduplicated_and_skips_foreign_items():
    items = ("opt_out_notice", "redact_account_number", "debt_collector_disclosure", "collector_name",
             "opt_out_notice", "neutral_subject")
    text = snippets.footer(items, F, language="en", channel="sms")
    assert text == "From Acme Recovery.\nThis communication is from a debt collector.\nReply STOP to opt out."
    assert snippets.footer(reversed(items), F, language="en", channel="sms") == text


def test_footer_expands_the_notice_once():
    text = snippets.footer(("mvn_cfpb", "validation_notice", "mvn_cfpb"), F, language="en", channel="email",
                           provided_on=ON)
    assert text.count("cfpb.gov") == 1 and text.count("is a debt collector") == 1
    assert snippets.present("validation_notice", text, F, language="en", provided_on=ON)


def test_system_reply_templates():
    confirm = snippets.render("optout_confirmation", F, language="en", channel="sms")
    assert confirm == "Acme Recovery: You're unsubscribed from texts to this number. We will honor this request."
    help_text = snippets.render("help_reply", facts(policy_=policy(support_phone=None, support_email=None)),
                                language="en", channel="sms")
    assert "+12125550100" in help_text and "Msg&data rates may apply" in help_text
    optin = snippets.render("optin_confirmation", F, language="es", channel="sms")
    assert snippets.DEBT_COLLECTOR["es"] in optin and "Responda STOP" in optin


def test_neutral_subject_detector():
    assert snippets.present("neutral_subject", "An update on your account", F, language="en")
    assert not snippets.present("neutral_subject", "PAST DUE COLLECTION NOTICE", F, language="en")


def test_unknown_item_is_an_error():
    with pytest.raises(KeyError):
        snippets.render("nope", F, language="en")
    with pytest.raises(KeyError):
        snippets.present("nope", "", F, language="en")


def test_strip_approved_with_facts_removes_the_rendered_notice_lines():
    notice = snippets.render("validation_notice", F, language="en", provided_on=ON)
    body = f"Pay $99.99 today.\n{notice}"
    left = snippets.strip_approved(body, F)
    assert "$99.99" in left and "$100.00" not in left and "toward the debt" not in left
    assert "$100.00" in snippets.strip_approved(body)


def test_strip_approved_removes_the_notices_and_keeps_the_rest():
    body = f"Pay now or we sue. {snippets.ROSENTHAL['en']} {snippets.render('time_barred_notice_ca', F, language='en')}"
    left = snippets.strip_approved(body)
    assert "arrest" not in left and "sued" not in left and "Pay now or we sue." in left


# -- the round trip: REQUIRE_CONTENT + footer = nothing left to add ----------------------------------------------
MINE = ("optout", "consent", "state", "validation", "disclosures")
MY_RULES = [r for r in RULES if r.fn.__module__.rsplit(".", 1)[-1] in MINE]
MY_IDS = {r.id for r in MY_RULES}
PLACES = {"NY": dict(state="NY", zip="10001", city="New York"),
          "CA": dict(state="CA", zip="94103", city="San Francisco"),
          "TX": dict(state="TX", zip="75201", city="Dallas")}


@st.composite
def cases(draw):
    channel = draw(st.sampled_from(["sms", "whatsapp", "email", "web_chat"]))
    language = draw(st.sampled_from(["en", "es"]))
    initial = draw(st.booleans())
    place = draw(st.sampled_from(sorted(PLACES)))
    time_barred = draw(st.sampled_from(["true", "false", "unknown"]))
    validation = Validation() if initial else debtor().validation
    d = debtor(**PLACES[place], preferred_language=language, itemization=ITEMIZED, validation=validation,
               time_barred=time_barred, nyc=draw(st.booleans()) and place == "NY",
               whatsapp_last_inbound_at=at("2026-07-15T14:00Z"),
               past_credit_reporting_period=draw(st.booleans()))
    p = policy(ca_license_no=draw(st.sampled_from([None, "10059-99"])))
    body = draw(st.sampled_from(["Hi Ana, about your account.", "Hola Ana, sobre su cuenta.",
                                 "Acme Recovery: your plan is ready.", ""]))
    a = attempt(channel=channel, body=body, language=language, template="payment_reminder",
                to_address="ana.ruiz@example.com" if channel == "email" else "+12125550143" if channel != "web_chat"
                else None, purpose=draw(st.sampled_from(["collection", "validation_notice"])),
                attachments=draw(st.sampled_from([(), ("validation_notice_pdf",)])),
                recipient="debtor")
    if channel == "web_chat":
        d = replace(d, authenticated_addresses=frozenset())
    return a, facts(d, p, History())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_footer_satisfies_every_require_content_of_these_families(case):
    a, f = case
    first = decide(a, f, rules=MY_RULES)
    if first.outcome != REQUIRE_CONTENT:
        assert first.outcome != "allow" or not any(i.severity == REQUIRE_CONTENT for i in first.issues)
        return
    extra = snippets.footer(first.items, f, language=a.language, channel=a.channel, provided_on=a.now.date())
    second = decide(replace(a, body=f"{a.body}\n{extra}"), f, rules=MY_RULES)
    left = [i for i in second.issues if i.severity == REQUIRE_CONTENT and i.rule in MY_IDS]
    assert not left, (first.items, left)


def test_round_trip_reaches_allow_in_the_whole_gate_for_a_plain_later_sms():
    a = attempt(body="Acme Recovery: Hi Ana, a payment on your account is due.")
    first = decide(a, facts())
    assert first.outcome == REQUIRE_CONTENT and set(first.items) == {"debt_collector_disclosure", "opt_out_notice"}
    extra = snippets.footer(first.items, facts(), language="en", channel="sms")
    assert decide(replace(a, body=f"{a.body}\n{extra}"), facts()).outcome == "allow"
