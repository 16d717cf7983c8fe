"""Does the assistant read what the debtor says they can afford, in English and Spanish, and nothing else?"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.ai.amounts import BIWEEKLY, MONTHLY, WEEKLY, Affordable, parse_affordable


@pytest.mark.parametrize("text, amount, frequency", [
    ("100 a month", "100", MONTHLY),
    ("$50 cada quincena", "50", BIWEEKLY),
    ("like 75 every 2 wks", "75", BIWEEKLY),
    ("doscientos al mes", "200", MONTHLY),
    ("$1,200.50 monthly", "1200.50", MONTHLY),
    ("50 por semana", "50", WEEKLY),
    ("can I pay 100 a month?", "100", MONTHLY),
    ("I owe 1200 but can only do 100 a month", "100", MONTHLY),
    ("monthly payments of $100", "100", MONTHLY),
    ("cada quincena 50", "50", BIWEEKLY),
    ("a hundred and fifty a month", "150", MONTHLY),
    ("two hundred fifty every other week", "250", BIWEEKLY),
    ("mil quinientos al mes", "1500", MONTHLY),
    ("les puedo dar 100 al mes?", "100", MONTHLY),
    ("puedo pagar 412,50 mensuales", "412.50", MONTHLY),
    ("pay 40/week", "40", WEEKLY),
    ("Te doy 300 MENSUALES", "300", MONTHLY),
    ("i get paid biweekly, i can do 150", "150", BIWEEKLY),
    ("cincuenta dólares a la semana", "50", WEEKLY),
    ("200 twice a month", "200", BIWEEKLY),
    ("I can pay 200", "200", None),
    ("puedo dar 80", "80", None),
])
def test_reads_the_offer(text, amount, frequency):
    assert parse_affordable(text) == Affordable(Decimal(amount), frequency)


@pytest.mark.parametrize("text", [
    "I owe 1200",
    "call me at 5pm",
    "I filed chapter 7",
    "my number is 5551234567",
    "can i pay in 3 parts",
    "once a month is fine",
    "una vez al mes",
    "how much do I owe?",
    "I'll pay on the 15th",
    "can I get 12 months to pay",
    "",
])
def test_no_offer_is_none(text):
    assert parse_affordable(text) is None


_PHRASES = {
    MONTHLY: ("{} a month", "{} per month", "{} monthly", "{} al mes", "{} por mes", "{} mensuales", "{}/mo"),
    BIWEEKLY: ("{} every 2 weeks", "{} biweekly", "{} every other week", "{} cada quincena", "{} quincenal",
               "{} cada 15 dias"),
    WEEKLY: ("{} a week", "{} per week", "{} weekly", "{} por semana", "{} a la semana", "{} semanales"),
}


def _written(amount: Decimal, style: int) -> str:
    cents = amount != amount.to_integral_value()
    if style == 0:
        return f"{amount:.2f}" if cents else f"{amount:.0f}"
    if style == 1:
        return f"${amount:,.2f}" if cents else f"${amount:,.0f}"
    return (f"{amount:.2f}" if cents else f"{amount:.0f}") + " dollars"


@settings(max_examples=150, deadline=None)
@given(cents=st.integers(min_value=100, max_value=999_999),
       frequency=st.sampled_from([MONTHLY, BIWEEKLY, WEEKLY]),
       phrase=st.integers(min_value=0, max_value=5),
       style=st.integers(min_value=0, max_value=2),
       lead=st.sampled_from(["", "I can pay ", "could I do ", "puedo pagar ", "les doy ", "hi, maybe "]))
def test_any_amount_with_any_frequency_phrase(cents, frequency, phrase, style, lead):
    amount = Decimal(cents) / 100
    text = lead + _PHRASES[frequency][phrase % len(_PHRASES[frequency])].format(_written(amount, style))
    assert parse_affordable(text) == Affordable(amount, frequency), text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_never_raises_and_never_invents_a_non_positive_amount(text):
    found = parse_affordable(text)
    assert found is None or (found.amount > 0 and found.frequency in (None, MONTHLY, BIWEEKLY, WEEKLY))
