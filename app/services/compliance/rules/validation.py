"""VALID-1..7 (stage 10): the validation notice and its timing.

VALID-1 (Reg F timing: validation information in the initial communication, or a notice within 5 days after it)
is the frame the other rules enforce: VALID-2 checks what an initial communication carries (D-4), VALID-7 blocks
collection once the 5 days pass without the notice, and VALID-1's exception (the consumer paid before the notice
was due) is honoured there. `Validation.initial_had_validation` means the full validation information was in the
initial communication; the PRD 9.2.3 text summary of D-4 is not that, so after a text first contact the full notice
is still due within 5 days.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from app.services.compliance import snippets
from app.services.compliance.decision import BLOCK, REQUIRE_CONTENT, WARN, Issue
from app.services.compliance.facts import SYSTEM_REPLY_PURPOSES
from app.services.compliance.registry import rule

STAGE = 10
NOTICE_DUE = dt.timedelta(days=5)  # 1006.34(a)(1)(i)(B)
RECEIPT_BUSINESS_DAYS = 5  # 1006.34(b)(5): assumed receipt
PERIOD_DAYS = 30
TEXT_FIRST_CONTACT = frozenset({"sms", "whatsapp", "web_chat"})
ELECTRONIC_NOTICE = frozenset({"email", "web_chat", "sms", "whatsapp"})
NO_DEBT_INFO = SYSTEM_REPLY_PURPOSES | {"marketing", "privacy_response"}
"""Purposes that convey nothing about the debt, so they are never the initial communication."""
PAID = frozenset({"paid", "settled"})
PDF = "validation_notice_pdf"
PDF_ES = "validation_notice_pdf_es"


# -- VALID-5: dates ----------------------------------------------------------------------------------------------
def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """5 USC 6103(b): Saturday holidays are observed on Friday, Sunday holidays on Monday."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def federal_holidays(year: int) -> frozenset[dt.date]:
    """Legal public holidays of 5 USC 6103(a) falling in `year`, with their observed weekdays (a 1 January that is a
    Saturday is observed on 31 December of the year before)."""
    mon, thu = 0, 3
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
    if year >= 2021:
        fixed.append((6, 19))  # Juneteenth
    days = set()
    for month, day in fixed:
        actual = dt.date(year, month, day)
        days.update({actual, _observed(actual)})
    days.update({
        _nth_weekday(year, 1, mon, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, mon, 3),  # Washington's Birthday
        _last_weekday(year, 5, mon),  # Memorial Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        _nth_weekday(year, 10, mon, 2),  # Columbus Day
        _nth_weekday(year, 11, thu, 4),  # Thanksgiving Day
    })
    if _observed(dt.date(year + 1, 1, 1)).year == year:
        days.add(dt.date(year, 12, 31))
    return frozenset(d for d in days if d.year == year)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


@lru_cache(maxsize=4096)
def assumed_receipt(provided_on: dt.date) -> dt.date:
    """The fifth day after `provided_on` that is not a Saturday, Sunday or federal holiday."""
    day, counted = provided_on, 0
    while counted < RECEIPT_BUSINESS_DAYS:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


@lru_cache(maxsize=4096)
def period_end(provided_on: dt.date) -> dt.date:
    """VALID-5: 30 days after the assumed receipt of validation information provided on `provided_on`.
    1006.34(b)(5) [V-partial]; assumption details [U]. No roll-forward when day 30 is a weekend (not in the text)."""
    return assumed_receipt(provided_on) + dt.timedelta(days=PERIOD_DAYS)


# -- what the message is -------------------------------------------------------------------------------------------
def _language(ctx) -> str:
    return snippets.lang_of(ctx.language)


def _provided_on(ctx) -> dt.date:
    return ctx.start.date()


def conveys_debt(ctx) -> bool:
    return ctx.to_debtor and ctx.purpose not in NO_DEBT_INFO


def carries_full_notice(ctx) -> bool:
    """The message is (or must be) the full validation notice: a validation_notice, or an initial email (D-4)."""
    if not ctx.to_debtor or ctx.channel in ("voice", "postcard"):
        return False
    if ctx.purpose == "validation_notice":
        return True
    return ctx.is_initial_communication and ctx.channel == "email" and conveys_debt(ctx)


def _present(ctx, item: str, language: str | None = None, text: str | None = None) -> bool:
    return snippets.present(item, ctx.text if text is None else text, ctx.facts, language=language or _language(ctx),
                            channel=ctx.channel, provided_on=_provided_on(ctx))


def _has_pdf(ctx, spanish: bool = False) -> bool:
    kinds = ctx.attempt.attachments
    return PDF_ES in kinds if spanish else (PDF in kinds or PDF_ES in kinds)


@rule("VALID-2", STAGE)
def initial_communication(ctx):
    """D-4: an SMS/WhatsApp (and web chat) initial communication carries the PRD 9.2.3 disclosure
    (creditor, amount, right to dispute) and a portal link to the full notice; an email initial communication
    carries the full notice in the body or as the attached PDF. The mini-Miranda is DISC-1.
    Source: PRD; 1006.34(a)(1) [V]; 1006.42(a)(1) [V]; D-4."""
    if not ctx.is_initial_communication or not conveys_debt(ctx):
        return None
    if ctx.channel in TEXT_FIRST_CONTACT:
        if _present(ctx, "validation_summary"):
            return None
        portal = ctx.policy.portal_url
        if ctx.attempt.portal_link and portal and _present(ctx, "validation_summary", text=f"{ctx.text}\n{portal}"):
            return None
        setup = "" if portal else " (no portal URL configured: the link cannot be added)"
        return Issue("VALID-2", REQUIRE_CONTENT, "first contact by text needs the PRD 9.2.3 summary and the portal "
                                                 f"link{setup}", items=("validation_summary",))
    if ctx.channel == "email":
        if _has_pdf(ctx) or any(_present(ctx, part) for part in snippets.MVN_PARTS):
            return None  # a partial notice in the body is VALID-3's
        return Issue("VALID-2", REQUIRE_CONTENT, "first contact by email carries the full validation notice (body or "
                                                 "PDF)", items=("validation_notice",))
    return None


@rule("VALID-3", STAGE)
def notice_content(ctx):
    """The full notice's fields (Model Form B-1): collector and dispute address, consumer, creditor and
    account, itemization date, itemization since then and the current amount, validation period end with the
    dispute and original-creditor statements, CFPB reference. D-12 defaults count as data; D-15: no dispute address
    -> the notice stays REQUIRE_CONTENT (a setup task).
    Source: 1006.34(b)(3), (b)(5), (c)(2)(i)-(ii), (c)(3)(i)-(iii), (c)(4)(iii) [V]; rest [U]."""
    if not carries_full_notice(ctx):
        return None
    facts, provided = ctx.facts, _provided_on(ctx)
    no_data = {p: why for p in snippets.MVN_PARTS if (why := snippets.missing_data(p, facts, provided))}
    if _has_pdf(ctx):
        missing = tuple(no_data)
    else:
        absent = tuple(p for p in snippets.MVN_PARTS if not _present(ctx, p))
        if len(absent) == len(snippets.MVN_PARTS) and ctx.purpose != "validation_notice":
            missing = tuple(no_data)  # VALID-2 asks for the whole notice
        else:
            missing = absent
    if not missing:
        return None
    notes = "; ".join(f"{p}: {no_data[p]}" for p in missing if p in no_data)
    detail = "validation notice lacks " + ", ".join(missing) + (f" (no data: {notes})" if notes else "")
    return Issue("VALID-3", REQUIRE_CONTENT, detail, items=missing)


@rule("VALID-4", STAGE)
def electronic_notice_consent(ctx):
    """A validation notice sent after the initial communication (path B) by electronic means needs E-SIGN
    consent (101(c)); until counsel confirms an alternative 1006.42 procedure [U], send it by mail or get the
    consent.
    Source: 1006.42(a)(1) [V]; 1006.42(b) [V-partial]."""
    if ctx.purpose != "validation_notice" or ctx.channel not in ELECTRONIC_NOTICE or not ctx.to_debtor:
        return None
    if ctx.is_initial_communication:
        return None
    consent = ctx.debtor.validation.esign_consent_at
    if consent is not None and consent <= ctx.start:
        return None
    return Issue("VALID-4", BLOCK, f"validation notice by {ctx.channel} after the initial communication without "
                                   f"E-SIGN consent: mail it or obtain consent")


@rule("VALID-5", STAGE)
def period_end_stored(ctx):
    """The stored validation period end must not be earlier than 30 days after the assumed receipt (5 days,
    not counting Saturdays, Sundays and federal holidays): it drives DISPUTE-1/3.
    Source: 1006.34(b)(5) [V-partial]; assumption details [U]."""
    v = ctx.debtor.validation
    if v.notice_sent_at is None and not v.initial_had_validation:
        return None
    sent = v.notice_sent_at or v.initial_comm_at
    if sent is None:
        return None
    expected = period_end(sent.date())
    if v.period_end is None:
        return Issue("VALID-5", WARN, f"validation period end not stored (computed {expected.isoformat()})")
    if v.period_end < expected:
        return Issue("VALID-5", WARN, f"stored validation period end {v.period_end.isoformat()} is before "
                                      f"{expected.isoformat()}")
    return None


@rule("VALID-6", STAGE)
def spanish_notice(ctx):
    """Spanish: a Spanish-preferred debtor gets the Spanish notice (PRD, CFPB translation), and a consumer
    who asked for Spanish (after the optional offer; without it too, stricter) gets it; until it is sent,
    collection messages carry a warning.
    Source: 1006.34(e)(2) [V]; (d)(3)(vi) [V-ref]; CFPB Spanish MVN exists [S]; PRD."""
    v = ctx.debtor.validation
    requested = v.spanish_requested_at is not None and v.spanish_requested_at <= ctx.start
    spanish = snippets.lang_of(ctx.debtor.preferred_language) == "es"
    if carries_full_notice(ctx):
        if not (spanish or requested):
            return None
        if _has_pdf(ctx, spanish=True) or _present(ctx, "validation_notice", language="es"):
            return None
        return Issue("VALID-6", REQUIRE_CONTENT, "the validation notice must be in Spanish",
                     items=("validation_notice_es",))
    if requested and ctx.purpose == "collection" and ctx.to_debtor:
        if v.notice_sent_at is None or v.notice_sent_at < v.spanish_requested_at:
            return Issue("VALID-6", WARN, f"Spanish validation notice requested at "
                                          f"{v.spanish_requested_at:%Y-%m-%dT%H:%M:%SZ} and not sent yet")
    return None


@rule("VALID-7", STAGE)
def notice_overdue(ctx):
    """The initial communication lacked the validation information and no notice followed within 5 days:
    block collection messages until it is sent (PRD-stricter tracking; D-4, D-15). Not when the consumer has paid
    (VALID-1's exception).
    Source: 1006.34(a)(1)(i)(B) [V]; PRD."""
    if ctx.purpose not in ("collection", "payment_link") or not ctx.to_debtor:
        return None
    d = ctx.debtor
    v = d.validation
    if v.initial_comm_at is None or v.initial_had_validation or d.status in PAID:
        return None
    if v.notice_sent_at is not None and v.notice_sent_at <= ctx.start:
        return None
    due = v.initial_comm_at + NOTICE_DUE
    if ctx.start < due:
        return None
    setup = "; no dispute mailing address on file (D-15)" if not ctx.policy.dispute_address else ""
    return Issue("VALID-7", BLOCK, f"validation notice was due by {due:%Y-%m-%dT%H:%M:%SZ} and has not been sent"
                                   f"{setup}")
