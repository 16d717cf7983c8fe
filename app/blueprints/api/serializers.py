"""camelCase views of models for the API (never a password hash, MFA secret or token)."""
from __future__ import annotations


def user_json(user) -> dict:
    return {
        "id": str(user.id), "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
        "role": user.role, "businessId": str(user.business_id) if user.business_id else None,
        "phone": user.phone, "status": user.status, "emailVerified": user.email_verified,
        "mfaEnabled": bool(user.mfa_secret), "lastLoginAt": user.last_login_at, "createdAt": user.created_at,
    }


from app.services.accounts.serialize import account_json  # noqa: E402,F401  (one shape for API and webhooks)
