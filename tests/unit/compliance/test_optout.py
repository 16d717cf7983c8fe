"""OPT-1..8: opt-outs across channels (D-3), confirmations, re-opt-in and HELP."""
import datetime as dt
from dataclasses import replace

import pytest

from app.services.compliance import snippets
from app.services.compliance.decision import ALLOW, BLOCK, INFO, REQUIRE_CONTENT
from app.services.compliance.facts import Consent, History, Inbound, OptOut, Outbound
from app.services.compliance.gate import decide
from app.services.compliance.keywords import classify
from app.services.compliance.registry import RULES
from tests.unit.compliance.builders import EMAIL, PHONE, at, attempt, debtor, email, facts, phone, policy

STOP_AT = "2026-07-14T15:00Z"
EMAIL_B = "ana.work.free@example.net"


def only(*ids):
    return [r for r in RULES if r.id in ids]


OPT = only("OPT-1", "OPT-2", "OPT-3", "OPT-4", "OPT-5", "OPT-6", "OPT-7", "OPT-8")


def inbound(text, when=STOP_AT, channel="sms", id="in-1", address=PHONE):
    return Inbound(id=id, channel=channel, received_at=at(when), body=text, address=address)


def opt_out_from(message, scope="all"):
    """What the inbound pipeline records for an opt-out text: built from keywords.classify."""
    result = classify(message.body)
    assert result.opt_out, message.body
    return OptOut(channel=message.channel, address=message.address, received_at=message.received_at,
                  effective_at=message.received_at, scope=scope, rule_id=result.rule, id=f"{message.id}:opt_out")


def opt_in_from(message):
    result = classify(message.body)
    assert result.opt_in, message.body
    return OptOut(channel=message.channel, address=message.address, received_at=message.received_at,
                  effective_at=message.received_at, action="opt_in", scope="channel", rule_id="OPT-7",
                  id=f"{message.id}:opt_in")


def history(*messages, outbound=(), optouts=()):
    """Inbound messages, with the opt-out / opt-in each one means."""
    records = list(optouts)
    for m in messages:
        r = classify(m.body)
        if r.opt_out:
            records.append(opt_out_from(m))
        elif r.opt_in:
            records.append(opt_in_from(m))
    return History(inbound=tuple(messages), optouts=tuple(records), outbound=tuple(outbound))


def rules_of(decision, severity=BLOCK):
    return {i.rule for i in decision.issues if i.severity == severity}


# -- scenarios 46-62 --------------------------------------------------------------------------------------------
def test_scenario_046_stop_with_period_blocks_later_sms():
    decision = decide(attempt(), facts(history=history(inbound("stop."))))
    assert decision.outcome == BLOCK and {"OPT-1", "OPT-5"} <= rules_of(decision)


def test_scenario_046_through_the_inbound_pipeline():
    from app.services.compliance.inbound import observe
    after = observe(facts(), inbound("stop."))
    decision = decide(attempt(), after)
    assert decision.outcome == BLOCK and {"OPT-1", "OPT-5"} <= rules_of(decision)


def test_scenario_047_stop_with_noise_and_emoji_blocks_later_sms():
    decision = decide(attempt(), facts(history=history(inbound("  STOP!!! 🙏"))))
    assert decision.outcome == BLOCK and "OPT-1" in rules_of(decision)


def test_scenario_048_stop_texting_me_please_blocks_later_sms():
    decision = decide(attempt(), facts(history=history(inbound("Stop texting me please"))))
    assert decision.outcome == BLOCK and "OPT-2" in rules_of(decision)


@pytest.mark.parametrize("word", ["ALTO", "PARAR", "CANCELAR", "no más"])
def test_scenario_049_spanish_opt_out_blocks_later_sms(word):
    decision = decide(attempt(), facts(history=history(inbound(word))))
    assert decision.outcome == BLOCK and "OPT-2" in rules_of(decision)


def test_scenario_050_please_dont_stop_is_not_an_opt_out():
    msg = inbound("please don't stop, send the payment link", when="2026-07-15T14:59Z")
    assert not classify(msg.body).opt_out and not classify(msg.body).uncertain
    d = debtor(authenticated_addresses=frozenset({PHONE}))
    reply = attempt(in_reply_to="in-1", kind="ai", portal_link=True,
                    body="Acme Recovery: here is your payment link: https://pay.example.com/p/7f3. "
                         "This communication is from a debt collector. Reply STOP to opt out.")
    decision = decide(reply, facts(d, history=history(msg)))
    assert decision.outcome == ALLOW
    assert not {i.rule for i in decision.issues if i.rule.startswith("OPT-")}


def confirmation(when, body=None, **changes):
    text = body or snippets.render("optout_confirmation", facts(), language="en", channel="sms")
    return attempt(when, body=text, purpose="optout_confirm", kind="system", in_reply_to="in-1", **changes)


def test_scenario_051_confirmation_at_night_within_5_minutes_is_allowed():
    stop = inbound("STOP", when="2026-07-16T03:40Z")  # 23:40 EDT
    text = "Acme Recovery: You're unsubscribed from texts to this number. We will honor this request."
    decision = decide(confirmation("2026-07-16T03:41Z", text), facts(history=history(stop)))
    assert decision.outcome == ALLOW, decision.issues
    assert decision.issue("OPT-4").severity == INFO


@pytest.mark.parametrize("extra", ["Reply START to resubscribe.", "Pay now: https://pay.example.com/p/1"])
def test_scenario_052_confirmation_with_extra_content_is_blocked(extra):
    stop = inbound("STOP", when="2026-07-16T03:40Z")
    text = f"Acme Recovery: You're unsubscribed from texts to this number. We will honor this request. {extra}"
    decision = decide(confirmation("2026-07-16T03:41Z", text), facts(history=history(stop)))
    assert decision.outcome == BLOCK and "OPT-4" in rules_of(decision)


def test_scenario_053_second_confirmation_is_blocked():
    stop = inbound("STOP", when="2026-07-15T14:58Z")
    first = Outbound("sms", at("2026-07-15T14:59Z"), purpose="optout_confirm", kind="system", address=PHONE,
                     in_reply_to="in-1")
    decision = decide(confirmation("2026-07-15T15:00Z"), facts(history=history(stop, outbound=(first,))))
    assert decision.outcome == BLOCK and "OPT-4" in rules_of(decision)
    assert "already" in decision.issue("OPT-4").detail


def test_scenario_054_confirmation_12_minutes_late_is_blocked():
    stop = inbound("STOP", when="2026-07-15T14:48Z")
    decision = decide(confirmation("2026-07-15T15:00Z"), facts(history=history(stop)))
    assert decision.outcome == BLOCK and "OPT-4" in rules_of(decision)
    assert "12 min" in decision.issue("OPT-4").detail


def test_scenario_055_start_reopts_in_confirmation_and_later_sms_allowed():
    stop = inbound("STOP", when="2026-07-10T15:00Z", id="in-1")
    start = inbound("START", when="2026-07-15T14:59Z", id="in-2")
    revoked = replace(phone(), sms_consent=replace(phone().sms_consent, revoked_at=at("2026-07-10T15:00Z")))
    f = facts(debtor(phones=(revoked,)), history=history(stop, start))
    text = snippets.render("optin_confirmation", f, language="en", channel="sms")
    confirm = attempt(body=text, purpose="optin_confirm", kind="system", in_reply_to="in-2")
    decision = decide(confirm, f)
    assert decision.outcome == ALLOW, decision.issues
    later = decide(attempt("2026-07-16T15:00Z"), f)
    assert later.outcome == ALLOW, later.issues
    assert later.issue("CONSENT-1").severity == INFO  # the START is the new consent record


def test_scenario_056_one_reply_to_a_question_after_opt_out_then_blocked():
    stop = inbound("STOP", when="2026-07-10T15:00Z", id="in-1")
    question = inbound("what's my balance?", when="2026-07-15T14:59Z", id="in-2")
    d = debtor(authenticated_addresses=frozenset({PHONE}))
    reply = attempt(in_reply_to="in-2", kind="ai", body="Acme Recovery: your balance is $412.50. This communication "
                                                         "is from a debt collector. Reply STOP to opt out.")
    decision = decide(reply, facts(d, history=history(stop, question)))
    assert decision.outcome == ALLOW, decision.issues
    assert decision.issue("OPT-5").severity == INFO
    next_day = decide(attempt("2026-07-16T15:00Z"), facts(d, history=history(stop, question)))
    assert next_day.outcome == BLOCK and {"OPT-1", "OPT-5"} <= rules_of(next_day)


def help_reply(when="2026-07-16T03:00:30Z", body=None, f=None):
    text = body or snippets.render("help_reply", f or facts(), language="en", channel="sms")
    return attempt(when, body=text, purpose="help_reply", kind="system", in_reply_to="in-9")


def test_scenario_057_help_at_night_gets_the_template():
    msg = inbound("HELP", when="2026-07-16T03:00Z", id="in-9")  # 23:00 EDT
    assert classify(msg.body).help
    decision = decide(help_reply(), facts(history=history(msg)))
    assert decision.outcome == ALLOW, decision.issues
    assert decision.issue("OPT-8").severity == INFO


def test_scenario_058_help_reply_with_debt_content_is_blocked():
    msg = inbound("HELP", when="2026-07-16T03:00Z", id="in-9")
    text = snippets.render("help_reply", facts(), language="en", channel="sms") + \
        " Regarding your past-due balance of $412."
    decision = decide(help_reply(body=text), facts(history=history(msg)))
    assert decision.outcome == BLOCK and "OPT-8" in rules_of(decision)


def test_scenario_059_email_saying_stop_texting_me_blocks_sms():
    mail = inbound("stop texting me", channel="email", address=EMAIL)
    decision = decide(attempt(), facts(history=history(mail)))
    assert decision.outcome == BLOCK and {"OPT-2", "OPT-3"} <= rules_of(decision)


def test_scenario_060_unsubscribe_from_one_address_blocks_every_automated_channel():
    unsubscribe = OptOut(channel="email", address=EMAIL, received_at=at(STOP_AT), effective_at=at(STOP_AT),
                         id="portal-1")
    d = debtor(emails=(email(), email(EMAIL_B)))
    f = facts(d, history=History(optouts=(unsubscribe,)))
    to_a = decide(attempt(channel="email"), f)
    to_b = decide(attempt(channel="email", to_address=EMAIL_B), f)
    sms = decide(attempt(), f)
    assert [x.outcome for x in (to_a, to_b, sms)] == [BLOCK, BLOCK, BLOCK]
    assert "OPT-5" in rules_of(to_a) and "OPT-3" in rules_of(to_b) and "OPT-3" in rules_of(sms)
    start = OptOut(channel="sms", address=PHONE, received_at=at("2026-07-15T14:00Z"),
                   effective_at=at("2026-07-15T14:00Z"), action="opt_in", id="in-5:opt_in")
    f2 = facts(d, history=History(optouts=(unsubscribe, start)))
    assert decide(attempt(), f2).outcome == ALLOW
    assert decide(attempt(channel="email"), f2).outcome == BLOCK


def test_scenario_061_email_without_opt_out_method_requires_it():
    body = ("Hi Ana,\n\nA payment on your account with Acme Recovery is due.\n\n"
            "This communication is from a debt collector.")
    decision = decide(attempt(channel="email", body=body), facts())
    assert decision.outcome == REQUIRE_CONTENT and decision.items == ("opt_out_notice",)
    assert decision.issue("OPT-6").items == ("opt_out_notice",)


def test_scenario_062_sms_without_reply_stop_requires_it():
    body = "Acme Recovery: Hi Ana, a payment on your account is due. This communication is from a debt collector."
    decision = decide(attempt(body=body), facts())
    assert decision.outcome == REQUIRE_CONTENT and decision.items == ("opt_out_notice",)
    assert decision.issue("OPT-6").severity == REQUIRE_CONTENT


# -- focused ---------------------------------------------------------------------------------------------------
def test_no_opt_out_no_issue():
    assert decide(attempt(), facts(history=history(inbound("what do I owe?"))), rules=OPT).issues == ()


def test_opt1_and_opt2_report_the_origin_of_the_opt_out():
    keyword = decide(attempt(), facts(history=history(inbound("STOP"))), rules=only("OPT-1", "OPT-2"))
    free = decide(attempt(), facts(history=history(inbound("no more texts"))), rules=only("OPT-1", "OPT-2"))
    assert rules_of(keyword) == {"OPT-1"} and rules_of(free) == {"OPT-2"}


def test_opt_out_on_whatsapp_blocks_email_under_d3():
    wa = inbound("STOP", channel="whatsapp")
    decision = decide(attempt(channel="email"), facts(history=history(wa)), rules=OPT)
    assert rules_of(decision) == {"OPT-1", "OPT-3"}


def test_opt_out_before_the_message_only():
    later_stop = inbound("STOP", when="2026-07-15T16:00Z")
    assert decide(attempt(), facts(history=history(later_stop)), rules=OPT).outcome == ALLOW


@pytest.mark.parametrize("channel", ["web_chat", "mail", "voice"])
def test_non_automated_channels_are_not_covered(channel):
    decision = decide(attempt(channel=channel), facts(history=history(inbound("STOP"))),
                      rules=only("OPT-1", "OPT-3", "OPT-5"))
    assert decision.outcome == ALLOW


def test_messages_to_the_attorney_are_not_the_debtors_opt_out():
    decision = decide(attempt(channel="email", recipient="attorney", to_address="counsel@law.example"),
                      facts(history=history(inbound("STOP"))), rules=OPT)
    assert decision.outcome == ALLOW


def test_portal_consent_after_the_opt_out_lifts_that_channel_only():
    portal = Consent(granted_at=at("2026-07-15T10:00Z"), method="portal", evidence="user-1")
    d = debtor(emails=(email(consent=portal),))
    f = facts(d, history=history(inbound("STOP")))
    assert decide(attempt(channel="email"), f, rules=OPT).outcome == ALLOW
    assert decide(attempt(), f, rules=OPT).outcome == BLOCK


def test_creditor_attestation_never_lifts_an_opt_out():
    attested = Consent(granted_at=at("2026-07-15T10:00Z"), method="creditor_attested", evidence="api-key-1")
    d = debtor(phones=(phone(sms_consent=attested),))
    assert decide(attempt(), facts(d, history=history(inbound("STOP"))), rules=OPT).outcome == BLOCK


def test_channel_scoped_opt_out_stays_on_its_channel():
    o = replace(opt_out_from(inbound("STOP")), scope="channel")
    f = facts(history=History(optouts=(o,)))
    assert decide(attempt(), f, rules=OPT).outcome == BLOCK
    assert decide(attempt(channel="email"), f, rules=OPT).outcome == ALLOW


def test_legally_required_notice_passes_an_opt_out():
    decision = decide(attempt(channel="email", purpose="verification"), facts(history=history(inbound("STOP"))),
                      rules=OPT)
    assert decision.outcome == ALLOW and decision.issue("OPT-5").severity == INFO


def test_reply_to_the_stop_itself_is_not_the_one_reply():
    decision = decide(attempt(in_reply_to="in-1"), facts(history=history(inbound("STOP", when="2026-07-15T14:59Z"))),
                      rules=OPT)
    assert decision.outcome == BLOCK


def test_only_one_reply_per_inbound():
    stop, question = inbound("STOP", id="in-1"), inbound("is this a scam?", when="2026-07-15T14:50Z", id="in-2")
    answered = Outbound("sms", at("2026-07-15T14:55Z"), in_reply_to="in-2", kind="ai", address=PHONE)
    decision = decide(attempt(in_reply_to="in-2"), facts(history=history(stop, question, outbound=(answered,))),
                      rules=OPT)
    assert decision.outcome == BLOCK and "already answered" in decision.issue("OPT-5").detail


def test_opt4_needs_an_opt_out_on_that_channel():
    decision = decide(confirmation("2026-07-15T15:00Z"), facts(), rules=OPT)
    assert decision.outcome == BLOCK and "no opt-out" in decision.issue("OPT-4").detail


def test_opt4_exactly_five_minutes_is_on_time():
    stop = inbound("STOP", when="2026-07-15T14:55Z")
    assert decide(confirmation("2026-07-15T15:00Z"), facts(history=history(stop)), rules=OPT).outcome == ALLOW
    late = decide(confirmation("2026-07-15T15:00:01Z"), facts(history=history(inbound("STOP", "2026-07-15T14:55Z"))),
                  rules=OPT)
    assert late.outcome == BLOCK


@pytest.mark.parametrize("extra", ["Your balance is $412.50.", "This communication is from a debt collector.",
                                   "Get a partner offer to boost your credit score!"])
def test_opt4_confirmation_carries_nothing_else(extra):
    stop = inbound("STOP", when="2026-07-15T14:58Z")
    text = snippets.render("optout_confirmation", facts(), language="en", channel="sms") + " " + extra
    assert decide(confirmation("2026-07-15T15:00Z", text), facts(history=history(stop)), rules=OPT).outcome == BLOCK


def test_opt4_brand_with_collection_in_its_name_is_not_debt_content():
    p = policy(business_name="Acme Collections")
    f = facts(policy_=p, history=history(inbound("STOP", when="2026-07-15T14:58Z")))
    text = snippets.render("optout_confirmation", f, language="en", channel="sms")
    assert decide(confirmation("2026-07-15T15:00Z", text), f, rules=OPT).outcome == ALLOW


def test_opt6_not_for_web_chat_nor_system_replies():
    bare = "Acme Recovery: hello. This communication is from a debt collector."
    assert decide(attempt(channel="web_chat", body=bare), facts(), rules=only("OPT-6")).issues == ()
    stop = inbound("STOP", when="2026-07-15T14:58Z")
    assert decide(confirmation("2026-07-15T15:00Z"), facts(history=history(stop)), rules=only("OPT-6")).issues == ()


def test_opt6_spanish_message_accepts_spanish_notice():
    body = "Acme Recovery: Hola Ana. Esta comunicación proviene de un cobrador de deudas. Responda STOP para cancelar."
    d = debtor(preferred_language="es")
    assert decide(attempt(body=body), facts(d), rules=only("OPT-6")).issues == ()


def test_opt7_needs_a_recorded_opt_in():
    confirm = attempt(body=snippets.render("optin_confirmation", facts(), language="en", channel="sms"),
                      purpose="optin_confirm", kind="system")
    decision = decide(confirm, facts(history=history(inbound("STOP"))), rules=OPT)
    assert decision.outcome == BLOCK and "OPT-7" in rules_of(decision)


def test_opt7_confirmation_must_carry_stop_and_disclosure():
    f = facts(history=history(inbound("STOP", when="2026-07-10T15:00Z"), inbound("START", "2026-07-15T14:59Z", id="2")))
    confirm = attempt(body="Acme Recovery: you're back in.", purpose="optin_confirm", kind="system")
    decision = decide(confirm, f, rules=OPT)
    assert decision.outcome == REQUIRE_CONTENT
    assert decision.issue("OPT-7").items == ("debt_collector_disclosure", "opt_out_notice")


def test_opt7_only_once():
    f = facts(history=history(inbound("STOP", when="2026-07-10T15:00Z"), inbound("START", "2026-07-15T14:50Z", id="2"),
                              outbound=(Outbound("sms", at("2026-07-15T14:51Z"), purpose="optin_confirm",
                                                 kind="system"),)))
    text = snippets.render("optin_confirmation", f, language="en", channel="sms")
    decision = decide(attempt(body=text, purpose="optin_confirm", kind="system"), f, rules=OPT)
    assert decision.outcome == BLOCK and "already" in decision.issue("OPT-7").detail


def test_opt8_must_answer_an_inbound():
    decision = decide(attempt(body=snippets.render("help_reply", facts(), language="en", channel="sms"),
                              purpose="help_reply", kind="system"), facts(), rules=OPT)
    assert decision.outcome == BLOCK


def test_opt8_template_elements_are_each_required():
    msg = inbound("HELP", when="2026-07-15T14:59Z", id="in-9")
    text = snippets.render("help_reply", facts(), language="en", channel="sms").replace(" Msg frequency varies.", "")
    decision = decide(help_reply("2026-07-15T15:00Z", text), facts(history=history(msg)), rules=OPT)
    assert decision.outcome == BLOCK and "message frequency" in decision.issue("OPT-8").detail


def test_opt8_d15_falls_back_to_the_messaging_number():
    bare = facts(policy_=policy(support_phone=None, support_email=None), history=history(
        inbound("HELP", when="2026-07-15T14:59Z", id="in-9")))
    text = snippets.render("help_reply", bare, language="en", channel="sms")
    assert decide(help_reply("2026-07-15T15:00Z", text, bare), bare, rules=OPT).outcome == ALLOW
    wrong = text.replace("+12125550100", "+13125550199")
    assert decide(help_reply("2026-07-15T15:00Z", wrong, bare), bare, rules=OPT).outcome == BLOCK


def test_opt8_spanish_template():
    msg = inbound("AYUDA", when="2026-07-15T14:59Z", id="in-9")
    text = snippets.render("help_reply", facts(), language="es", channel="sms")
    decision = decide(replace(help_reply("2026-07-15T15:00Z", text), language="es"), facts(history=history(msg)),
                      rules=OPT)
    assert decision.outcome == ALLOW, decision.issues


def test_the_block_holds_for_a_scheduled_send_too():
    a = attempt(scheduled_at=at("2026-07-20T15:00Z"))
    assert decide(a, facts(history=history(inbound("STOP"))), rules=OPT).outcome == BLOCK
    assert dt.timedelta(0) < a.scheduled_at - a.now
