"""Creating businesses and users (the CLI, sign-up and invitations all end here)."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import func, select

from app.models import Business, User
from app.models.user import ROLES
from app.services.auth import passwords
from app.services.auth.login import recovery_code_hash
from app.services.errors import Conflict, ValidationError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 255:
        raise ValidationError("Enter a valid email address.", field="email")
    return email


def get_or_create_business(db_session, name: str, email: str | None = None) -> Business:
    """The live business with this name, or a new one (sender addresses assigned)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Business name is required.", field="business")
    business = db_session.scalars(select(Business).where(Business.name == name,
                                                         Business.deleted_at.is_(None))).first()
    if business is not None:
        return business
    return create_business(db_session, name, email=email)


def create_business(db_session, name: str, email: str | None = None) -> Business:
    """A new business with its own sender addresses (names need not be unique across the platform)."""
    from app.services.channels.addresses import assign_sandbox_addresses

    name = (name or "").strip()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "business"
    taken = email and db_session.scalar(select(func.count()).select_from(Business).where(Business.email == email))
    if not email or taken:
        email = f"{slug}-{secrets.token_hex(3)}@business.invalid"
    business = Business(name=name, email=email, settings={})
    db_session.add(business)
    db_session.flush()
    assign_sandbox_addresses(db_session, business)
    return business


def create_user(db_session, *, email: str, password: str, role: str, business: Business | None,
                first_name: str | None = None, last_name: str | None = None, mfa_secret: str | None = None,
                verified: bool = True, now: dt.datetime, check_strength: bool = True) -> User:
    """A user with a hashed password; business roles carry an MFA secret."""
    email = normalize_email(email)
    if role not in ROLES:
        raise ValidationError(f"Role must be one of {', '.join(ROLES)}.", field="role", code="INVALID_ROLE")
    if role not in ("super_admin", "debtor") and business is None:
        raise ValidationError("Business users need a business.", field="business")
    if db_session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)):
        raise Conflict("A user with this email already exists.", field="email", code="EMAIL_EXISTS")
    if check_strength:
        passwords.check_strength(password, user_inputs=(email, first_name or "", last_name or ""))
    user = User(email=email, password_hash=passwords.hash_password(password), role=role,
                business_id=business.id if business else None, first_name=first_name, last_name=last_name,
                email_verified=verified, status="active", mfa_secret=mfa_secret,
                mfa_enabled=bool(mfa_secret), password_changed_at=now)
    db_session.add(user)
    db_session.flush()
    return user


def new_recovery_codes(user: User, count: int = 10) -> list[str]:
    """Fresh single-use recovery codes; only their hashes are kept."""
    codes = [f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(count)]
    user.mfa_recovery_codes = [recovery_code_hash(c) for c in codes]
    return codes
