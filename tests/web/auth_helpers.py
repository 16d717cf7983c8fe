"""Sign in through the real browser flow (password, then TOTP) with the test client."""
from __future__ import annotations

import pyotp

from tests.factories import PASSWORD


def sign_in(client, user, clock, password: str = PASSWORD):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/mfa"), response.data[:500]
    code = pyotp.TOTP(user.mfa_secret).at(clock.now())
    response = client.post("/login/mfa", data={"code": code})
    assert response.status_code == 302, response.data[:500]
    return response
