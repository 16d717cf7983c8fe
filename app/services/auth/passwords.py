"""Password hashing (Argon2id, OWASP's first choice) and the strength policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.services.errors import ValidationError

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 128
# A real hash of a random password: verifying against it costs the same time as a real user,
# so a missing email cannot be told apart by timing.
_DUMMY_HASH = _hasher.hash("not-a-real-password-4f9c1e")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_strength(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Raise ValidationError(field='password') for a password an attacker would guess."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"Password must be at most {MAX_LENGTH} characters.", field="password")
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < 3:
        hint = (result.get("feedback") or {}).get("warning") or "Add more unrelated words or characters."
        raise ValidationError(f"Password is too easy to guess. {hint}".strip(), field="password")
