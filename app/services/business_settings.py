"""A business's own settings as the admin API shows them: profile, sender addresses, usage, compliance settings."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from app.models import Business
from app.services import audit
from app.services.auth import permissions
from app.services.channels import usage
from app.services.compliance import settings as compliance_settings
from app.services.errors import NotFound, ValidationError

PROFILE_FIELDS = {"name": 255, "phone": 20, "address": 2000, "website": 255}
_PHONE = re.compile(r"^\+?[0-9 ()./-]{7,20}$")


def view(db_session, business_id, now: dt.datetime) -> dict:
    business = _business(db_session, business_id)
    counter = usage.current(db_session, business.id, now)
    compliance = compliance_settings.get(db_session, business.id)
    return {
        "id": str(business.id), "name": business.name, "email": business.email, "phone": business.phone,
        "address": business.address, "website": business.website, "status": business.status,
        "subscriptionTier": business.subscription_tier, "subscriptionStatus": business.subscription_status,
        "messageQuota": business.message_quota,
        "messaging": {"smsNumber": business.sms_number, "whatsappNumber": business.whatsapp_number,
                      "emailAddress": business.sender_email},
        "usage": {"periodStart": usage.period_start(business, now).isoformat(),
                  "messagesSent": counter.sent if counter else 0,
                  "messagesReceived": counter.received if counter else 0},
        "compliance": _camel(dataclasses.asdict(compliance)),
    }


def update(db_session, principal, changes: dict, now: dt.datetime) -> None:
    """Profile fields and compliance settings, each change audited; unknown fields are refused by name."""
    permissions.require(principal.role, "settings.manage")
    if not isinstance(changes, dict):
        raise ValidationError("Send the settings to change as a JSON object.")
    business = _business(db_session, principal.business_id)
    unknown = sorted(set(changes) - set(PROFILE_FIELDS) - {"compliance"})
    if unknown:
        raise ValidationError(f"{unknown[0]} cannot be changed here.", field=unknown[0])
    diff = {}
    for name, limit in PROFILE_FIELDS.items():
        if name not in changes:
            continue
        value = changes[name]
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{name} must be text.", field=name)
        value = (value or "").strip() or None
        if name == "name" and not value:
            raise ValidationError("The business needs a name.", field="name")
        if value and len(value) > limit:
            raise ValidationError(f"{name} is limited to {limit} characters.", field=name)
        if name == "phone" and value and not _PHONE.match(value):
            raise ValidationError("Enter a phone number.", field="phone")
        if getattr(business, name) != value:
            diff[name] = [getattr(business, name), value]
            setattr(business, name, value)
    if diff:
        audit.record(db_session, "business_profile_updated", principal=principal, now=now, resource_type="business",
                     resource_id=business.id, description="business profile", meta={"changes": diff})
    if "compliance" in changes:
        compliance_settings.update(db_session, principal, changes["compliance"], now)


def _camel(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        head, *rest = key.split("_")
        if isinstance(value, dt.time):
            value = value.strftime("%H:%M")
        out[head + "".join(part.title() for part in rest)] = value
    return out


def _business(db_session, business_id) -> Business:
    business = db_session.get(Business, business_id) if business_id else None
    if business is None or business.deleted_at is not None:
        raise NotFound("Business not found")
    return business
