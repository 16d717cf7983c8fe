"""Parsing account input (API JSON, CSV cells, forms) into typed values, one clear error per field."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

from app.models.account import (ACCOUNT_STATUSES, CEASE_TYPES, CONTACT_METHODS, EMAIL_PROVENANCES, LANGUAGES,
                                PHONE_TYPES)
from app.services.errors import ValidationError
from app.services.money import to_decimal
from app.services.timezones import is_valid_zone, normalize_e164

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")
US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y", "%m/%d/%y")
TIME_BARRED = ("true", "false", "unknown")
CEASE_CHANNELS = ("mail", "email", "sms", "whatsapp", "web_chat", "voice", "portal", "creditor")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$")

# API field -> (model attribute, parser). Parsers take the raw value and the field name.


def text(value, field, *, max_length=255, required=False):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{field} must be at most {max_length} characters.", field=field)
    return value


def email(value, field):
    value = text(value, field)
    if value is None:
        return None
    value = value.lower()
    if not EMAIL_RE.match(value):
        raise ValidationError("Invalid email format.", field=field)
    return value


def phone(value, field):
    if isinstance(value, (int,)) and not isinstance(value, bool):
        value = str(value)
    value = text(value, field, max_length=40)
    if value is None:
        return None
    normalized = normalize_e164(value)
    if normalized is None:
        raise ValidationError("Invalid phone number.", field=field)
    return normalized


def money(value, field, *, required=False, allow_negative=False):
    if value is None or value == "":
        if required:
            raise ValidationError(f"{field} is required.", field=field)
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{field} must be an amount.", field=field)
    if isinstance(value, float):  # only from callers that did not parse JSON with Decimal
        value = Decimal(repr(value))
    try:
        amount = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be an amount with at most two decimals.", field=field) from None
    if amount < 0 and not allow_negative:
        raise ValidationError(f"{field} cannot be negative.", field=field)
    if amount >= Decimal("10000000000"):
        raise ValidationError(f"{field} is too large.", field=field)
    return amount


def date(value, field, *, strict=True):
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a date (YYYY-MM-DD).", field=field)
    value = value.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    formats = DATE_FORMATS[:1] if strict else DATE_FORMATS
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"{field} must be a date (YYYY-MM-DD).", field=field)


def timestamp(value, field):
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be an ISO-8601 timestamp.", field=field)
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            return dt.datetime.combine(date(value, field), dt.time(), dt.timezone.utc)
        except ValidationError:
            raise ValidationError(f"{field} must be an ISO-8601 timestamp.", field=field) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def boolean(value, field):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "y", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "n", "0"):
        return False
    raise ValidationError(f"{field} must be true or false.", field=field)


def choice(options):
    def parse(value, field):
        value = text(value, field, max_length=40)
        if value is None:
            return None
        value = value.lower()
        if value not in options:
            raise ValidationError(f"{field} must be one of {', '.join(options)}.", field=field)
        return value
    return parse


def state(value, field):
    value = text(value, field, max_length=50)
    if value is None:
        return None
    if value.upper() in US_STATES:
        return value.upper()
    raise ValidationError("Use the two-letter state code (e.g. NY).", field=field)


def zip_code(value, field):
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"{value:05d}"
    value = text(value, field, max_length=20)
    if value is None:
        return None
    if not re.fullmatch(r"\d{5}(-\d{4})?", value):
        raise ValidationError("ZIP must be 5 digits (or ZIP+4).", field=field)
    return value


def timezone(value, field):
    value = text(value, field, max_length=50)
    if value is None:
        return None
    if not is_valid_zone(value):
        raise ValidationError("timezone must be an IANA zone such as America/Chicago.", field=field)
    return value


def tags(value, field, *, from_csv=False):
    if value is None:
        return None
    if isinstance(value, str) and from_csv:
        value = [t for t in re.split(r"[,;|]", value)]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError("tags must be a list of text labels.", field=field)
    cleaned = []
    for tag in value:
        tag = tag.strip().lower()
        if not tag:
            continue
        if len(tag) > 50:
            raise ValidationError("Each tag must be at most 50 characters.", field=field)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > 50:
        raise ValidationError("At most 50 tags.", field=field)
    return cleaned


def json_object(value, field):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be an object.", field=field)
    return value


def contact_address(value, field):
    """A phone number (E.164) or an email address (lower case): how the estate's representative is reached."""
    raw = text(value, field)
    if raw is None:
        return None
    return email(raw, field) if "@" in raw else phone(raw, field)


def domain(value, field):
    value = text(value, field)
    if value is None:
        return None
    value = value.lower().lstrip("@")
    if not DOMAIN_RE.match(value):
        raise ValidationError(f"{field} must be a domain such as example.com.", field=field)
    return value


def amounts(value, field):
    """A list of amounts (API) or "25.00;35.00" (CSV), kept as two-decimal text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = [part for part in re.split(r"[;|]", value) if part.strip()]
    if not isinstance(value, list):
        raise ValidationError(f"{field} must be a list of amounts.", field=field)
    return [str(money(item, field)) for item in value]


def uuid_value(value, field):
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be an id.", field=field) from None


FIELDS = {
    # api name: (model attribute, parser)
    "firstName": ("first_name", lambda v, f: text(v, f, max_length=100)),
    "lastName": ("last_name", lambda v, f: text(v, f, max_length=100)),
    "email": ("email", email),
    "phone": ("phone", phone),
    "phoneSecondary": ("phone_secondary", phone),
    "address": ("address", lambda v, f: text(v, f, max_length=500)),
    "city": ("city", lambda v, f: text(v, f, max_length=100)),
    "state": ("state", state),
    "zip": ("zip", zip_code),
    "country": ("country", lambda v, f: text(v, f, max_length=50)),
    "accountNumber": ("account_number", lambda v, f: text(v if not isinstance(v, int) or isinstance(v, bool) else str(v), f, max_length=100)),
    "originalCreditor": ("original_creditor", text),
    "currentBalance": ("current_balance", money),
    "originalBalance": ("original_balance", money),
    "dueDate": ("due_date", date),
    "status": ("status", choice(ACCOUNT_STATUSES)),
    "tags": ("tags", tags),
    "notes": ("notes", lambda v, f: text(v, f, max_length=10000)),
    "customFields": ("custom_fields", json_object),
    "preferredLanguage": ("preferred_language", choice(LANGUAGES)),
    "preferredContactMethod": ("preferred_contact_method", choice(CONTACT_METHODS)),
    "timezone": ("timezone", timezone),
    "smsConsent": ("sms_consent", boolean),
    "smsConsentDate": ("sms_consent_date", timestamp),
    "emailConsent": ("email_consent", boolean),
    "emailConsentDate": ("email_consent_date", timestamp),
    "whatsappConsent": ("whatsapp_consent", boolean),
    "whatsappConsentDate": ("whatsapp_consent_date", timestamp),
    "assignedAgentId": ("assigned_agent_id", uuid_value),
    "itemizationDate": ("itemization_date", date),
    "itemizationDateType": ("itemization_date_type", choice(("last_statement", "charge_off", "last_payment",
                                                              "transaction", "judgment"))),
    "itemizationAmount": ("itemization_amount", money),
    "interestSinceItemization": ("interest_since_itemization", money),
    "feesSinceItemization": ("fees_since_itemization", money),
    "timeBarred": ("time_barred", choice(TIME_BARRED)),
    "doNotContact": ("do_not_contact", boolean),
    "doNotSms": ("do_not_sms", boolean),
    "doNotEmail": ("do_not_email", boolean),
    "doNotCall": ("do_not_call", boolean),
    "doNotWhatsapp": ("do_not_whatsapp", boolean),
    # Compliance facts (COMPLIANCE.md D-12, D-14): all optional.
    "emailProvenance": ("email_provenance", choice(EMAIL_PROVENANCES)),
    "emailIsWork": ("email_is_work", boolean),
    "employerDomain": ("employer_domain", domain),
    "phoneType": ("phone_type", choice(PHONE_TYPES)),
    "phoneSecondaryType": ("phone_secondary_type", choice(PHONE_TYPES)),
    "phoneRndCheckDate": ("phone_rnd_checked_at", timestamp),
    "phoneSecondaryRndCheckDate": ("phone_secondary_rnd_checked_at", timestamp),
    "currentCreditor": ("current_creditor", text),
    "bankruptcy": ("bankruptcy", boolean),
    "deceased": ("deceased", boolean),
    "representativeAddress": ("representative_address", contact_address),
    "legalActionApproved": ("legal_action_approved", boolean),
    "pastCreditReportingPeriod": ("past_credit_reporting_period", boolean),
    "authorizedFees": ("authorized_fees", amounts),
    "ceaseDate": ("cease_received_at", timestamp),
    "ceaseType": ("cease_type", choice(CEASE_TYPES)),
    "ceaseChannel": ("cease_channel", choice(CEASE_CHANNELS)),
    "ceaseAllDebts": ("cease_all_debts", boolean),
    "attorneyName": ("attorney:name", text),
    "attorneyAddress": ("attorney:address", lambda v, f: text(v, f, max_length=500)),
    "attorneyEmail": ("attorney:email", email),
    "attorneyPhone": ("attorney:phone", phone),
    "attorneyKnownDate": ("attorney:knownAt", timestamp),
    "attorneyConsentDate": ("attorney_consented_direct_at", timestamp),
    "disputeDate": ("dispute:received_at", timestamp),
    "disputeWritten": ("dispute:written", boolean),
    "disputeAmount": ("dispute:portion", money),
    "disputeAnsweredDate": ("dispute:answered_at", timestamp),
    "originalCreditorRequestDate": ("original_creditor:received_at", timestamp),
    "originalCreditorAnsweredDate": ("original_creditor:answered_at", timestamp),
    "workplaceObjectionDate": ("workplace:at", timestamp),
    "esignConsentDate": ("esign_consent_at", timestamp),
    "marketingConsentDate": ("marketing_consent_at", timestamp),
    "nyc": ("nyc", boolean),
    "nycConsentDate": ("nyc_consent_at", timestamp),
    "ccpaDeletionDate": ("ccpa_deleted_at", timestamp),
    "ccpaDeniedReason": ("ccpa_denied_reason", lambda v, f: text(v, f, max_length=2000)),
    "gdprScope": ("gdpr_scope", boolean),
    "marketingObjectionDate": ("marketing_objection_at", timestamp),
}
RELATED_PREFIXES = ("attorney:", "dispute:", "original_creditor:", "workplace:")
"""Attributes that are not account columns: the encrypted attorney details, dispute records, the workplace
objection. accounts.records stores them."""
REQUIRED_ON_CREATE = ("firstName", "lastName", "currentBalance")


def parse(payload: dict, *, partial: bool, from_csv: bool = False) -> dict:
    """API-named input -> {model attribute: value}; raises ValidationError naming the first bad field.

    Unknown fields are refused (a typo must not be silently dropped)."""
    if not isinstance(payload, dict):
        raise ValidationError("The body must be a JSON object.")
    unknown = [k for k in payload if k not in FIELDS]
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    if not partial:
        for name in REQUIRED_ON_CREATE:
            if payload.get(name) in (None, ""):
                raise ValidationError(f"{name} is required.", field=name)
    values = {}
    for name, raw in payload.items():
        attribute, parser = FIELDS[name]
        if name in ("dueDate", "itemizationDate"):
            value = date(raw, name, strict=not from_csv)
        elif name == "tags":
            value = tags(raw, name, from_csv=from_csv)
        else:
            value = parser(raw, name)
        if name in REQUIRED_ON_CREATE and value is None:
            raise ValidationError(f"{name} is required.", field=name)
        values[attribute] = value
    return values
