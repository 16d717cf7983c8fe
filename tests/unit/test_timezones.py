"""Candidate zones (COMPLIANCE.md TIME-2): stated wins alone, otherwise a union that never loses a zone."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import zipcodes
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.timezones import (
    AREA_CODE_EXTRA_ZONES,
    US_FALLBACK_ZONES,
    ZIP_EXTRA_ZONES,
    Candidates,
    area_code_zones,
    candidate_zones,
    is_valid_zone,
    normalize_e164,
    state_zones,
    zip_zones,
)

FAST = settings(max_examples=60, deadline=None)  # inputs come from small finite pools
NY, CHI, DEN, PHX, LA = ("America/New_York", "America/Chicago", "America/Denver",
                         "America/Phoenix", "America/Los_Angeles")
US_STATES_AND_TERRITORIES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
}
US_ZIPS = sorted(
    (r for r in zipcodes.list_all() if r["state"] in US_STATES_AND_TERRITORIES),
    key=lambda record: record["zip_code"],
)
PHONES = [
    "(212) 234-5678", "+1 850 234 5678", "448-234-5678", "928 234 5678", "+1 602 234 5678",
    "208-234-5678", "+1 907 234 5678", "+1 808 234 5678", "+1 787 234 5678", "+1 340 774 1234",
    "+1 671 234 5678", "+1 684 633 1234", "+1 670 234 5678", "+1 416 234 5678",
    "+44 20 7946 0958", "800-234-5678", "+1 888 234 5678", "900-234-5678", "555-1234", "nonsense",
]
ZONES = [NY, CHI, DEN, PHX, LA, "Pacific/Honolulu", "America/Puerto_Rico", "Europe/London"]


@pytest.fixture(autouse=True)
def _app_context():
    """Pure functions: these tests need no app, database or clock, so the suite-wide fixture is skipped."""
    yield


# --- ZIP -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("zip_code", "expected"),
    [
        ("32501", (CHI,)),
        ("32501-1234", (CHI,)),
        ("325011234", (CHI,)),
        (" 79901 ", (DEN,)),
        ("10001", (NY,)),
        ("00901", ("America/Puerto_Rico",)),
        ("85004", (PHX,)),
        ("86515", (DEN,)),
        ("96813", ("Pacific/Honolulu",)),
        ("99501", ("America/Anchorage",)),
    ],
)
def test_zip_zones_examples(zip_code, expected):
    assert zip_zones(zip_code) == expected


@pytest.mark.parametrize("zip_code", ["99999", "00000", "123456", "32501-12", "abcde", "", None, 32501])
def test_bad_zip_gives_nothing(zip_code):
    assert zip_zones(zip_code) == ()


def test_zip_overrides_fix_the_dataset():
    assert zip_zones("86045") == (DEN, PHX)  # Tuba City, Navajo Nation
    assert zip_zones("86040") == (DEN, PHX)  # Page and surrounding Navajo chapters
    assert zip_zones("89883") == (DEN, LA)  # West Wendover
    assert zip_zones("36867") == (CHI, NY)  # Phenix City
    assert zip_zones("99634") == ("America/Anchorage",)  # dataset zone is a city name


@FAST
@given(st.sampled_from(US_ZIPS))
def test_zip_zone_is_valid_and_within_its_state(record):
    zones = zip_zones(record["zip_code"])
    assert zones
    assert all(is_valid_zone(zone) for zone in zones)
    assert set(zones) <= set(state_zones(record["state"]))


# --- state ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("FL", {CHI, NY}),
        ("fl", {CHI, NY}),
        ("Florida", {CHI, NY}),
        ("AZ", {PHX, DEN}),
        ("CA", {LA}),
        ("HI", {"Pacific/Honolulu"}),
        ("PR", {"America/Puerto_Rico"}),
        ("Puerto Rico", {"America/Puerto_Rico"}),
        ("VI", {"America/St_Thomas"}),
        ("U.S. Virgin Islands", {"America/St_Thomas"}),
        ("GU", {"Pacific/Guam"}),
        ("AS", {"Pacific/Pago_Pago"}),
        ("MP", {"Pacific/Saipan"}),
        ("OR", {LA, "America/Boise"}),
        ("ID", {LA, "America/Boise"}),
    ],
)
def test_state_zones_examples(state, expected):
    assert set(state_zones(state)) == expected


@pytest.mark.parametrize(("state", "zone"), [("TX", DEN), ("KY", CHI), ("TN", NY), ("IN", CHI),
                                             ("ND", DEN), ("SD", DEN), ("NE", DEN), ("KS", DEN),
                                             ("MI", "America/Menominee"), ("AK", "America/Adak"),
                                             ("NV", DEN), ("AL", NY)])
def test_split_states_include_their_minority_zone(state, zone):
    assert zone in state_zones(state)


@pytest.mark.parametrize("state", ["", "ZZ", "Atlantis", None, "AE", 12])
def test_unknown_state_gives_nothing(state):
    assert state_zones(state) == ()


def test_every_us_state_and_territory_has_zones():
    assert all(state_zones(code) for code in US_STATES_AND_TERRITORIES)


def test_fallback_covers_every_us_zone_by_behaviour():
    instants = [dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=d)
                for d in range(365)]

    def offsets(zone: str) -> tuple:
        return tuple(instant.astimezone(ZoneInfo(zone)).utcoffset() for instant in instants)

    fallback = {offsets(zone) for zone in US_FALLBACK_ZONES}
    us_zones = {zone for code in US_STATES_AND_TERRITORIES for zone in state_zones(code)}
    assert all(offsets(zone) in fallback for zone in us_zones)
    assert all(is_valid_zone(zone) for zone in US_FALLBACK_ZONES)


# --- phones --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("(850) 234-5678", {CHI, NY}),
        ("448-234-5678", {CHI, NY}),
        ("928-234-5678", {PHX, DEN}),
        ("602-234-5678", {PHX}),
        ("212-234-5678", {NY}),
        ("+1 787 234 5678", {"America/Puerto_Rico"}),
        ("+1 340 774 1234", {"America/St_Thomas"}),
        ("+1 671 234 5678", {"Pacific/Guam"}),
        ("+1 416 234 5678", {"America/Toronto"}),
    ],
)
def test_area_code_zones_examples(phone, expected):
    assert set(area_code_zones(phone)) == expected


def test_alaska_area_code_includes_adak():
    assert {"America/Anchorage", "America/Adak"} <= set(area_code_zones("+1 907 234 5678"))


@pytest.mark.parametrize("phone", ["800-234-5678", "+1 888 234 5678", "833 234 5678", "900-234-5678",
                                   "500-234-5678", "555-1234", "nonsense", "", None])
def test_toll_free_non_geographic_and_invalid_numbers_add_nothing(phone):
    assert area_code_zones(phone) == ()
    assert candidate_zones(phones=[phone]).unknown


def test_area_code_overrides_are_backed_by_state_data():
    states = {"850": "FL", "448": "FL", "928": "AZ", "208": "ID", "986": "ID", "541": "OR",
              "458": "OR", "605": "SD", "701": "ND", "308": "NE", "402": "NE", "531": "NE",
              "620": "KS", "785": "KS", "270": "KY", "364": "KY", "606": "KY", "423": "TN",
              "219": "IN", "574": "IN", "812": "IN", "930": "IN", "906": "MI", "334": "AL",
              "907": "AK"}
    assert set(states) == set(AREA_CODE_EXTRA_ZONES)
    for area_code, zones in AREA_CODE_EXTRA_ZONES.items():
        assert set(zones) <= set(state_zones(states[area_code])), area_code
        assert set(zones) <= set(area_code_zones(f"+1 {area_code} 234 5678")), area_code


def test_override_tables_name_real_zones_and_zips():
    assert all(is_valid_zone(z) for zones in AREA_CODE_EXTRA_ZONES.values() for z in zones)
    assert all(is_valid_zone(z) for zones in ZIP_EXTRA_ZONES.values() for z in zones)
    assert all(zip_zones(zip_code) for zip_code in ZIP_EXTRA_ZONES)


@pytest.mark.parametrize(
    ("phone", "expected"),
    [("(212) 234-5678", "+12122345678"), ("+1 850 234 5678", "+18502345678"),
     ("+44 20 7946 0958", "+442079460958"), ("555-1234", None), ("nonsense", None), (None, None)],
)
def test_normalize_e164(phone, expected):
    assert normalize_e164(phone) == expected


def test_normalize_e164_uses_region_for_national_numbers():
    assert normalize_e164("020 7946 0958", region="GB") == "+442079460958"


# --- is_valid_zone -------------------------------------------------------------------------

@pytest.mark.parametrize("name", [NY, "Pacific/Honolulu", "America/Indiana/Knox", "UTC"])
def test_valid_zones(name):
    assert is_valid_zone(name)


@pytest.mark.parametrize("name", ["", "America/chicago", "Mars/Olympus", "Napakiak", "../etc/passwd",
                                  "/etc/localtime", "localtime", "Etc/Unknown", "America", "x" * 300,
                                  "posix/America/Chicago", None, 5])
def test_invalid_zones(name):
    assert not is_valid_zone(name)


# --- candidate_zones -----------------------------------------------------------------------

def test_unknown_when_nothing_given():
    result = candidate_zones()
    assert result.unknown
    assert result.zones == ()
    assert result.sources == {}
    assert set(result.effective_zones()) == US_FALLBACK_ZONES


def test_stated_zone_wins_alone():
    result = candidate_zones(stated=LA, account_tz=NY, state="FL", zip_code="32501",
                             phones=["212-234-5678"])
    assert result.zones == (LA,)
    assert result.sources == {"stated": LA}
    assert not result.unknown


def test_invalid_stated_zone_is_ignored():
    assert candidate_zones(stated="Nowhere/Land", zip_code="10001").zones == (NY,)


def test_union_of_sources():
    result = candidate_zones(account_tz=NY, zip_code="32501", phones=["(850) 234-5678"])
    assert result.zones == (CHI, NY)
    assert result.sources == {
        "account": NY,
        "zip:32501": CHI,
        "area_code:850": f"{CHI},{NY}",
    }


def test_state_fills_in_only_without_a_zip():
    assert candidate_zones(state="FL").sources == {"state:FL": f"{CHI},{NY}"}
    assert candidate_zones(state="FL", zip_code="32501").sources == {"zip:32501": CHI}
    assert candidate_zones(state="FL", zip_code="99999").zones == (CHI, NY)


def test_state_that_contradicts_the_zip_is_kept():
    result = candidate_zones(state="CA", zip_code="10001")
    assert result.zones == (LA, NY)
    assert set(result.sources) == {"zip:10001", "state:CA"}


def test_spec_examples():
    assert candidate_zones(state="CA", phones=["212-234-5678"]).zones == (LA, NY)
    assert candidate_zones(zip_code="00901", phones=["212-234-5678"]).zones == (NY, "America/Puerto_Rico")
    assert candidate_zones(zip_code="85004", phones=["602-234-5678"]).zones == (PHX,)
    assert candidate_zones(zip_code="86515", phones=["928-234-5678"]).zones == (DEN, PHX)
    assert candidate_zones(zip_code="96813", phones=["808-234-5678"]).zones == ("Pacific/Honolulu",)
    assert candidate_zones(phones=["800-234-5678"]).unknown


def test_single_phone_string_is_not_split_into_characters():
    assert candidate_zones(phones="212-234-5678").zones == (NY,)


def test_candidates_normalise_their_zones():
    assert Candidates(zones=(NY, CHI, NY)).zones == (CHI, NY)
    assert hash(Candidates(zones=(NY,), sources={"account": NY}))


@FAST
@given(st.lists(st.sampled_from(PHONES), max_size=6), st.randoms(use_true_random=False))
def test_phone_order_does_not_matter(phones, rnd):
    shuffled = list(phones)
    rnd.shuffle(shuffled)
    assert candidate_zones(phones=phones) == candidate_zones(phones=shuffled)


address_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "account_tz": st.sampled_from(ZONES),
        "zip_code": st.sampled_from([r["zip_code"] for r in US_ZIPS]),
        "state": st.sampled_from(sorted(US_STATES_AND_TERRITORIES)),
        "phones": st.lists(st.sampled_from(PHONES), max_size=4),
    },
)


@FAST
@given(address_kwargs)
def test_zones_are_sorted_unique_and_valid(kwargs):
    result = candidate_zones(**kwargs)
    assert list(result.zones) == sorted(set(result.zones))
    assert all(is_valid_zone(zone) for zone in result.zones)
    assert result.unknown == (not result.zones)
    assert set(result.zones) == {z for zones in result.sources.values() for z in zones.split(",")}


@FAST
@given(address_kwargs, st.sampled_from(ZONES), st.sampled_from(PHONES))
def test_adding_a_source_never_removes_a_zone(kwargs, zone, phone):
    before = set(candidate_zones(**kwargs).zones)
    more_phones = {**kwargs, "phones": [*kwargs.get("phones", []), phone]}
    assert before <= set(candidate_zones(**more_phones).zones)
    if "account_tz" not in kwargs:
        assert before <= set(candidate_zones(**kwargs, account_tz=zone).zones)
    if "state" not in kwargs:
        assert before <= set(candidate_zones(**kwargs, state="TX").zones)
        if "zip_code" not in kwargs:
            assert before <= set(candidate_zones(**kwargs, zip_code="79901").zones)


@FAST
@given(address_kwargs, st.sampled_from(ZONES))
def test_stated_zone_replaces_everything(kwargs, zone):
    assert candidate_zones(**kwargs, stated=zone).zones == (zone,)
