"""The account as the API and outbound webhooks show it (camelCase, money as Decimal)."""


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
    return row
