"""Is contact allowed only when it is 08:00-21:00 in every candidate zone, across DST and zones without it?"""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.compliance.hours import allowed_at, common_windows, next_allowed

UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def _app_context():
    yield


def test_new_york_and_los_angeles_share_11_to_21_eastern():
    zones = ["America/New_York", "America/Los_Angeles"]
    assert not allowed_at(zones, dt.datetime(2026, 11, 25, 15, 59, tzinfo=UTC))  # 10:59 ET, 07:59 PT
    assert allowed_at(zones, dt.datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # 11:00 ET, 08:00 PT
    assert not allowed_at(zones, dt.datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 21:00 ET
    assert next_allowed(zones, dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC)) == dt.datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_phoenix_has_no_dst_while_denver_does():
    summer = dt.datetime(2026, 7, 1, 14, 30, tzinfo=UTC)  # Phoenix 07:30, Denver 08:30
    assert allowed_at(["America/Denver"], summer) and not allowed_at(["America/Phoenix"], summer)
    assert next_allowed(["America/Phoenix", "America/Denver"], summer) == dt.datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


def test_dst_start_day_in_new_york():
    # 2026-03-08: clocks jump from 02:00 to 03:00; 08:00 EDT is 12:00 UTC.
    assert next_allowed(["America/New_York"], dt.datetime(2026, 3, 8, 6, tzinfo=UTC)) == dt.datetime(2026, 3, 8, 12, tzinfo=UTC)


def test_unknown_location_uses_every_us_zone():
    assert common_windows([], dt.datetime(2026, 11, 25, 12, tzinfo=UTC)) == common_windows(
        ["America/New_York", "Pacific/Honolulu", "Pacific/Guam", "America/Adak", "America/Puerto_Rico",
         "America/Anchorage", "America/Los_Angeles", "America/Chicago", "America/Denver", "America/Phoenix",
         "America/St_Thomas", "Pacific/Saipan", "Pacific/Pago_Pago"], dt.datetime(2026, 11, 25, 12, tzinfo=UTC))


ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
         "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ZONES), min_size=1, max_size=4, unique=True),
       st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_next_allowed_is_allowed_everywhere_and_nothing_earlier_is(zones, at):
    found = next_allowed(zones, at)
    if found is None:
        return
    from zoneinfo import ZoneInfo

    for zone in zones:
        local = found.astimezone(ZoneInfo(zone)).time()
        assert dt.time(8) <= local < dt.time(21), (zone, found)
    if found > at:
        probe = found - dt.timedelta(minutes=1)
        assert not allowed_at(zones, probe) or probe < at


def test_a_narrower_window_is_intersected_too():
    window = (dt.time(9), dt.time(20))
    assert not allowed_at(["America/New_York"], dt.datetime(2026, 7, 15, 12, 30, tzinfo=UTC), window)
    assert next_allowed(["America/New_York"], dt.datetime(2026, 7, 15, 12, 30, tzinfo=UTC), window) == \
        dt.datetime(2026, 7, 15, 13, 0, tzinfo=UTC)
    assert next_allowed(["America/New_York"], dt.datetime(2026, 7, 16, 0, 0, tzinfo=UTC), window) == \
        dt.datetime(2026, 7, 16, 13, 0, tzinfo=UTC)


def test_every_us_zone_shares_22_to_01_utc():
    """Guam opens at 22:00Z; New York (summer) or Puerto Rico (no DST) closes at 01:00Z."""
    for day in (dt.datetime(2026, 7, 15, 12, tzinfo=UTC), dt.datetime(2026, 12, 15, 12, tzinfo=UTC)):
        shared = common_windows([], day, days=1)
        assert (day.replace(hour=22), day.replace(hour=1) + dt.timedelta(days=1)) in shared
        assert all(hi - lo == dt.timedelta(hours=3) for lo, hi in shared)


def test_no_common_window_gives_none():
    # New York and Kolkata are 9.5 hours apart in summer: an 8.5-hour window never overlaps.
    zones = ["America/New_York", "Asia/Kolkata"]
    window = (dt.time(10, 30), dt.time(19))
    assert next_allowed(zones, dt.datetime(2026, 7, 15, tzinfo=UTC), window, horizon_days=20) is None


ALL_ZONES = ZONES + ["America/Adak", "Pacific/Guam", "Pacific/Pago_Pago", "America/St_Thomas", "Pacific/Saipan"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ALL_ZONES), min_size=1, max_size=13, unique=True),
       st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(UTC)),
       st.sampled_from([(dt.time(8), dt.time(21)), (dt.time(9), dt.time(20)), (dt.time(10, 30), dt.time(19))]))
def test_next_allowed_with_any_window_is_the_earliest_instant_allowed_everywhere(zones, at, window):
    from zoneinfo import ZoneInfo

    found = next_allowed(zones, at, window, horizon_days=16)
    if found is None:
        return
    assert found >= at
    for zone in zones:
        local = found.astimezone(ZoneInfo(zone)).time()
        assert window[0] <= local < window[1], (zone, found)
    if found > at:
        # One second earlier, some zone is outside its window.
        probe = found - dt.timedelta(seconds=1)
        assert any(not (window[0] <= probe.astimezone(ZoneInfo(z)).time() < window[1]) for z in zones)
