"""A signed-in user's own profile: name and phone, email (confirmed by link), password, photo, notifications.

Each function changes one thing, validates it (ValidationError with the form field it concerns) and appends
an audit row with the before/after values, in the caller's transaction."""
from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from sqlalchemy import func, select

from app.models import User, UserToken
from app.services.auth import passwords
from app.services.auth.account_flows import _mail, audit, change_password, issue_token, peek_token, spend_token
from app.services.auth.users import normalize_email
from app.services.channels.system_email import is_debtor_address
from app.services.errors import Conflict, ValidationError
from app.services.timezones import normalize_e164

NAME_MAX = 100

# Notification settings, in the order the page lists them, with their defaults.
NOTIFICATION_DEFAULTS = {
    "assignment_email": True,
    "message_email": True,
    "escalation_email": True,
    "daily_digest_email": False,
    "browser_notifications": True,
}

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_MAX_SIDE = 256
AVATAR_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}
# Refuse absurd dimensions before decoding: a small file may still expand to gigabytes of pixels.
AVATAR_MAX_PIXELS = 40_000_000


# ---- name and phone ---------------------------------------------------------------------------

def _name(value: str | None, field: str, label: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError(f"Enter your {label}.", field=field)
    if len(value) > NAME_MAX:
        raise ValidationError(f"Your {label} must be at most {NAME_MAX} characters.", field=field)
    return value


def update_details(db_session, user: User, *, first_name: str | None, last_name: str | None, phone: str | None,
                   now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> dict:
    """Set name and phone (E.164, or none); return the changes as {field: [before, after]}."""
    values = {"first_name": _name(first_name, "first_name", "first name"),
              "last_name": _name(last_name, "last_name", "last name")}
    phone = (phone or "").strip()
    if phone:
        normalized = normalize_e164(phone)
        if normalized is None:
            raise ValidationError("Enter a valid phone number", field="phone")
        phone = normalized
    values["phone"] = phone or None
    changes = {name: [getattr(user, name), value] for name, value in values.items() if getattr(user, name) != value}
    for name, (_, value) in changes.items():
        setattr(user, name, value)
    if changes:
        audit(db_session, "profile_updated", user=user, now=now, ip=ip, user_agent=user_agent, changes=changes)
    return changes


# ---- email ------------------------------------------------------------------------------------

def _email_taken(db_session, email: str, user: User) -> bool:
    return bool(db_session.scalar(select(func.count()).select_from(User).where(
        func.lower(User.email) == email, User.id != user.id)))


def request_email_change(db_session, user: User, *, new_email: str, password: str, now: dt.datetime,
                         public_url: str, ip: str | None = None, user_agent: str | None = None) -> str:
    """Send a confirmation link to the new address and a notice to the current one; return the new address.

    The email itself changes only when the link is followed (confirm_email_change)."""
    new_email = normalize_email(new_email)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise ValidationError("Your current password is not correct.", field="password")
    if new_email == (user.email or "").lower():
        raise ValidationError("This is already your email address.", field="email")
    if _email_taken(db_session, new_email, user):
        raise ValidationError("Another account already uses this email address.", field="email")
    if is_debtor_address(db_session, new_email):
        raise ValidationError("This address belongs to a debtor account. Use your work email address.",
                              field="email")
    token = issue_token(db_session, "change_email", now, user=user, data={"email": new_email})
    _mail(db_session, new_email, "Confirm your new funnelChat email address",
          f"Hello {user.first_name or ''},\n\nConfirm that you want to use this address to sign in to funnelChat:\n"
          f"{public_url}/settings/profile/email/confirm/{token}\n\n"
          "Open the link while signed in. It works once, for 24 hours. If you did not ask for this, ignore this "
          "email: nothing changes.", now, business_id=user.business_id, category="verification")
    _mail(db_session, user.email, "Your funnelChat email address is about to change",
          f"Someone signed in to your funnelChat account asked to change its email address to {new_email}. "
          "The change happens only when the link sent to that address is followed.\n\n"
          "If this was not you, change your password now and tell your administrator.", now,
          business_id=user.business_id)
    audit(db_session, "email_change_requested", user=user, now=now, ip=ip, user_agent=user_agent,
          meta={"requestedEmail": new_email})
    return new_email


def pending_email_change(db_session, user: User, now: dt.datetime) -> str | None:
    """The address a live confirmation link was sent to, if any."""
    row = db_session.scalars(select(UserToken).where(
        UserToken.user_id == user.id, UserToken.purpose == "change_email", UserToken.used_at.is_(None),
        UserToken.expires_at > now).order_by(UserToken.created_at.desc())).first()
    return (row.data or {}).get("email") if row is not None else None


def confirm_email_change(db_session, user: User, token: str, *, now: dt.datetime, ip: str | None = None,
                         user_agent: str | None = None) -> str:
    """Apply a change_email link issued to this user; return the new address."""
    row = peek_token(db_session, "change_email", token, now)
    if row is None or row.user_id != user.id:
        raise ValidationError("This link is invalid or has expired. Ask for a new one from your profile.",
                              field="token")
    new_email = row.data["email"]
    if _email_taken(db_session, new_email, user):
        raise Conflict("Another account now uses this email address. Choose a different one.", field="email")
    spend_token(db_session, "change_email", token, now)
    before = user.email
    user.email = new_email
    user.email_verified = True
    audit(db_session, "email_changed", user=user, now=now, ip=ip, user_agent=user_agent,
          changes={"email": [before, new_email]})
    return new_email


# ---- password ---------------------------------------------------------------------------------

def change_own_password(db_session, user: User, *, current_password: str, new_password: str,
                        confirm_password: str, now: dt.datetime, ip: str | None = None,
                        user_agent: str | None = None) -> None:
    """Check the current password and the new one's strength, then change it: every session ends."""
    if not passwords.verify_password(user.password_hash, current_password or ""):
        raise ValidationError("Your current password is not correct.", field="current_password")
    if (new_password or "") != (confirm_password or ""):
        raise ValidationError("The two new passwords do not match.", field="confirm_password")
    if new_password == current_password:
        raise ValidationError("Choose a password different from your current one.", field="new_password")
    try:
        passwords.check_strength(new_password, user_inputs=(user.email, user.first_name or "",
                                                            user.last_name or ""))
    except ValidationError as exc:
        raise ValidationError(exc.message, field="new_password") from None
    change_password(db_session, user, new_password, now, ip=ip, user_agent=user_agent)
    _mail(db_session, user.email, "Your funnelChat password was changed",
          "The password of your funnelChat account was just changed and every session was signed out.\n\n"
          "If this was not you, reset your password from the sign-in page and tell your administrator.", now,
          business_id=user.business_id)


# ---- photo ------------------------------------------------------------------------------------

def avatar_file(instance_path: str, user_id) -> Path:
    return Path(instance_path) / "uploads" / "avatars" / f"{user_id}.png"


def process_avatar(data: bytes) -> bytes:
    """A clean PNG of at most 256x256 (center-cropped square, no metadata) from an uploaded PNG/JPEG/WebP."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ValidationError("Choose a photo to upload.", field="avatar")
    if len(data) > AVATAR_MAX_BYTES:
        raise ValidationError("The photo must be 2 MB or smaller.", field="avatar")
    not_an_image = ValidationError("This file is not a PNG, JPEG or WebP image.", field="avatar")
    try:
        with Image.open(io.BytesIO(data), formats=list(AVATAR_FORMATS)) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise not_an_image
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise ValidationError("The photo's dimensions are too large. Use a smaller image.", field="avatar")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=list(AVATAR_FORMATS)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError,
            EOFError):
        raise not_an_image from None
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    side = min(AVATAR_MAX_SIDE, image.width, image.height)
    image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
    # A fresh image carries pixels only: no EXIF (location, camera), ICC profile or text chunks.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def set_avatar(db_session, user: User, data: bytes, *, instance_path: str, avatar_url: str, now: dt.datetime,
               ip: str | None = None, user_agent: str | None = None) -> None:
    """Validate and store the photo, then point the user's avatar_url at it."""
    png = process_avatar(data)
    path = avatar_file(instance_path, user.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".png.part")
    partial.write_bytes(png)
    os.replace(partial, path)
    before = user.avatar_url
    user.avatar_url = avatar_url
    audit(db_session, "avatar_changed", user=user, now=now, ip=ip, user_agent=user_agent,
          changes={"avatar_url": [before, avatar_url]})


def remove_avatar(db_session, user: User, *, instance_path: str, now: dt.datetime, ip: str | None = None,
                  user_agent: str | None = None) -> bool:
    """Delete the stored photo; False when there was none."""
    path = avatar_file(instance_path, user.id)
    had = user.avatar_url is not None or path.exists()
    path.unlink(missing_ok=True)
    if not had:
        return False
    before = user.avatar_url
    user.avatar_url = None
    audit(db_session, "avatar_removed", user=user, now=now, ip=ip, user_agent=user_agent,
          changes={"avatar_url": [before, None]})
    return True


# ---- notifications ----------------------------------------------------------------------------

def notification_preferences(user: User) -> dict[str, bool]:
    """The user's settings, defaults filled in."""
    stored = user.notification_preferences or {}
    return {key: bool(stored.get(key, default)) for key, default in NOTIFICATION_DEFAULTS.items()}


def update_notification_preferences(db_session, user: User, values: dict, *, now: dt.datetime,
                                    ip: str | None = None, user_agent: str | None = None) -> dict:
    """Store every known setting as a boolean (a missing one is off); return the changes."""
    before = notification_preferences(user)
    after = {key: bool(values.get(key)) for key in NOTIFICATION_DEFAULTS}
    # A new dict, so the JSON column is seen as changed; keys this page does not manage are kept.
    user.notification_preferences = {**(user.notification_preferences or {}), **after}
    changes = {key: [before[key], after[key]] for key in NOTIFICATION_DEFAULTS if before[key] != after[key]}
    if changes:
        audit(db_session, "notification_preferences_updated", user=user, now=now, ip=ip, user_agent=user_agent,
              changes=changes)
    return changes
