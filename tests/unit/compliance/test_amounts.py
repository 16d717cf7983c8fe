"""Money in message text: formats (US and Spanish), and what the words around an amount say it is."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.compliance.amounts import CONTEXTS, extract, parse_number


def values(text):
    return [a.value for a in extract(text)]


@pytest.mark.parametrize("text,value", [
    ("Your balance is $412.50.", "412.50"),
    ("Your balance is $ 412.50.", "412.50"),
    ("You owe $1,200.", "1200"),
    ("You owe $1,200.00 today.", "1200.00"),
    ("You owe $12,345,678.90.", "12345678.90"),
    ("You owe 412.50 dollars.", "412.50"),
    ("You owe USD 50.", "50"),
    ("You owe 50 USD.", "50"),
    ("You owe US$50.", "50"),
    ("Usted debe 50 dólares.", "50"),
    ("Su saldo es de $412,50.", "412.50"),
    ("Su saldo es de $1.200,50.", "1200.50"),
    ("Your balance is 412.50", "412.50"),
    ("Your balance is $0.", "0"),
])
def test_formats(text, value):
    assert values(text) == [Decimal(value)]


def test_dot_with_three_digits_has_two_readings():
    (amount,) = extract("You owe $1.200.")
    assert amount.ambiguous and amount.value == Decimal("1200")


@pytest.mark.parametrize("text", [
    "Call 1-800-555-0100 on 07/20/2026 at 10.30.",
    "Save 20% with a plan.",
    "Reference 4411, 3 payments.",
    "See you at 10.30",  # a bare decimal with no money word is not money
    "No numbers here.",
])
def test_not_money(text):
    assert extract(text) == ()


@pytest.mark.parametrize("text,context", [
    ("Your payment of $50.00 was received.", "payment"),
    ("Your remaining balance is $362.50.", "balance"),
    ("This adds a $25 processing fee.", "fee"),
    ("A processing fee of $25 applies.", "fee"),
    ("You were charged this amount in interest: + $0.00.", "interest"),
    ("Pay $50 a month for 3 months.", "installment"),
    ("Your first installment of $50.00 is due on August 1.", "installment"),
    ("We can settle for $300.", "plan"),
    ("Balance at charge-off: $412.50.", "balance"),
    ("You paid or were credited this amount toward the debt: - $0.00.", "payment"),
    ("You offered to pay $30 a month.", "proposed"),
    ("Su saldo es de $412,50.", "balance"),
    ("Recibimos su pago de $50.00.", "payment"),
    ("Un cargo por procesamiento de $25.", "fee"),
    ("3 cuotas mensuales de $137.50.", "installment"),
    ("Su oferta de $30 al mes.", "proposed"),
    ("Hi Ana, $412.50.", None),
])
def test_context_comes_from_nearby_words(text, context):
    (amount,) = extract(text)
    assert amount.context == context


def test_context_stays_inside_the_sentence_and_between_amounts():
    first, second = extract("The balance of $412.50 and a payment of $50 is due.")
    assert (first.context, second.context) == ("balance", "payment")
    received, left = extract("Your payment of $50.00 was received. Your remaining balance is $362.50.")
    assert (received.context, left.context) == ("payment", "balance")


def test_lines_are_sentences():
    interest, fees = extract("Interest: $0.00\nFees: $5.00")
    assert (interest.context, fees.context) == ("interest", "fee")


@pytest.mark.parametrize("text,expected", [
    ("412.50", (Decimal("412.50"), False)),
    ("1,200", (Decimal("1200"), False)),
    ("412,5", (Decimal("412.5"), False)),
    ("1.200", (Decimal("1200"), True)),
    ("1,2,3", (Decimal("123"), True)),
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extract_never_raises(text):
    for amount in extract(text):
        assert isinstance(amount.value, Decimal) and amount.value >= 0
        assert amount.context is None or amount.context in CONTEXTS


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_us_formatted_amounts_round_trip(value):
    assert values(f"Your balance is ${value:,.2f}.") == [value]
    assert values(f"Su saldo es de ${value:.2f}".replace(".", ",") + ".") == [value]
