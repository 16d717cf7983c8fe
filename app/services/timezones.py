"""Candidate IANA time zones for a debtor (COMPLIANCE.md TIME-2), so contact hours hold in every one."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import available_timezones

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezone

US_FALLBACK_ZONES: frozenset[str] = frozenset(
    {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Adak",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
        "America/St_Thomas",
        "Pacific/Guam",
        "Pacific/Saipan",
        "Pacific/Pago_Pago",
    }
)
"""ALL_US of TIME-2: one zone per distinct offset-and-DST rule in the states, DC and inhabited
territories. Other US zones (Boise, Detroit, Indiana/*, Kentucky/*, North_Dakota/*, Juneau, Nome,
Menominee ...) follow one of these today, so listing them would not change any allowed window."""

ZIP_EXTRA_ZONES: dict[str, tuple[str, ...]] = {
    # Arizona: the Navajo Nation keeps DST (America/Denver); the rest of the state and the Hopi do not.
    "86003": ("America/Phoenix",),  # Flagstaff PO boxes, off the reservation; data says Denver
    "86040": ("America/Phoenix",),  # Page keeps Arizona time; LeChee and other Navajo chapters keep DST
    "86045": ("America/Denver",),  # Tuba City is on the Navajo Nation; data says Phoenix
    # Nevada towns on the Idaho/Utah border run on Mountain time.
    "89883": ("America/Denver",),  # West Wendover: officially Mountain time since 1999
    "89825": ("America/Denver",),  # Jackpot: keeps Mountain time with Twin Falls, Idaho
    # Alabama towns in the Columbus, Georgia area keep Eastern time unofficially.
    "36854": ("America/New_York",),  # Valley
    "36863": ("America/New_York",),  # Lanett
    "36867": ("America/New_York",),  # Phenix City
    "36868": ("America/New_York",),  # Phenix City
    "36869": ("America/New_York",),  # Phenix City
    "36870": ("America/New_York",),  # Phenix City
    "36877": ("America/New_York",),  # Smiths Station
    # Data errors.
    "99634": ("America/Anchorage",),  # Napakiak, AK: the dataset holds the city name as its zone
    "96941": ("Pacific/Pohnpei",),  # Pohnpei, FM is UTC+11; data says Pacific/Chuuk (UTC+10)
    "96944": ("Pacific/Kosrae",),  # Kosrae, FM is UTC+11; data says Pacific/Chuuk (UTC+10)
}
"""Zones added to a ZIP's dataset zone where the data is wrong or the ZIP spans zones; only ever adds."""

AREA_CODE_EXTRA_ZONES: dict[str, tuple[str, ...]] = {
    "850": ("America/Chicago", "America/New_York"),  # FL panhandle: Pensacola Central, Tallahassee Eastern
    "448": ("America/Chicago", "America/New_York"),  # overlay of 850
    "928": ("America/Denver",),  # northern AZ: the Navajo Nation keeps DST, the rest does not
    "208": ("America/Los_Angeles",),  # Idaho panhandle north of the Salmon River is Pacific
    "986": ("America/Los_Angeles",),  # overlay of 208
    "541": ("America/Boise",),  # Oregon: most of Malheur County (Ontario) is Mountain
    "458": ("America/Boise",),  # overlay of 541
    "605": ("America/Denver",),  # western South Dakota (Rapid City) is Mountain
    "701": ("America/Denver",),  # south-western North Dakota (Dickinson) is Mountain
    "308": ("America/Denver",),  # Nebraska panhandle (Scottsbluff) is Mountain
    "402": ("America/Denver",),  # western Cherry County, Nebraska is Mountain
    "531": ("America/Denver",),  # overlay of 402
    "620": ("America/Denver",),  # Hamilton and Greeley counties, Kansas are Mountain
    "785": ("America/Denver",),  # Sherman and Wallace counties, Kansas are Mountain
    "270": ("America/Chicago",),  # western Kentucky (Bowling Green, Paducah) is Central
    "364": ("America/Chicago",),  # overlay of 270
    "606": ("America/Chicago",),  # Clinton County, Kentucky (Albany) is Central
    "423": ("America/Chicago",),  # Marion, Sequatchie and Bledsoe counties, Tennessee are Central
    "219": ("America/Chicago",),  # north-western Indiana (Gary, Hammond) is Central
    "574": ("America/Chicago",),  # Starke County, Indiana (Knox) is Central
    "812": ("America/Chicago",),  # south-western Indiana (Evansville) is Central
    "930": ("America/Chicago",),  # overlay of 812
    "906": ("America/Menominee",),  # Upper Peninsula counties on the Wisconsin border are Central
    "334": ("America/New_York",),  # Phenix City area, Alabama keeps Eastern time unofficially
    "907": ("America/Anchorage", "America/Adak"),  # Alaska; the western Aleutians keep Hawaii-Aleutian time
}
"""Zones added to the phonenumbers data for area codes that span zones; it lists one zone for most."""

_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_ZIP_RE = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?")
_STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR", "virgin islands": "VI", "us virgin islands": "VI", "guam": "GU",
    "american samoa": "AS", "northern mariana islands": "MP",
}


@dataclass(frozen=True)
class Candidates:
    """The zones a contact must be allowed in, with where each came from for the audit trail."""

    zones: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Keep zones sorted and unique however the instance was built."""
        object.__setattr__(self, "zones", tuple(sorted(set(self.zones))))

    @property
    def unknown(self) -> bool:
        """No source gave a zone; the caller must assume any US zone."""
        return not self.zones

    def effective_zones(self) -> tuple[str, ...]:
        """Zones to enforce: the candidates, or every US zone when nothing is known (TIME-2)."""
        return self.zones or tuple(sorted(US_FALLBACK_ZONES))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    """IANA names zoneinfo can load; a set lookup avoids file-system errors on odd input."""
    return frozenset(available_timezones()) - _NOT_ZONES


def is_valid_zone(name: object) -> bool:
    """Guard stored or typed zone names before they reach zoneinfo."""
    return isinstance(name, str) and name in _known_zones()


def _parse_phone(phone: object, region: str = "US") -> phonenumbers.PhoneNumber | None:
    """Parse a phone number, or None when it is not a valid number."""
    if not isinstance(phone, str):
        return None
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_valid_number(parsed) else None


_NANP_RE = re.compile(r"\s*(?:\+?1[\s.\-]*)?\(?([2-9][0-9]{2})\)?[\s.\-]*([2-9][0-9]{2})[\s.\-]*([0-9]{4})\s*")


_US_LINE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("US").fixed_line.national_number_pattern)
"""phonenumbers' own pattern for US fixed and mobile lines (the two are one pattern in the US metadata)."""


def normalize_e164(phone: str, region: str = "US") -> str | None:
    """Canonical +E.164 text for matching numbers across channels; None if not a valid number.

    A plain US number (the bulk of any import) is checked against phonenumbers' US line pattern directly, which
    is the test its full parse would end with; anything else (other NANP countries, toll-free, extensions,
    international formats) is parsed in full."""
    if region == "US" and isinstance(phone, str):
        match = _NANP_RE.fullmatch(phone)
        if match:
            national = "".join(match.groups())
            if _US_LINE.fullmatch(national):
                return f"+1{national}"
    parsed = _parse_phone(phone, region)
    if parsed is None:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _area_code(parsed: phonenumbers.PhoneNumber) -> str | None:
    """NANP area code (first three national digits), the key of the override table."""
    if parsed.country_code != 1:
        return None
    return str(parsed.national_number)[:3]


@lru_cache(maxsize=4096)
def _phone_source(phone: str) -> tuple[str, tuple[str, ...]]:
    """Source label and zones of one number, cached because every compliance check asks."""
    parsed = _parse_phone(phone)
    if parsed is None or not phonenumbers.is_number_geographical(parsed):
        return "", ()
    area = _area_code(parsed)
    zones = set(phone_timezone.time_zones_for_geographical_number(parsed))
    zones.update(AREA_CODE_EXTRA_ZONES.get(area or "", ()))
    # The label names the area code, not the number, so audit records carry no extra personal data.
    label = f"area_code:{area}" if area else f"country_code:+{parsed.country_code}"
    return label, tuple(sorted(z for z in zones if is_valid_zone(z)))


def area_code_zones(phone: str) -> tuple[str, ...]:
    """Zones a geographic number may be in; toll-free, non-geographic and invalid numbers give none."""
    return _phone_source(phone)[1] if isinstance(phone, str) else ()


@lru_cache(maxsize=1)
def _zip_index() -> dict[str, dict]:
    """All ZIP records by five-digit code, loaded once; zipcodes.matching scans the whole list."""
    return {record["zip_code"]: record for record in zipcodes.list_all()}


def _zip5(zip_code: object) -> str | None:
    """Five-digit ZIP from "32501" or "32501-1234"; None for anything else."""
    if not isinstance(zip_code, str):
        return None
    match = _ZIP_RE.fullmatch(zip_code.strip())
    return match[1] if match else None


def _record_zones(record: dict) -> tuple[str, ...]:
    """A ZIP record's zone plus any override; invalid zone names in the data are dropped."""
    zones = {record["timezone"], *ZIP_EXTRA_ZONES.get(record["zip_code"], ())}
    return tuple(sorted(z for z in zones if is_valid_zone(z)))


@lru_cache(maxsize=8192)
def _zip_lookup(zip5: str) -> tuple[str | None, tuple[str, ...]]:
    """State and zones of a five-digit ZIP, cached because every compliance check asks."""
    record = _zip_index().get(zip5)
    if record is None:
        return None, ()
    return record["state"], _record_zones(record)


def zip_zones(zip_code: str) -> tuple[str, ...]:
    """Zones of a ZIP or ZIP+4; unknown or malformed ZIPs give none rather than an error."""
    zip5 = _zip5(zip_code)
    return _zip_lookup(zip5)[1] if zip5 else ()


@lru_cache(maxsize=1)
def _state_table() -> dict[str, tuple[str, ...]]:
    """Zones per state gathered from every ZIP in the dataset, so split states come out right."""
    table: dict[str, set[str]] = {}
    for record in _zip_index().values():
        table.setdefault(record["state"], set()).update(_record_zones(record))
    return {state: tuple(sorted(zones)) for state, zones in table.items() if zones}


def _state_code(state: object) -> str | None:
    """Two-letter code from "fl", "FL" or "Florida"."""
    if not isinstance(state, str):
        return None
    text = " ".join(state.replace(".", "").split()).lower()
    if len(text) == 2:
        return text.upper()
    return _STATE_NAMES.get(text)


def state_zones(state: str) -> tuple[str, ...]:
    """Zones in use anywhere in a state or territory; none for unknown codes."""
    code = _state_code(state)
    return _state_table().get(code, ()) if code else ()


def _phone_sources(phones: Iterable[str]) -> dict[str, set[str]]:
    """Zones per area code over all phones on file."""
    found: dict[str, set[str]] = {}
    for phone in phones:
        label, zones = _phone_source(phone) if isinstance(phone, str) else ("", ())
        if zones:
            found.setdefault(label, set()).update(zones)
    return found


def _address_sources(state: str | None, zip_code: str | None) -> dict[str, tuple[str, ...]]:
    """ZIP zones, or the state's zones when the ZIP gives none or lies in another state."""
    found: dict[str, tuple[str, ...]] = {}
    zip5 = _zip5(zip_code)
    zip_state, zones = _zip_lookup(zip5) if zip5 else (None, ())
    if zones:
        found[f"zip:{zip5}"] = zones
    code = _state_code(state)
    if code and (not zones or zip_state != code) and state_zones(code):
        found[f"state:{code}"] = state_zones(code)
    return found


def candidate_zones(
    *,
    stated: str | None = None,
    account_tz: str | None = None,
    state: str | None = None,
    zip_code: str | None = None,
    phones: Iterable[str] = (),
) -> Candidates:
    """TIME-2: a stated zone wins alone; else the union of account, ZIP (or state) and area-code zones."""
    if is_valid_zone(stated):
        return Candidates(zones=(stated,), sources={"stated": stated})
    found: dict[str, Iterable[str]] = {}
    if is_valid_zone(account_tz):
        found["account"] = (account_tz,)
    found.update(_address_sources(state, zip_code))
    found.update(_phone_sources((phones,) if isinstance(phones, str) else phones))
    zones = {zone for source in found.values() for zone in source}
    sources = {label: ",".join(sorted(set(source))) for label, source in found.items()}
    return Candidates(zones=tuple(zones), sources=sources)
