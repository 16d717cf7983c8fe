"""The identity check before the portal shows anything about a debt (TP-1, TP-2, D-13): last name plus the ZIP code
or the date of birth on file.

- Last names compare without case, spaces, punctuation or accents ("García-López" = "garcia lopez"); ZIP codes by
  their first five digits; dates of birth exactly (kept as AES-GCM ciphertext bound to the account).
- Every answer given must match: a right ZIP with a wrong date of birth fails, so sending both never doubles the
  guesses.
- 5 wrong answers in a row on the account, through any of its links, lock it for 30 minutes; the counter moves in one
  UPDATE so parallel attempts cannot slip past the limit. A success resets it.
- Every attempt is audited (the method, the outcome and the count; never the answers).
- A success proves the address the link was sent to belongs to the debtor: it leaves the unverified list (a wrong-party
  signal put it there) and joins the authenticated addresses the gate reads (TP-2).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import update

from app.models import Account, PortalLink
from app.services import audit
from app.services.compliance.rules.stops import norm_address
from app.services.crypto import Keyring
from app.services.errors import ValidationError
from app.services.portal import debtor_principal
from app.services.portal.links import sent_to

MAX_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=30)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


# -- date of birth at rest ----------------------------------------------------------------------------------------
def _associated(account_id) -> bytes:
    return f"date_of_birth:{account_id}".encode()


def _keyring() -> Keyring:
    return audit.keyring()


def seal_date_of_birth(account_id, day: dt.date | None, keyring: Keyring | None = None) -> str | None:
    """The value for Account.date_of_birth_encrypted (None clears it)."""
    if day is None:
        return None
    return (keyring or _keyring()).encrypt(day.isoformat().encode(), _associated(account_id))


def date_of_birth(account: Account, keyring: Keyring | None = None) -> dt.date | None:
    """The date of birth on file; None when there is none or it cannot be read (a rotated-out key)."""
    if not account.date_of_birth_encrypted:
        return None
    try:
        raw = (keyring or _keyring()).decrypt(account.date_of_birth_encrypted, _associated(account.id))
        return dt.date.fromisoformat(raw.decode())
    except Exception:
        return None


# -- comparing answers ----------------------------------------------------------------------------------------------
def name_key(value: str | None) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _NOT_ALNUM.sub("", text)


def zip5(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits[:5] if len(digits) >= 5 else None


def methods(account: Account) -> tuple[str, ...]:
    """What the debtor can answer with: "zip" and/or "dob" (none: the check cannot be passed online)."""
    found = []
    if zip5(account.zip):
        found.append("zip")
    if date_of_birth(account) is not None:
        found.append("dob")
    return tuple(found)


def locked_until(account: Account, now: dt.datetime) -> dt.datetime | None:
    until = account.portal_locked_until
    return until if until is not None and until > now else None


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    locked_until: dt.datetime | None = None
    attempts_left: int | None = None


def check(db_session, link: PortalLink, *, last_name: str | None, zip_code: str | None = None,
          birth_date: dt.date | None = None, now: dt.datetime, ip: str | None = None,
          user_agent: str | None = None) -> CheckResult:
    """One attempt through this link. ValidationError (nothing counted) for an incomplete form; the caller commits."""
    account = db_session.get(Account, link.account_id)
    if not (last_name or "").strip():
        raise ValidationError("Enter your last name.", field="last_name", extra={"text": "err_last_name"})
    if not (zip_code or "").strip() and birth_date is None:
        raise ValidationError("Enter your ZIP code or your date of birth.", field="zip_code",
                              extra={"text": "err_zip_or_dob"})
    if (zip_code or "").strip() and zip5(zip_code) is None:
        raise ValidationError("Enter the 5 digits of your ZIP code.", field="zip_code", extra={"text": "err_zip"})
    method = "+".join(m for m, given in (("zip", bool((zip_code or "").strip())), ("dob", birth_date is not None))
                      if given)
    meta = {"linkId": str(link.id), "method": method}
    principal = debtor_principal(account)

    locked = locked_until(account, now)
    if locked is not None:
        audit.record(db_session, "portal_identity_check", now=now, principal=principal, resource_type="account",
                     resource_id=account.id, description=account.account_number,
                     meta={**meta, "lockedUntil": locked.isoformat()}, success=False,
                     error_message="locked", ip=ip, user_agent=user_agent)
        return CheckResult(passed=False, locked_until=locked, attempts_left=0)

    if _matches(account, last_name, zip_code, birth_date):
        account.portal_failed_attempts = 0
        account.portal_locked_until = None
        link.verified_at = now
        link.last_used_at = now
        authenticated = _authenticate_address(db_session, account, link, now)
        audit.record(db_session, "portal_identity_check", now=now, principal=principal, resource_type="account",
                     resource_id=account.id, description=account.account_number,
                     meta={**meta, "addressAuthenticated": authenticated}, ip=ip, user_agent=user_agent)
        return CheckResult(passed=True)

    failures = db_session.execute(
        update(Account).where(Account.id == account.id)
        .values(portal_failed_attempts=Account.portal_failed_attempts + 1)
        .returning(Account.portal_failed_attempts).execution_options(synchronize_session=False)).scalar_one()
    lock = None
    if failures >= MAX_FAILURES:
        lock = now + LOCK_FOR
        db_session.execute(update(Account).where(Account.id == account.id)
                           .values(portal_failed_attempts=0, portal_locked_until=lock)
                           .execution_options(synchronize_session=False))
    db_session.expire(account, ["portal_failed_attempts", "portal_locked_until"])
    link.last_used_at = now
    audit.record(db_session, "portal_identity_check", now=now, principal=principal, resource_type="account",
                 resource_id=account.id, description=account.account_number,
                 meta={**meta, "failures": failures, **({"lockedUntil": lock.isoformat()} if lock else {})},
                 success=False, error_message="locked after too many wrong answers" if lock else "wrong answer",
                 ip=ip, user_agent=user_agent)
    return CheckResult(passed=False, locked_until=lock, attempts_left=0 if lock else MAX_FAILURES - failures)


def _matches(account: Account, last_name: str, zip_code: str | None, birth_date: dt.date | None) -> bool:
    """The last name and every other answer given match what is on file (an answer with nothing on file fails)."""
    expected = name_key(account.last_name)
    if not expected or name_key(last_name) != expected:
        return False
    if (zip_code or "").strip():
        on_file = zip5(account.zip)
        if on_file is None or zip5(zip_code) != on_file:
            return False
    if birth_date is not None:
        on_file = date_of_birth(account)
        if on_file is None or on_file != birth_date:
            return False
    return True


def _authenticate_address(db_session, account: Account, link: PortalLink, now: dt.datetime) -> bool:
    """TP-2 / D-13: the address the link reached is the debtor's; True when that changed what the gate reads."""
    address = norm_address(sent_to(db_session, link))
    if not address:
        return False
    unverified = [a for a in (account.unverified_addresses or []) if norm_address(a) != address]
    authenticated = list(account.authenticated_addresses or [])
    was_unverified = len(unverified) != len(account.unverified_addresses or [])
    if not was_unverified:
        return False
    account.unverified_addresses = unverified
    if address not in {norm_address(a) for a in authenticated}:
        account.authenticated_addresses = authenticated + [address]
    account.updated_at = now
    return True
