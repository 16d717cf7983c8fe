"""Provider webhook signatures: checking what Twilio and SendGrid send us, and producing the same signatures for
the sandbox simulator, which posts through the real routes so the checks run for real.

Twilio signs the exact public URL it called plus the sorted form fields (HMAC-SHA1 with the auth token). SendGrid's
Event Webhook signs timestamp + raw body with ECDSA P-256; Inbound Parse has no signature, so it sits behind HTTP
basic auth in the URL configured at SendGrid."""
from __future__ import annotations

import base64
import hmac
import logging
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

INBOUND_PARSE_USER = "sendgrid"
SIMULATOR_KEY_FILE = "sendgrid_events_key.pem"
EVENT_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
EVENT_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def twilio_url(public_url: str, full_path: str) -> str:
    """The URL Twilio signed: PUBLIC_URL + path + query (Flask's full_path ends in '?' when there is no query)."""
    path = full_path[:-1] if full_path.endswith("?") else full_path
    return public_url.rstrip("/") + path


def twilio_signature(token: str, url: str, params) -> str:
    """X-Twilio-Signature for a form post, computed the way Twilio does."""
    return RequestValidator(token).compute_signature(url, params)


def twilio_valid(token: str, url: str, params, signature: str | None) -> bool:
    if not signature or not token:
        return False
    return RequestValidator(token).validate(url, params, signature)


def basic_auth_valid(authorization, user: str, password: str) -> bool:
    """Werkzeug's parsed Authorization header against the expected basic-auth pair, in constant time."""
    if authorization is None or authorization.type != "basic" or not password:
        return False
    given_user = (authorization.username or "").encode()
    given_password = (authorization.password or "").encode()
    user_ok = hmac.compare_digest(given_user, user.encode())
    password_ok = hmac.compare_digest(given_password, password.encode())
    return user_ok and password_ok


# -- SendGrid Event Webhook ------------------------------------------------------------------------------------------
def public_key_from_text(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the verification key as base64 DER (SubjectPublicKeyInfo); a full PEM is accepted too."""
    text = text.strip()
    if "BEGIN PUBLIC KEY" not in text:
        body = "".join(text.split())
        text = "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the SendGrid event key is not an elliptic-curve key")
    return key


def public_key_text(key: ec.EllipticCurvePublicKey) -> str:
    """The base64 DER form SendGrid's settings page shows (what SENDGRID_EVENTS_PUBLIC_KEY holds)."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def event_valid(payload: str, signature: str | None, timestamp: str | None, keys) -> bool:
    """True when any of `keys` verifies the signature over timestamp + payload. A malformed signature (not base64,
    not DER) is a failed check, never an error."""
    if not signature or not timestamp:
        return False
    from sendgrid.helpers.eventwebhook import EventWebhook

    verifier = EventWebhook()
    for key in keys:
        try:
            if verifier.verify_signature(payload, signature, timestamp, key):
                return True
        except Exception:  # binascii.Error, ValueError from a garbled DER signature
            continue
    return False


def sign_event_payload(private_key: ec.EllipticCurvePrivateKey, payload: str, timestamp: str) -> str:
    """The signature header SendGrid would send: base64 DER ECDSA-SHA256 over timestamp + payload."""
    return base64.b64encode(private_key.sign((timestamp + payload).encode(), ec.ECDSA(hashes.SHA256()))).decode()


def simulator_private_key(instance_path: str) -> ec.EllipticCurvePrivateKey:
    """The sandbox's own event-signing key, made on first use and kept (0600) in instance/ so restarts and other
    processes (workers, the clock) sign with the same key."""
    path = Path(instance_path) / SIMULATOR_KEY_FILE
    try:
        return _load_private_key(path)
    except FileNotFoundError:
        pass
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".sendgrid-key-")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.close(fd)
        try:
            os.link(temporary, path)  # atomic and refuses to overwrite: two processes racing keep one key
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return _load_private_key(path)


def _load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an elliptic-curve key")
    return key


def event_public_keys(config, instance_path: str) -> list[ec.EllipticCurvePublicKey]:
    """Keys that may sign SendGrid events: the configured one, and while email is sandboxed the simulator's."""
    keys = []
    if config.SENDGRID_EVENTS_PUBLIC_KEY:
        try:
            keys.append(public_key_from_text(config.SENDGRID_EVENTS_PUBLIC_KEY))
        except ValueError:
            log.error("SENDGRID_EVENTS_PUBLIC_KEY is not a valid public key; SendGrid events cannot be verified")
    if config.email_mode == "sandbox":
        keys.append(simulator_private_key(instance_path).public_key())
    return keys
