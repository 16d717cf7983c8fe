"""Money amounts stated in a message, as Decimal, with what the words around them say they are (CONTENT-6/7).

Formats read (on folded text, see lexicon.fold):
- a currency sign or word before or after the number: "$412.50", "$ 412.50", "US$50", "USD 50", "50 USD",
  "412.50 dollars", "50 dolares" (accents folded), "25 dlls";
- a bare number with exactly two decimals ("412.50") only when the words around it name what it is (balance,
  payment, fee ...): otherwise it is not taken for money.
Separators: a comma followed by exactly three digits groups thousands ("$1,200", "$1,200.00"); a comma followed by
one or two final digits is a decimal comma, as Spanish writes it ("$412,50" = 412.50); "1.200,50" is the European
grouping (1200.50). A dot followed by exactly three digits ("$1.200") reads 1.2 in the US and 1200 in Spanish: it is
reported as `ambiguous` (value = the thousands reading) and the content rules treat it as a misstatement.

Context (`Amount.context`) comes from the nearest words in the same sentence, never across another amount:
first a label right after the number ("$25 processing fee", "$50 a month"), else the nearest label before it
("balance of $412.50", "your payment of $50.00"), else the first label after it before a comma. Labels, in this order of
precedence at one position: payment toward the debt ("paid ... toward the debt"), balance, fee, interest, installment,
plan, payment. "proposed" marks an amount the
message attributes to the debtor ("you offered $30 a month", "su oferta de $30"): the debtor's own figure, which the
system of record cannot know, so CONTENT-6 does not check it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from app.services.compliance.lexicon import fold

CONTEXTS = ("balance", "fee", "interest", "installment", "plan", "payment", "proposed")


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    raw: str  # the number as written (folded), currency included
    context: str | None = None  # one of CONTEXTS; None = the words around it do not say
    ambiguous: bool = False  # the number format has two readings ("$1.200")
    currency: bool = True  # written with a currency sign or word


_NUM = r"\d(?:[\d.,]*\d)?"
_DOLLAR = re.compile(rf"\$ ?({_NUM})(?![\d])")
_WORDED = re.compile(rf"(?<![a-z])(?:usd|us dollars?) ?({_NUM})"
                     rf"|(?<![\d.,])({_NUM}) ?(?:usd|dollars?|dolares|dlls?)(?![a-z])")
_BARE = re.compile(r"\d(?<![\d.,/:$-]\d)(?:\d{0,2}(?:,\d{3})+|\d*)\.\d{2}(?![\d,/:]|\.\d)")
_WORDS_HINT = ("usd", "dollar", "dolar", "dll")
_US_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_PLAIN = re.compile(r"\d+(?:\.\d{1,2})?")
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")
_EU_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+,\d{1,2}")
_EU_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")

LABEL_WORDS = {
    "payment": "toward the debt|towards the debt|toward your debt|toward the balance|toward your balance|toward your"
               " account|credited|credit|credits|payment|payments|paid|pay|received|receipt|pago|pagos|pague|pagar"
               "|pagado|abono|recibimos|recibido|acredito|a la deuda",
    "balance": "charge-off|charge off|chargeoff|charged-off|charged off|original balance|current balance|remaining"
               " balance|balance|balances|amount due|total due|amount owed|you owe|owed|owe|owes|owing|outstanding"
               "|remaining|left to pay|debt|saldo|debe|debia|adeuda|adeudado|deuda|monto adeudado|pendiente|restante",
    "fee": "fee|fees|charge|charges|charged|surcharge|surcharges|cargo|cargos|comision|comisiones|recargo|recargos"
           "|tarifa|tarifas",
    "interest": "interest|interes|intereses",
    "installment": "installment|installments|instalment|instalments|monthly|per month|a month|each month|every month"
                   "|/mo|/month|/ mo|/ month|per week|a week|weekly|biweekly|bi-weekly|every two weeks|every 2 weeks"
                   "|cuota|cuotas|mensual|mensuales|mensualidad|mensualidades|al mes|por mes|cada mes|semanal"
                   "|semanales|por semana|quincenal|quincenales",
    "plan": "payment plan|payment plans|plan|plans|plan de pagos|arrangement|settle|settlement|settle for|discount"
            "|discounted|acuerdo|liquidar|liquidacion|descuento|convenio|arreglo",
}
"""The words that say what an amount is (folded, lower case). A phrase wins over the words inside it."""
_LABEL_OF = {phrase: label for label, phrases in LABEL_WORDS.items() for phrase in phrases.split("|")}


def _trie(words) -> str:
    """One regex for a set of literal phrases, as a trie, so a position is tested once per letter, not per phrase."""
    tree: dict = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(tree)


_LABEL = re.compile(rf"(?<![a-z])({_trie(_LABEL_OF)})(?![a-z])")
_LABEL_AFTER = re.compile(rf"[ :(]*(?:[a-z'-]+ )?({_trie(_LABEL_OF)})(?![a-z])")
_PROPOSED = re.compile(r"(?<![a-z])(?:you (?:offered|proposed|suggested|said you (?:could|can)|can afford|asked to pay"
                       r"|would like to pay|want to pay)|your (?:offer|proposal)|(?:usted )?(?:ofrecio|propuso)"
                       r"|su (?:oferta|propuesta)|puede pagar lo que)(?![a-z])")
_ENDS = (". ", "! ", "? ", "; ")
"""Sentence ends inside a line (a decimal point is followed by a digit, not a space)."""


def parse_number(text: str) -> tuple[Decimal, bool] | None:
    """The value of a written number and whether it has two readings; None when it is not a money format."""
    try:
        if _US_GROUPED.fullmatch(text) or _PLAIN.fullmatch(text):
            return Decimal(text.replace(",", "")), False
        if _DECIMAL_COMMA.fullmatch(text):
            return Decimal(text.replace(",", ".")), False
        if _EU_GROUPED.fullmatch(text):
            return Decimal(text.replace(".", "").replace(",", ".")), False
        if _EU_THOUSANDS.fullmatch(text):
            return Decimal(text.replace(".", "")), True
        digits = re.sub(r"[.,]", "", text)
        return (Decimal(digits), True) if digits.isdigit() else None
    except InvalidOperation:
        return None


@lru_cache(maxsize=8192)
def extract(text: str) -> tuple[Amount, ...]:
    """Every money amount in the text, in order."""
    if not _has_digit(text):
        return ()
    found: list[Amount] = []
    for line in text.splitlines():
        if _has_digit(line):
            found.extend(_line_amounts(fold(line)))
    return tuple(found)


_DIGIT = re.compile(r"\d")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _line_amounts(line: str) -> list[Amount]:
    numbers = []  # (start, end, number, with a currency sign or word)
    if "$" in line:
        for m in _DOLLAR.finditer(line):
            start = m.start() - 2 if line.endswith("us", 0, m.start()) else m.start()
            numbers.append((start, m.end(), m.group(1), True))
    if any(w in line for w in _WORDS_HINT):
        numbers.extend((m.start(), m.end(), m.group(1) or m.group(2), True) for m in _WORDED.finditer(line))
    if "." in line:
        taken = [(a, b) for a, b, _, _ in numbers]
        numbers.extend((m.start(), m.end(), m.group(), False) for m in _BARE.finditer(line)
                       if not any(a <= m.start() < b for a, b in taken))
    numbers.sort()
    if not numbers:
        return []
    out = []
    for k, (start, end, number, currency) in enumerate(numbers):
        parsed = parse_number(number)
        if parsed is None:
            continue
        sentence_start = max(line.rfind(mark, 0, start) for mark in _ENDS)
        sentence_start = sentence_start + 2 if sentence_start >= 0 else 0
        sentence_end = min((i for i in (line.find(mark, end) for mark in _ENDS) if i >= 0), default=len(line))
        lo = max(sentence_start, numbers[k - 1][1] if k else 0, start - WINDOW)
        hi = min(sentence_end, numbers[k + 1][0] if k + 1 < len(numbers) else len(line), end + WINDOW)
        context = _context(line[lo:start], line[end:hi].split(",", 1)[0])
        if not currency and context is None:
            continue  # a bare decimal is money only when its words say so
        out.append(Amount(parsed[0], line[start:end].strip(), context, parsed[1], currency=currency))
    return out


WINDOW = 80
"""How far (characters) the words that label an amount may be."""


def _context(before: str, after: str) -> str | None:
    if _PROPOSED.search(before):
        return "proposed"
    right = _LABEL_AFTER.match(after)
    if right:
        return _LABEL_OF[right.group(1)]
    left = None
    for left in _LABEL.finditer(before):
        pass
    if left is not None:
        return _LABEL_OF[left.group(1)]
    later = _LABEL.search(after)
    return _LABEL_OF[later.group(1)] if later else None
