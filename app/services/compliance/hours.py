"""TIME-1/TIME-2/TIME-3: contact is allowed only when it is 08:00-21:00 in EVERY candidate zone.

Windows are intersected as intervals of UTC instants (no minute stepping); local times come from the IANA
database for the actual instant, so DST changes and zones without DST are exact."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.services.timezones import US_FALLBACK_ZONES

DAY_START = dt.time(8, 0)
DAY_END = dt.time(21, 0)
Interval = tuple[dt.datetime, dt.datetime]


def effective_zones(zones) -> tuple[str, ...]:
    """Unknown location -> every US zone (the strictest reading)."""
    zones = tuple(zones)
    return zones if zones else tuple(sorted(US_FALLBACK_ZONES))


def _local_window(zone: str, day: dt.date) -> Interval:
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, DAY_START, tz).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(day, DAY_END, tz).astimezone(dt.timezone.utc)
    return start, end


def allowed_intervals(zone: str, start: dt.datetime, days: int = 3) -> list[Interval]:
    """The zone's daily 08:00-21:00 windows, as UTC intervals, from the local day of `start` on."""
    first = start.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)
    return [_local_window(zone, first + dt.timedelta(days=i)) for i in range(days + 2)]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
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


def common_windows(zones, now: dt.datetime, days: int = 3) -> list[Interval]:
    windows = None
    for zone in effective_zones(zones):
        mine = allowed_intervals(zone, now, days)
        windows = mine if windows is None else intersect(windows, mine)
    return windows or []


def allowed_at(zones, at: dt.datetime) -> bool:
    return any(lo <= at < hi for lo, hi in common_windows(zones, at, days=1))


def next_allowed(zones, at: dt.datetime) -> dt.datetime | None:
    """`at` itself when allowed, else the start of the next common window (None if none within 3 days)."""
    for lo, hi in common_windows(zones, at):
        if hi > at:
            return max(lo, at)
    return None
