"""WORK-1..3: no messages to work addresses, none during stated working hours (COMPLIANCE.md 1.9)."""
import datetime as dt

import pytest

from app.services.compliance.decision import ALLOW, BLOCK, DEFER
from app.services.compliance.facts import Blackout, Consent, Inbound
from app.services.compliance.gate import decide
from app.services.compliance.inbound import analyze, observe
from app.services.compliance.registry import RULES
from app.services.compliance.rules.workplace import blocked_intervals, first_free
from tests.unit.compliance.builders import at, attempt, debtor, email, facts, phone

NINE_TO_FIVE = Blackout(start=dt.time(9), end=dt.time(17), weekdays=frozenset(range(5)))
WORK_EMAIL = "ana.ruiz@employer.example"


def only(*ids):
    return [r for r in RULES if r.id in ids]


def severities(decision, rule_id):
    return {i.severity for i in decision.issues if i.rule == rule_id}


def objected(hours=(NINE_TO_FIVE,), **changes):
    return debtor(workplace_objection_at=at("2026-07-10T15:00Z"), work_hours=tuple(hours), **changes)


# -- scenarios ------------------------------------------------------------------------------------------------
def test_scenario_086_email_to_employer_address_never_used_by_the_debtor_is_blocked():
    d = debtor(emails=(email(WORK_EMAIL, is_work=True, provenance="creditor_notice"),))
    decision = decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d))
    assert decision.outcome == BLOCK
    assert BLOCK in severities(decision, "WORK-1")


def test_scenario_087_workplace_objection_defers_sms_until_work_is_over():
    parsed = analyze("don't contact me at work, I work 9–5 weekdays")
    assert "workplace_objection" in parsed.labels
    d = debtor(workplace_objection_at=at("2026-07-20T15:00Z"), work_hours=parsed.work_hours)
    decision = decide(attempt(now="2026-07-21T15:00Z"), facts(d))  # Tue 11:00 EDT
    assert decision.outcome == DEFER
    assert decision.until == at("2026-07-21T21:00Z")  # 17:00 EDT
    assert decision.issue("WORK-2").until == at("2026-07-21T21:00Z")


# -- WORK-1 ---------------------------------------------------------------------------------------------------
def test_work1_consumer_emailed_from_the_work_address():
    d = debtor(emails=(email(WORK_EMAIL, is_work=True, provenance=None,
                             debtor_emailed_from_at=at("2026-07-01T15:00Z")),))
    assert decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d), rules=only("WORK-1")).outcome == ALLOW


def test_work1_consumer_consent_given_directly():
    consent = Consent(granted_at=at("2026-07-01T15:00Z"), method="portal", evidence="session-1")
    d = debtor(emails=(email(WORK_EMAIL, employer_operated=True, provenance="creditor_notice", consent=consent),))
    assert decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d), rules=only("WORK-1")).outcome == ALLOW


def test_work1_creditor_attested_consent_is_not_direct():
    consent = Consent(granted_at=at("2026-07-01T15:00Z"), method="creditor_attested", evidence="api-key-1")
    d = debtor(emails=(email(WORK_EMAIL, is_work=True, provenance="creditor_notice", consent=consent),))
    assert decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d), rules=only("WORK-1")).outcome == BLOCK


def test_work1_employer_domain_makes_an_address_a_work_address():
    d = debtor(employer_domain="Employer.example", emails=(email(WORK_EMAIL, provenance="creditor_notice"),))
    assert decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d), rules=only("WORK-1")).outcome == BLOCK


def test_work1_personal_address_is_fine():
    assert decide(attempt(channel="email"), facts(debtor(employer_domain="employer.example")),
                  rules=only("WORK-1")).outcome == ALLOW


# -- WORK-2 ---------------------------------------------------------------------------------------------------
def test_work2_work_phone_is_blocked_for_good():
    work = "+12125550190"
    d = objected(phones=(phone(), phone(work, type="work")))
    decision = decide(attempt(now="2026-07-25T15:00Z", to_address=work), facts(d), rules=only("WORK-2"))
    assert decision.outcome == BLOCK  # a Saturday, outside the stated hours


def test_work2_work_email_is_blocked():
    d = objected(emails=(email(), email(WORK_EMAIL, is_work=True, debtor_emailed_from_at=at("2026-07-01T15:00Z"))))
    decision = decide(attempt(channel="email", to_address=WORK_EMAIL), facts(d), rules=only("WORK-1", "WORK-2"))
    assert decision.outcome == BLOCK and decision.issue("WORK-2").severity == BLOCK


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "email"])
def test_work2_defers_personal_channels_during_stated_hours(channel):
    decision = decide(attempt(now="2026-07-21T15:00Z", channel=channel), facts(objected()), rules=only("WORK-2"))
    assert decision.outcome == DEFER and decision.until == at("2026-07-21T21:00Z")


def test_work2_end_of_hours_is_free():
    assert decide(attempt(now="2026-07-21T21:00Z"), facts(objected()), rules=only("WORK-2")).outcome == ALLOW


def test_work2_weekend_is_outside_weekday_hours():
    assert decide(attempt(now="2026-07-25T15:00Z"), facts(objected()), rules=only("WORK-2")).outcome == ALLOW


def test_work2_hours_must_be_over_in_every_candidate_zone():
    d = objected(state="CA", zip=None)  # CA address + 212 phone: Los Angeles and New York
    decision = decide(attempt(now="2026-07-21T15:00Z"), facts(d), rules=only("WORK-2"))
    assert decision.outcome == DEFER and decision.until == at("2026-07-22T00:00Z")  # 17:00 PDT


def test_work2_overnight_shift_runs_past_midnight():
    nights = Blackout(start=dt.time(22), end=dt.time(6))
    decision = decide(attempt(now="2026-07-21T03:00Z"), facts(objected(hours=(nights,))), rules=only("WORK-2"))
    assert decision.outcome == DEFER and decision.until == at("2026-07-21T10:00Z")  # 06:00 EDT


def test_work2_revoked_hours_do_not_defer():
    revoked = Blackout(start=dt.time(9), end=dt.time(17), revoked_at=at("2026-07-15T15:00Z"))
    assert decide(attempt(now="2026-07-21T15:00Z"), facts(objected(hours=(revoked,))),
                  rules=only("WORK-2")).outcome == ALLOW


def test_work2_attorney_and_system_replies_are_not_deferred():
    for message in (attempt(now="2026-07-21T15:00Z", purpose="optout_confirm", kind="system"),
                    attempt(now="2026-07-21T15:00Z", channel="email", recipient="attorney")):
        assert decide(message, facts(objected()), rules=only("WORK-2")).outcome == ALLOW


def test_work2_silent_without_an_objection():
    d = debtor(work_hours=(NINE_TO_FIVE,))
    assert decide(attempt(now="2026-07-21T15:00Z"), facts(d), rules=only("WORK-2")).outcome == ALLOW


def test_intervals_are_merged_and_skipped_in_one_step():
    early = Blackout(start=dt.time(8), end=dt.time(12))
    late = Blackout(start=dt.time(12), end=dt.time(18))
    t = at("2026-07-21T13:00Z")  # 09:00 EDT
    spans = blocked_intervals((early, late), ("America/New_York",), dt.date(2026, 7, 19), "sms")
    assert first_free(spans, t) == at("2026-07-21T22:00Z")
    assert first_free(spans, at("2026-07-21T22:00Z")) == at("2026-07-21T22:00Z")


def test_hours_designated_later_apply_from_then_on():
    late = Blackout(start=dt.time(9), end=dt.time(17), designated_at=at("2026-07-21T16:00Z"))
    spans = blocked_intervals((late,), ("America/New_York",), dt.date(2026, 7, 19), "sms")
    assert first_free(spans, at("2026-07-21T15:00Z")) == at("2026-07-21T15:00Z")
    assert first_free(spans, at("2026-07-21T16:00Z")) == at("2026-07-21T21:00Z")


# -- WORK-3 ---------------------------------------------------------------------------------------------------
def ma(**changes):
    return objected(state="MA", zip="02108", city="Boston", **changes)


def test_work3_ma_sms_during_hours_is_deferred_under_work3():
    decision = decide(attempt(now="2026-07-21T15:00Z"), facts(ma()), rules=only("WORK-2", "WORK-3"))
    assert decision.outcome == DEFER and decision.issue("WORK-3").until == at("2026-07-21T21:00Z")


def test_work3_ma_work_phone_is_blocked():
    work = "+16175550190"
    d = ma(phones=(phone(), phone(work, type="work")))
    decision = decide(attempt(now="2026-07-25T15:00Z", to_address=work), facts(d), rules=only("WORK-3"))
    assert decision.outcome == BLOCK


def test_work3_only_for_ma_calls_and_texts():
    assert decide(attempt(now="2026-07-21T15:00Z"), facts(objected()), rules=only("WORK-3")).outcome == ALLOW
    assert decide(attempt(now="2026-07-21T15:00Z", channel="email"), facts(ma()),
                  rules=only("WORK-3")).outcome == ALLOW


def test_observe_records_the_workplace_objection_with_hours():
    text = Inbound(id="in-87", channel="email", received_at=at("2026-07-20T15:00Z"),
                   body="Please don't contact me at work, I work 9-5 weekdays.", address="ana.ruiz@example.com")
    after = observe(facts(), text)
    assert after.debtor.workplace_objection_at == at("2026-07-20T15:00Z")
    (hours,) = after.debtor.work_hours
    assert (hours.start, hours.end, hours.weekdays) == (dt.time(9), dt.time(17), frozenset(range(5)))
