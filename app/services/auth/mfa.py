"""TOTP enrolment: a QR code drawn server-side as SVG, confirmation with one code, recovery codes."""
from __future__ import annotations

import datetime as dt
import io

import segno

from app.models import User
from app.services.auth import totp
from app.services.auth.users import new_recovery_codes

new_secret = totp.new_secret
provisioning_uri = totp.provisioning_uri


def qr_svg(secret: str, email: str) -> str:
    """An inline SVG (no external image, no script) of the otpauth:// URI."""
    buffer = io.BytesIO()
    segno.make(totp.provisioning_uri(secret, email), error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="QR code for your authenticator app")
    return buffer.getvalue().decode()


def enrol(db_session, user: User, secret: str, code: str, now: dt.datetime) -> list[str] | None:
    """Store the secret when the code proves the app has it; return the new recovery codes (shown once)."""
    step = totp.matching_step(secret, code, now, None)
    if step is None:
        return None
    user.mfa_secret = secret
    user.mfa_enabled = True
    user.mfa_last_step = step
    return new_recovery_codes(user)
