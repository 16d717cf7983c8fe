"""Identity flows by email link: sign-up and verification, invitations, password reset, debtor registration.
Every link token is random, stored only as a hash, single use and short lived."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select

from app.models import User, UserToken
from app.services import audit as audit_service
from app.services.auth import passwords, web_sessions
from app.services.auth.login import find_user
from app.services.auth.users import create_business, create_user, normalize_email
from app.services.channels import send_system_email
from app.services.channels.system_email import DebtorAddressRefused, is_debtor_address
from app.services.errors import Conflict, ValidationError

LIFETIMES = {
    "signup": dt.timedelta(hours=24),
    "verify_email": dt.timedelta(hours=24),
    "change_email": dt.timedelta(hours=24),
    "invite": dt.timedelta(days=7),
    "reset_password": dt.timedelta(hours=1),
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db_session, purpose: str, now: dt.datetime, *, user: User | None = None,
                data: dict | None = None) -> str:
    """A new single-use token; earlier unused tokens of the same purpose for the user stop working."""
    if user is not None:
        for old in db_session.scalars(select(UserToken).where(UserToken.user_id == user.id,
                                                              UserToken.purpose == purpose,
                                                              UserToken.used_at.is_(None))):
            old.used_at = now
    token = secrets.token_urlsafe(32)
    db_session.add(UserToken(user_id=user.id if user else None, purpose=purpose, token_hash=_hash(token),
                             data=data or {}, expires_at=now + LIFETIMES[purpose], created_at=now))
    return token


def spend_token(db_session, purpose: str, token: str, now: dt.datetime) -> UserToken:
    """The token's row, marked used; ValidationError when unknown, used or expired."""
    row = db_session.scalars(select(UserToken).where(UserToken.token_hash == _hash(token or ""),
                                                     UserToken.purpose == purpose)).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ValidationError("This link is invalid or has expired. Ask for a new one.", field="token")
    row.used_at = now
    return row


def peek_token(db_session, purpose: str, token: str, now: dt.datetime) -> UserToken | None:
    row = db_session.scalars(select(UserToken).where(UserToken.token_hash == _hash(token or ""),
                                                     UserToken.purpose == purpose)).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def _mail(db_session, to: str, subject: str, body: str, now: dt.datetime, business_id=None, category="system"):
    """System mail; a debtor's address is never written to outside the compliance gate."""
    try:
        send_system_email(db_session, to=to, subject=subject, body=body, now=now, business_id=business_id,
                          category=category)
    except DebtorAddressRefused:
        return False
    return True


def audit(db_session, action: str, *, user: User | None, now: dt.datetime, ip: str | None = None,
          user_agent: str | None = None, **fields) -> None:
    fields.setdefault("resource_type", "user" if user is not None else None)
    fields.setdefault("resource_id", user.id if user is not None else None)
    audit_service.record(db_session, action, user=user, now=now, ip=ip, user_agent=user_agent, **fields)


def audit_login(db_session, email: str, *, success: bool, now: dt.datetime, user: User | None = None,
                reason: str | None = None, ip: str | None = None, user_agent: str | None = None) -> None:
    """Every sign-in attempt; a failure for an unknown email is recorded by fingerprint, not the address."""
    user = user or find_user(db_session, email)
    audit_service.record(db_session, "login" if success else "login_failed", user=user, now=now, ip=ip,
                         user_agent=user_agent, success=success, error_message=reason,
                         resource_type="user", resource_id=user.id if user else None,
                         meta=None if user else {"emailFingerprint": audit_service.fingerprint(email or "")})


# ---- business sign-up ---------------------------------------------------------------------

def start_signup(db_session, *, company: str, name: str, email: str, password: str, now: dt.datetime,
                 public_url: str) -> None:
    """Send the verification link; the business and its admin are created only when it is followed."""
    email = normalize_email(email)
    company = (company or "").strip()
    if not company:
        raise ValidationError("Enter your company name.", field="company")
    if not (name or "").strip():
        raise ValidationError("Enter your name.", field="name")
    passwords.check_strength(password, user_inputs=(email, name))
    if is_debtor_address(db_session, email):
        raise ValidationError("Use your work email address.", field="email")
    exists = db_session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email))
    token = issue_token(db_session, "signup", now, data={
        "company": company, "name": name.strip(), "email": email,
        "passwordHash": passwords.hash_password(password)})
    if exists:
        # Same answer as a new address (no enumeration); the owner learns someone tried.
        _mail(db_session, email, "Someone tried to sign up with your email",
              "Someone started a funnelChat sign-up with this address, which already has an account. "
              f"If it was you, sign in at {public_url}/login or reset your password there.", now)
        return
    _mail(db_session, email, "Confirm your email to create your funnelChat account",
          f"Hello {name.strip()},\n\nConfirm your email address to create {company} on funnelChat:\n"
          f"{public_url}/signup/verify/{token}\n\nThe link works once, for 24 hours.", now)


def complete_signup(db_session, token: str, now: dt.datetime) -> User:
    """Create the business and its first admin (verified) from a sign-up link."""
    row = spend_token(db_session, "signup", token, now)
    data = row.data
    if find_user(db_session, data["email"]) is not None:
        raise Conflict("An account with this email already exists. Sign in instead.", field="email")
    first, _, last = data["name"].partition(" ")
    business = create_business(db_session, data["company"], email=data["email"])
    user = create_user(db_session, email=data["email"], password="unused-placeholder", role="business_admin",
                       business=business, first_name=first, last_name=last or None, verified=True, now=now,
                       check_strength=False)
    user.password_hash = data["passwordHash"]
    row.user_id = user.id
    audit(db_session, "signup", user=user, now=now, description="business created by sign-up")
    return user


# ---- debtor registration --------------------------------------------------------------------

def register_debtor(db_session, *, email: str, password: str, first_name: str | None, last_name: str | None,
                    role: str, now: dt.datetime, public_url: str) -> User:
    """A debtor's own login (unverified until the emailed link is followed)."""
    if role != "debtor":
        raise ValidationError("Only debtor accounts can register; staff are invited by their business.",
                              field="role", code="INVALID_ROLE")
    email = normalize_email(email)
    if find_user(db_session, email) is not None:
        raise ValidationError("An account with this email already exists.", field="email", code="EMAIL_EXISTS")
    passwords.check_strength(password, user_inputs=(email, first_name or "", last_name or ""))
    user = create_user(db_session, email=email, password=password, role="debtor", business=None,
                       first_name=first_name, last_name=last_name, verified=False, now=now, check_strength=False)
    token = issue_token(db_session, "verify_email", now, user=user)
    # The address may be a debtor account's: such mail goes through the compliance gate, not system mail.
    _mail(db_session, email, "Confirm your email",
          f"Confirm your email address for funnelChat: {public_url}/verify-email/{token}", now,
          category="verification")
    audit(db_session, "register", user=user, now=now)
    return user


def verify_email(db_session, token: str, now: dt.datetime) -> User:
    """Mark the email verified; a debtor user is linked to the accounts on file with that email."""
    row = spend_token(db_session, "verify_email", token, now)
    user = db_session.get(User, row.user_id)
    user.email_verified = True
    audit(db_session, "email_verified", user=user, now=now)
    if user.role == "debtor":
        link_debtor_accounts(db_session, user, now)
    return user


def link_debtor_accounts(db_session, user: User, now: dt.datetime) -> list:
    """Accounts (in any business) whose email the debtor has proved they own; each link is audited there."""
    from app.models import Account

    accounts = db_session.scalars(select(Account).where(func.lower(Account.email) == user.email.lower(),
                                                        Account.deleted_at.is_(None),
                                                        Account.debtor_id.is_(None))).all()
    for account in accounts:
        account.debtor_id = user.id
        audit_service.record(db_session, "debtor_login_linked", business_id=account.business_id, user=None,
                             now=now, resource_type="account", resource_id=account.id,
                             description="debtor login linked by verified email")
    return accounts


# ---- invitations ------------------------------------------------------------------------------

def invite(db_session, *, inviter: User, email: str, role: str, first_name: str | None, last_name: str | None,
           now: dt.datetime, public_url: str) -> User:
    """An invited user (status 'invited', no usable password) and the emailed link to accept."""
    from app.services.auth.permissions import may_manage_role

    if role not in ("business_admin", "manager", "agent"):
        raise ValidationError("Role must be business_admin, manager or agent.", field="role", code="INVALID_ROLE")
    if not may_manage_role(inviter.role, role):
        from app.services.errors import Forbidden

        raise Forbidden("Your role may not invite this role.")
    email = normalize_email(email)
    if find_user(db_session, email) is not None:
        raise ValidationError("A user with this email already exists.", field="email", code="EMAIL_EXISTS")
    if is_debtor_address(db_session, email):
        raise ValidationError("This address belongs to a debtor account.", field="email")
    user = create_user(db_session, email=email, password=secrets.token_urlsafe(24), role=role,
                       business=inviter.business, first_name=first_name, last_name=last_name, verified=False,
                       now=now, check_strength=False)
    user.status = "invited"
    token = issue_token(db_session, "invite", now, user=user)
    _mail(db_session, email, f"{inviter.full_name} invited you to {inviter.business.name} on funnelChat",
          f"You have been invited to join {inviter.business.name} on funnelChat as {role.replace('_', ' ')}.\n"
          f"Accept the invitation and choose your password: {public_url}/invite/{token}\n"
          "The link works once, for 7 days.", now, business_id=inviter.business_id, category="invitation")
    audit(db_session, "user_invited", user=inviter, now=now, resource_type="user", resource_id=user.id,
          description=f"invited as {role}")
    return user


def accept_invite(db_session, token: str, password: str, now: dt.datetime) -> User:
    row = peek_token(db_session, "invite", token, now)
    if row is None:
        raise ValidationError("This invitation is invalid or has expired. Ask for a new one.", field="token")
    user = db_session.get(User, row.user_id)
    passwords.check_strength(password, user_inputs=(user.email, user.first_name or "", user.last_name or ""))
    spend_token(db_session, "invite", token, now)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.email_verified = True
    user.status = "active"
    user.mfa_secret = None  # enrolled on first sign-in
    audit(db_session, "invitation_accepted", user=user, now=now)
    return user


# ---- password reset ---------------------------------------------------------------------------

def request_password_reset(db_session, email: str, now: dt.datetime, public_url: str) -> None:
    """Email a 1-hour single-use link when the user exists; do the same work either way."""
    try:
        email = normalize_email(email)
    except ValidationError:
        return
    user = find_user(db_session, email)
    token = issue_token(db_session, "reset_password", now, user=user) if user else secrets.token_urlsafe(32)
    if user is None or not user.is_active:
        return
    _mail(db_session, email, "Reset your funnelChat password",
          f"Someone asked to reset the password for this address. If it was you, choose a new one here:\n"
          f"{public_url}/reset-password/{token}\n\nThe link works once, for one hour. If it was not you, "
          "ignore this email: your password has not changed.", now, business_id=user.business_id,
          category="password_reset")
    audit(db_session, "password_reset_requested", user=user, now=now)


def reset_password(db_session, token: str, new_password: str, now: dt.datetime) -> User:
    row = peek_token(db_session, "reset_password", token, now)
    if row is None:
        raise ValidationError("This reset link is invalid or has expired. Ask for a new one.", field="token")
    user = db_session.get(User, row.user_id)
    try:
        passwords.check_strength(new_password, user_inputs=(user.email, user.first_name or "", user.last_name or ""))
    except ValidationError as exc:
        raise ValidationError(exc.message, field="newPassword") from None
    spend_token(db_session, "reset_password", token, now)
    change_password(db_session, user, new_password, now, action="password_reset")
    return user


def change_password(db_session, user: User, new_password: str, now: dt.datetime, action: str = "password_changed",
                    ip: str | None = None, user_agent: str | None = None):
    """Set the password and end every session and token of the user."""
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = now
    user.failed_login_count = 0
    user.locked_until = None
    web_sessions.revoke_all(db_session, user.id, now)
    audit(db_session, action, user=user, now=now, ip=ip, user_agent=user_agent)
