"""AES-256-GCM for fields that are never searched (date of birth, attorney details, PII inside audit rows).

ENCRYPTION_KEYS = "id1:base64key,id2:base64key" (newest first; older ids still decrypt). Without it, a key is
derived from SECRET_KEY so the offline sandbox works; production sets ENCRYPTION_KEYS."""
from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import ConfigError


class Keyring:
    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise ConfigError("ENCRYPTION_KEYS: no key")
        self.keys = dict(keys)
        self.current_id = keys[0][0]

    @classmethod
    def from_config(cls, encryption_keys: str | None, secret_key: str) -> "Keyring":
        if not encryption_keys:
            return cls([("dev", hashlib.sha256(b"funnelchat-encryption-v1:" + secret_key.encode()).digest())])
        keys = []
        for item in encryption_keys.split(","):
            key_id, _, material = item.strip().partition(":")
            try:
                raw = base64.b64decode(material, validate=True)
            except ValueError:
                raise ConfigError(f"ENCRYPTION_KEYS: key {key_id!r} is not base64") from None
            if not key_id or len(raw) != 32:
                raise ConfigError(f"ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes (AES-256), base64-encoded")
            keys.append((key_id, raw))
        return cls(keys)

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current_id]).encrypt(nonce, plaintext, associated)
        return f"{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, associated: bytes = b"") -> bytes:
        key_id, _, payload = token.partition(":")
        raw = base64.b64decode(payload)
        return AESGCM(self.keys[key_id]).decrypt(raw[:12], raw[12:], associated)


def seal(key: bytes, plaintext: bytes, associated: bytes = b"") -> str:
    """Encrypt with a data key (a debtor's own key)."""
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, associated)).decode()


def unseal(key: bytes, token: str, associated: bytes = b"") -> bytes:
    raw = base64.b64decode(token)
    return AESGCM(key).decrypt(raw[:12], raw[12:], associated)
