"""TIME-1..7 (stage 13): the hours every candidate zone allows.

TIME-2 (the candidate zones) is computed in context.py; TIME-3 (IANA rules for the actual instant) is how
hours.py computes local times. Registered here: TIME-1 and TIME-4 as deferring rules, TIME-5 as a logged
exemption (plus a deferring branch once its one response is spent), TIME-7 as a warning (a deferring rule when
the business makes it blocking). TIME-6 is `needs_recheck`, called by the dispatch pipeline.

"The consumer said the time is fine" (TIME-5, scenario 27) is an inbound labelled `time_ok` received inside the
designated period, after the designation: it lifts that occurrence of the period (the rest of that evening, say)
on every channel the designation covers. A standing change ("you can text me after 6 now") is recorded as the
designation's `revoked_at`, which ends it for good.
"""
from __future__ import annotations

import bisect
import datetime as dt
import operator
from functools import lru_cache

from app.services.compliance import hours
from app.services.compliance.decision import DEFER_HORIZON, INFO, WARN, Issue
from app.services.compliance.registry import Later, deferring, rule

STAGE = 13
SESSION = 15 * 60  # TIME-5: seconds since the inbound
RECHECK_AFTER = dt.timedelta(minutes=5)  # TIME-6
CAMPAIGN_END = dt.time(20, 45)  # TIME-6: schedulers stop here, local, to keep a buffer before 21:00
HORIZON_DAYS = DEFER_HORIZON.days + 1
NEVER = DEFER_HORIZON + dt.timedelta(days=1)  # past the gate's horizon: the gate turns it into a BLOCK

NOT_TIMED = frozenset({"mail", "postcard"})  # letters have no time of day at the consumer's end
SESSION_CHANNELS = frozenset({"sms", "whatsapp", "email", "web_chat"})  # TIME-5
SENT = frozenset({"accepted", "sent", "delivered", "undelivered"})
TIME_OK = "time_ok"  # inbound label: the consumer says now is fine after designating it inconvenient

STATE_WINDOWS: dict[str, tuple[dt.time, dt.time]] = {}
"""STATE-QH: per-state quiet hours stricter than 08:00-21:00, applied inside TIME-1. None verified: WA's 07:30
start is less strict and FL's 08:00-20:00 covers telephone solicitations only."""

_DAY = hours.DAY
_FREE = (None, None, None, False)


# -- what every TIME rule reads ------------------------------------------------------------------------------
class _Prep:
    """Per-decision values the TIME rules share, computed once and kept on the Context instance."""

    __slots__ = ("applies", "session", "zones", "window", "blackouts", "cache")

    def __init__(self, ctx):
        self.applies = consumer_clock_applies(ctx)
        m = ctx.inbound if ctx.attempt.in_reply_to else None
        ok = m is not None and m.channel == ctx.channel and ctx.channel in SESSION_CHANNELS and ctx.kind != "campaign"
        self.session = m.received_at.timestamp() if ok else None
        self.zones = tuple(ctx.zones)
        self.window = _window(ctx)
        self.blackouts = _blackouts(ctx) if self.applies and ctx.debtor.inconvenient_times else ()
        self.cache: dict = {}


def _prep(ctx) -> _Prep:
    found = ctx.__dict__.get("_timing")
    if found is None:
        found = ctx.__dict__["_timing"] = _Prep(ctx)
    return found


def zones(ctx) -> tuple[str, ...]:
    return _prep(ctx).zones


def window(ctx) -> tuple[dt.time, dt.time]:
    return _prep(ctx).window


def _window(ctx) -> tuple[dt.time, dt.time]:
    """08:00-21:00 local, narrowed by the business (never widened) and by any stricter state quiet hours."""
    policy = ctx.policy
    start, end = max(hours.DAY_START, policy.window_start), min(hours.DAY_END, policy.window_end)
    state = STATE_WINDOWS.get(ctx.state or "") if STATE_WINDOWS else None
    if state:
        start, end = max(start, state[0]), min(end, state[1])
    return start, end


def consumer_clock_applies(ctx) -> bool:
    """System replies (OPT-4/7/8) are time-exempt, messages to the attorney are not judged by the consumer's clock
    (ATTY-2), and letters have no time of day."""
    return not (ctx.is_system_reply or ctx.to_attorney or ctx.channel in NOT_TIMED)


def _live(p: _Prep, ts: float) -> bool:
    return p.session is not None and 0 <= ts - p.session <= SESSION


def session_live_at(ctx, t: dt.datetime) -> bool:
    """TIME-5 at instant t: a reply (not a campaign) on the same channel, at most 15 minutes after the consumer's
    inbound, on a channel with sessions."""
    return _live(_prep(ctx), t.timestamp())


def needs_recheck(evaluated_at: dt.datetime, dispatch_at: dt.datetime) -> bool:
    """TIME-6: a decision older than 5 minutes at dispatch is re-run (TIME and FREQ may have changed). PRD."""
    return dispatch_at - evaluated_at > RECHECK_AFTER


# -- TIME-1 ---------------------------------------------------------------------------------------------------
@deferring("TIME-1", STAGE)
def time_1(ctx, t):
    """Only inside the window in every candidate zone; else the earliest later instant that is.
    1692c(a)(1) [V]; 1006.6(b)(1)(i) [V]; applies to texts/emails [S: mondaq, Compliance Insights]; PRD."""
    p = ctx.__dict__.get("_timing") or _prep(ctx)
    if not p.applies:
        return None
    key = ("TIME-1", t)
    if key in p.cache:
        return p.cache[key]
    ts = t.timestamp()
    if p.session is not None and _live(p, ts):
        found = None  # TIME-5
    else:
        start, end = p.window
        at = hours.next_window_ts(p.zones, ts, start, end, HORIZON_DAYS)
        if at == ts:
            found = None
        elif at is None:
            found = Later(t + NEVER, f"no common {start:%H:%M}-{end:%H:%M} window in {len(p.zones)} zones")
        else:
            found = Later(hours.to_datetime(at), _outside(p.zones, ts, start, end))
    p.cache[key] = found
    return found


def _outside(names, ts: float, start: dt.time, end: dt.time) -> str:
    for name in names:
        clock = hours.local_time(name, ts).time()
        if clock < start:
            return f"{name} {clock:%H:%M} < {start:%H:%M}"
        if clock >= end:
            return f"{name} {clock:%H:%M} >= {end:%H:%M}"
    return f"no common {start:%H:%M}-{end:%H:%M} window"


# -- TIME-4 / TIME-5 -----------------------------------------------------------------------------------------
def _blackouts(ctx) -> tuple:
    """Designations in force now for this channel; the consumer's own words are the record (TIME-4)."""
    now, channel = ctx.now, ctx.channel
    return tuple(b for b in ctx.debtor.inconvenient_times
                 if (not b.channels or channel in b.channels)
                 and (b.designated_at is None or b.designated_at <= now)
                 and (b.revoked_at is None or b.revoked_at > now))


_BLOCK = 3  # UTC days per block of occurrences
_START = operator.itemgetter(0)


def _spans(p: _Prep, block: int) -> tuple[list, list, float]:
    """Occurrences (lo, hi, blackout) of every designation in every candidate zone for local days 3b-2 .. 3b+3
    (UTC ordinals), sorted by start, with their starts and the longest one: exact for instants in UTC days
    3b .. 3b+2 (offsets are within +-14 h). An end at or before the start runs past midnight; equal start and end
    mean 24 hours from the start. Zones whose local days begin at the same instants give the same occurrences, once."""
    key = ("spans", block)
    found = p.cache.get(key)
    if found is not None:
        return found
    first = block * _BLOCK - 2
    days = range(first, first + _BLOCK + 4)  # one more day for occurrences past midnight
    calendars = {}
    for name in p.zones:
        calendars.setdefault(hours.local_days(name, first, _BLOCK + 4), name)
    spans = []
    longest = 0
    for b in p.blackouts:
        wrap = b.end <= b.start
        start_s, end_s = _seconds(b.start), _seconds(b.end)
        revoked = b.revoked_at.timestamp() if b.revoked_at else None
        wanted = [i for i in range(_BLOCK + 3) if (days[i] + 6) % 7 in b.weekdays]
        for calendar, name in calendars.items():
            for i in wanted:
                midnight, steady = calendar[i]
                lo = midnight + start_s if steady else hours.local_instant(name, days[i], b.start)
                if revoked is not None and revoked <= lo:
                    continue
                e = i + 1 if wrap else i
                midnight, steady = calendar[e]
                hi = midnight + end_s if steady else hours.local_instant(name, days[e], b.end)
                spans.append((lo, hi, b))
                if hi - lo > longest:
                    longest = hi - lo
    spans.sort(key=_START)
    found = p.cache[key] = (spans, [x[0] for x in spans], longest)
    return found


def _seconds(clock: dt.time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


def _sorted_ts(ctx, p: _Prep, key: str) -> list[float]:
    """Sorted instants the one-response rule reads: our sent messages on this channel ("sent"), and the consumer's
    'now is fine' messages ("ok")."""
    found = p.cache.get(key)
    if found is None:
        if key == "sent":
            channel = ctx.channel
            found = sorted(o.sent_at.timestamp() for o in ctx.history.outbound
                           if o.channel == channel and o.recipient == "debtor" and o.decision == "allow"
                           and o.provider_status in SENT)
        else:
            found = sorted(m.received_at.timestamp() for m in ctx.history.inbound if TIME_OK in m.labels)
        p.cache[key] = found
    return found


def _any_between(values: list[float], lo: float, hi: float) -> bool:
    return bisect.bisect_left(values, lo) < bisect.bisect_left(values, hi)


def _since(b, lo: float) -> float:
    return max(lo, b.designated_at.timestamp()) if b.designated_at else lo


def _blackout(ctx, t: dt.datetime):
    """(until, blackout that defers, why, whether TIME-5 exempted t) for the designations alone.
    Why: "designated", or "spent" when t is a live-session reply whose one response was already sent."""
    p = _prep(ctx)
    if not p.blackouts:
        return _FREE
    key = ("blackout", t)
    found = p.cache.get(key)
    if found is not None:
        return found
    ts = t.timestamp()
    cur, culprit, why, exempted = ts, None, None, False
    limit = ts + HORIZON_DAYS * _DAY
    ok = _sorted_ts(ctx, p, "ok")
    while True:  # until a whole pass leaves cur where it is
        before = cur
        spans, starts, longest = _spans(p, hours.utc_ordinal(cur) // _BLOCK)
        for i in range(bisect.bisect_left(starts, cur - longest), len(spans)):
            lo, hi, b = spans[i]
            if lo > cur:
                break
            if cur >= hi:
                continue
            since = _since(b, lo)
            if ok and _any_between(ok, since, hi):
                continue  # the consumer said this time is fine
            spent = False
            if _live(p, cur):
                if not _any_between(_sorted_ts(ctx, p, "sent"), since, cur):
                    exempted = exempted or cur == ts
                    continue  # TIME-5: one response on the same medium
                spent = True
            if culprit is None:
                culprit, why = b, "spent" if spent else "designated"
            cur = hi
        if cur == before or cur > limit:
            break
    found = p.cache[key] = (None if cur == ts else hours.to_datetime(cur), culprit, why, exempted)
    return found


@deferring("TIME-4", STAGE)
def time_4(ctx, t):
    """Consumer-designated inconvenient times are excluded in every candidate zone. "Busy" alone is no designation
    (the inbound pipeline records none). 1006.6(b)(1); comment 6(b)(1)-1 [S: CFPB FAQ]."""
    if not (ctx.__dict__.get("_timing") or _prep(ctx)).blackouts:
        return None
    until, b, _, _ = _blackout(ctx, t)
    if until is None:
        return None
    return Later(until, f"designated inconvenient {b.start:%H:%M}-{b.end:%H:%M} local")


@deferring("TIME-5", STAGE)
def time_5_spent(ctx, t):
    """After the one response in a designated inconvenient time, wait until the consumer says the time is fine
    (or the period ends). comment 6(b)(1)-2 [S: CFPB FAQ Q5]."""
    if not (ctx.__dict__.get("_timing") or _prep(ctx)).blackouts:
        return None
    until, _, why, _ = _blackout(ctx, t)
    if until is None or why != "spent":
        return None
    return Later(until, "one response in a designated inconvenient time already sent")


@rule("TIME-5", STAGE)
def time_5(ctx):
    """A reply in a live consumer-initiated session (inbound on the same channel <= 15 min earlier) may go outside
    the window, and once inside a designated inconvenient time: logged. comment 6(b)(1)-2 [S: CFPB FAQ Q5];
    1006.6(b)(4) [V-partial]; default-window treatment [U: unverified, configurable]."""
    p = _prep(ctx)
    if not p.applies or p.session is None:
        return None
    t = ctx.start
    ts = t.timestamp()
    if not _live(p, ts):
        return None
    start, end = p.window
    if hours.next_window_ts(p.zones, ts, start, end, 1) != ts:
        return Issue("TIME-5", INFO, f"reply in a live session outside {start:%H:%M}-{end:%H:%M}")
    if _blackout(ctx, t)[3]:
        return Issue("TIME-5", INFO, "one reply in a live session inside a designated inconvenient time")
    return None


# -- TIME-7 ---------------------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def _rest_day(names: tuple[str, ...], quarter: int) -> tuple[str, int, str] | None:
    """(zone, local ordinal, what) of the first zone where it is Sunday or a federal holiday. Offsets are whole
    quarter hours, so a quarter-hour of UTC lies in one local day everywhere."""
    ts = quarter * 900
    for name in names:
        day = hours.local_time(name, ts).date()
        if day.weekday() == 6:
            return name, day.toordinal(), "Sunday"
        if day in hours.us_federal_holidays(day.year):
            return name, day.toordinal(), f"federal holiday {day.isoformat()}"
    return None


def _time7_applies(ctx, p: _Prep) -> bool:
    return p.applies and ctx.collector_initiated


@rule("TIME-7", STAGE)
def time_7(ctx):
    """Sundays and US federal holidays in any candidate zone: warn (no federal per-se ban verified).
    FTC staff letter 1980 [S]; CFPB harassment factor [S]; per-se rule [U: unverified, configurable]."""
    p = _prep(ctx)
    if ctx.policy.time7_blocking or not _time7_applies(ctx, p):
        return None
    found = _rest_day(p.zones, int(ctx.start.timestamp() // 900))
    return Issue("TIME-7", WARN, f"{found[2]} in {found[0]}") if found else None


@deferring("TIME-7", STAGE)
def time_7_blocking(ctx, t):
    """With the business setting on, wait until it is neither Sunday nor a federal holiday in any candidate zone.
    [S]/[U: unverified, configurable]."""
    if not ctx.policy.time7_blocking:
        return None
    p = _prep(ctx)
    if not _time7_applies(ctx, p):
        return None
    ts = cur = t.timestamp()
    first = None
    for _ in range(64):
        found = _rest_day(p.zones, int(cur // 900))
        if found is None:
            break
        first = first or found
        cur = max(cur, hours.local_instant(found[0], found[1] + 1, dt.time(0)))
    if cur == ts:
        return None
    return Later(hours.to_datetime(cur), f"{first[2]} in {first[0]}")
