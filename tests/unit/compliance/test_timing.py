"""TIME-1..7: when a message may go, in every zone the debtor may be in (COMPLIANCE.md 1.10, scenarios 1-27, 45)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.compliance import hours
from app.services.compliance.context import Context
from app.services.compliance.decision import ALLOW, DEFER, INFO, WARN
from app.services.compliance.facts import Blackout, History, Inbound, Outbound
from app.services.compliance.gate import decide
from app.services.compliance.rules import timing
from app.services.compliance.rules.timing import needs_recheck
from app.services.timezones import US_FALLBACK_ZONES
from tests.unit.compliance.builders import PHONE, UTC, at, attempt, debtor, facts, phone, policy

NY_EVENING = dict(start=dt.time(18, 0), end=dt.time(0, 0))


def rules_of(decision, severity=None):
    return [i.rule for i in decision.issues if severity is None or i.severity == severity]


def assert_deferred(decision, until: str, rule: str):
    assert decision.outcome == DEFER, decision
    assert decision.until == at(until)
    assert rule in rules_of(decision, DEFER), decision.issues


def assert_allowed(decision, *absent: str):
    assert decision.outcome == ALLOW, decision
    for rule in absent:
        assert rule not in rules_of(decision, DEFER), decision.issues


def located(state=None, zip_code=None, *numbers, **changes):
    """A debtor at this address with these phones (the first is where texts go)."""
    phones = tuple(phone(n) for n in numbers)
    return debtor(state=state, zip=zip_code, city=None, phones=phones, **changes)


def text_to(debtor_, now, channel="sms", **changes):
    to = debtor_.phones[0].e164 if channel in ("sms", "whatsapp", "voice") and debtor_.phones else None
    extra = {"to_address": to} if to else {}
    return attempt(now, channel=channel, **{**extra, **changes})


CA_NY = located("CA", None, PHONE)  # Z = {Los Angeles, New York}


# -- TIME-1: the window (scenarios 1-4) ---------------------------------------------------------------------------
def test_scenario_001_0800_local_is_allowed():
    assert_allowed(decide(attempt("2026-07-15T12:00Z"), facts()), "TIME-1")


def test_scenario_002_2059_local_is_allowed():
    assert_allowed(decide(attempt("2026-07-16T00:59Z"), facts()), "TIME-1")


def test_scenario_003_2100_local_defers_to_next_morning():
    assert_deferred(decide(attempt("2026-07-16T01:00Z"), facts()), "2026-07-16T12:00Z", "TIME-1")


def test_scenario_004_0759_local_defers_to_0800():
    decision = decide(attempt("2026-07-15T11:59Z"), facts())
    assert_deferred(decision, "2026-07-15T12:00Z", "TIME-1")
    assert decision.issue("TIME-1").detail == "America/New_York 07:59 < 08:00"


# -- TIME-3: the IANA rules for the instant (scenarios 5-7, 12-14, 18) ---------------------------------------------
def test_scenario_005_dst_end_day_uses_est():
    assert_deferred(decide(attempt("2026-11-01T12:30Z"), facts()), "2026-11-01T13:00Z", "TIME-1")


def test_scenario_006_dst_start_evening_uses_edt():
    assert_deferred(decide(attempt("2026-03-09T01:15Z"), facts()), "2026-03-09T12:00Z", "TIME-1")


def test_scenario_007_dst_start_morning_is_not_over_deferred():
    assert_allowed(decide(attempt("2026-03-08T12:30Z"), facts()), "TIME-1")


def test_scenario_012_phoenix_keeps_standard_time_in_summer():
    d = located("AZ", "85004", "+16025550100")
    assert_deferred(decide(text_to(d, "2026-07-15T14:30Z"), facts(d)), "2026-07-15T15:00Z", "TIME-1")


def test_scenario_013_navajo_nation_zip_and_928_need_both_denver_and_phoenix():
    d = located("AZ", "86515", "+19285550100")
    decision = decide(text_to(d, "2026-07-15T14:30Z"), facts(d))
    assert decision.candidate_zones == ("America/Denver", "America/Phoenix")
    assert_deferred(decision, "2026-07-15T15:00Z", "TIME-1")


def test_scenario_014_hawaii_has_no_dst():
    d = located("HI", "96813", "+18085550100")
    assert_deferred(decide(text_to(d, "2026-07-15T17:30Z"), facts(d)), "2026-07-15T18:00Z", "TIME-1")


def test_scenario_018_puerto_rico_has_no_dst():
    d = located("PR", "00901", "+17875550100")
    assert_allowed(decide(text_to(d, "2026-11-02T12:30Z"), facts(d)), "TIME-1")


# -- TIME-2: candidate zones (scenarios 8-11, 15-17, 19-21) ---------------------------------------------------------
def test_scenario_008_state_and_area_code_zones_must_both_allow():
    decision = decide(attempt("2026-07-15T13:30Z"), facts(CA_NY))
    assert decision.candidate_zones == ("America/Los_Angeles", "America/New_York")
    assert_deferred(decision, "2026-07-15T15:00Z", "TIME-1")


def test_scenario_009_evening_in_new_york_defers_to_morning_in_los_angeles():
    assert_deferred(decide(attempt("2026-07-16T02:00Z"), facts(CA_NY)), "2026-07-16T15:00Z", "TIME-1")


def test_scenario_010_midday_in_both_zones_is_allowed():
    assert_allowed(decide(attempt("2026-07-15T18:00Z"), facts(CA_NY)), "TIME-1")


def test_scenario_011_stated_location_wins_alone():
    d = replace(CA_NY, stated_tz="America/Los_Angeles", stated_tz_at=at("2026-07-10T17:00Z"))
    decision = decide(attempt("2026-07-16T02:00Z"), facts(d))
    assert decision.candidate_zones == ("America/Los_Angeles",)
    assert_allowed(decision, "TIME-1")


def test_stated_location_older_than_90_days_no_longer_wins():
    d = replace(CA_NY, stated_tz="America/Los_Angeles", stated_tz_at=at("2026-04-01T17:00Z"))
    assert_deferred(decide(attempt("2026-07-16T02:00Z"), facts(d)), "2026-07-16T15:00Z", "TIME-1")


def test_scenario_015_email_is_held_to_the_window_too():
    d = located("HI", "96813", "+18085550100")
    assert_deferred(decide(attempt("2026-07-16T07:30Z", channel="email"), facts(d)), "2026-07-16T18:00Z", "TIME-1")


def test_scenario_016_alaska_area_code_adds_adak():
    d = located("AK", "99501", "+19075550100")
    decision = decide(text_to(d, "2026-07-15T16:30Z"), facts(d))
    assert set(decision.candidate_zones) == {"America/Anchorage", "America/Adak"}
    assert_deferred(decision, "2026-07-15T17:00Z", "TIME-1")


def test_scenario_017_alaska_zip_alone_is_anchorage():
    d = located("AK", "99501")
    decision = decide(attempt("2026-07-15T16:30Z", channel="email"), facts(d))
    assert decision.candidate_zones == ("America/Anchorage",)
    assert_allowed(decision, "TIME-1")


def test_scenario_019_puerto_rico_zip_with_new_york_phone():
    d = located("PR", "00901", PHONE)
    assert_deferred(decide(text_to(d, "2026-11-02T12:30Z"), facts(d)), "2026-11-02T13:00Z", "TIME-1")


def test_scenario_020_zones_spanning_central_and_mountain():
    """A ZIP record holds one zone, so the two-zone case is built from what does span them: Kansas (no ZIP) and
    area code 785."""
    d = located("KS", None, "+17855550100")
    decision = decide(text_to(d, "2026-07-15T13:30Z"), facts(d))
    assert decision.candidate_zones == ("America/Chicago", "America/Denver")
    assert_deferred(decision, "2026-07-15T14:00Z", "TIME-1")


def test_scenario_021_unknown_location_uses_every_us_zone():
    """ALL_US (TIME-2) includes Guam, Saipan and Pago Pago: 08:00 in Guam is 22:00Z, later than the table's
    18:00Z (08:00 HST), which would be 04:00 in Guam and 07:00 in Pago Pago. The TIME-2 set is binding."""
    d = located(None, None, "+18005550100")
    decision = decide(attempt("2026-07-15T15:00Z", channel="email"), facts(d))
    assert len(decision.candidate_zones) == 13
    assert_deferred(decision, "2026-07-15T22:00Z", "TIME-1")
    for name in decision.candidate_zones:
        local = decision.until.astimezone(hours.zone(name)).time()
        assert dt.time(8) <= local < dt.time(21), name
    assert not hours.allowed_at(decision.candidate_zones, decision.until - dt.timedelta(seconds=1))


def test_scenario_045_washington_730_start_does_not_loosen_0800():
    d = located("WA", "98101", "+12065550100")
    assert_deferred(decide(text_to(d, "2026-07-15T14:45Z"), facts(d)), "2026-07-15T15:00Z", "TIME-1")


# -- TIME-1: the business may narrow the window, never widen it -----------------------------------------------------
def test_policy_narrows_the_window():
    p = policy(window_start=dt.time(9, 0), window_end=dt.time(20, 0))
    assert_deferred(decide(attempt("2026-07-15T12:30Z"), facts(policy_=p)), "2026-07-15T13:00Z", "TIME-1")
    assert_deferred(decide(attempt("2026-07-16T00:00Z"), facts(policy_=p)), "2026-07-16T13:00Z", "TIME-1")


def test_policy_cannot_widen_the_window():
    p = policy(window_start=dt.time(6, 0), window_end=dt.time(23, 0))
    assert_deferred(decide(attempt("2026-07-15T11:00Z"), facts(policy_=p)), "2026-07-15T12:00Z", "TIME-1")
    assert_deferred(decide(attempt("2026-07-16T01:30Z"), facts(policy_=p)), "2026-07-16T12:00Z", "TIME-1")


def test_empty_window_is_never_allowed():
    p = policy(window_start=dt.time(12, 0), window_end=dt.time(12, 0))
    decision = decide(attempt("2026-07-15T15:00Z"), facts(policy_=p))
    assert decision.outcome == "block" and "DEFER_HORIZON" in rules_of(decision)


def test_state_quiet_hours_table_narrows(monkeypatch):
    monkeypatch.setitem(timing.STATE_WINDOWS, "NY", (dt.time(9, 0), dt.time(20, 0)))
    assert_deferred(decide(attempt("2026-07-15T12:30Z"), facts()), "2026-07-15T13:00Z", "TIME-1")


def test_exempt_messages_ignore_the_clock():
    night = "2026-07-16T03:00Z"  # 23:00 EDT
    help_reply = attempt(night, kind="system", purpose="help_reply")
    assert "TIME-1" not in rules_of(decide(help_reply, facts()))
    to_lawyer = attempt(night, channel="email", recipient="attorney", to_address="counsel@law.example")
    assert "TIME-1" not in rules_of(decide(to_lawyer, facts()))
    letter = attempt(night, channel="mail", to_address=None)
    assert "TIME-1" not in rules_of(decide(letter, facts()))


def test_transactional_messages_keep_the_clock():
    decision = decide(attempt("2026-07-16T03:00Z", kind="transactional", purpose="receipt"), facts())
    assert "TIME-1" in rules_of(decision, DEFER)


def test_time_1_scheduled_in_the_future_is_judged_then():
    decision = decide(attempt("2026-07-15T03:00Z", scheduled_at=at("2026-07-15T14:00Z")), facts())
    assert "TIME-1" not in rules_of(decision)


# -- TIME-3 directly ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("zone,instant,allowed", [
    ("America/New_York", "2026-03-08T12:00Z", True),  # 08:00 EDT on the DST start day
    ("America/New_York", "2026-03-08T11:59Z", False),  # 07:59 EDT
    ("America/New_York", "2026-11-01T12:59Z", False),  # 07:59 EST on the DST end day
    ("America/New_York", "2026-11-01T13:00Z", True),
    ("America/Phoenix", "2026-07-15T14:59Z", False),  # MST all year
    ("America/Phoenix", "2026-01-15T15:00Z", True),
    ("America/Denver", "2026-07-15T14:00Z", True),  # Navajo Nation keeps DST: 08:00 MDT
    ("America/Denver", "2026-01-15T14:59Z", False),
    ("Pacific/Honolulu", "2026-07-15T17:59Z", False),
    ("Pacific/Honolulu", "2026-07-16T06:59Z", True),  # 20:59 HST
    ("America/Puerto_Rico", "2026-11-02T12:00Z", True),  # AST all year
    ("America/Puerto_Rico", "2026-07-16T01:00Z", False),
    ("America/Anchorage", "2026-07-15T16:00Z", True),  # 08:00 AKDT
    ("America/Adak", "2026-07-15T16:59Z", False),  # 07:59 HDT
    ("America/Adak", "2026-12-15T18:00Z", True),  # 08:00 HST
    ("America/Adak", "2026-12-15T17:59Z", False),
])
def test_time_3_local_time_of_the_actual_instant(zone, instant, allowed):
    assert hours.allowed_at([zone], at(instant)) is allowed


def test_time_3_next_window_across_a_dst_change_is_exact():
    # Saturday 22:00 EDT before the DST end: the next 08:00 is EST, 13:00Z, not 12:00Z.
    assert hours.next_allowed(["America/New_York"], at("2026-11-01T02:00Z")) == at("2026-11-01T13:00Z")
    # Saturday 22:00 EST before the DST start: the next 08:00 is EDT, 12:00Z.
    assert hours.next_allowed(["America/New_York"], at("2026-03-08T03:00Z")) == at("2026-03-08T12:00Z")


# -- TIME-4: designated inconvenient times (scenarios 22-23) ---------------------------------------------------------
def test_scenario_022_not_before_noon_defers_to_noon():
    d = debtor(inconvenient_times=(Blackout(dt.time(0, 0), dt.time(12, 0), designated_at=at("2026-07-10T15:00Z"),
                                            channels=frozenset({"sms"})),))
    assert_deferred(decide(attempt("2026-07-15T14:00Z"), facts(d)), "2026-07-15T16:00Z", "TIME-4")


def test_scenario_023_busy_now_is_not_a_standing_designation():
    busy = Inbound("in-busy", "sms", at("2026-07-14T14:00Z"), "busy, can't talk now", address=PHONE)
    decision = decide(attempt("2026-07-15T14:00Z"), facts(history=History(inbound=(busy,))))
    assert_allowed(decision, "TIME-4")


def test_time_4_other_channels_are_not_covered_by_an_sms_designation():
    d = debtor(inconvenient_times=(Blackout(dt.time(0, 0), dt.time(12, 0), channels=frozenset({"sms"})),))
    assert "TIME-4" not in rules_of(decide(attempt("2026-07-15T14:00Z", channel="email"), facts(d)))


def test_time_4_revoked_designation_no_longer_applies():
    b = Blackout(dt.time(0, 0), dt.time(12, 0), designated_at=at("2026-07-01T15:00Z"),
                 revoked_at=at("2026-07-12T15:00Z"))
    assert_allowed(decide(attempt("2026-07-15T14:00Z"), facts(debtor(inconvenient_times=(b,)))), "TIME-4")


def test_time_4_designation_on_some_weekdays_only():
    weekends = Blackout(dt.time(8, 0), dt.time(21, 0), weekdays=frozenset({5, 6}))
    d = debtor(inconvenient_times=(weekends,))
    assert_allowed(decide(attempt("2026-07-15T14:00Z"), facts(d)), "TIME-4")  # Wednesday
    # Saturday 10:00 EDT: nothing until Monday 08:00 EDT.
    assert_deferred(decide(attempt("2026-07-18T14:00Z"), facts(d)), "2026-07-20T12:00Z", "TIME-4")


def test_time_4_holds_in_every_candidate_zone():
    evening = Blackout(**NY_EVENING)
    decision = decide(attempt("2026-07-15T21:30Z"), facts(replace(CA_NY, inconvenient_times=(evening,))))
    # 17:30 EDT / 14:30 PDT is fine; 22:00Z (18:00 EDT) starts it in New York; 18:00 PDT is 01:00Z.
    assert_allowed(decision, "TIME-4")
    decision = decide(attempt("2026-07-15T22:30Z"), facts(replace(CA_NY, inconvenient_times=(evening,))))
    assert decision.issue("TIME-4").until == at("2026-07-16T07:00Z")  # midnight PDT
    assert decision.until == at("2026-07-16T15:00Z")  # 08:00 PDT


def test_time_4_whole_day_designation():
    d = debtor(inconvenient_times=(Blackout(dt.time(0, 0), dt.time(0, 0), weekdays=frozenset({2})),))  # Wednesdays
    assert_deferred(decide(attempt("2026-07-15T14:00Z"), facts(d)), "2026-07-16T12:00Z", "TIME-4")


# -- TIME-5: consumer-initiated sessions (scenarios 24-27) -----------------------------------------------------------
CHAT = "chat:session-1"


def chat_facts(*outbound, inbound=(), **debtor_changes):
    opened = Inbound("chat-1", "web_chat", at("2026-07-16T02:00Z"), "what is my balance?", address=CHAT)
    d = debtor(authenticated_addresses=frozenset({CHAT, PHONE}), **debtor_changes)
    return facts(d, history=History(inbound=(opened, *inbound), outbound=tuple(outbound)))


def chat_reply(now, **changes):
    return attempt(now, channel="web_chat", **{"to_address": CHAT, "kind": "ai", "in_reply_to": "chat-1", **changes})


def test_scenario_024_reply_in_a_live_session_at_night_is_allowed_and_logged():
    decision = decide(chat_reply("2026-07-16T02:00:30Z"), chat_facts())
    assert_allowed(decision, "TIME-1")
    assert "TIME-5" in rules_of(decision, INFO)


def test_scenario_025_follow_up_after_the_session_ended_waits_for_morning():
    decision = decide(chat_reply("2026-07-16T02:25Z", body="Want a payment plan? This communication is from a "
                                                            "debt collector."), chat_facts())
    assert_deferred(decision, "2026-07-16T12:00Z", "TIME-1")
    assert "TIME-5" not in rules_of(decision)


def test_time_5_campaign_messages_are_never_session_replies():
    decision = decide(chat_reply("2026-07-16T02:01Z", kind="campaign"), chat_facts())
    assert "TIME-1" in rules_of(decision, DEFER)


def test_time_5_reply_on_another_channel_is_not_exempt():
    decision = decide(attempt("2026-07-16T02:01Z", kind="ai", in_reply_to="chat-1"), chat_facts())
    assert "TIME-1" in rules_of(decision, DEFER) and "TIME-5" not in rules_of(decision)


def test_time_5_not_logged_inside_the_window():
    opened = Inbound("sms-1", "sms", at("2026-07-15T15:00Z"), "balance?", address=PHONE)
    decision = decide(attempt("2026-07-15T15:01Z", kind="ai", in_reply_to="sms-1"),
                      facts(debtor(authenticated_addresses=frozenset({PHONE})), history=History(inbound=(opened,))))
    assert "TIME-5" not in rules_of(decision)


EVENING = Blackout(**NY_EVENING, designated_at=at("2026-07-01T15:00Z"))


def evening_facts(*outbound, inbound=()):
    asked = Inbound("sms-1", "sms", at("2026-07-15T23:00Z"), "how much do I owe?", address=PHONE)
    d = debtor(inconvenient_times=(EVENING,), authenticated_addresses=frozenset({PHONE}))
    return facts(d, history=History(inbound=(asked, *inbound), outbound=tuple(outbound)))


FIRST_REPLY = Outbound("sms", at("2026-07-15T23:01Z"), kind="ai", address=PHONE, in_reply_to="sms-1",
                       reply_exempt=True, id="out-1")


def test_scenario_026_one_response_in_a_designated_time_then_defer():
    first = decide(attempt("2026-07-15T23:01Z", kind="ai", in_reply_to="sms-1"), evening_facts())
    assert_allowed(first, "TIME-4")
    assert "TIME-5" in rules_of(first, INFO)
    second = decide(attempt("2026-07-15T23:05Z", kind="ai", in_reply_to="sms-1"), evening_facts(FIRST_REPLY))
    assert_deferred(second, "2026-07-16T12:00Z", "TIME-5")
    assert second.issue("TIME-5").until == at("2026-07-16T04:00Z")  # the designated period ends at midnight EDT
    assert "TIME-4" in rules_of(second, DEFER)


def test_scenario_027_consumer_says_the_time_is_fine():
    fine = Inbound("sms-2", "sms", at("2026-07-15T23:04Z"), "it's fine, text me now", address=PHONE,
                   labels=frozenset({"time_ok"}))
    second = decide(attempt("2026-07-15T23:05Z", kind="ai", in_reply_to="sms-2"),
                    evening_facts(FIRST_REPLY, inbound=(fine,)))
    assert_allowed(second, "TIME-4", "TIME-5")


def test_time_ok_lifts_only_that_evening():
    fine = Inbound("sms-2", "sms", at("2026-07-15T23:04Z"), "it's fine, text me now", address=PHONE,
                   labels=frozenset({"time_ok"}))
    next_evening = decide(attempt("2026-07-16T23:00Z"), evening_facts(FIRST_REPLY, inbound=(fine,)))
    assert "TIME-4" in rules_of(next_evening, DEFER)


def test_time_ok_before_the_designation_does_not_lift_it():
    old = Inbound("sms-0", "sms", at("2026-06-30T23:04Z"), "any time is fine", address=PHONE,
                  labels=frozenset({"time_ok"}))
    assert "TIME-4" in rules_of(decide(attempt("2026-07-15T23:30Z"), evening_facts(inbound=(old,))), DEFER)


# -- TIME-6 ---------------------------------------------------------------------------------------------------------
def test_time_6_recheck_after_five_minutes():
    decided = at("2026-07-15T15:00Z")
    assert not needs_recheck(decided, decided + dt.timedelta(minutes=5))
    assert needs_recheck(decided, decided + dt.timedelta(minutes=5, seconds=1))


# -- TIME-7 ---------------------------------------------------------------------------------------------------------
def test_time_7_sunday_warns_by_default():
    decision = decide(attempt("2026-07-19T15:00Z"), facts())  # Sunday
    assert decision.outcome == ALLOW
    assert decision.issue("TIME-7").severity == WARN


def test_time_7_weekday_is_quiet():
    assert "TIME-7" not in rules_of(decide(attempt("2026-07-15T15:00Z"), facts()))


def test_time_7_federal_holiday_warns():
    assert "TIME-7" in rules_of(decide(attempt("2026-07-03T15:00Z"), facts()), WARN)  # July 4 observed (Friday)
    assert "TIME-7" in rules_of(decide(attempt("2026-11-26T15:00Z"), facts()), WARN)  # Thanksgiving


def test_time_7_blocking_defers_to_monday_morning():
    decision = decide(attempt("2026-07-19T15:00Z"), facts(policy_=policy(time7_blocking=True)))
    assert_deferred(decision, "2026-07-20T12:00Z", "TIME-7")
    assert "TIME-7" not in rules_of(decision, WARN)


def test_time_7_replies_are_not_dunning():
    asked = Inbound("sms-1", "sms", at("2026-07-19T15:00Z"), "balance?", address=PHONE)
    decision = decide(attempt("2026-07-19T15:01Z", kind="ai", in_reply_to="sms-1"),
                      facts(debtor(authenticated_addresses=frozenset({PHONE})), history=History(inbound=(asked,))))
    assert "TIME-7" not in rules_of(decision)


def test_federal_holidays_2026():
    assert hours.us_federal_holidays(2026) == {
        dt.date(2026, 1, 1), dt.date(2026, 1, 19), dt.date(2026, 2, 16), dt.date(2026, 5, 25), dt.date(2026, 6, 19),
        dt.date(2026, 7, 3), dt.date(2026, 7, 4), dt.date(2026, 9, 7), dt.date(2026, 10, 12), dt.date(2026, 11, 11),
        dt.date(2026, 11, 26), dt.date(2026, 12, 25)}
    assert dt.date(2021, 12, 31) in hours.us_federal_holidays(2021)  # New Year's Day 2022 fell on a Saturday



# -- TIME-4 against an independent reading of local clocks -------------------------------------------------------
ZONE_SETS = [("America/New_York",), ("America/Los_Angeles", "America/New_York"), ("America/Denver", "America/Phoenix"),
             tuple(sorted(US_FALLBACK_ZONES))]
LOCATION_OF = {zones: changes for zones, changes in zip(ZONE_SETS, [
    dict(), dict(state="CA", zip=None, city=None), dict(state="AZ", zip="86515", phones=(phone("+19285550100"),)),
    dict(state=None, zip=None, city=None, phones=(phone("+18005550100"),))])}
clocks = st.builds(dt.time, st.sampled_from([0, 4, 6, 8, 9, 12, 13, 17, 18, 20, 21, 22, 23]), st.sampled_from([0, 30]))


def _blocked_by_hand(blackouts, names, x: dt.datetime) -> bool:
    for name in names:
        local = x.astimezone(ZoneInfo(name))
        clock, day = local.time().replace(tzinfo=None), local.weekday()
        for b in blackouts:
            if b.start < b.end:
                hit = day in b.weekdays and b.start <= clock < b.end
            else:  # past midnight; equal start and end: 24 hours from the start
                hit = (day in b.weekdays and clock >= b.start) or ((day - 1) % 7 in b.weekdays and clock < b.end)
            if hit:
                return True
    return False


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONE_SETS),
       st.lists(st.builds(Blackout, clocks, clocks, st.sets(st.integers(0, 6), min_size=1).map(frozenset)),
                min_size=1, max_size=3),
       st.datetimes(min_value=dt.datetime(2026, 1, 2), max_value=dt.datetime(2026, 12, 20), timezones=st.just(UTC)))
def test_time_4_is_the_first_free_instant_in_every_zone(names, blackouts, t):
    t = t.replace(second=0, microsecond=0)
    d = debtor(**LOCATION_OF[names], inconvenient_times=tuple(blackouts))
    ctx = Context(attempt(t), facts(d))
    assert tuple(ctx.zones) == names
    later = timing.time_4(ctx, t)
    if later is None:
        assert not _blocked_by_hand(blackouts, names, t)
        return
    until = later.until
    assert until > t and _blocked_by_hand(blackouts, names, t)
    if until > t + dt.timedelta(days=14):
        return  # nothing free within the horizon: the gate blocks
    assert not _blocked_by_hand(blackouts, names, until)
    assert _blocked_by_hand(blackouts, names, until - dt.timedelta(seconds=1))
    step = t
    while step < until:  # every quarter hour before it is blocked somewhere
        assert _blocked_by_hand(blackouts, names, step), step
        step += dt.timedelta(minutes=15)
