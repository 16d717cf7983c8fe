"""WORK-1..3 (stage 9): no messages to work addresses, and none while the consumer says they are at work."""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.services.compliance.decision import BLOCK, Issue
from app.services.compliance.registry import Later, deferring, rule

UTC = dt.timezone.utc
WORK2_DEFER_CHANNELS = frozenset({"sms", "whatsapp", "email", "voice"})
WORK3_CHANNELS = frozenset({"voice", "sms"})
SCAN_DAYS = 19  # the 14-day deferral horizon, plus margin for zones and overnight hours
Interval = tuple[dt.datetime, dt.datetime]


def _email_domain(address: str | None) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if address and "@" in address else ""


def work_email(ctx) -> bool:
    """An employer-provided address: flagged work or employer-operated, or on the employer's domain."""
    e = ctx.email
    if e is not None and (e.is_work or e.employer_operated):
        return True
    employer = (ctx.debtor.employer_domain or "").strip().lower().lstrip("@")
    return bool(employer) and _email_domain(ctx.address) == employer


def work_address(ctx) -> bool:
    """The destination is a work phone or a work email."""
    if ctx.channel == "email":
        return work_email(ctx)
    if ctx.channel in ("sms", "whatsapp", "voice"):
        return ctx.phone is not None and ctx.phone.type == "work"
    return False


@lru_cache(maxsize=4096)
def blocked_intervals(blackouts: tuple, zones: tuple[str, ...], first: dt.date, channel: str) -> tuple[Interval, ...]:
    """Stated hours as merged UTC intervals for SCAN_DAYS local days from `first`, taken in every candidate zone (an
    instant is blocked if it falls in the hours in any zone), each clipped to [designated_at, revoked_at). An end at
    or before the start runs past midnight; 00:00 as end means midnight. Cached: the same hours recur all day."""
    spans: list[Interval] = []
    for zone in zones:
        tz = ZoneInfo(zone)
        for b in blackouts:
            if b.channels and channel not in b.channels:
                continue
            for i in range(SCAN_DAYS):
                day = first + dt.timedelta(days=i)
                if day.weekday() not in b.weekdays:
                    continue
                end_day = day if b.end > b.start else day + dt.timedelta(days=1)
                lo = dt.datetime.combine(day, b.start, tz).astimezone(UTC)
                hi = dt.datetime.combine(end_day, b.end, tz).astimezone(UTC)
                if b.designated_at is not None and b.designated_at > lo:
                    lo = b.designated_at
                if b.revoked_at is not None and b.revoked_at < hi:
                    hi = b.revoked_at
                if hi > lo:
                    spans.append((lo, hi))
    spans.sort()
    merged: list[Interval] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def first_free(intervals: tuple[Interval, ...], t: dt.datetime) -> dt.datetime:
    """The earliest instant >= t outside every interval (sorted, merged, so one lookup suffices)."""
    i = bisect_right(intervals, t, key=_lo) - 1
    if i >= 0 and t < intervals[i][1]:
        return intervals[i][1]
    return t


def _lo(span: Interval) -> dt.datetime:
    return span[0]


def _hours_later(ctx, t: dt.datetime, rule_id: str) -> Later | None:
    hours = ctx.debtor.work_hours
    if not hours:
        return None
    zones = ctx.zones
    first = ctx.start.date() - dt.timedelta(days=2)  # covers every zone's local day of the start
    if t - ctx.start > dt.timedelta(days=SCAN_DAYS - 4):
        first = t.date() - dt.timedelta(days=2)
    free = first_free(blocked_intervals(hours, zones, first, ctx.channel), t)
    if free <= t:
        return None
    return Later(free, f"{rule_id}: stated working hours in {', '.join(zones)}")


def _objection(ctx) -> bool:
    return ctx.debtor.workplace_objection_at is not None and not ctx.to_attorney and not ctx.is_system_reply


@rule("WORK-1", 9)
def work1_employer_email(ctx):
    """1006.22(f)(3) [S: Bedard summary]; text [U]: no email to an address the collector knows or should know the
    employer provides, unless the consumer emailed from it or gave prior consent to it directly."""
    if ctx.channel != "email" or not ctx.to_debtor or not work_email(ctx):
        return None
    e = ctx.email
    if e is not None:
        if e.debtor_emailed_from_at is not None or e.provenance in ("consumer_emailed", "consumer_consent"):
            return None
        if e.consent is not None and e.consent.method != "creditor_attested" and e.consent.active(ctx.start):
            return None
    return Issue("WORK-1", BLOCK, "employer-provided email address without the consumer's direct use or consent")


@rule("WORK-2", 9)
def work2_work_address(ctx):
    """1692c(a)(3) [V]; 1006.6(b)(3) [V-partial]; PRD: after a workplace objection the work phone and work email are
    blocked for good."""
    if _objection(ctx) and work_address(ctx):
        return Issue("WORK-2", BLOCK, "workplace objection: no messages to a work phone or email")
    return None


@deferring("WORK-2", 9)
def work2_hours(ctx, t):
    """1692c(a)(3) [V]; 1006.6(b)(3) [V-partial]; electronic messages are "at a place" only when the collector knows
    the consumer is there [S: CFPB summary in Compliance Insights]; PRD: after a workplace objection, SMS, WhatsApp,
    email (and calls) wait until the stated working hours are over in every candidate zone."""
    if not _objection(ctx) or ctx.channel not in WORK2_DEFER_CHANNELS:
        return None
    return _hours_later(ctx, t, "WORK-2")


@rule("WORK-3", 9)
def work3_ma_work_phone(ctx):
    """209 CMR 18.16(1)(c) [V]: an MA oral request not to be called at work lapses after 10 days unless confirmed in
    writing; policy treats every request as permanent, so WORK-2 holds for MA calls and texts without expiry."""
    if ctx.state == "MA" and ctx.channel in WORK3_CHANNELS and _objection(ctx) and work_address(ctx):
        return Issue("WORK-3", BLOCK, "MA workplace request (permanent by policy): no calls or texts to a work phone")
    return None


@deferring("WORK-3", 9)
def work3_ma_hours(ctx, t):
    """209 CMR 18.16(1)(c) [V]; policy: every MA workplace request is permanent, so calls and texts wait until the
    stated working hours are over."""
    if ctx.state != "MA" or ctx.channel not in WORK3_CHANNELS or not _objection(ctx):
        return None
    return _hours_later(ctx, t, "WORK-3")
