"""For any total, down payment, count, frequency and start date: does a schedule add up to the total to the cent,
fall due on real dates one period apart (the first one period after the start), and do the proposals stay inside
the business's plan policy?"""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.services import money
from app.services.errors import ValidationError
from app.services.payments import plan_policy, plans
from app.services.payments.plan_policy import PlanPolicy, Template

FAST = settings(max_examples=300, deadline=None)
FREQUENCIES = ("weekly", "biweekly", "monthly")

cents = st.integers(min_value=100, max_value=10_000_000)  # $1.00 to $100,000.00
starts = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2040, 12, 31))
frequencies = st.sampled_from(FREQUENCIES)


@st.composite
def plan_terms(draw):
    total = draw(cents)
    down = draw(st.one_of(st.just(0), st.integers(min_value=100, max_value=total - 1))) if total > 100 else 0
    count = draw(st.integers(min_value=1, max_value=min(104, (total - down) // 1)))
    return money.from_cents(total), money.from_cents(down), count


def _period_after(day: dt.date, frequency: str) -> dt.date:
    """One period after `day`, computed independently of the code under test (for weekly and biweekly)."""
    return day + dt.timedelta(days=7 if frequency == "weekly" else 14)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


@FAST
@given(terms=plan_terms(), frequency=frequencies, start=starts)
def test_a_schedule_adds_up_exactly_and_falls_due_one_period_apart(terms, frequency, start):
    total, down, count = terms
    rows = plans.schedule(total, down, count, frequency, start)
    assert sum((r.amount for r in rows), Decimal("0.00")) == total
    assert all(r.amount == r.amount.quantize(Decimal("0.01")) and r.amount > 0 for r in rows)
    regular = [r for r in rows if r.number > 0]
    assert [r.number for r in regular] == list(range(1, count + 1))
    if down > 0:
        assert (rows[0].number, rows[0].amount, rows[0].due_date) == (0, down, start)
    else:
        assert rows[0].number == 1
    # Rounded down to the cent, the last absorbing the remainder: equal parts, the last at most count - 1 cents more.
    assert len({r.amount for r in regular[:-1]}) <= 1
    assert 0 <= money.to_cents(regular[-1].amount) - money.to_cents(regular[0].amount) < count
    assert regular[0].amount == money.from_cents(money.to_cents(total - down) // count)
    dates = [r.due_date for r in rows]
    assert all(a < b for a, b in zip(dates, dates[1:])), "due dates strictly increase"
    if frequency == "monthly":
        assert _months_between(start, regular[0].due_date) == 1
        for r in regular:
            assert _months_between(start, r.due_date) == r.number
            last_day = calendar.monthrange(r.due_date.year, r.due_date.month)[1]
            assert r.due_date.day == min(start.day, last_day), "anchored on the start day, never drifting"
    else:
        assert regular[0].due_date == _period_after(start, frequency)
        assert all(_period_after(a.due_date, frequency) == b.due_date for a, b in zip(regular, regular[1:]))


@FAST
@given(terms=plan_terms(), frequency=frequencies, start=starts)
def test_validate_returns_the_same_schedule_for_a_manager_and_refuses_nothing_within_bounds(terms, frequency, start):
    """Outside the policy (a manager) only the hard bounds apply; the schedule is the one schedule() makes."""
    total, down, count = terms
    assume(money.to_cents(total - down) // count >= 100)
    rows = plans.validate(plan_policy.DEFAULTS, total=total, down_payment=down, count=count, frequency=frequency,
                          start=start, earliest_start=start, within_policy=False)
    assert rows == plans.schedule(total, down, count, frequency, start)


@st.composite
def policies(draw):
    min_installment = money.from_cents(draw(st.integers(min_value=100, max_value=20_000)))
    max_months = draw(st.integers(min_value=1, max_value=60))
    min_down = Decimal(draw(st.integers(min_value=0, max_value=50)))
    frequencies_offered = tuple(f for f in FREQUENCIES if draw(st.booleans())) or ("monthly",)
    templates = tuple(Template(t.key, t.name, min_down + Decimal(draw(st.integers(min_value=0, max_value=30))),
                               draw(st.integers(min_value=1, max_value=max_months)))
                      for t in plan_policy.DEFAULT_TEMPLATES)
    return PlanPolicy(min_installment=min_installment, max_months=max_months, min_down_percent=min_down,
                      frequencies=frequencies_offered, templates=templates)


@FAST
@given(policy=policies(), balance=cents, start=starts, data=st.data(),
       affordable=st.one_of(st.none(), st.integers(min_value=1, max_value=500_000)))
def test_proposals_stay_inside_the_policy(policy, balance, start, data, affordable):
    frequency = data.draw(st.sampled_from(policy.frequencies))
    balance = money.from_cents(balance)
    affordable = money.from_cents(affordable) if affordable is not None else None
    options = plans.proposals(policy, balance, affordable=affordable, frequency=frequency, start=start)
    assert len(options) <= 3
    assert len({(o.down_payment, o.count) for o in options}) == len(options), "no option offered twice"
    longest = plans.max_count(frequency, start, policy.max_months)
    for template in policy.templates:
        # Every template that leaves at least one minimum installment after its down payment is offered.
        down = money.percent_of(balance, max(template.down_percent, policy.min_down_percent))
        down = max(down, plans.MIN_PAYMENT) if down > 0 else down
        if balance - down >= policy.min_installment and longest >= 1:
            assert down in {o.down_payment for o in options}, f"{template.key} is missing"
    for option in options:
        regular = [r for r in option.schedule if r.number > 0]
        assert sum((r.amount for r in option.schedule), Decimal("0.00")) == balance == option.total
        assert option.down_payment >= money.percent_of(balance, policy.min_down_percent)
        assert option.down_payment < balance
        assert len(regular) == option.count <= longest
        assert regular[-1].due_date <= plans.add_months(start, policy.max_months)
        assert all(r.amount >= policy.min_installment for r in regular)
        assert option.installment_amount == regular[0].amount and option.last_installment_amount == regular[-1].amount
        # What an agent may set up: the same terms pass validate() inside the policy.
        plans.validate(policy, total=balance, down_payment=option.down_payment, count=option.count,
                       frequency=frequency, start=start, earliest_start=start, balance=balance)
        if affordable is None:
            assert option.fits_affordable is None
        else:
            assert option.fits_affordable == (regular[-1].amount <= affordable)
            if not option.fits_affordable:
                # It could not fit: the policy's longest plan or its minimum installment stood in the way.
                rest = money.to_cents(balance - option.down_payment)
                assert option.count == min(longest, rest // money.to_cents(policy.min_installment))


@FAST
@given(balance=cents, start=starts, frequency=frequencies,
       affordable=st.integers(min_value=100, max_value=500_000))
def test_a_stated_amount_only_ever_lengthens_an_option(balance, start, frequency, affordable):
    """The debtor's budget raises the installment count (never lowers it) and never lowers the down payment."""
    balance, affordable = money.from_cents(balance), money.from_cents(affordable)
    plain = {o.key: o for o in plans.proposals(plan_policy.DEFAULTS, balance, frequency=frequency, start=start)}
    for option in plans.proposals(plan_policy.DEFAULTS, balance, affordable=affordable, frequency=frequency,
                                  start=start):
        if option.key in plain:
            assert option.count >= plain[option.key].count
            assert option.down_payment == plain[option.key].down_payment
            if plain[option.key].last_installment_amount <= affordable:
                assert option.count == plain[option.key].count


@FAST
@given(policy=policies(), terms=plan_terms(), frequency=frequencies, start=starts)
def test_an_agent_plan_either_passes_every_policy_rule_or_is_refused_with_a_field(policy, terms, frequency, start):
    total, down, count = terms
    try:
        rows = plans.validate(policy, total=total, down_payment=down, count=count, frequency=frequency, start=start,
                              earliest_start=start, balance=total)
    except ValidationError as exc:
        assert exc.field in ("totalAmount", "downPayment", "numberOfInstallments", "frequency", "startDate")
        return
    regular = [r for r in rows if r.number > 0]
    assert frequency in policy.frequencies
    assert down >= money.percent_of(total, policy.min_down_percent)
    assert regular[-1].due_date <= plans.add_months(start, policy.max_months)
    assert regular[0].amount >= policy.min_installment


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_max_count_is_the_longest_plan_that_fits(frequency):
    """24 months: 24 monthly, 104 weekly, 52 biweekly installments (a leap day does not add one)."""
    expected = {"monthly": 24, "weekly": 104, "biweekly": 52}[frequency]
    for start in (dt.date(2026, 12, 1), dt.date(2027, 3, 1), dt.date(2028, 2, 29)):
        count = plans.max_count(frequency, start, 24)
        assert count == expected
        assert plans.due_date(start, frequency, count) <= plans.add_months(start, 24)
        assert plans.due_date(start, frequency, count + 1) > plans.add_months(start, 24)
