"""Sign-in checks shared by the browser and the API: password, account state, then TOTP."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import func, select

from app.models import User
from app.services.auth import passwords, totp
from app.services.errors import DomainError

MAX_FAILURES = 10
LOCKOUT = dt.timedelta(minutes=15)


class LoginError(DomainError):
    status = 401


def find_user(db_session, email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return db_session.scalars(select(User).where(func.lower(User.email) == email,
                                                 User.deleted_at.is_(None))).first()


def check_password(db_session, email: str, password: str, now: dt.datetime) -> User:
    """The user whose password matches, or LoginError INVALID_CREDENTIALS (same answer for unknown emails)."""
    user = find_user(db_session, email)
    if user is not None and user.locked_until and user.locked_until > now:
        passwords.verify_password(None, password or "")
        raise LoginError("Too many failed attempts. Try again later or reset your password.",
                         code="INVALID_CREDENTIALS")
    if user is None or not passwords.verify_password(user.password_hash, password or ""):
        if user is not None:
            user.failed_login_count = (user.failed_login_count or 0) + 1
            if user.failed_login_count >= MAX_FAILURES:
                user.locked_until = now + LOCKOUT
                user.failed_login_count = 0
            db_session.commit()
        raise LoginError("Invalid email or password.", code="INVALID_CREDENTIALS")
    if user.status == "suspended" or (user.business is not None and user.business.status == "suspended"):
        raise LoginError("This account is suspended.", code="ACCOUNT_SUSPENDED")
    if user.status != "active":
        raise LoginError("This account is deactivated.", code="ACCOUNT_SUSPENDED")
    if not user.email_verified:
        raise LoginError("Verify your email address before signing in.", code="EMAIL_NOT_VERIFIED")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def requires_mfa(user: User) -> bool:
    """Business roles must use TOTP; debtors may opt in."""
    return user.is_staff or user.mfa_enabled


def check_second_factor(db_session, user: User, code: str | None, now: dt.datetime) -> None:
    """Accept a fresh TOTP code or an unused recovery code; raise LoginError otherwise."""
    code = (code or "").strip()
    if not code:
        raise LoginError("Enter the 6-digit code from your authenticator app.", code="MFA_REQUIRED",
                         field="mfaCode")
    step = totp.matching_step(user.mfa_secret or "", code, now, user.mfa_last_step)
    if step is not None:
        user.mfa_last_step = step
        mark_signed_in(db_session, user, now)
        return
    if _use_recovery_code(user, code):
        mark_signed_in(db_session, user, now)
        return
    user.failed_login_count = (user.failed_login_count or 0) + 1
    db_session.commit()
    raise LoginError("That code is not valid. Codes change every 30 seconds.", code="INVALID_CREDENTIALS",
                     field="mfaCode")


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def _use_recovery_code(user: User, code: str) -> bool:
    wanted = recovery_code_hash(code)
    remaining = list(user.mfa_recovery_codes or [])
    for stored in remaining:
        if hmac.compare_digest(stored, wanted):
            remaining.remove(stored)
            user.mfa_recovery_codes = remaining
            return True
    return False


def mark_signed_in(db_session, user: User, now: dt.datetime) -> None:
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    db_session.commit()
