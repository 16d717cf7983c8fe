"""TOTP (RFC 6238) with replay protection: a code's time step is accepted once."""
from __future__ import annotations

import datetime as dt

import pyotp

ISSUER = "funnelChat"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: dt.datetime, last_step: int | None, window: int = 1) -> int | None:
    """The time step the code belongs to (within +-window steps), or None; steps at or before last_step fail."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6 or not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
