"""The debtor's attorney, kept as AES-GCM ciphertext on the account (never searched, read by the compliance loader).

The plaintext is JSON `{name, address, email, phone, knownAt}`; the ciphertext is bound to the account id, so it
cannot be copied onto another account. The dates the ATTY rules reason about (consented to direct contact, our last
contact, the attorney's response) are plain columns: they are not personal data and change without the details."""
from __future__ import annotations

import datetime as dt
import json

from app.services.crypto import Keyring

DETAILS = ("name", "address", "email", "phone", "knownAt")


def _associated(account_id) -> bytes:
    return f"attorney:{account_id}".encode()


def _keyring() -> Keyring:
    from app.services.audit import keyring

    return keyring()


def seal(account_id, details: dict | None, keyring: Keyring | None = None) -> str | None:
    """Ciphertext for the account's attorney, or None when no detail is left (no attorney on file)."""
    if not details:
        return None
    clean = {k: _plain(details.get(k)) for k in DETAILS if details.get(k) not in (None, "")}
    if not clean:
        return None
    payload = json.dumps(clean, sort_keys=True).encode()
    return (keyring or _keyring()).encrypt(payload, _associated(account_id))


def open_(account_id, token: str | None, keyring: Keyring | None = None) -> dict | None:
    """The details, or None when there is no attorney; raises ValueError when the ciphertext cannot be read."""
    if not token:
        return None
    try:
        return json.loads((keyring or _keyring()).decrypt(token, _associated(account_id)))
    except Exception as exc:  # a rotated-out key or a tampered value: the caller decides what that means
        raise ValueError("attorney details cannot be decrypted") from exc


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return value
