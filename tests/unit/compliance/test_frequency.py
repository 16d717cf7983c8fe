"""FREQ-1..8 and the state caps: rolling windows over what counts (COMPLIANCE.md 1.11, 1.17, scenarios 28-44)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.compliance.decision import ALLOW, DEFER
from app.services.compliance.facts import Call, Email, History, Inbound, Outbound
from app.services.compliance.gate import decide
from app.services.compliance.rules.frequency import counted
from tests.unit.compliance.builders import EMAIL, PHONE, at, attempt, debtor, facts, phone, policy

H168 = dt.timedelta(hours=168)
TEMPLATE = dict(template="payment_reminder_v1")


def rules_of(decision, severity=None):
    return [i.rule for i in decision.issues if severity is None or i.severity == severity]


def assert_deferred(decision, until: dt.datetime | str, rule: str):
    until = at(until) if isinstance(until, str) else until
    assert decision.outcome == DEFER, decision
    assert decision.until == until
    assert decision.issue(rule) is not None and decision.issue(rule).until == until, decision.issues


def assert_allowed(decision, *absent: str):
    assert decision.outcome == ALLOW, decision
    for rule in absent:
        assert rule not in rules_of(decision), decision.issues


def sms(when: str, **changes) -> Outbound:
    return Outbound("sms", at(when), address=PHONE, **changes)


def mail(when: str, **changes) -> Outbound:
    return Outbound("email", at(when), address=EMAIL, **changes)


def wa(when: str, **changes) -> Outbound:
    return Outbound("whatsapp", at(when), address=PHONE, kind="campaign", **changes)


def sent(*outbound, inbound=(), calls=(), debtor_=None, policy_=None):
    return facts(debtor_, policy_, History(outbound=tuple(outbound), inbound=tuple(inbound), calls=tuple(calls)))


WA_DEBTOR = debtor(whatsapp_optin_at=at("2026-01-02T15:00Z"), whatsapp_last_inbound_at=at("2026-07-01T15:00Z"))
WA = debtor(state="WA", zip="98101", city="Seattle", phones=(phone("+12065550100"),),
            whatsapp_optin_at=at("2026-01-02T15:00Z"), whatsapp_last_inbound_at=at("2026-07-01T15:00Z"))
THREE_SMS = (sms("2026-07-13T14:00Z"), sms("2026-07-15T14:00Z"), sms("2026-07-17T14:00Z"))


# -- FREQ-2 / FREQ-8 (scenarios 28-30) -----------------------------------------------------------------------------
def test_scenario_028_fourth_sms_waits_until_the_oldest_expires():
    decision = decide(attempt("2026-07-20T13:59Z"), sent(*THREE_SMS))
    assert_deferred(decision, "2026-07-20T14:00Z", "FREQ-2")
    assert decision.counts["sms_168h"] == 3


def test_scenario_029_one_second_after_expiry_is_allowed():
    decision = decide(attempt("2026-07-20T14:00:01Z"), sent(*THREE_SMS))
    assert_allowed(decision, "FREQ-2")
    assert decision.counts["sms_168h"] == 2


def test_freq_8_a_message_stops_counting_exactly_168h_later():
    assert_allowed(decide(attempt("2026-07-20T14:00:00Z"), sent(*THREE_SMS)), "FREQ-2")
    late = decide(attempt(at("2026-07-20T14:00Z") - dt.timedelta(microseconds=1)), sent(*THREE_SMS))
    assert_deferred(late, "2026-07-20T14:00Z", "FREQ-2")


def test_scenario_030_windows_roll_and_never_reset_on_mondays():
    history = (sms("2026-07-16T15:00Z"), sms("2026-07-18T15:00Z"), sms("2026-07-19T15:00Z"))
    assert_deferred(decide(attempt("2026-07-20T15:00Z"), sent(*history)), "2026-07-23T15:00Z", "FREQ-2")


# -- FREQ-6: what counts (scenarios 31-34) -------------------------------------------------------------------------
def test_scenario_031_blocked_messages_do_not_count():
    history = (sms("2026-07-13T14:00Z"), sms("2026-07-14T14:00Z", decision="block", provider_status="queued"),
               sms("2026-07-15T14:00Z"))
    decision = decide(attempt("2026-07-16T14:00Z"), sent(*history))
    assert_allowed(decision, "FREQ-2", "FREQ-5")
    assert decision.counts["sms_168h"] == 2


def test_scenario_032_undelivered_attempts_count():
    history = (sms("2026-07-13T14:00Z", provider_status="delivered"),
               sms("2026-07-14T14:00Z", provider_status="accepted"),
               sms("2026-07-15T14:00Z", provider_status="undelivered"))
    assert_deferred(decide(attempt("2026-07-16T14:00Z"), sent(*history)), "2026-07-20T14:00Z", "FREQ-2")


def test_scenario_033_provider_rejected_does_not_count():
    history = (sms("2026-07-13T14:00Z"), sms("2026-07-14T14:00Z"), sms("2026-07-15T14:00Z", provider_status="rejected"))
    decision = decide(attempt("2026-07-16T14:00Z"), sent(*history))
    assert_allowed(decision, "FREQ-2")
    assert decision.counts["sms_168h"] == 2


def test_scenario_034_replies_in_a_debtor_thread_are_not_counted_or_capped():
    collector = (sms("2026-07-13T16:00Z"), sms("2026-07-14T16:00Z"), sms("2026-07-15T16:00Z"))
    asked = Inbound("in-1", "sms", at("2026-07-16T15:00Z"), "what do I owe?", address=PHONE)
    d = debtor(authenticated_addresses=frozenset({PHONE}))
    replies: list[Outbound] = []
    for minute in (1, 3, 6):
        now = f"2026-07-16T15:0{minute}Z"
        decision = decide(attempt(now, kind="ai", in_reply_to="in-1"),
                          sent(*collector, *replies, inbound=(asked,), debtor_=d))
        assert_allowed(decision, "FREQ-2", "FREQ-5")
        assert decision.counts["sms_168h"] == 3
        replies.append(sms(now, kind="ai", in_reply_to="in-1"))
    # The replies did not count: a campaign SMS is held only by the three collector-initiated ones.
    later = decide(attempt("2026-07-16T16:00Z"), sent(*collector, *replies, inbound=(asked,), debtor_=d))
    assert_deferred(later, "2026-07-20T16:00Z", "FREQ-2")
    assert later.counts["sms_168h"] == 3


INBOUND = {"in-1": Inbound("in-1", "sms", at("2026-07-15T14:00Z"))}


@pytest.mark.parametrize("message,expected", [
    (sms("2026-07-15T15:00Z"), True),
    (sms("2026-07-15T15:00Z", provider_status="accepted"), True),
    (sms("2026-07-15T15:00Z", provider_status="undelivered"), True),
    (sms("2026-07-15T15:00Z", provider_status="queued"), False),  # unsent
    (sms("2026-07-15T15:00Z", provider_status="rejected"), False),
    (sms("2026-07-15T15:00Z", provider_status="failed"), False),
    (sms("2026-07-15T15:00Z", decision="block"), False),
    (sms("2026-07-15T15:00Z", decision="defer"), False),
    (sms("2026-07-15T15:00Z", kind="system", purpose="optout_confirm"), False),
    (sms("2026-07-15T15:00Z", kind="system", purpose="help_reply"), False),
    (sms("2026-07-15T15:00Z", kind="system", purpose="optin_confirm"), False),
    (mail("2026-07-15T15:00Z", recipient="attorney"), False),
    (mail("2026-07-15T15:00Z", kind="transactional", purpose="receipt"), False),
    (sms("2026-07-15T15:00Z", kind="transactional"), False),
    (sms("2026-07-15T15:00Z", reply_exempt=True), False),
    (sms("2026-07-15T15:00Z", in_reply_to="in-1"), False),  # reply 1 h after the inbound
    (sms("2026-07-16T14:00:01Z", in_reply_to="in-1"), True),  # more than 24 h later: not a reply
    (mail("2026-07-15T15:00Z", in_reply_to="in-1"), True),  # another channel: not a reply
    (sms("2026-07-15T15:00Z", in_reply_to="unknown"), True),
])
def test_freq_6_what_counts(message, expected):
    assert counted(message, INBOUND) is expected


def test_freq_6_counted_replies_from_history_are_recognised_without_the_stamp():
    asked = Inbound("in-1", "sms", at("2026-07-16T15:00Z"), "balance?", address=PHONE)
    history = (*THREE_SMS[1:], sms("2026-07-16T15:02Z", kind="ai", in_reply_to="in-1"))
    decision = decide(attempt("2026-07-17T16:00Z"), sent(*history, inbound=(asked,)))
    assert decision.counts["sms_168h"] == 2


# -- FREQ-3 / FREQ-4 / FREQ-5 (scenarios 35-37) -----------------------------------------------------------------------
FIVE_EMAILS = tuple(mail(f"2026-07-1{d}T15:00Z") for d in range(1, 6))


def test_scenario_035_sixth_email_with_freq5_off():
    decision = decide(attempt("2026-07-16T15:00Z", channel="email"),
                      sent(*FIVE_EMAILS, policy_=policy(freq5_enabled=False)))
    assert_deferred(decision, at("2026-07-11T15:00Z") + H168, "FREQ-3")
    assert "FREQ-5" not in rules_of(decision)


def test_freq_3_under_the_cap_is_allowed():
    decision = decide(attempt("2026-07-16T15:00Z", channel="email"),
                      sent(*FIVE_EMAILS[1:], policy_=policy(freq5_enabled=False)))
    assert_allowed(decision, "FREQ-3")


def test_scenario_036_one_whatsapp_per_rolling_24h():
    decision = decide(attempt("2026-07-16T13:00Z", channel="whatsapp", **TEMPLATE),
                      sent(wa("2026-07-15T14:00Z"), debtor_=WA_DEBTOR))
    assert_deferred(decision, "2026-07-16T14:00Z", "FREQ-4")
    assert decision.counts["wa_24h"] == 1


def test_freq_4_after_24h_is_allowed():
    decision = decide(attempt("2026-07-16T14:00Z", channel="whatsapp", **TEMPLATE),
                      sent(wa("2026-07-15T14:00Z"), debtor_=WA_DEBTOR))
    assert_allowed(decision, "FREQ-4")


def test_scenario_037_all_channels_together_at_most_three():
    history = (sms("2026-07-13T15:00Z"), sms("2026-07-14T15:00Z"), mail("2026-07-15T15:00Z"))
    decision = decide(attempt("2026-07-16T15:00Z", channel="whatsapp", **TEMPLATE), sent(*history, debtor_=WA_DEBTOR))
    assert_deferred(decision, at("2026-07-13T15:00Z") + H168, "FREQ-5")
    assert decision.counts["all_168h"] == 3


def test_freq_5_switched_off():
    history = (sms("2026-07-13T15:00Z"), sms("2026-07-14T15:00Z"), mail("2026-07-15T15:00Z"))
    decision = decide(attempt("2026-07-16T15:00Z", channel="whatsapp", **TEMPLATE),
                      sent(*history, debtor_=WA_DEBTOR, policy_=policy(freq5_enabled=False)))
    assert_allowed(decision, "FREQ-5")


def test_business_caps_lower_and_never_raise():
    two = (sms("2026-07-13T14:00Z"), sms("2026-07-15T14:00Z"))
    lowered = decide(attempt("2026-07-16T14:00Z"), sent(*two, policy_=policy(caps={"FREQ-2": 2})))
    assert_deferred(lowered, "2026-07-20T14:00Z", "FREQ-2")
    raised = decide(attempt("2026-07-18T14:00Z"), sent(*THREE_SMS, policy_=policy(caps={"FREQ-2": 10, "FREQ-5": 10})))
    assert_deferred(raised, "2026-07-20T14:00Z", "FREQ-2")
    assert raised.issue("FREQ-5") is not None


def test_cap_of_zero_never_allows():
    decision = decide(attempt("2026-07-16T14:00Z"), sent(policy_=policy(caps={"FREQ-2": 0})))
    assert decision.outcome == "block" and "DEFER_HORIZON" in rules_of(decision)


def test_caps_do_not_apply_to_system_replies_or_the_attorney():
    history = THREE_SMS
    stop = Inbound("in-stop", "sms", at("2026-07-18T14:00Z"), "STOP", address=PHONE, labels=frozenset({"opt_out"}))
    confirm = attempt("2026-07-18T14:01Z", kind="system", purpose="optout_confirm", in_reply_to="in-stop",
                      body="Acme Recovery: You're unsubscribed from texts to this number. We will honor this request.")
    assert "FREQ-2" not in rules_of(decide(confirm, sent(*history, inbound=(stop,))))
    lawyer = attempt("2026-07-18T15:00Z", channel="email", recipient="attorney", to_address="counsel@law.example",
                     purpose="attorney_comm")
    assert not {"FREQ-3", "FREQ-5"} & set(rules_of(decide(lawyer, sent(*history, *FIVE_EMAILS))))


def test_transactional_messages_are_not_capped():
    decision = decide(attempt("2026-07-18T14:00Z", kind="transactional", purpose="receipt"), sent(*THREE_SMS))
    assert "FREQ-2" not in rules_of(decision) and "FREQ-5" not in rules_of(decision)


def test_voice_outbound_rows_are_not_counted_twice():
    """Calls come from the call log; a voice row in the outbound history is the same call."""
    history = (Outbound("voice", at("2026-07-14T14:00Z"), address="+12065550100"),)
    calls = (Call(at("2026-07-14T14:00Z"), connected=True, address="+12065550100"),)
    decision = decide(attempt("2026-07-16T14:00Z", to_address="+12065550100"), sent(*history, calls=calls, debtor_=WA))
    assert decision.counts["wa_state_week"] == 1
    assert decision.counts["all_168h"] == 0  # FREQ-5 counts messages; calls have FREQ-1


# -- FREQ-7 -------------------------------------------------------------------------------------------------------
def test_freq_7_is_off_by_default():
    decision = decide(attempt("2026-07-15T14:30Z"), sent(sms("2026-07-15T14:00Z")))
    assert "FREQ-7" not in rules_of(decision)


def test_freq_7_one_per_channel_per_hour():
    decision = decide(attempt("2026-07-15T14:30Z"), sent(sms("2026-07-15T14:00Z"), policy_=policy(freq7_enabled=True)))
    assert_deferred(decision, "2026-07-15T15:00Z", "FREQ-7")


def test_freq_7_two_per_local_day():
    history = (sms("2026-07-15T13:00Z"), mail("2026-07-15T14:00Z"))
    p = policy(freq7_enabled=True)
    decision = decide(attempt("2026-07-15T20:00Z", channel="whatsapp", **TEMPLATE),
                      sent(*history, debtor_=WA_DEBTOR, policy_=p))
    assert decision.issue("FREQ-7").until == at("2026-07-16T04:00Z")  # midnight EDT
    assert decision.outcome == DEFER and decision.until == at("2026-07-16T12:00Z")  # then 08:00 EDT (TIME-1)


def test_freq_7_allows_when_spread_out():
    decision = decide(attempt("2026-07-15T20:00Z"), sent(sms("2026-07-15T13:00Z"), policy_=policy(freq7_enabled=True)))
    assert "FREQ-7" not in rules_of(decision)


# -- FREQ-1: telephone calls (scenarios 38-41) ----------------------------------------------------------------------
def call(when: str, **changes) -> Call:
    return Call(at(when), **{"connected": True, "address": PHONE, **changes})


SEVEN_CALLS = (call("2026-07-13T14:00Z"), call("2026-07-13T16:00Z"), call("2026-07-14T14:00Z"),
               call("2026-07-14T16:00Z"),
               call("2026-07-15T14:00Z"), call("2026-07-16T14:00Z"), call("2026-07-17T14:00Z"))


def voice(now: str, **changes):
    body = "Acme Recovery calling for Ana. This communication is from a debt collector."
    return attempt(now, channel="voice", kind="agent", body=body, **changes)


def test_scenario_038_eighth_call_in_seven_days_waits_for_the_next_compliant_date():
    decision = decide(voice("2026-07-19T15:00Z"), sent(calls=SEVEN_CALLS))
    assert_deferred(decision, "2026-07-20T12:00Z", "FREQ-1")
    assert "(A)" in decision.issue("FREQ-1").detail


def test_freq_1_seventh_call_is_allowed():
    decision = decide(voice("2026-07-19T15:00Z"), sent(calls=SEVEN_CALLS[1:]))
    assert "FREQ-1" not in rules_of(decision)


def test_freq_1_unconnected_and_attorney_calls_do_not_count():
    calls = SEVEN_CALLS[1:] + (call("2026-07-18T14:00Z", connected=False),
                               call("2026-07-18T15:00Z", recipient="attorney"),
                               call("2026-07-18T16:00Z", inbound=True))
    assert "FREQ-1" not in rules_of(decide(voice("2026-07-19T15:00Z"), sent(calls=calls)))


def test_scenario_039_no_call_within_seven_days_of_a_conversation():
    talk = (call("2026-07-14T15:00Z", conversation=True),)
    decision = decide(voice("2026-07-20T15:00Z"), sent(calls=talk))
    assert_deferred(decision, "2026-07-21T12:00Z", "FREQ-1")
    assert "(B)" in decision.issue("FREQ-1").detail


def test_freq_1_inbound_conversation_also_starts_the_quiet_week():
    talk = (call("2026-07-14T15:00Z", conversation=True, inbound=True),)
    assert_deferred(decide(voice("2026-07-16T15:00Z"), sent(calls=talk)), "2026-07-21T12:00Z", "FREQ-1")


def test_freq_1_day_8_after_a_conversation_is_allowed():
    talk = (call("2026-07-14T15:00Z", conversation=True),)
    assert "FREQ-1" not in rules_of(decide(voice("2026-07-21T15:00Z"), sent(calls=talk)))


def test_scenario_040_call_back_on_the_day_the_consumer_asked_for():
    talk = (call("2026-07-14T15:00Z", conversation=True, callback_requested_for=dt.date(2026, 7, 16)),)
    decision = decide(voice("2026-07-16T15:00Z"), sent(calls=talk))
    assert_allowed(decision, "FREQ-1")
    other_day = decide(voice("2026-07-17T15:00Z"), sent(calls=talk))
    assert "FREQ-1" in rules_of(other_day, DEFER)


def test_scenario_041_texts_are_not_calls():
    history = sent(sms("2026-07-16T15:00Z"), calls=SEVEN_CALLS)
    assert "FREQ-1" in rules_of(decide(voice("2026-07-19T15:00Z"), history), DEFER)  # 7-in-7 is reached for calls
    decision = decide(attempt("2026-07-19T15:00Z"), history)
    assert_allowed(decision, "FREQ-1", "FREQ-2", "FREQ-5")
    assert decision.counts["sms_168h"] == 1 and decision.counts["all_168h"] == 1


# -- Massachusetts (scenarios 42-43) ------------------------------------------------------------------------------
MA = debtor(state="MA", zip="02108", city="Boston", phones=(phone("+16175550100"),))
MA_SMS = (Outbound("sms", at("2026-07-13T14:00Z"), address="+16175550100"),
          Outbound("sms", at("2026-07-15T14:00Z"), address="+16175550100"))


def ma_text(now: str, **changes):
    return attempt(now, to_address="+16175550100", **changes)


def test_scenario_042_two_collector_texts_per_seven_days():
    decision = decide(ma_text("2026-07-17T14:00Z"), sent(*MA_SMS, debtor_=MA))
    assert_deferred(decision, "2026-07-20T14:00Z", "STATE-MA-1")
    assert decision.issue("STATE-MA-2").until == at("2026-07-20T14:00Z")
    assert decision.counts["ma_text_call_7d"] == 2


def test_scenario_043_reply_to_the_debtor_is_not_collector_initiated():
    asked = Inbound("in-1", "sms", at("2026-07-17T14:00Z"), "can I pay half?", address="+16175550100")
    d = replace(MA, authenticated_addresses=frozenset({"+16175550100"}))
    decision = decide(ma_text("2026-07-17T14:02Z", kind="ai", in_reply_to="in-1"),
                      sent(*MA_SMS, inbound=(asked,), debtor_=d))
    assert_allowed(decision, "STATE-MA-1", "STATE-MA-2")


def test_ma_calls_and_whatsapp_count_email_does_not():
    mixed = (Outbound("whatsapp", at("2026-07-13T14:00Z"), address="+16175550100"),)
    calls = (Call(at("2026-07-15T14:00Z"), connected=True, address="+16175550100"),)
    decision = decide(ma_text("2026-07-17T14:00Z"), sent(*mixed, calls=calls, debtor_=MA))
    assert decision.issue("STATE-MA-1") is not None
    emails = (mail("2026-07-13T14:00Z"), mail("2026-07-15T14:00Z"))
    assert "STATE-MA-1" not in rules_of(decide(ma_text("2026-07-17T14:00Z"), sent(*emails, debtor_=MA)))


def test_ma_other_numbers_two_per_thirty_days():
    work = "+16175550199"
    d = replace(MA, phones=(*MA.phones, phone(work, type="work")))
    history = (Outbound("sms", at("2026-06-20T14:00Z"), address=work),
               Outbound("sms", at("2026-07-01T14:00Z"), address=work))
    decision = decide(attempt("2026-07-15T14:00Z", to_address=work), sent(*history, debtor_=d))
    assert_deferred(decision, at("2026-06-20T14:00Z") + dt.timedelta(days=30), "STATE-MA-1")
    # The personal number has its own budget.
    assert "STATE-MA-1" not in rules_of(decide(ma_text("2026-07-15T14:00Z"), sent(*history, debtor_=d)))


def test_ma_rules_do_not_apply_elsewhere():
    decision = decide(attempt("2026-07-17T14:00Z"), sent(*MA_SMS))
    assert not {"STATE-MA-1", "STATE-MA-2"} & set(rules_of(decision))
    assert decision.counts["ma_text_call_7d"] is None


# -- Washington (scenario 44) --------------------------------------------------------------------------------------


def test_scenario_044_three_communications_a_week_in_any_form():
    history = (mail("2026-07-13T16:00Z"), Outbound("sms", at("2026-07-14T16:00Z"), address="+12065550100"),
               Outbound("whatsapp", at("2026-07-15T16:00Z"), address="+12065550100"))
    decision = decide(attempt("2026-07-16T16:00Z", channel="email"), sent(*history, debtor_=WA))
    assert_deferred(decision, "2026-07-20T16:00Z", "STATE-WA-1")
    assert decision.counts["wa_state_week"] == 3


def test_wa_cap_holds_with_freq5_off():
    history = (mail("2026-07-13T16:00Z"), mail("2026-07-14T16:00Z"), mail("2026-07-15T16:00Z"))
    decision = decide(attempt("2026-07-16T16:00Z", channel="email"),
                      sent(*history, debtor_=WA, policy_=policy(freq5_enabled=False)))
    assert_deferred(decision, "2026-07-20T16:00Z", "STATE-WA-1")
    assert "FREQ-5" not in rules_of(decision)


def test_wa_one_communication_a_week_at_the_workplace():
    work = "ana@employer.example"
    d = replace(WA, emails=(*WA.emails, Email(work, is_work=True, provenance="consumer_emailed")))
    history = (Outbound("email", at("2026-07-14T16:00Z"), address=work),)
    decision = decide(attempt("2026-07-16T16:00Z", channel="email", to_address=work), sent(*history, debtor_=d))
    assert decision.issue("STATE-WA-1") is not None
    assert decision.issue("STATE-WA-1").until == at("2026-07-21T16:00Z")
    elsewhere = decide(attempt("2026-07-16T16:00Z", channel="email"), sent(*history, debtor_=d))
    assert "STATE-WA-1" not in rules_of(elsewhere)


def test_wa_rules_do_not_apply_elsewhere():
    history = (mail("2026-07-13T16:00Z"), mail("2026-07-14T16:00Z"), mail("2026-07-15T16:00Z"))
    decision = decide(attempt("2026-07-16T16:00Z", channel="email"),
                      sent(*history, policy_=policy(freq5_enabled=False)))
    assert "STATE-WA-1" not in rules_of(decision)
    assert decision.counts["wa_state_week"] is None


# -- NYC cap ------------------------------------------------------------------------------------------------------
def test_nyc_cap_when_set():
    d = debtor(nyc=True, nyc_consent_at=at("2026-01-02T15:00Z"))
    history = (sms("2026-07-13T14:00Z"), mail("2026-07-14T14:00Z"))
    decision = decide(attempt("2026-07-16T14:00Z"), sent(*history, debtor_=d, policy_=policy(nyc_cap=2)))
    assert_deferred(decision, "2026-07-20T14:00Z", "STATE-NYC-1")
    unset = decide(attempt("2026-07-16T14:00Z"), sent(*history, debtor_=d))
    assert "STATE-NYC-1" not in rules_of(unset, DEFER)


# -- the stored record ----------------------------------------------------------------------------------------------
def test_counts_carry_every_key_of_the_record():
    decision = decide(attempt("2026-07-16T14:00Z"), sent(*THREE_SMS[:2]))
    assert {"sms_168h", "email_168h", "wa_24h", "all_168h", "ma_text_call_7d", "wa_state_week",
            "calls_7d_by_debt"} <= set(decision.counts)
    assert decision.counts["sms_168h"] == 2 and decision.counts["ma_text_call_7d"] is None


def test_calls_per_debt_in_the_record():
    decision = decide(voice("2026-07-17T15:00Z"), sent(calls=SEVEN_CALLS[:3]))
    assert list(decision.counts["calls_7d_by_debt"].values()) == [3]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("sms", "email", "whatsapp", "web_chat", "voice")),
                          st.one_of(st.integers(0, 12 * 60), st.integers(0, 9 * 24 * 60)),
                          st.sampled_from(("allow", "block")),
                          st.sampled_from(("sent", "accepted", "undelivered", "rejected", "queued")),
                          st.sampled_from(("campaign", "ai", "transactional")),
                          st.sampled_from((None, "in-1", "in-2")), st.booleans()), max_size=12))
def test_the_ledger_counts_what_counted_says(rows):
    now = at("2026-07-15T15:00Z")
    received = (Inbound("in-1", "sms", now - dt.timedelta(hours=30)),
                Inbound("in-2", "email", now - dt.timedelta(hours=2)))
    outbound = tuple(Outbound(channel, now - dt.timedelta(minutes=minutes), decision=decision, provider_status=status,
                              kind=kind, in_reply_to=reply, reply_exempt=stamped,
                              address=EMAIL if channel == "email" else PHONE)
                     for channel, minutes, decision, status, kind, reply, stamped in rows)
    decision = decide(attempt(now), sent(*outbound, inbound=received))
    by_id = {m.id: m for m in received}

    def expected(channels, width):
        return sum(1 for o in outbound
                   if o.channel in channels and counted(o, by_id) and now - width < o.sent_at <= now)

    assert decision.counts["sms_168h"] == expected({"sms"}, H168)
    assert decision.counts["email_168h"] == expected({"email"}, H168)
    assert decision.counts["wa_24h"] == expected({"whatsapp"}, dt.timedelta(hours=24))
    assert decision.counts["all_168h"] == expected({"sms", "email", "whatsapp", "web_chat"}, H168)
