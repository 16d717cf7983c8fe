"""A business's compliance settings, kept in Business.settings["compliance"], and the platform defaults above them.

What a business may change (D-1, D-6, D-9, D-10, D-11, D-15, D-18):
- caps: each FREQ cap may only be lowered from the platform default (never below 1), never raised;
- window_start / window_end: the contact window may only be narrowed inside 08:00-21:00 local;
- the safe-harbor and policy switches (consent3/consent4/tp5/nyc/time7 blocking, freq7_enabled), attorney_wait_days
  (1..90), the NYC cap placeholder, and the business facts the texts need (DBA, dispute mailing address, California
  licence number, support phone and email, portal URL, counsel-approved texts for [U] snippets).

Platform defaults (today only `freq5_enabled`, D-1 and scenario 35) live in the platform_settings table under the
key "compliance": a table rather than app config because a super admin changes them at run time, audited, without a
deploy. Every change is written to the audit trail with its before and after values.
Stored values are read leniently (an entry that no longer validates is ignored, the default applies); written
values are validated strictly, with one clear error per field.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from app.models import Business, PlatformSetting
from app.services import audit
from app.services.accounts import fields as parse
from app.services.auth import permissions
from app.services.compliance.facts import Policy
from app.services.errors import Forbidden, NotFound, ValidationError

PLATFORM_KEY = "compliance"
SETTINGS_KEY = "compliance"

CAP_DEFAULTS: dict[str, int] = {
    "FREQ-2": 3, "FREQ-3": 5, "FREQ-4": 1, "FREQ-5": 3, "FREQ-7:60m": 1, "FREQ-7:day": 2, "STATE-WA-1": 3,
}
"""The platform's caps (COMPLIANCE.md FREQ-2..5, FREQ-7, STATE-WA-1); the rules apply min(default, setting)."""
CAP_MEANING = {
    "FREQ-2": "SMS per debtor per rolling 168 h", "FREQ-3": "emails per debtor per rolling 168 h",
    "FREQ-4": "WhatsApp messages per debtor per rolling 24 h", "FREQ-5": "attempts on all channels per rolling 168 h",
    "FREQ-7:60m": "messages per channel per 60 min", "FREQ-7:day": "messages across channels per local day",
    "STATE-WA-1": "communications per week to a Washington debtor",
}
WINDOW_START = dt.time(8, 0)
WINDOW_END = dt.time(21, 0)
SWITCHES = ("consent3_blocking", "consent4_blocking", "tp5_blocking", "nyc_blocking", "time7_blocking",
            "freq7_enabled")
TEXTS = {"dba": 255, "dispute_address": 500, "ca_license_no": 50}
ATTORNEY_WAIT_DAYS = (1, 90)
NYC_CAP = (1, 50)
PLATFORM_DEFAULTS = {"freq5_enabled": True}
PLATFORM_ONLY = frozenset(PLATFORM_DEFAULTS)
KEYS = frozenset({"caps", "window_start", "window_end", "attorney_wait_days", "nyc_cap", "support_phone",
                  "support_email", "portal_url", "snippet_texts", *SWITCHES, *TEXTS})
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class ComplianceSettings:
    """The settings in force for one business: its own values over the platform defaults."""

    caps: dict[str, int] = field(default_factory=dict)
    window_start: dt.time = WINDOW_START
    window_end: dt.time = WINDOW_END
    consent3_blocking: bool = False
    consent4_blocking: bool = False
    tp5_blocking: bool = False
    nyc_blocking: bool = False
    time7_blocking: bool = False
    freq7_enabled: bool = False
    freq5_enabled: bool = True
    attorney_wait_days: int = 30
    nyc_cap: int | None = None
    dba: str | None = None
    dispute_address: str | None = None
    ca_license_no: str | None = None
    support_phone: str | None = None
    support_email: str | None = None
    portal_url: str | None = None
    snippet_texts: dict[str, str] = field(default_factory=dict)

    def policy(self, business: Business, *, portal_url: str | None = None) -> Policy:
        """The gate's Policy: the business's identity and these settings."""
        return Policy(
            business_name=business.name or "", dba=self.dba, messaging_number=business.sms_number,
            support_phone=self.support_phone, support_email=self.support_email,
            dispute_address=self.dispute_address, ca_license_no=self.ca_license_no,
            portal_url=self.portal_url or portal_url, caps=dict(self.caps), window_start=self.window_start,
            window_end=self.window_end, freq5_enabled=self.freq5_enabled, freq7_enabled=self.freq7_enabled,
            consent3_blocking=self.consent3_blocking, consent4_blocking=self.consent4_blocking,
            tp5_blocking=self.tp5_blocking, nyc_blocking=self.nyc_blocking, time7_blocking=self.time7_blocking,
            attorney_wait_days=self.attorney_wait_days, nyc_cap=self.nyc_cap, snippet_texts=dict(self.snippet_texts),
        )


# -- reading -------------------------------------------------------------------------------------------------------
def effective(stored: dict | None, platform: dict | None = None) -> ComplianceSettings:
    """Settings from the stored JSON (lenient: invalid entries fall back to their defaults) and platform defaults."""
    values: dict = {}
    current = ComplianceSettings()
    for key, raw in (stored or {}).items():
        entries = [(key, {rule: limit}) for rule, limit in raw.items()] if key == "caps" and isinstance(raw, dict) \
            else [(key, raw)]
        for name, value in entries:
            try:
                found = _validate_one(_snake(name), value, current)
            except (ValidationError, Forbidden):
                continue
            if "caps" in found:
                values.setdefault("caps", {}).update({k: v for k, v in found["caps"].items() if v is not None})
            else:
                values.update(found)
    values = {k: v for k, v in values.items() if v is not None}
    for edge in ("window_start", "window_end"):
        if edge in values:
            values[edge] = _clock_of(values[edge])
    start, end = values.get("window_start", WINDOW_START), values.get("window_end", WINDOW_END)
    if not start < end:
        values.pop("window_start", None)
        values.pop("window_end", None)
    platform_values = {**PLATFORM_DEFAULTS, **{k: v for k, v in (platform or {}).items()
                                               if k in PLATFORM_DEFAULTS and isinstance(v, bool)}}
    return ComplianceSettings(**values, **platform_values)


def stored_of(business: Business) -> dict:
    return dict((business.settings or {}).get(SETTINGS_KEY) or {})


def platform_defaults(db_session) -> dict:
    """The platform defaults in force (stored values over the built-in ones)."""
    row = db_session.get(PlatformSetting, PLATFORM_KEY)
    return {**PLATFORM_DEFAULTS, **{k: v for k, v in ((row.value if row else None) or {}).items()
                                    if k in PLATFORM_DEFAULTS}}


def get(db_session, business_id) -> ComplianceSettings:
    business = _business(db_session, business_id)
    return effective(stored_of(business), platform_defaults(db_session))


# -- writing -------------------------------------------------------------------------------------------------------
def validate(changes: dict, current: ComplianceSettings | None = None) -> dict:
    """Changes (snake_case or camelCase keys) -> stored values; None removes a setting. Raises ValidationError (or
    Forbidden for platform-only keys) naming the first bad field."""
    if not isinstance(changes, dict):
        raise ValidationError("Compliance settings must be an object.", field="compliance")
    current = current or ComplianceSettings()
    out: dict = {}
    for key, raw in changes.items():
        out.update(_validate_one(_snake(key), raw, current))
    start = _clock_of(out["window_start"]) if out.get("window_start") else (
        WINDOW_START if "window_start" in out else current.window_start)
    end = _clock_of(out["window_end"]) if out.get("window_end") else (
        WINDOW_END if "window_end" in out else current.window_end)
    if ("window_start" in out or "window_end" in out) and not start < end:
        raise ValidationError(f"The contact window must start before it ends ({start:%H:%M}-{end:%H:%M}).",
                              field="window_start" if "window_start" in out else "window_end")
    return out


def update(db_session, principal, changes: dict, now: dt.datetime) -> ComplianceSettings:
    """Apply a business admin's changes to their business's settings, audited."""
    permissions.require(principal.role, "settings.manage")
    business = _business(db_session, principal.business_id)
    stored = stored_of(business)
    platform = platform_defaults(db_session)
    clean = validate(changes, effective(stored, platform))
    after = dict(stored)
    for key, value in clean.items():
        if key == "caps":
            caps = {k: v for k, v in {**(stored.get("caps") or {}), **value}.items() if v is not None}
            if caps:
                after["caps"] = caps
            else:
                after.pop("caps", None)
        elif key == "snippet_texts":
            texts = {k: v for k, v in {**(stored.get("snippet_texts") or {}), **value}.items() if v is not None}
            if texts:
                after["snippet_texts"] = texts
            else:
                after.pop("snippet_texts", None)
        elif value is None:
            after.pop(key, None)
        else:
            after[key] = value
    diff = {k: [stored.get(k), after.get(k)] for k in sorted(set(stored) | set(after)) if stored.get(k) != after.get(k)}
    if diff:
        business.settings = {**(business.settings or {}), SETTINGS_KEY: after}
        audit.record(db_session, "compliance_settings_updated", principal=principal, now=now,
                     resource_type="business", resource_id=business.id, description="compliance settings",
                     meta={"changes": diff})
    return effective(after, platform)


def update_platform(db_session, principal, changes: dict, now: dt.datetime) -> dict:
    """Change platform defaults (super admin only), audited on the platform chain."""
    if principal is None or not principal.is_super_admin:
        raise Forbidden("Only a super admin may change platform defaults.")
    if not isinstance(changes, dict):
        raise ValidationError("Platform defaults must be an object.", field="compliance")
    clean = {}
    for key, raw in changes.items():
        name = _snake(key)
        if name not in PLATFORM_DEFAULTS:
            raise ValidationError(f"Unknown platform default {key!r}.", field=key)
        value = parse.boolean(raw, name)
        if value is None:
            raise ValidationError(f"{name} must be true or false.", field=name)
        clean[name] = value
    row = db_session.get(PlatformSetting, PLATFORM_KEY)
    before = platform_defaults(db_session)
    if row is None:
        row = PlatformSetting(key=PLATFORM_KEY, value={})
        db_session.add(row)
    row.value = {**(row.value or {}), **clean}
    row.updated_at = now
    row.updated_by_id = principal.user_id
    after = platform_defaults(db_session)
    diff = {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}
    if diff:
        audit.record(db_session, "platform_settings_updated", principal=principal, now=now,
                     resource_type="platform_settings", description=PLATFORM_KEY, meta={"changes": diff})
    return after


# -- one setting ---------------------------------------------------------------------------------------------------
def _validate_one(key: str, raw, current: ComplianceSettings) -> dict:
    if key in PLATFORM_ONLY:
        raise Forbidden(f"{key} is a platform default: only a super admin may change it.", field=key)
    if key not in KEYS:
        raise ValidationError(f"Unknown compliance setting {key!r}.", field=key)
    if key == "caps":
        return {"caps": _caps(raw)}
    if key in ("window_start", "window_end"):
        return {key: _window_edge(key, raw)}
    if key in SWITCHES:
        value = parse.boolean(raw, key)
        return {key: value}
    if key == "attorney_wait_days":
        return {key: _int_in(key, raw, *ATTORNEY_WAIT_DAYS, default=30)}
    if key == "nyc_cap":
        return {key: None if raw is None else _int_in(key, raw, *NYC_CAP)}
    if key in TEXTS:
        return {key: parse.text(raw, key, max_length=TEXTS[key])}
    if key == "support_phone":
        return {key: parse.phone(raw, key)}
    if key == "support_email":
        return {key: parse.email(raw, key)}
    if key == "portal_url":
        return {key: _url(raw)}
    return {key: _snippet_texts(raw)}


def _caps(raw) -> dict:
    if not isinstance(raw, dict):
        raise ValidationError("caps must be an object of rule id -> number.", field="caps")
    out = {}
    for rule_id, value in raw.items():
        where = f"caps.{rule_id}"
        if rule_id not in CAP_DEFAULTS:
            raise ValidationError(f"{rule_id} is not a cap a business can set (one of {', '.join(CAP_DEFAULTS)}).",
                                  field=where)
        if value is None:
            out[rule_id] = None
            continue
        limit = CAP_DEFAULTS[rule_id]
        number = _int(where, value)
        if number > limit:
            raise ValidationError(f"{rule_id} can only be lowered: the platform allows at most {limit} "
                                  f"{CAP_MEANING[rule_id]}, so {number} would raise it.", field=where)
        if number < 1:
            raise ValidationError(f"{rule_id} must be at least 1 (stop using the channel instead).", field=where)
        out[rule_id] = number
    return out


def _window_edge(key: str, raw) -> str | None:
    if raw is None or raw == "":
        return None
    clock = _clock_of(raw) if isinstance(raw, str) else None
    if clock is None:
        raise ValidationError(f"{key} must be a local time HH:MM.", field=key)
    if not WINDOW_START <= clock <= WINDOW_END:
        raise ValidationError(f"{key} {clock:%H:%M} would widen the contact window: it may only be narrowed inside "
                              f"{WINDOW_START:%H:%M}-{WINDOW_END:%H:%M}.", field=key)
    if key == "window_start" and clock == WINDOW_END:
        raise ValidationError(f"window_start must be before {WINDOW_END:%H:%M}.", field=key)
    return f"{clock:%H:%M}"


def _clock_of(text: str) -> dt.time | None:
    m = _CLOCK.match(text.strip())
    return dt.time(int(m.group(1)), int(m.group(2))) if m else None


def _int(key: str, raw) -> int:
    if isinstance(raw, bool):
        raise ValidationError(f"{key} must be a whole number.", field=key)
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int):
        raise ValidationError(f"{key} must be a whole number.", field=key)
    return raw


def _int_in(key: str, raw, low: int, high: int, default: int | None = None) -> int | None:
    if raw is None and default is not None:
        return None
    number = _int(key, raw)
    if not low <= number <= high:
        raise ValidationError(f"{key} must be between {low} and {high}.", field=key)
    return number


def _url(raw) -> str | None:
    value = parse.text(raw, "portal_url", max_length=500)
    if value is None:
        return None
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValidationError("portal_url must start with http:// or https://.", field="portal_url")
    return value.rstrip("/")


def _snippet_texts(raw) -> dict:
    """Counsel-approved replacements for the [U] snippet texts, keyed '<item>:<language>'."""
    if not isinstance(raw, dict):
        raise ValidationError("snippet_texts must be an object of '<item>:<language>' -> text.", field="snippet_texts")
    try:
        from app.services.compliance.snippets import LANGUAGES, UNVERIFIED
    except ImportError:  # the texts module is optional for storing settings
        LANGUAGES, UNVERIFIED = ("en", "es"), None
    out = {}
    for key, text in raw.items():
        where = f"snippet_texts.{key}"
        item, _, language = str(key).partition(":")
        if language not in LANGUAGES or (UNVERIFIED is not None and item not in UNVERIFIED):
            allowed = ", ".join(sorted(UNVERIFIED or ())) or "the unverified snippet items"
            raise ValidationError(f"{key!r} is not a replaceable text ({allowed}, each ':en' or ':es').", field=where)
        out[key] = parse.text(text, where, max_length=4000)
    return out


def _snake(key: str) -> str:
    return _CAMEL.sub("_", str(key)).lower() if key != "caps" else key


def _business(db_session, business_id) -> Business:
    if business_id is None:
        raise NotFound("Business not found")
    business = db_session.scalars(select(Business).where(
        Business.id == (business_id if isinstance(business_id, uuid.UUID) else uuid.UUID(str(business_id))),
        Business.deleted_at.is_(None))).first()
    if business is None:
        raise NotFound("Business not found")
    return business
