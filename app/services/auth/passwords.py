"""Password hashing and the strength policy.

Argon2id rather than bcrypt: it is OWASP's first choice, it is memory-hard (GPU guessing costs far more),
and it has no 72-byte password truncation. Parameters are OWASP's first recommended set (19 MiB, 2 passes,
1 lane): the library default (64 MiB, 3 passes, 4 lanes) took 165 ms per check on a 2-core machine and made
sign-in the bottleneck at 20 concurrent clients (bench/login.py). Older hashes are upgraded at sign-in.

In the gevent web process a hash runs on the hub's thread pool: argon2's C code releases the GIL, so the process's
other sockets (every agent's live inbox) keep being served during the tens of milliseconds a check takes."""
from __future__ import annotations

import sys

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.services.errors import ValidationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 12
MAX_LENGTH = 128
# A real hash of a random password: verifying against it costs the same time as a real user,
# so a missing email cannot be told apart by timing.
_DUMMY_HASH = _hasher.hash("not-a-real-password-4f9c1e")


def _off_the_loop(function, *args):
    """`function(*args)` on gevent's thread pool where gevent has patched the process, else in place."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("socket"):
        import gevent

        return gevent.get_hub().threadpool.apply(function, args)
    return function(*args)


def hash_password(password: str) -> str:
    return _off_the_loop(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _off_the_loop(_hasher.verify, password_hash or _DUMMY_HASH, password) and password_hash is not None
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
    missing = [name for name, test in (("an upper-case letter", str.isupper), ("a lower-case letter", str.islower),
                                       ("a digit", str.isdigit)) if not any(test(c) for c in password)]
    if not any(not c.isalnum() and not c.isspace() for c in password):
        missing.append("a symbol")
    if missing:
        raise ValidationError("Password needs " + ", ".join(missing) + ".", field="password")
    lowered = password.lower()
    for value in user_inputs:
        local = (value or "").split("@")[0].lower()
        if len(local) >= 4 and local in lowered:
            raise ValidationError("Password must not contain your email address or name.", field="password")
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < 3:
        hint = (result.get("feedback") or {}).get("warning") or "Add more unrelated words or characters."
        raise ValidationError(f"Password is too easy to guess. {hint}".strip(), field="password")
