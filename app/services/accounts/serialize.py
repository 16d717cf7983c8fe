"""The account as the API and outbound webhooks show it (camelCase, money as Decimal)."""
import datetime as dt
from functools import lru_cache


def account_json(a, detail: bool = True) -> dict:
    row = {
        "id": str(a.id), "accountNumber": a.account_number, "firstName": a.first_name, "lastName": a.last_name,
        "email": a.email, "phone": a.phone, "currentBalance": a.current_balance,
        "dueDate": a.due_date.isoformat() if a.due_date else None, "status": a.status, "tags": list(a.tags or []),
        "assignedAgentId": str(a.assigned_agent_id) if a.assigned_agent_id else None, "createdAt": a.created_at,
    }
    if not detail:
        return row
    row.update({
        "phoneSecondary": a.phone_secondary, "address": a.address, "city": a.city, "state": a.state, "zip": a.zip,
        "country": a.country, "originalBalance": a.original_balance, "originalCreditor": a.original_creditor,
        "notes": a.notes, "customFields": a.custom_fields or {}, "preferredLanguage": a.preferred_language,
        "preferredContactMethod": a.preferred_contact_method, "timezone": a.timezone,
        "timezoneSource": a.timezone_source, "smsConsent": a.sms_consent, "smsConsentDate": a.sms_consent_date,
        "emailConsent": a.email_consent, "emailConsentDate": a.email_consent_date,
        "whatsappConsent": a.whatsapp_consent, "doNotContact": a.do_not_contact, "doNotSms": a.do_not_sms,
        "doNotEmail": a.do_not_email, "doNotCall": a.do_not_call,
        "itemizationDate": a.itemization_date.isoformat() if a.itemization_date else None,
        "itemizationDateType": a.itemization_date_type, "itemizationAmount": a.itemization_amount,
        "timeBarred": a.time_barred, "disputeStatus": a.dispute_status, "updatedAt": a.updated_at,
    })
    for name, attribute in _plain_fields():  # the compliance fields the API and CSV accept (D-12), as stored
        if name not in row:
            value = getattr(a, attribute, None)
            row[name] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return row


@lru_cache(maxsize=1)
def _plain_fields() -> tuple[tuple[str, str], ...]:
    """Writable fields stored in one column (attorney and dispute details live in their own records)."""
    from app.services.accounts.fields import FIELDS

    return tuple((name, attribute) for name, (attribute, _) in FIELDS.items() if ":" not in attribute)
