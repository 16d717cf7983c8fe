"""TIME-1/TIME-3: contact is allowed only when it is inside the window (08:00-21:00) in EVERY candidate zone.

Windows are intersected as intervals of UTC instants (no minute stepping). Local times come from the IANA database
for the actual instant (TIME-3: no cached UTC offsets), so DST changes and zones without DST are exact. Internally
instants are POSIX seconds; what is cached is the instant of a local wall-clock time on a given local day, which
the IANA rules fix once and for all.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.services.timezones import US_FALLBACK_ZONES

DAY_START = dt.time(8, 0)
DAY_END = dt.time(21, 0)
WINDOW = (DAY_START, DAY_END)
UTC = dt.timezone.utc
DAY = 86400
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
Interval = tuple[dt.datetime, dt.datetime]

_ALL_US = tuple(sorted(US_FALLBACK_ZONES))
_SPAN = 3  # UTC days one cached intersection can answer for


def effective_zones(zones) -> tuple[str, ...]:
    """Unknown location -> every US zone (the strictest reading)."""
    zones = tuple(zones)
    return zones if zones else _ALL_US


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=262144)
def local_instant(zone_name: str, ordinal: int, clock: dt.time) -> float:
    """POSIX seconds of wall-clock `clock` on local day `ordinal` (date.toordinal()) in the zone."""
    return dt.datetime.combine(dt.date.fromordinal(ordinal), clock, zone(zone_name)).timestamp()


@lru_cache(maxsize=262144)
def local_day(zone_name: str, ordinal: int) -> tuple[float, bool]:
    """(POSIX seconds of local midnight, whether the UTC offset is the same at the next midnight). When it is, any
    wall-clock time that day is midnight + its seconds, with no zone lookup."""
    midnight = local_instant(zone_name, ordinal, dt.time(0))
    return midnight, local_instant(zone_name, ordinal + 1, dt.time(0)) - midnight == DAY


@lru_cache(maxsize=65536)
def local_days(zone_name: str, first: int, count: int) -> tuple[tuple[float, bool], ...]:
    """local_day for `count` consecutive local days from `first`."""
    return tuple(local_day(zone_name, d) for d in range(first, first + count))


def local_ordinal(zone_name: str, ts: float) -> int:
    """The local calendar day (date.toordinal()) of an instant."""
    return dt.datetime.fromtimestamp(ts, zone(zone_name)).toordinal()


def day_bounds(zones: tuple[str, ...], ts: float) -> tuple[tuple[float, float], ...]:
    """The distinct local days (midnight, next midnight) that contain ts across the zones."""
    return _day_bounds(zones, int(ts // 900))


@lru_cache(maxsize=65536)
def _day_bounds(zones: tuple[str, ...], quarter: int) -> tuple[tuple[float, float], ...]:
    """Offsets are whole quarter hours, so a quarter-hour of UTC lies in one local day in every zone."""
    found = {}
    for name in zones:
        day = local_ordinal(name, quarter * 900)
        found[local_day(name, day)[0]] = local_day(name, day + 1)[0]
    return tuple(sorted(found.items()))


def local_time(zone_name: str, ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, zone(zone_name))


def utc_ordinal(ts: float) -> int:
    return int(ts // DAY) + EPOCH_ORDINAL


def to_datetime(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, UTC)


def intersect(a, b) -> list:
    """Intersection of two sorted lists of disjoint half-open intervals."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _zone_windows(zone_name: str, first: int, last: int, start: dt.time, end: dt.time) -> list[tuple[float, float]]:
    return [(local_instant(zone_name, d, start), local_instant(zone_name, d, end)) for d in range(first, last + 1)]


@lru_cache(maxsize=16384)
def _common(zones: tuple[str, ...], start: dt.time, end: dt.time, day: int) -> tuple[tuple[float, float], ...]:
    """Common windows of local days day-2 .. day+SPAN (UTC ordinals). Exact for every window that starts before
    UTC day+SPAN: each zone's missing next window starts later than that (offsets are within +-14 h)."""
    windows = None
    for name in zones:
        mine = _zone_windows(name, day - 2, day + _SPAN, start, end)
        windows = mine if windows is None else intersect(windows, mine)
    return tuple(windows or ())


def next_window_ts(zones: tuple[str, ...], ts: float, start: dt.time = DAY_START, end: dt.time = DAY_END,
                   horizon_days: int = 16) -> float | None:
    """The earliest instant >= ts inside the window in every zone; None if none within the horizon."""
    if start >= end:
        return None
    zones = zones or _ALL_US
    day = utc_ordinal(ts)
    last = day + horizon_days
    while day <= last:
        trusted = (day + _SPAN - EPOCH_ORDINAL) * DAY
        for lo, hi in _common(zones, start, end, day):
            if hi > ts:
                if lo < trusted:
                    return lo if lo > ts else ts
                break
        day += _SPAN
    return None


def next_allowed(zones, at: dt.datetime, window: tuple[dt.time, dt.time] = WINDOW,
                 horizon_days: int = 3) -> dt.datetime | None:
    """`at` itself when allowed, else the start of the next common window (None if none within the horizon)."""
    ts = at.timestamp()
    found = next_window_ts(effective_zones(zones), ts, window[0], window[1], horizon_days)
    if found is None:
        return None
    return at if found == ts else to_datetime(found)


def allowed_at(zones, at: dt.datetime, window: tuple[dt.time, dt.time] = WINDOW) -> bool:
    return next_allowed(zones, at, window, horizon_days=1) == at


def common_windows(zones, now: dt.datetime, days: int = 3,
                   window: tuple[dt.time, dt.time] = WINDOW) -> list[Interval]:
    """The common windows (UTC) that end after the day before `now` and start within `days` days of it."""
    zones = effective_zones(zones)
    ts = now.timestamp()
    lo_limit, hi_limit = ts - DAY, ts + days * DAY
    out: list[Interval] = []
    seen = set()
    day = utc_ordinal(lo_limit)
    while (day - EPOCH_ORDINAL) * DAY < hi_limit:
        trusted = (day + _SPAN - EPOCH_ORDINAL) * DAY
        for lo, hi in _common(zones, window[0], window[1], day):
            if hi > lo_limit and lo < hi_limit and lo < trusted and (lo, hi) not in seen:
                seen.add((lo, hi))
                out.append((lo, hi))
        day += _SPAN
    out.sort()
    return [(to_datetime(lo), to_datetime(hi)) for lo, hi in out]


# -- Sundays and US federal holidays (TIME-7) --------------------------------------------------------------
def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def us_federal_holidays(year: int) -> frozenset[dt.date]:
    """5 USC 6103(a) holidays of `year`, each with its observed weekday when it falls on a weekend."""
    fixed = [dt.date(year, 1, 1), dt.date(year, 6, 19), dt.date(year, 7, 4), dt.date(year, 11, 11),
             dt.date(year, 12, 25)]
    moving = [
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    ]
    days = set(fixed + moving)
    for day in fixed:
        if day.weekday() == 5:
            days.add(day - dt.timedelta(days=1))
        elif day.weekday() == 6:
            days.add(day + dt.timedelta(days=1))
    if dt.date(year + 1, 1, 1).weekday() == 5:  # next New Year's Day observed on Dec 31
        days.add(dt.date(year, 12, 31))
    return frozenset(days)


def is_sunday_or_holiday(day: dt.date) -> bool:
    return day.weekday() == 6 or day in us_federal_holidays(day.year)
