"""Payment plan arithmetic (PRD 4.4.3, 9.5): schedules, the three proposals, and the checks a plan must pass.

Plain functions of Decimal amounts and dates, no database. A schedule is the down payment (number 0, due on the
start date, when the debtor accepts) and then `count` installments, the first one period after the start. Amounts
are rounded down to the cent and the last installment absorbs the remainder, so the parts add up to the total
exactly. Monthly dates are anchored on the start day: a plan starting on January 31 falls due on February 28 (29),
then March 31, never drifting to the 28th.

A plan's length is measured by date: its last installment must fall due no later than `max_months` months after
the start, which makes 24 months 24 monthly, 104 weekly or 52 biweekly installments."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.models.payment import FREQUENCIES
from app.services import money
from app.services.errors import ValidationError
from app.services.payments.plan_policy import FREQUENCY_LABELS, PlanPolicy

MIN_PAYMENT = Decimal("1.00")
"""The smallest down payment or installment anyone may set (the smallest payment, one_time.MIN_AMOUNT)."""
HARD_MAX_MONTHS = 120
"""No plan runs longer than this, whoever sets it up: the policy's maximum binds agents, this binds everyone."""
LATEST_START = dt.timedelta(days=365)
PERIOD_DAYS = {"weekly": 7, "biweekly": 14}
OUTSIDE_POLICY = "A manager or business admin can set up a plan outside the policy."


@dataclass(frozen=True)
class Installment:
    number: int  # 0 is the down payment
    amount: Decimal
    due_date: dt.date


@dataclass(frozen=True)
class Proposal:
    """One option to offer: `fits_affordable` is None when no amount was stated, else whether every installment
    is within it (False: even the longest plan the policy allows asks more)."""

    key: str
    name: str
    down_percent: Decimal
    down_payment: Decimal
    count: int
    frequency: str
    installment_amount: Decimal
    last_installment_amount: Decimal
    total: Decimal
    start: dt.date
    schedule: tuple[Installment, ...]
    affordable: Decimal | None = None
    fits_affordable: bool | None = None

    @property
    def last_due(self) -> dt.date:
        return self.schedule[-1].due_date


# -- dates -------------------------------------------------------------------------------------------------------
def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter (Jan 31 + 1 = Feb 28/29)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(start: dt.date, frequency: str, periods: int) -> dt.date:
    """`periods` periods after the start, each counted from the start itself (so month ends never drift)."""
    if frequency == "monthly":
        return add_months(start, periods)
    return start + dt.timedelta(days=PERIOD_DAYS[frequency] * periods)


def max_count(frequency: str, start: dt.date, months: int) -> int:
    """The most installments whose last one falls due within `months` months of the start."""
    if frequency == "monthly":
        return months
    return (add_months(start, months) - start).days // PERIOD_DAYS[frequency]


# -- schedules ---------------------------------------------------------------------------------------------------
def schedule(total, down_payment, count: int, frequency: str, start: dt.date) -> list[Installment]:
    """The down payment (when there is one) due on the start date, then `count` installments one period apart, the
    first one period after the start; together exactly `total`."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}")
    down, parts = money.installments(total, down_payment, count)
    rows = [Installment(0, down, start)] if down > 0 else []
    rows += [Installment(n, amount, due_date(start, frequency, n)) for n, amount in enumerate(parts, start=1)]
    return rows


def regular_amount(rest: Decimal, count: int) -> Decimal:
    """What each installment but the last comes to: the rest split and rounded down to the cent."""
    return money.split(rest, count)[0]


def largest_amount(rest: Decimal, count: int) -> Decimal:
    """The last installment, which absorbs the rounding and so is the largest."""
    return money.split(rest, count)[-1]


# -- checks ------------------------------------------------------------------------------------------------------
def validate(policy: PlanPolicy, *, total, down_payment, count, frequency, start: dt.date, earliest_start: dt.date,
             balance: Decimal | None = None, within_policy: bool = True) -> list[Installment]:
    """The plan's schedule, or ValidationError naming the field (API names: totalAmount, downPayment,
    numberOfInstallments, frequency, startDate).

    Everyone: a known frequency, at least one installment, a total from $1 to `balance` (what the account can take
    now), a down payment below the total and of at least $1 when there is one, installments of at least $1, a start
    from `earliest_start` to a year after it, a plan no longer than HARD_MAX_MONTHS.
    `within_policy` (agents, and every proposal): also the policy's frequencies, a down payment of at least its
    minimum share, installments of at least its minimum, a length within its maximum, and the whole balance
    covered."""
    if frequency not in FREQUENCIES:
        raise ValidationError("frequency must be weekly, biweekly or monthly.", field="frequency")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationError("numberOfInstallments must be a whole number of at least 1.",
                              field="numberOfInstallments")
    total, down = _amount(total, "totalAmount"), _amount(down_payment, "downPayment")
    if total < MIN_PAYMENT:
        raise ValidationError(f"totalAmount must be at least {money.format_usd(MIN_PAYMENT)}.", field="totalAmount")
    if balance is not None and total > balance:
        raise ValidationError(f"totalAmount cannot be more than the {money.format_usd(balance)} the account owes "
                              f"now (less payments still being processed).", field="totalAmount")
    if down < 0:
        raise ValidationError("downPayment cannot be negative.", field="downPayment")
    if down >= total:
        raise ValidationError("downPayment must be less than the total: a plan needs at least one installment.",
                              field="downPayment")
    if 0 < down < MIN_PAYMENT:
        raise ValidationError(f"A down payment must be at least {money.format_usd(MIN_PAYMENT)} (or none).",
                              field="downPayment")
    if start < earliest_start:
        raise ValidationError("startDate cannot be in the past.", field="startDate")
    if start > earliest_start + LATEST_START:
        raise ValidationError("startDate must be within a year.", field="startDate")
    if count > max_count(frequency, start, HARD_MAX_MONTHS):
        raise ValidationError(f"A plan cannot run longer than {HARD_MAX_MONTHS // 12} years.",
                              field="numberOfInstallments")
    rest = total - down
    if regular_amount(rest, count) < MIN_PAYMENT:
        raise ValidationError(f"{count} installments would be less than {money.format_usd(MIN_PAYMENT)} each.",
                              field="numberOfInstallments")
    if within_policy:
        _check_policy(policy, total=total, down=down, count=count, frequency=frequency, start=start, balance=balance)
    return schedule(total, down, count, frequency, start)


def _check_policy(policy: PlanPolicy, *, total: Decimal, down: Decimal, count: int, frequency: str, start: dt.date,
                  balance: Decimal | None) -> None:
    if frequency not in policy.frequencies:
        offered = ", ".join(FREQUENCY_LABELS[f].lower() for f in policy.frequencies)
        raise ValidationError(f"The plan policy offers {offered} payments only. {OUTSIDE_POLICY}", field="frequency")
    if balance is not None and total < balance:
        raise ValidationError(f"A plan must cover the whole {money.format_usd(balance)} owed. {OUTSIDE_POLICY}",
                              field="totalAmount")
    minimum_down = money.percent_of(total, policy.min_down_percent)
    if down < minimum_down:
        raise ValidationError(f"The plan policy asks at least {money.format_usd(minimum_down)} down "
                              f"({policy.min_down_percent}%). {OUTSIDE_POLICY}", field="downPayment")
    longest = max_count(frequency, start, policy.max_months)
    if count > longest:
        raise ValidationError(f"The plan policy allows at most {policy.max_months} months: {longest} "
                              f"{FREQUENCY_LABELS[frequency].lower()} installments. {OUTSIDE_POLICY}",
                              field="numberOfInstallments")
    if regular_amount(total - down, count) < policy.min_installment:
        field = "numberOfInstallments" if count > 1 else "downPayment"
        raise ValidationError(f"Each installment must be at least {money.format_usd(policy.min_installment)} under "
                              f"the plan policy: choose fewer installments. {OUTSIDE_POLICY}"
                              if count > 1 else
                              f"What is left after the down payment is less than the "
                              f"{money.format_usd(policy.min_installment)} minimum installment. {OUTSIDE_POLICY}",
                              field=field)


def _amount(value, field: str) -> Decimal:
    if isinstance(value, Decimal) and value == value.quantize(money.CENT):
        return value.quantize(money.CENT)
    try:
        return money.to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be an amount in dollars and cents.", field=field) from None


# -- proposals ---------------------------------------------------------------------------------------------------
def proposals(policy: PlanPolicy, balance, *, affordable=None, frequency: str = "monthly",
              start: dt.date) -> list[Proposal]:
    """The policy's templates (standard, flexible, hardship) applied to `balance`, each a plan an agent may offer.

    With `affordable` (what the debtor says they can pay each period) an option's installment count rises until its
    installments fit, but never past the policy's longest plan or below its minimum installment; an option that
    still asks more says so (fits_affordable False). Options that come out identical are offered once; a balance too
    small for any plan under the policy gets none (it can be paid at once)."""
    balance = _amount(balance, "balance")
    if frequency not in policy.frequencies:
        raise ValidationError("The plan policy does not offer this frequency.", field="frequency")
    if affordable is not None:
        affordable = _amount(affordable, "affordable")
        if affordable <= 0:
            raise ValidationError("The amount the debtor can afford must be more than zero.", field="affordable")
    options: list[Proposal] = []
    seen: set[tuple[Decimal, int]] = set()
    for template in policy.templates:
        option = _proposal(policy, template, balance, affordable, frequency, start)
        if option is None or (option.down_payment, option.count) in seen:
            continue
        seen.add((option.down_payment, option.count))
        options.append(option)
    return options


def _proposal(policy, template, balance: Decimal, affordable, frequency: str, start: dt.date) -> Proposal | None:
    down = money.percent_of(balance, max(template.down_percent, policy.min_down_percent))
    if 0 < down < MIN_PAYMENT:
        down = MIN_PAYMENT
    rest = balance - down
    longest = max_count(frequency, start, policy.max_months)
    # The most installments that each still reach the policy's minimum.
    by_minimum = money.to_cents(rest) // money.to_cents(policy.min_installment) if rest > 0 else 0
    limit = min(longest, by_minimum)
    if limit < 1:
        return None
    count = max(1, min(max_count(frequency, start, template.months), limit))
    if affordable is not None and largest_amount(rest, count) > affordable:
        needed = -(-money.to_cents(rest) // money.to_cents(affordable))
        count = max(count, min(needed, limit))
        while count < limit and largest_amount(rest, count) > affordable:
            count += 1
    try:
        rows = validate(policy, total=balance, down_payment=down, count=count, frequency=frequency, start=start,
                        earliest_start=start, balance=balance)
    except ValidationError:
        return None
    regular = [row for row in rows if row.number > 0]
    return Proposal(
        key=template.key, name=template.name, down_percent=template.down_percent, down_payment=down, count=count,
        frequency=frequency, installment_amount=regular[0].amount, last_installment_amount=regular[-1].amount,
        total=balance, start=start, schedule=tuple(rows), affordable=affordable,
        fits_affordable=None if affordable is None else regular[-1].amount <= affordable)
