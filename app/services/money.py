"""Exact money arithmetic: Decimal amounts with two places and integer cents, never float."""
from __future__ import annotations

import re
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation

CENT = Decimal("0.01")

# Wide enough for any amount we store; quantize past it raises instead of rounding.
_CTX = Context(prec=60, traps=[InvalidOperation])

_AMOUNT_RE = re.compile(
    r"""
    (?P<sign>[-+]?)
    (?:\$\s*)?
    (?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)
    (?:\.(?P<frac>[0-9]*))?
    """,
    re.VERBOSE,
)
_PERCENT_RE = re.compile(r"(?P<num>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*%?")


def _reject_non_money_type(value: object) -> None:
    """Refuse types that cannot carry an exact amount, so errors surface at the boundary."""
    if isinstance(value, float):
        raise TypeError("money is never float: pass a str, int or Decimal")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"not a money amount: {value!r} ({type(value).__name__})")


def _parse_amount_text(text: str) -> Decimal:
    """Read user-typed amounts such as "$1,250.50" without accepting exponents or words."""
    match = _AMOUNT_RE.fullmatch(text.strip())
    if not match or not (match["whole"] or match["frac"]):
        raise ValueError(f"not a money amount: {text!r}")
    whole = match["whole"].replace(",", "") or "0"
    return Decimal(f"{match['sign']}{whole}.{match['frac'] or '0'}")


def _has_sub_cent(amount: Decimal) -> bool:
    """True when non-zero digits sit past the cents, which would be lost by rounding."""
    _, digits, exponent = amount.as_tuple()
    extra = -int(exponent) - 2
    return extra > 0 and any(digits[-extra:])


def _quantize(amount: Decimal) -> Decimal:
    """Fix the scale at two places and drop negative zero so "-0.00" never shows up."""
    try:
        result = amount.quantize(CENT, context=_CTX)
    except InvalidOperation:
        raise ValueError(f"money amount out of range: {amount!r}") from None
    return result if result else abs(result)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Turn input into an exact two-place Decimal, refusing anything that would need rounding."""
    _reject_non_money_type(value)
    amount = _parse_amount_text(value) if isinstance(value, str) else Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money amount must be finite: {value!r}")
    if _has_sub_cent(amount):
        raise ValueError(f"money amount has more than two decimal places: {value!r}")
    return _quantize(amount)


def to_cents(value: Decimal | int | str) -> int:
    """Integer cents, for storage and arithmetic that must not drift."""
    sign, digits, _ = to_decimal(value).as_tuple()
    cents = int("".join(map(str, digits)))
    return -cents if sign else cents


def from_cents(cents: int) -> Decimal:
    """Build the two-place Decimal for a cent count without any intermediate rounding."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"cents must be an int, got {type(cents).__name__}")
    digits = tuple(int(d) for d in str(abs(cents)))
    return Decimal((1 if cents < 0 else 0, digits, -2))


def _require_count(count: int, name: str) -> int:
    """Counts must be real ints of at least one, so a plan never divides by zero."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"{name} must be an int, got {type(count).__name__}")
    if count < 1:
        raise ValueError(f"{name} must be at least 1, got {count}")
    return count


def _split_cents(total_cents: int, parts: int) -> list[int]:
    """Round every part down and let the last absorb the remainder (payment-plan rule)."""
    base = total_cents // parts
    return [base] * (parts - 1) + [total_cents - base * (parts - 1)]


def split(total: Decimal | int | str, parts: int) -> list[Decimal]:
    """Split an amount into parts that add up to it exactly."""
    _require_count(parts, "parts")
    total_cents = to_cents(total)
    if total_cents < 0:
        raise ValueError(f"cannot split a negative amount: {total!r}")
    return [from_cents(c) for c in _split_cents(total_cents, parts)]


def installments(
    total: Decimal | int | str, down_payment: Decimal | int | str, count: int
) -> tuple[Decimal, list[Decimal]]:
    """Down payment plus installments that together equal the total to the cent."""
    _require_count(count, "count")
    total_cents, down_cents = to_cents(total), to_cents(down_payment)
    if total_cents < 0 or down_cents < 0:
        raise ValueError("plan amounts must not be negative")
    if down_cents > total_cents:
        raise ValueError("down payment exceeds the total")
    return from_cents(down_cents), split(from_cents(total_cents - down_cents), count)


def format_usd(value: Decimal | int | str) -> str:
    """Display form for people: "$1,250.00" and "-$5.00"."""
    amount = to_decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _to_percent(pct: Decimal | int | str) -> Decimal:
    """Read a percentage (20 means 20%), allowing finer precision than cents."""
    _reject_non_money_type(pct)
    if isinstance(pct, str):
        match = _PERCENT_RE.fullmatch(pct.strip())
        if not match:
            raise ValueError(f"not a percentage: {pct!r}")
        pct = match["num"]
    rate = Decimal(pct)
    if not rate.is_finite():
        raise ValueError(f"percentage must be finite: {pct!r}")
    return rate


def percent_of(amount: Decimal | int | str, pct: Decimal | int | str) -> Decimal:
    """A percentage of an amount, rounded down to the cent so we never overstate it."""
    exact = _CTX.divide(_CTX.multiply(to_decimal(amount), _to_percent(pct)), Decimal(100))
    try:
        result = exact.quantize(CENT, rounding=ROUND_DOWN, context=_CTX)
    except InvalidOperation:
        raise ValueError(f"money amount out of range: {exact!r}") from None
    return result if result else abs(result)


def json_number(value: Decimal | int | str) -> str:
    """Canonical JSON number text with two decimals, for the API's JSON provider to emit verbatim."""
    return f"{to_decimal(value):f}"
