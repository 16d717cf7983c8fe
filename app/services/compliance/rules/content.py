"""CONTENT-1..12, TBD-1, DISPUTE-3/5, PRIV-4: prohibited content, never rewritten (prohibited content blocks).

What a message says is read once per text (lexicon.scan, amounts.extract, both cached by text) and judged here
against who wrote it and the account's facts. Approved notices (the Rosenthal notice, time-barred notices) are
taken out before judging: they speak of arrest and of being sued, and are no threat.

Who may say what:
- CONTENT-3 (seizure, garnishment, attachment, sale) and CONTENT-4 (legal action) pass only when the action is
  lawful and intended: `legal_action_approved`, the debt not time-barred (`time_barred == "false"`), and a human
  agent writes it, or the message is an approved CEASE-2(ii)/(iii) remedy template (the statute lets those name the
  remedy). Arrest or jail is never lawful for a collector. The AI (`kind == "ai"`) is always blocked.
- CONTENT-6: every amount stated must be a value the system of record holds. Amounts the message attributes to the
  debtor ("you offered $30 a month") are the debtor's own figures and are not checked; fee amounts are CONTENT-7's;
  a ledger-rendered receipt's payment amount is checked against recorded_payments when the facts carry them.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.services.compliance import amounts as money
from app.services.compliance import lexicon, snippets
from app.services.compliance.decision import BLOCK, REQUIRE_CONTENT, Issue
from app.services.compliance.facts import TEXT_CHANNELS, Debtor, Facts
from app.services.compliance.registry import rule

STAGE = 11
DISPUTE_STAGE = 7
REMEDY_PURPOSES = frozenset({"cease_remedy_may", "cease_remedy_intends"})
LEXICON_LANGUAGES = frozenset({"en", "es"})
TIME_BARRED_FOR_CONTENT = frozenset({"true", "unknown"})  # TBD-1: unknown is treated as true
ZERO = Decimal("0")


# -- what the text says (cached by text) ----------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def scan_text(text: str) -> lexicon.Scan:
    """The lexicon's findings, with the approved notices taken out when something was found."""
    found = lexicon.scan(text)
    if found:
        cleaned = snippets.strip_approved(text)
        if cleaned != text:
            return lexicon.scan(cleaned)
    return found


def _scan(ctx) -> lexicon.Scan:
    return scan_text(ctx.text)


def _amounts(ctx) -> tuple[money.Amount, ...]:
    return money.extract(ctx.text)


def _quote(hits) -> str:
    return ", ".join(f'"{h.phrase}"' for h in hits)


def legal_action_allowed(ctx) -> bool:
    """Lawful and intended (1692e(4)-(5)): approved, not time-barred, and said by a human or an approved remedy
    notice. Never the AI."""
    d = ctx.debtor
    if ctx.kind == "ai" or not d.legal_action_approved or d.time_barred != "false":
        return False
    return ctx.kind == "agent" or _remedy_template(ctx)


def _remedy_template(ctx) -> bool:
    """An approved CEASE-2(ii)/(iii) template: keyed `<purpose>` or `<purpose>:<variant>`, as CEASE-2 reads them."""
    template, purpose = ctx.attempt.template, ctx.purpose
    return purpose in REMEDY_PURPOSES and bool(template) and (template == purpose or template.startswith(purpose + ":"))


# -- the rules ------------------------------------------------------------------------------------------------------
@rule("CONTENT-1", STAGE)
def violence(ctx):
    """Violence, or criminal means to harm person, reputation or property. 1692d(1) [V]; 1006.14 [V-partial]."""
    hits = _scan(ctx).rule("CONTENT-1")
    return Issue("CONTENT-1", BLOCK, f"violence or criminal harm: {_quote(hits)}") if hits else None


@rule("CONTENT-2", STAGE)
def profanity(ctx):
    """Obscene, profane or abusive language, EN + ES, masked and leetspeak forms included. 1692d(2) [V]."""
    hits = _scan(ctx).rule("CONTENT-2")
    return Issue("CONTENT-2", BLOCK, f"obscene, profane or abusive language: {_quote(hits)}") if hits else None


@rule("CONTENT-3", STAGE)
def arrest_or_seizure(ctx):
    """Saying or implying that nonpayment leads to arrest or imprisonment, or to seizure, garnishment, attachment or
    sale, unless lawful and intended (legal_action_approved, not time-barred, a human agent). AI: always.
    1692e(4) [V]."""
    found = _scan(ctx)
    arrest, seizure = found.rule("CONTENT-3/arrest"), found.rule("CONTENT-3/seizure")
    if arrest:
        return Issue("CONTENT-3", BLOCK, f"arrest or imprisonment is never lawful for a collector: {_quote(arrest)}")
    if seizure and not legal_action_allowed(ctx):
        return Issue("CONTENT-3", BLOCK, f"seizure, garnishment or sale without approved, lawful action "
                                         f"(or written by the AI): {_quote(seizure)}")
    return None


@rule("CONTENT-4", STAGE)
def legal_threat(ctx):
    """Threatening action that can't legally be taken or isn't intended: lawsuit, garnishment, "legal department",
    "final notice before court", escalation. Allowed only with legal_action_approved, a debt not time-barred and a
    human agent (or an approved CEASE-2 remedy template). AI: always BLOCK. 1692e(5) [V]; 1006.26(b) [V]."""
    hits = _scan(ctx).rule("CONTENT-4")
    if not hits or legal_action_allowed(ctx):
        return None
    why = "the AI may not threaten legal action" if ctx.kind == "ai" else "legal action not approved or not lawful"
    return Issue("CONTENT-4", BLOCK, f"{why}: {_quote(hits)}")


_IDENTITY = {
    "CONTENT-5/government": "claims a government, police or court affiliation",
    "CONTENT-5/attorney": "claims to be an attorney or law office",
    "CONTENT-5/bureau": "claims to be a credit bureau",
    "CONTENT-5/not_collector": "denies being a debt collector",
    "CONTENT-5/human": ("claims to be human: no message may claim a human sender, the AI never is one and the "
                        "debtor cannot verify it for an agent"),
}
_LAW_FIRM = re.compile(r"\b(?:law|attorneys?|lawyers?|legal|abogad[oa]s?|bufete)\b")


@rule("CONTENT-5", STAGE)
def false_identity(ctx):
    """False identity or affiliation: government, attorney, credit bureau; "this is not a debt collector"; claiming
    to be human (blocked whenever a message claims it). 1692e(1),(3),(11),(14),(16) [V]; 1692e(10) [V]."""
    hits = _scan(ctx).rule("CONTENT-5")
    if hits and _law_firm(ctx.policy.business_name, ctx.policy.dba):
        hits = tuple(h for h in hits if h.label != "CONTENT-5/attorney")
    if not hits:
        return None
    return Issue("CONTENT-5", BLOCK, "; ".join(f'{_IDENTITY[h.label]} ("{h.phrase}")' for h in hits))


@lru_cache(maxsize=1024)
def _law_firm(name: str, dba: str | None) -> bool:
    """A collection law firm may say it is one."""
    return bool(_LAW_FIRM.search(lexicon.fold(f"{name} {dba or ''}")))


@rule("CONTENT-6", STAGE)
def amount_mismatch(ctx):
    """Any amount, fee or legal status stated must match the system-of-record itemization: the balance, original
    balance, itemization amounts, plan amounts, recorded payments or authorized fees. 1692e(2)(A) [V]."""
    wrong = [f"{a.raw} ({why})" for a, why in _misstated(ctx.debtor, _amounts(ctx), _ledger_receipt(ctx))]
    return Issue("CONTENT-6", BLOCK, "amount not on the account: " + "; ".join(wrong)) if wrong else None


@rule("CONTENT-7", STAGE)
def unauthorized_fee(ctx):
    """No amount (interest, fee, charge, "processing" or convenience fee) unless expressly authorized by the agreement
    or permitted by law (Debtor.authorized_fees). A fee named without an amount blocks when no fee is authorized.
    1692f(1) [V]; 1006.22(b) [U para] (paragraph unverified); CFPB advisory opinion on pay-to-pay fees (2022)
    [S: cited in a repo]."""
    d = ctx.debtor
    allowed = _fees(d)
    fees = [a for a in _amounts(ctx) if a.context == "fee"]
    bad = [a.raw for a in fees if a.value != ZERO and a.value not in allowed]
    if bad:
        return Issue("CONTENT-7", BLOCK, "fee not authorized: " + ", ".join(bad))
    named = _scan(ctx).get("FEE")
    if named and not fees and not d.authorized_fees:
        return Issue("CONTENT-7", BLOCK, f'names a fee ("{named.phrase}") but no fee is authorized')
    return None


@rule("CONTENT-8", STAGE)
def tell_others(ctx):
    """Threats to tell others: employer, family, neighbors, public "bad debtor" lists, advertising the debt for sale.
    1692d (general), 1692d(3)-(4) [V]; 1692e(5),(7) [V]."""
    hits = _scan(ctx).rule("CONTENT-8")
    return Issue("CONTENT-8", BLOCK, f"threat to tell others or publish the debt: {_quote(hits)}") if hits else None


@rule("CONTENT-9", STAGE)
def crime_or_disgrace(ctx):
    """Implying the consumer committed a crime, or other conduct meant to disgrace them. 1692e(7) [V]."""
    hits = _scan(ctx).rule("CONTENT-9")
    return Issue("CONTENT-9", BLOCK, f"implies a crime or disgrace: {_quote(hits)}") if hits else None


@rule("CONTENT-10", STAGE)
def simulated_process(ctx):
    """Simulated legal process or court/agency documents ("summons", "court order", "subpoena", "warrant"); false
    statement that documents are or aren't legal process. 1692e(9),(13),(15) [V]."""
    hits = _scan(ctx).rule("CONTENT-10")
    return Issue("CONTENT-10", BLOCK, f"simulated legal process: {_quote(hits)}") if hits else None


@rule("CONTENT-11", STAGE)
def postdated_check(ctx):
    """Postdated-check solicitation or threats around postdated checks: any mention blocks. 1692f(2)-(4) [V]."""
    hits = _scan(ctx).rule("CONTENT-11")
    return Issue("CONTENT-11", BLOCK, f"postdated checks: {_quote(hits)}") if hits else None


@rule("TBD-1", STAGE)
def time_barred_suit(ctx):
    """time_barred true (or unknown, treated as true): no mention of suing, court, lawsuit or legal action, not as a
    threat, not as "may", not negated. The approved state time-barred notices (TBD-2) are not counted.
    1006.26(b) [V]; CFPB time-barred-debt advisory opinion, May 2023 [S: listed on bankersonline]."""
    if ctx.debtor.time_barred not in TIME_BARRED_FOR_CONTENT:
        return None
    hits = _scan(ctx).rule("TBD-1")
    if not hits:
        return None
    return Issue("TBD-1", BLOCK, f"time-barred debt ({ctx.debtor.time_barred}): mentions suit or court: "
                                 f"{_quote(hits)}")


@rule("DISPUTE-3", DISPUTE_STAGE)
def overshadowing(ctx):
    """During the validation period, no content that overshadows or contradicts the dispute and original-creditor
    rights: a payment deadline before period_end, "you must pay now", "disputing won't help". Messages about an
    arrangement the debtor made (kind transactional, D-16) may name its dates. 1006.38(b)(1) [V]."""
    end = ctx.debtor.validation.period_end
    if not in_validation_period(ctx):
        return None
    found = _scan(ctx)
    futile = found.rule("DISPUTE-3/futile")
    if futile:
        return Issue("DISPUTE-3", BLOCK, f"says disputing is futile during the validation period: {_quote(futile)}")
    if ctx.kind == "transactional":
        return None
    demand = found.rule("DISPUTE-3/demand")
    if demand:
        return Issue("DISPUTE-3", BLOCK, f"demands payment during the validation period: {_quote(demand)}")
    if found.get("DISPUTE-3/deadline"):
        today = _local_date(ctx)
        for deadline in lexicon.deadlines(ctx.text, today, ctx.language):
            due = deadline.due(today, ctx.start)
            if end is None or due < end:
                until = f"before the period ends {end.isoformat()}" if end else "while the validation period runs"
                return Issue("DISPUTE-3", BLOCK, f'payment deadline {due.isoformat()} {until}: "{deadline.phrase}"')
    return None


@rule("DISPUTE-5", DISPUTE_STAGE)
def failure_is_admission(ctx):
    """Saying that failing to dispute is an admission of liability. 1006.38(d)(1) [V]."""
    hits = _scan(ctx).rule("DISPUTE-5")
    return Issue("DISPUTE-5", BLOCK, f"says not disputing admits the debt: {_quote(hits)}") if hits else None


@rule("PRIV-4", STAGE)
def sensitive_numbers(ctx):
    """No full account number, SSN or DOB in SMS or WhatsApp bodies; last 4 digits at most. The pipeline masks them
    (D-18), so this asks for the redaction rather than blocking. Policy."""
    if ctx.channel not in TEXT_CHANNELS:
        return None
    kinds = sorted({kind for _, _, kind in pii_spans(ctx.attempt.body, ctx.facts)})
    if not kinds:
        return None
    return Issue("PRIV-4", REQUIRE_CONTENT, "mask to the last 4: " + ", ".join(kinds), items=("redact",))


@rule("CONTENT-12", STAGE)
def ai_pipeline(ctx):
    """AI drafts (kind "ai"): (a) any prohibited-content verdict blocks and is recorded here as the AI pipeline's;
    (b) the AI never writes to attorney-represented, ceased or cease-candidate, dispute-hold, unverified-recipient or
    bankrupt accounts; (c) ambiguous drafts block: see `ambiguities`. PRD "AI replies scanned before sending"."""
    if ctx.kind != "ai":
        return None
    issues = []
    labels = [i.rule for fn in _AI_CHECKED for i in _issues(fn(ctx)) if i.severity == BLOCK]
    if labels:
        issues.append(Issue("CONTENT-12", BLOCK, "AI draft blocked by " + ", ".join(dict.fromkeys(labels))
                            + ": escalate to a human"))
    states = ai_forbidden_account(ctx)
    if states:
        issues.append(Issue("CONTENT-12", BLOCK, "the AI may not write to this account: " + ", ".join(states)))
    unclear = ambiguities(ctx)
    if unclear:
        issues.append(Issue("CONTENT-12", BLOCK, "ambiguous AI draft: " + "; ".join(unclear)))
    return issues


_AI_CHECKED = (violence, profanity, arrest_or_seizure, legal_threat, false_identity, amount_mismatch,
               unauthorized_fee, tell_others, crime_or_disgrace, simulated_process, postdated_check, time_barred_suit,
               overshadowing, failure_is_admission)


def _issues(result) -> tuple[Issue, ...]:
    if result is None:
        return ()
    return (result,) if isinstance(result, Issue) else tuple(result)


def ai_forbidden_account(ctx) -> list[str]:
    """CONTENT-12(b): account states the AI never writes to, whatever other rules allow."""
    d, out = ctx.debtor, []
    if d.attorney is not None or d.attorney_pending_at is not None:
        out.append("attorney-represented")
    account = ctx.attempt.account_id
    if any(c.account_id is None or c.account_id == account for c in d.ceases):
        out.append("cease on file")
    if d.cease_candidate_at is not None:
        out.append("cease candidate")
    if any(x.answered_at is None for x in d.disputes):
        out.append("dispute hold")
    to = ctx.attempt.to_address
    if (ctx.address and ctx.address in d.unverified_addresses) or (to and to in d.unverified_addresses):
        out.append("recipient unverified")
    if d.bankruptcy:
        out.append("bankruptcy")
    return out


def ambiguities(ctx) -> list[str]:
    """CONTENT-12(c), what "ambiguous" means for an AI draft: text the scan cannot read with confidence.

    - a language other than English or Spanish, or letters of another script (the lexicon reads EN + ES; mixed
      scripts are how words get hidden);
    - an amount CONTENT-6 cannot place: no words saying what it is, a format with two readings ("$1.200"), or a value
      the account holds in another role than the words give ("installment of $412.50" when $412.50 is the balance);
    - a fee named without its amount.
    """
    out = []
    if ctx.language not in LEXICON_LANGUAGES:
        out.append(f"language {ctx.language!r} is outside the EN/ES lexicon")
    if lexicon.non_latin_letters(_scan(ctx).folded):
        out.append("letters outside the Latin script")
    d = ctx.debtor
    for a in _amounts(ctx):
        if a.context is None:
            out.append(f"{a.raw}: the words do not say which value it is")
        elif a.ambiguous:
            out.append(f"{a.raw}: the number has two readings")
        elif a.context in _ROLES and a.value not in _ROLES[a.context](d):
            out.append(f"{a.raw}: not the account's {a.context} amount")
    fees = [a for a in _amounts(ctx) if a.context == "fee"]
    named = _scan(ctx).get("FEE")
    if named and not fees:
        out.append(f'names a fee ("{named.phrase}") without its amount')
    return out


# -- amounts --------------------------------------------------------------------------------------------------------
def known_amounts(d: Debtor) -> frozenset[Decimal]:
    """Every value the system of record holds for the account."""
    it = d.itemization
    values = {d.balance, it.interest, it.fees, it.payments_credits, *d.plan_amounts, *d.authorized_fees,
              *d.recorded_payments}
    values.update(v for v in (d.original_balance, it.amount) if v is not None)
    return frozenset(values)


def balance_amounts(d: Debtor) -> frozenset[Decimal]:
    """What the message may call the balance: current, original, itemization amount, or the current balance less a
    plan amount or recorded payment ("after this payment your balance will be ...")."""
    values = {d.balance}
    values.update(v for v in (d.original_balance, d.itemization.amount) if v is not None)
    values.update(d.balance - p for p in (*d.plan_amounts, *d.recorded_payments) if ZERO < p < d.balance)
    return frozenset(values)


def _fees(d: Debtor) -> frozenset[Decimal]:
    return d.authorized_fees | ({d.itemization.fees} if d.itemization.fees > ZERO else frozenset())


_ROLES = {
    "payment": lambda d: d.plan_amounts | d.recorded_payments | {d.balance, d.itemization.payments_credits},
    "plan": lambda d: d.plan_amounts | {d.balance},
    "installment": lambda d: d.plan_amounts,
    "balance": balance_amounts,
    "interest": lambda d: frozenset({d.itemization.interest}),
}
"""For the AI: the values each kind of amount may take (CONTENT-12(c))."""


def _ledger_receipt(ctx) -> bool:
    """A receipt the system renders from the ledger entry it reports: when the facts do not carry the ledger's
    payments (recorded_payments empty) its payment amount is that entry's, by construction."""
    return ctx.purpose == "receipt" and ctx.kind in ("transactional", "system") and not ctx.debtor.recorded_payments


def _misstated(d: Debtor, found: tuple[money.Amount, ...], ledger_receipt: bool = False):
    if not found:
        return
    known = None
    for a in found:
        if a.context in ("proposed", "fee") or (ledger_receipt and a.context == "payment"):
            continue
        if a.ambiguous:
            yield a, "written with two readings"
            continue
        if a.context == "balance":
            if a.value not in balance_amounts(d):
                yield a, "stated as the balance"
            continue
        if a.context == "interest":
            if a.value != d.itemization.interest:
                yield a, "stated as interest"
            continue
        known = known if known is not None else known_amounts(d)
        if a.value not in known:
            yield a, f"stated as {a.context or 'an amount'}"


# -- validation period ----------------------------------------------------------------------------------------------
def in_validation_period(ctx) -> bool:
    """The validation period runs until the end of period_end in the consumer's time; a period not computed yet
    (period_end unknown) counts as running, the debtor-protective reading."""
    end = ctx.debtor.validation.period_end
    if end is None:
        return True
    days = (ctx.start.date() - end).days
    if abs(days) >= 2:  # local dates are within a day of the UTC date
        return days < 0
    return _local_date(ctx) <= end


def _local_date(ctx) -> dt.date:
    """The earliest calendar date among the consumer's candidate zones when the message goes out."""
    start = ctx.start
    zones = ctx.zones
    if not zones:
        return (start - dt.timedelta(hours=11)).date()
    return min(start.astimezone(_zone(z)).date() for z in zones)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# -- PRIV-4: sensitive numbers ------------------------------------------------------------------------------------
_SSN = re.compile(r"[0-9](?<![0-9][0-9])[0-9]{2}([- ]?)[0-9]{2}\1[0-9]{4}(?![0-9])", re.ASCII)
_RUN = re.compile(r"[0-9](?<![0-9][0-9])(?:[ -]?[0-9]){6,}(?![0-9])", re.ASCII)
_PHONE = re.compile(r"(?<![0-9])(?:\+?1[ .-]?)?(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}(?![0-9])",
                    re.ASCII)
_ZIP4 = re.compile(r"(?<![0-9])[0-9]{5}-[0-9]{4}(?![0-9])", re.ASCII)
_RECEIPT_NUMBER = re.compile(r"(?<![0-9A-Za-z])R-[0-9]{4}-[0-9]{6}(?![0-9])", re.ASCII)
"""Our payment receipt numbers (payments/receipts.next_number): a reference the receipt must state, not PII."""
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre"
          r"|setiembre|octubre|noviembre|diciembre)")
_DOB = re.compile(
    r"(?:\bdob\b|\bd\.o\.b\.?|date of birth|birth ?date|birthday|\bborn\b|fecha de nacimiento|nacimiento|\bnaci[oó]\b"
    r"|cumplea[nñ]os)[^0-9a-z]{0,3}(?:[a-z ]{0,12}?)(?P<date>[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}|" + _MONTH + r"\.? [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4}|[0-9]{1,2} (?:de )?"
    + _MONTH + r",? (?:de )?[0-9]{4})", re.IGNORECASE)


def pii_spans(text: str, facts: Facts) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every full account number, SSN-like number, date of birth and other run of 7+ digits.

    Not counted: the business's own phone numbers and phone-formatted numbers (212-555-0143), ZIP+4 codes, runs
    inside links (portal tokens), and money ($1234567)."""
    p = facts.policy
    return list(_pii_spans(text, facts.debtor.account_number or "", p.messaging_number, p.support_phone))


@lru_cache(maxsize=8192)
def _pii_spans(text: str, account_number: str, messaging_number: str | None, support_phone: str | None):
    spans: list[tuple[int, int, str]] = []
    acct = _account_pattern(account_number)
    if acct is not None:
        spans.extend((m.start(), m.end(), "account number") for m in acct.finditer(text))
    if _DIGIT.search(text) is None:
        return tuple(spans)
    low = text.lower()
    if any(key in low for key in _DOB_KEYS):
        spans.extend((m.start("date"), m.end("date"), "date of birth") for m in _DOB.finditer(text))
    runs = list(_RUN.finditer(text))
    if not runs:
        return tuple(spans)
    spans.extend((m.start(), m.end(), "SSN-like number") for m in _SSN.finditer(text))
    taken = [(start, end) for start, end, _ in spans]
    business = _business_numbers(messaging_number, support_phone)
    for m in runs:
        start, end = m.span()
        if any(a <= start and end <= b for a, b in taken) or _harmless_run(text, m, business):
            continue
        spans.append((start, end, "digit run"))
    return tuple(spans)


_DIGIT = re.compile(r"[0-9]")
_DOB_KEYS = ("dob", "d.o.b", "birth", "born", "naci", "cumplea")


def _harmless_run(text: str, m: re.Match, business: frozenset[str]) -> bool:
    """A business phone number, a phone-formatted number, a ZIP+4, a receipt number, money, or part of a link."""
    start, end = m.span()
    if re.sub(r"[^0-9]", "", m.group()) in business or _ZIP4.fullmatch(m.group()):
        return True
    receipt = _RECEIPT_NUMBER.match(text, max(0, start - 2))
    if receipt is not None and receipt.start() == start - 2 and receipt.end() == end:
        return True
    if text[max(0, start - 2):start].rstrip().endswith("$"):
        return True
    phone = _PHONE.search(text, max(0, start - 8), min(len(text), end + 1))
    if phone and phone.start() <= start and end <= phone.end():
        return True
    token = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start), text.rfind("\t", 0, start)) + 1
    return _URL.match(text, token) is not None and _URL.match(text, token).end() >= end


@lru_cache(maxsize=4096)
def _account_pattern(number: str) -> re.Pattern | None:
    chars = re.sub(r"[^0-9A-Za-z]", "", number)
    if len(chars) <= 4:
        return None
    classes = [f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in chars]
    first = classes[0]
    return re.compile(rf"{first}(?<![0-9A-Za-z]{first})" + "".join(r"[\s-]?" + c for c in classes[1:])
                      + r"(?![0-9A-Za-z])")


@lru_cache(maxsize=1024)
def _business_numbers(*numbers: str | None) -> frozenset[str]:
    out = set()
    for n in numbers:
        digits = re.sub(r"[^0-9]", "", n or "")
        if digits:
            out.update({digits, digits[1:] if digits.startswith("1") and len(digits) == 11 else digits})
    return frozenset(out)


def mask(text: str, facts: Facts) -> str:
    """The text with sensitive numbers masked (D-18): account numbers, SSN-like numbers and digit runs keep their
    last 4 characters ("****-**0123"), dates of birth are masked whole. Masking twice changes nothing."""
    for _ in range(8):
        spans = _merge(pii_spans(text, facts))
        if not spans:
            return text
        out, last = [], 0
        for start, end, kind in spans:
            out.append(text[last:start])
            out.append(_mask_span(text[start:end], keep=0 if kind == "date of birth" else 4))
            last = end
        out.append(text[last:])
        text = "".join(out)
    return text


def _merge(spans):
    merged: list[list] = []
    for start, end, kind in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if kind == "date of birth":
                merged[-1][2] = kind
        else:
            merged.append([start, end, kind])
    return [tuple(s) for s in merged]


def _mask_span(span: str, keep: int) -> str:
    positions = [k for k, ch in enumerate(span) if ch.isalnum()]
    hidden = set(positions[:-keep] if keep else positions)
    return "".join("*" if k in hidden else ch for k, ch in enumerate(span))
