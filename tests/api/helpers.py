"""API callers for tests: log in through POST /api/v1/auth/login like an integration would."""
from __future__ import annotations

import pyotp

from tests.factories import PASSWORD


def api_login(client, user, clock, password: str = PASSWORD) -> dict:
    body = {"email": user.email, "password": password}
    if user.mfa_secret:
        body["mfaCode"] = pyotp.TOTP(user.mfa_secret).at(clock.now())
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.get_json()
    clock.advance(seconds=30)  # the next login of the same user needs a fresh TOTP step
    return response.get_json()["data"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
