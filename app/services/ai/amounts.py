"""What the debtor says they can afford, as (Decimal, frequency): "100 a month", "$50 cada quincena",
"like 75 every 2 wks", "doscientos al mes", "$1,200.50 monthly", "50 por semana".

The plans service turns it into options (plans.proposals(policy, balance, affordable=..., frequency=...)); no
model ever produces the number. Reading, on text folded as every inbound reader folds it:
1. number words become digits ("doscientos" = 200, "a hundred and fifty" = 150); only runs worth 10 or more, so
   "una vez al mes" stays words (Spanish "once", 11, is left out: it is also English "once a month");
2. amounts are numbers with an optional currency sign or word, their value read by compliance.amounts.parse_number
   ("$1,200.50", "412,50", "1.200"); numbers that count something ("12 months", "3 pagos", "every 2 weeks"), name
   a time, a date, a percentage or a bankruptcy chapter, and digit runs as long as a phone number, are not amounts;
3. an amount goes with the frequency written right after it ("50 a week") or right before it ("monthly payments of
   $100", "cada quincena 50"); failing that, an amount after "I can pay", "puedo dar"... is taken with frequency
   None (the caller picks the policy's default). Anything else, such as "I owe 1200", is no offer: None.
Frequencies are the plans' own: weekly, biweekly, monthly; "twice a month" and "cada quincena" read as biweekly,
the nearest schedule a plan can have.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from app.services.compliance.amounts import parse_number
from app.services.compliance.inbound import normalize

WEEKLY, BIWEEKLY, MONTHLY = "weekly", "biweekly", "monthly"


class Affordable(NamedTuple):
    amount: Decimal
    frequency: str | None


# -- number words --------------------------------------------------------------------------------------------------
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16,
    "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiun": 21,
    "veintidos": 22, "veintitres": 23, "veinticuatro": 24, "veinticinco": 25, "veintiseis": 26, "veintisiete": 27,
    "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500, "seiscientos": 600,
    "seiscientas": 600, "setecientos": 700, "setecientas": 700, "ochocientos": 800, "ochocientas": 800,
    "novecientos": 900, "novecientas": 900,
}
_HUNDRED = {"hundred"}
_THOUSAND = {"thousand", "mil", "grand"}
_GLUE = {"and", "y", "-"}
_NUMBER_WORD = re.compile(r"[a-z]+|-")


def _words_to_digits(text: str) -> str:
    """Replace runs of number words worth 10 or more by their digits ("two hundred and fifty" -> "250")."""
    tokens = list(re.finditer(r"[a-z]+|-|\S", text))
    out, last, k = [], 0, 0
    while k < len(tokens):
        value, end, j = _run(text, tokens, k)
        if value is not None and value >= 10:
            out.append(text[last:tokens[k].start()])
            out.append(str(value))
            last = end
            k = j
        else:
            k += 1
    out.append(text[last:])
    return "".join(out)


def _run(text, tokens, k):
    """The value of the number-word run starting at token k, its end offset and the next token index."""
    total, current, seen, end, j = 0, 0, False, None, k
    if tokens[k].group() == "a" and k + 1 < len(tokens) and tokens[k + 1].group() in _HUNDRED | _THOUSAND:
        current, j = 1, k + 1  # "a hundred", "a thousand"
    while j < len(tokens):
        word = tokens[j].group()
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _HUNDRED and (current or seen or j > k):
            current = max(current, 1) * 100
        elif word in _THOUSAND and (current or j > k or word == "mil"):
            total += max(current, 1) * 1000
            current = 0
        elif word in _GLUE and seen and j + 1 < len(tokens) and tokens[j + 1].group() in _UNITS:
            j += 1
            continue
        else:
            break
        seen, end = True, tokens[j].end()
        j += 1
    if not seen:
        return None, None, k
    return total + current, end, j


# -- amounts and frequencies ---------------------------------------------------------------------------------------
_AMOUNT = re.compile(
    r"(?<![\w.,$])(?:(?:us ?)?\$ ?)?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,3})?)(?![\d])"
    r"(?: ?(?:dollars?|dolares|dlls?|bucks|usd|pesos))?")
_NOT_MONEY_AFTER = re.compile(
    r"^\s?(?:%|percent|por ?ciento|:\d|(?:a\.?m|p\.?m)\b|o'?clock|(?:st|nd|rd|th)\b|"
    r"(?:more |mas )?(?:months?|mos?|meses|weeks?|wks?|semanas?|years?|yrs?|anos?|days?|dias?|quincenas?|"
    r"payments?|pagos?|installments?|cuotas?|parcialidades|plazos|abonos|times|veces|x\b|hours?|hrs?|horas?|"
    r"minutes?|mins?|minutos?)(?![a-z]))")
_NOT_MONEY_BEFORE = re.compile(
    r"(?:chapter|ch\.?|chap\.?|capitulo|cap\.?|#|no\.|number|numero|account|cuenta|ending in|termina en|at|a las|"
    r"el dia|the|on the|every|cada|in|en|after|before|antes de(?:l)?|despues de(?:l)?|until|hasta|by the) ?$")
_FREQUENCIES = (
    (BIWEEKLY, r"every (?:2|two|other) (?:weeks?|wks?)|bi-?weekly|fortnight(?:ly)?|every 14 days|twice a month|"
               r"(?:a|per|each) (?:2|two) weeks|quincena(?:l|les|lmente)?|(?:cada|por|a la) quincena|"
               r"cada (?:15|quince|14|catorce) dias|cada (?:2|dos) semanas|(?:2|dos) veces al mes"),
    (WEEKLY, r"(?:a|per|each|every|/|por|a la|cada|x|al) ?(?:week|wk|semana)\b|weekly|semanal(?:es|mente)?|"
             r"(?:a|per|each|every|/) ?w\b"),
    (MONTHLY, r"(?:a|per|each|every|/|por|al|cada|x) ?(?:month|mo|mth|mes)\b|monthly|mensual(?:es|mente)?|"
              r"mensualidad(?:es)?|(?:a|per|each|every|/) ?m\b"),
)
_FREQUENCY = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _FREQUENCIES))
_OFFER = re.compile(
    r"(?:can|could|would|will|i'?ll|able to|afford(?: to)?|only|just|try|manage|swing|maybe|offer(?:ing)?|"
    r"puedo|podria|podemos|alcanzo|ofrezco|te doy|les doy|le doy|doy|mandar|pagar|dar|abonar|solo|nomas)"
    r"(?: (?:pay|do|give|send|put down|afford|manage|swing|make|like|about|around|maybe|up to|pagar|dar|abonar|"
    r"mandar|depositar|unos|como|alrededor de|hasta|de))* ?$")
_GAP_AFTER = re.compile(r"^\s?(?:(?:dollars?|dolares|bucks|usd|pesos|or so|o algo asi|max|tops|como maximo|nada mas|"
                        r"nomas|solamente|only|just|,|-)\s?)*")
_GAP_BEFORE = re.compile(r"(?:payments?|pagos?|installments?|cuotas?|abonos?|pay|pagar|pagos de|payments of|"
                         r"of|de|like|about|around|como|unos|maybe|i can do|i can pay|puedo pagar|puedo dar|"
                         r"\$|,|:|-|\s)*$")


def parse_affordable(text: str) -> Affordable | None:
    """The amount and frequency the debtor offers in `text`, or None when it names no amount they offer."""
    folded = _words_to_digits(normalize(text))
    amounts = []
    for m in _AMOUNT.finditer(folded):
        number = m.group(1)
        if len(re.sub(r"\D", "", number)) >= 7 and "$" not in m.group(0):
            continue  # a phone or account number
        if _NOT_MONEY_AFTER.match(folded[m.end():]) or _NOT_MONEY_BEFORE.search(folded[:m.start()]):
            continue
        parsed = parse_number(number)
        if parsed is None or parsed[0] <= 0:
            continue
        amounts.append((m, parsed[0]))
    if not amounts:
        return None
    frequencies = [(f.start(), f.end(), f.lastgroup) for f in _FREQUENCY.finditer(folded)]
    for k, (m, value) in enumerate(amounts):
        following = amounts[k + 1][0].start() if k + 1 < len(amounts) else len(folded)
        after = folded[m.end():following]
        gap = _GAP_AFTER.match(after).end()
        for start, end, name in frequencies:
            if start == m.end() + gap:
                return Affordable(value, name)
        preceding = amounts[k - 1][0].end() if k else 0
        for start, end, name in frequencies:
            if preceding <= start and end <= m.start() and _GAP_BEFORE.fullmatch(folded[end:m.start()]):
                return Affordable(value, name)
    for m, value in amounts:
        if _OFFER.search(folded[max(0, m.start() - 40):m.start()]):
            return Affordable(value, None)
    return None
