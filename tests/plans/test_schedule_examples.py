"""Worked examples: the PRD's $1,250 plan, month ends and leap years, rounding, the three proposals for a stated
budget, and the policy checks an agent meets."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.services.errors import ValidationError
from app.services.payments import plan_policy, plans

D = Decimal
POLICY = plan_policy.DEFAULTS


def _dates(rows):
    return [(r.number, r.due_date.isoformat()) for r in rows]


def test_the_prd_plan_250_down_and_ten_monthly_installments_of_100():
    rows = plans.schedule(D("1250.00"), D("250.00"), 10, "monthly", dt.date(2025, 12, 1))
    assert rows[0] == plans.Installment(0, D("250.00"), dt.date(2025, 12, 1))
    assert [r.amount for r in rows[1:]] == [D("100.00")] * 10
    assert rows[1].due_date == dt.date(2026, 1, 1) and rows[-1].due_date == dt.date(2026, 10, 1)


def test_a_plan_starting_january_31_pays_at_each_month_end_without_drifting():
    rows = plans.schedule(D("600.00"), D("0"), 6, "monthly", dt.date(2027, 1, 31))
    assert _dates(rows) == [(1, "2027-02-28"), (2, "2027-03-31"), (3, "2027-04-30"), (4, "2027-05-31"),
                            (5, "2027-06-30"), (6, "2027-07-31")]


def test_in_a_leap_year_february_29_is_the_due_date():
    rows = plans.schedule(D("300.00"), D("0"), 3, "monthly", dt.date(2028, 1, 31))
    assert _dates(rows) == [(1, "2028-02-29"), (2, "2028-03-31"), (3, "2028-04-30")]


def test_a_plan_starting_on_a_leap_day_comes_back_to_february_28_then_29():
    rows = plans.schedule(D("4800.00"), D("0"), 48, "monthly", dt.date(2028, 2, 29))
    assert rows[0].due_date == dt.date(2028, 3, 29)
    assert rows[11].due_date == dt.date(2029, 2, 28)
    assert rows[47].due_date == dt.date(2032, 2, 29)


def test_weekly_and_biweekly_count_days_across_a_leap_day():
    weekly = plans.schedule(D("100.00"), D("10.00"), 3, "weekly", dt.date(2028, 2, 22))
    assert _dates(weekly) == [(0, "2028-02-22"), (1, "2028-02-29"), (2, "2028-03-07"), (3, "2028-03-14")]
    biweekly = plans.schedule(D("100.00"), D("0"), 2, "biweekly", dt.date(2027, 12, 24))
    assert _dates(biweekly) == [(1, "2028-01-07"), (2, "2028-01-21")]


def test_amounts_round_down_and_the_last_installment_takes_the_remainder():
    rows = plans.schedule(D("100.00"), D("0"), 3, "monthly", dt.date(2027, 1, 15))
    assert [r.amount for r in rows] == [D("33.33"), D("33.33"), D("33.34")]
    rows = plans.schedule(D("1000.05"), D("0.05"), 7, "monthly", dt.date(2027, 1, 15))
    assert [r.amount for r in rows] == [D("0.05")] + [D("142.85")] * 6 + [D("142.90")]


def test_the_three_proposals_for_1250_follow_the_prd_templates():
    options = plans.proposals(POLICY, D("1250.00"), start=dt.date(2026, 12, 1))
    summary = [(o.key, o.down_payment, o.count, o.installment_amount, o.last_installment_amount) for o in options]
    assert summary == [("standard", D("250.00"), 12, D("83.33"), D("83.37")),
                       ("flexible", D("125.00"), 18, D("62.50"), D("62.50")),
                       ("hardship", D("0.00"), 24, D("52.08"), D("52.16"))]
    assert [o.fits_affordable for o in options] == [None, None, None]


def test_a_stated_budget_lengthens_options_up_to_the_longest_plan_and_says_when_one_still_asks_more():
    """'I can afford $50 a month': standard and flexible stretch to fit; hardship is already 24 months and asks
    more, and says so."""
    options = {o.key: o for o in plans.proposals(POLICY, D("1250.00"), affordable=D("50"), start=dt.date(2026, 12, 1))}
    assert (options["standard"].count, options["standard"].last_installment_amount) == (20, D("50.00"))
    assert options["standard"].fits_affordable is True
    assert (options["flexible"].count, options["flexible"].last_installment_amount) == (23, D("48.98"))
    assert options["flexible"].fits_affordable is True
    assert (options["hardship"].count, options["hardship"].fits_affordable) == (24, False)


def test_a_budget_below_the_minimum_installment_stops_at_the_minimum():
    """$10 a month against a $25 minimum: the options shorten to installments of $25 and say they ask more."""
    options = plans.proposals(POLICY, D("300.00"), affordable=D("10"), start=dt.date(2026, 12, 1))
    assert all(o.installment_amount >= D("25.00") and o.fits_affordable is False for o in options)
    assert [o.count for o in options] == [9, 10, 12]


def test_a_small_balance_gets_fewer_options_and_none_below_the_minimum_installment():
    options = plans.proposals(POLICY, D("60.00"), start=dt.date(2026, 12, 1))
    assert [(o.key, o.down_payment, o.count) for o in options] == [
        ("standard", D("12.00"), 1), ("flexible", D("6.00"), 2), ("hardship", D("0.00"), 2)]
    assert plans.proposals(POLICY, D("20.00"), start=dt.date(2026, 12, 1)) == []


def test_proposals_refuse_a_frequency_the_policy_does_not_offer():
    policy = plan_policy.validate({"frequencies": ["monthly"]})
    with pytest.raises(ValidationError) as exc:
        plans.proposals(policy, D("1000"), frequency="weekly", start=dt.date(2026, 12, 1))
    assert exc.value.field == "frequency"


def _validate(within_policy=True, **terms):
    values = dict(total=D("1250.00"), down_payment=D("250.00"), count=10, frequency="monthly",
                  start=dt.date(2026, 12, 1), earliest_start=dt.date(2026, 11, 25), balance=D("1250.00"))
    values.update(terms)
    return plans.validate(POLICY, within_policy=within_policy, **values)


@pytest.mark.parametrize("terms, field", [
    ({"count": 25}, "numberOfInstallments"),                      # 25 months > 24
    ({"count": 105, "frequency": "weekly"}, "numberOfInstallments"),  # 104 weekly fit in 24 months
    ({"count": 50}, "numberOfInstallments"),                      # also under the $25 minimum
    ({"down_payment": D("1240.00"), "count": 1}, "downPayment"),  # $10 left: under the minimum installment
    ({"total": D("1000.00")}, "totalAmount"),                     # an agent's plan covers the whole balance
])
def test_an_agent_outside_the_policy_is_refused_with_the_field(terms, field):
    with pytest.raises(ValidationError) as exc:
        _validate(**terms)
    assert exc.value.field == field
    assert "A manager or business admin can set up a plan outside the policy." in exc.value.message
    _validate(within_policy=False, **terms)  # a manager may


def test_the_policy_minimum_down_payment_and_frequencies_bind_agents():
    policy = plan_policy.validate({"minDownPercent": 10, "frequencies": ["monthly", "biweekly"],
                                   "templates": {"hardship": {"downPercent": 10}}})
    base = dict(total=D("1000.00"), count=10, start=dt.date(2026, 12, 1), earliest_start=dt.date(2026, 12, 1))
    with pytest.raises(ValidationError) as exc:
        plans.validate(policy, down_payment=D("99.99"), frequency="monthly", **base)
    assert exc.value.field == "downPayment" and "$100.00" in exc.value.message
    with pytest.raises(ValidationError) as exc:
        plans.validate(policy, down_payment=D("100.00"), frequency="weekly", **base)
    assert exc.value.field == "frequency"
    assert len(plans.validate(policy, down_payment=D("100.00"), frequency="biweekly", **base)) == 11


@pytest.mark.parametrize("terms, field", [
    ({"down_payment": D("1250.00")}, "downPayment"),
    ({"down_payment": D("0.50")}, "downPayment"),
    ({"down_payment": D("-1.00")}, "downPayment"),
    ({"total": D("1300.00")}, "totalAmount"),
    ({"total": D("0.99"), "down_payment": D("0")}, "totalAmount"),
    ({"total": D("10.005")}, "totalAmount"),
    ({"count": 0}, "numberOfInstallments"),
    ({"total": D("10.00"), "down_payment": D("0"), "count": 11}, "numberOfInstallments"),
    ({"count": 121}, "numberOfInstallments"),
    ({"frequency": "daily"}, "frequency"),
    ({"start": dt.date(2026, 11, 24)}, "startDate"),
    ({"start": dt.date(2027, 11, 26)}, "startDate"),
])
def test_some_plans_nobody_may_set_up(terms, field):
    """Even a manager: a down payment that is the whole total or under $1, more than the balance, installments
    under $1, over ten years, an unknown frequency, a start in the past or more than a year away."""
    with pytest.raises(ValidationError) as exc:
        _validate(within_policy=False, **terms)
    assert exc.value.field == field
