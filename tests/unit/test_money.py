"""Money must stay exact: splits add up to the cent, floats are refused, sub-cent input is refused."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.money import (
    CENT,
    format_usd,
    from_cents,
    installments,
    json_number,
    percent_of,
    split,
    to_cents,
    to_decimal,
)

FAST = settings(max_examples=200, deadline=None)
QUICK = settings(max_examples=50, deadline=None)  # for checks that are plain refusals
cents_amounts = st.integers(min_value=0, max_value=10**10)
part_counts = st.integers(min_value=1, max_value=600)
D = Decimal


@pytest.fixture(autouse=True)
def _app_context():
    """Pure functions: these tests need no app, database or clock, so the suite-wide fixture is skipped."""
    yield


# --- to_decimal ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1250", D("1250.00")),
        ("1,250.50", D("1250.50")),
        ("$1,250.50", D("1250.50")),
        (" 12.3 ", D("12.30")),
        ("1.50", D("1.50")),
        ("1.5", D("1.50")),
        ("1.500", D("1.50")),
        ("-$5.00", D("-5.00")),
        (".5", D("0.50")),
        (7, D("7.00")),
        (D("1E+2"), D("100.00")),
        (D("-0"), D("0.00")),
    ],
)
def test_to_decimal_accepts_money_text_and_exact_numbers(raw, expected):
    result = to_decimal(raw)
    assert result == expected
    assert result.as_tuple().exponent == -2
    assert str(result) == str(expected)


@pytest.mark.parametrize("raw", ["1.005", "0.001", D("2.345"), "abc", "", "$", "1,25", "1e3", "NaN",
                                 "Infinity", D("NaN"), D("Infinity"), D("-Infinity"), "1 2", "--5"])
def test_to_decimal_rejects_garbage_and_sub_cent_amounts(raw):
    with pytest.raises(ValueError):
        to_decimal(raw)


@pytest.mark.parametrize("raw", [1.5, 0.0, True, False, None, [1], b"12"])
def test_to_decimal_rejects_float_bool_and_other_types(raw):
    with pytest.raises(TypeError):
        to_decimal(raw)


def test_float_error_says_why():
    with pytest.raises(TypeError, match="never float"):
        to_decimal(19.99)


@QUICK
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_is_refused(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@QUICK
@given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_three_decimal_strings_are_refused(cents, last_digit):
    text = f"{from_cents(cents)}{last_digit}"
    with pytest.raises(ValueError):
        to_decimal(text)


# --- cents ---------------------------------------------------------------------------------

@FAST
@given(st.integers(min_value=-10**14, max_value=10**14))
def test_cents_round_trip(cents):
    amount = from_cents(cents)
    assert amount.as_tuple().exponent == -2
    assert to_cents(amount) == cents
    assert to_cents(str(amount)) == cents
    assert to_decimal(amount) == amount


def test_cents_examples():
    assert to_cents("$1,250.50") == 125050
    assert to_cents("-1.05") == -105
    assert from_cents(5) == D("0.05")
    assert str(from_cents(0)) == "0.00"
    with pytest.raises(TypeError):
        from_cents(True)
    with pytest.raises(TypeError):
        from_cents(D("1"))


# --- split ---------------------------------------------------------------------------------

def test_split_examples():
    assert split(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    assert split("0.05", 3) == [D("0.01"), D("0.01"), D("0.03")]
    assert split("0.02", 3) == [D("0.00"), D("0.00"), D("0.02")]
    assert split(100, 1) == [D("100.00")]


@pytest.mark.parametrize(("total", "parts"), [("10", 0), ("10", -1), ("-0.01", 2)])
def test_split_rejects_bad_input(total, parts):
    with pytest.raises(ValueError):
        split(total, parts)


@FAST
@given(cents_amounts, part_counts)
def test_split_invariants(total_cents, parts):
    total = from_cents(total_cents)
    result = split(total, parts)
    first, last = result[0], result[-1]
    assert len(result) == parts
    assert sum(result, D("0")) == total
    assert all(part >= 0 and part.as_tuple().exponent == -2 for part in result)
    assert all(part == first for part in result[:-1])
    assert first == from_cents(total_cents // parts)  # rounded down
    assert last >= first
    assert to_cents(last - first) < parts


# --- installments --------------------------------------------------------------------------

def test_installments_example():
    down, parts = installments("1000.00", "100.00", 3)
    assert down == D("100.00")
    assert parts == [D("300.00"), D("300.00"), D("300.00")]
    assert installments("100", "0", 3) == (D("0.00"), [D("33.33"), D("33.33"), D("33.34")])


@pytest.mark.parametrize(("total", "down", "count"),
                         [("100", "100.01", 2), ("100", "-1", 2), ("-1", "0", 2), ("100", "10", 0)])
def test_installments_rejects_bad_plans(total, down, count):
    with pytest.raises(ValueError):
        installments(total, down, count)


@FAST
@given(cents_amounts, st.data(), part_counts)
def test_installments_invariant(total_cents, data, count):
    down_cents = data.draw(st.integers(min_value=0, max_value=total_cents))
    down, parts = installments(from_cents(total_cents), from_cents(down_cents), count)
    assert down + sum(parts, D("0")) == from_cents(total_cents)
    assert len(parts) == count
    assert all(part >= 0 for part in parts)
    assert all(part == parts[0] for part in parts[:-1])


# --- display and JSON ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [("1250", "$1,250.00"), (D("-5"), "-$5.00"), ("0", "$0.00"), ("-0.00", "$0.00"),
     ("1234567.89", "$1,234,567.89"), (D("0.5"), "$0.50")],
)
def test_format_usd(value, expected):
    assert format_usd(value) == expected


@pytest.mark.parametrize(
    ("amount", "pct", "expected"),
    [("100.00", 20, "20.00"), ("33.33", "12.5", "4.16"), ("33.33", "12.5%", "4.16"),
     ("0.99", D("50"), "0.49"), ("10", "0", "0.00"), ("10.00", "100", "10.00")],
)
def test_percent_of_rounds_down(amount, pct, expected):
    assert percent_of(amount, pct) == D(expected)


@pytest.mark.parametrize("pct", [12.5, True, "abc", "NaN"])
def test_percent_of_rejects_bad_percentages(pct):
    with pytest.raises((TypeError, ValueError)):
        percent_of("10", pct)


@FAST
@given(cents_amounts, st.integers(min_value=0, max_value=100))
def test_percent_of_never_overstates(total_cents, pct):
    result = percent_of(from_cents(total_cents), pct)
    assert result.as_tuple().exponent == -2
    assert 0 <= to_cents(result) * 100 <= total_cents * pct < (to_cents(result) + 1) * 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("1250"), "1250.00"), (D("-0.5"), "-0.50"), ("1,000", "1000.00"), (0, "0.00")],
)
def test_json_number(value, expected):
    assert json_number(value) == expected


@QUICK
@given(st.integers(min_value=-10**14, max_value=10**14))
def test_json_number_is_a_json_number_with_two_places(cents):
    text = json_number(from_cents(cents))
    assert json.loads(text, parse_float=Decimal) == from_cents(cents)
    assert len(text.split(".")[1]) == 2


def test_cent_constant():
    assert CENT == D("0.01")
