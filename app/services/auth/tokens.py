"""API tokens: a 24 h JWT access token and a 30 d opaque refresh token, both backed by session rows,
so logout, deactivation and password changes take effect at once. Refresh tokens rotate; a reused
one revokes its whole family (theft detection)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import jwt
from sqlalchemy import select, update

from app.models import User, UserSession
from app.services.errors import Unauthorized

ACCESS_LIFETIME = dt.timedelta(hours=24)
REFRESH_LIFETIME = dt.timedelta(days=30)
ALGORITHM = "HS256"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signing_key(secret_key: str) -> bytes:
    """A key for JWTs only, derived from SECRET_KEY (cookies and tokens never share a key)."""
    return hashlib.sha256(b"funnelchat-jwt-v1:" + secret_key.encode()).digest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    family_id: uuid.UUID
    access_session_id: uuid.UUID


def _access_token(user: User, session_id: uuid.UUID, now: dt.datetime, key: bytes) -> str:
    claims = {
        "userId": str(user.id), "email": user.email, "role": user.role,
        "businessId": str(user.business_id) if user.business_id else None,
        "iat": int(now.timestamp()), "exp": int((now + ACCESS_LIFETIME).timestamp()),
        "jti": str(session_id), "typ": "access",
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def issue_pair(db_session, user: User, now: dt.datetime, key: bytes, *, ip: str | None, user_agent: str | None,
               family_id: uuid.UUID | None = None) -> TokenPair:
    """A new access + refresh pair (a new family at login, the same family on refresh)."""
    family_id = family_id or uuid.uuid4()
    access_id = uuid.uuid4()
    access = _access_token(user, access_id, now, key)
    refresh = "rt_" + secrets.token_urlsafe(40)
    common = dict(user_id=user.id, family_id=family_id, ip_address=ip, user_agent=(user_agent or "")[:500],
                  created_at=now, last_activity_at=now)
    db_session.add(UserSession(id=access_id, token=_hash(access), kind="access", expires_at=now + ACCESS_LIFETIME,
                               **common))
    db_session.add(UserSession(token=_hash(refresh), kind="refresh", expires_at=now + REFRESH_LIFETIME, **common))
    return TokenPair(access, refresh, family_id, access_id)


def authenticate_access(db_session, token: str, now: dt.datetime, key: bytes) -> tuple[User, UserSession]:
    """The user behind a live access token, or Unauthorized (bad signature, alg none, expired, revoked)."""
    try:
        # Times are checked below against the injected clock, not the library's wall clock.
        claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "jti"], "verify_exp": False, "verify_iat": False,
                                     "verify_nbf": False})
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.") from None
    if claims.get("typ") != "access" or not isinstance(claims.get("exp"), int):
        raise Unauthorized("The token is not valid.")
    if claims["exp"] <= now.timestamp():
        raise Unauthorized("The token has expired.")
    try:
        session_id = uuid.UUID(str(claims["jti"]))
    except ValueError:
        raise Unauthorized("The token is not valid.") from None
    row = db_session.get(UserSession, session_id)
    if (row is None or row.kind != "access" or row.revoked_at is not None or row.expires_at <= now
            or not secrets.compare_digest(row.token, _hash(token))):
        raise Unauthorized("The token has been revoked or has expired.")
    user = db_session.get(User, row.user_id)
    if user is None or not user.is_active or (user.business is not None and user.business.status != "active"):
        raise Unauthorized("This account can no longer sign in.")
    return user, row


def rotate_refresh(db_session, refresh_token: str, now: dt.datetime, key: bytes, *, ip: str | None,
                   user_agent: str | None) -> tuple[User, TokenPair]:
    """Spend a refresh token for a new pair; spending one twice revokes the family."""
    row = db_session.scalars(select(UserSession).where(UserSession.token == _hash(refresh_token or ""),
                                                       UserSession.kind == "refresh")).first()
    if row is None:
        raise Unauthorized("The refresh token is not valid.")
    if row.revoked_at is not None:
        revoke_family(db_session, row.family_id, now)
        db_session.commit()
        raise Unauthorized("The refresh token was already used; every session of this sign-in has been ended.")
    if row.expires_at <= now:
        raise Unauthorized("The refresh token has expired.")
    user = db_session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("This account can no longer sign in.")
    row.revoked_at = now
    row.last_activity_at = now
    pair = issue_pair(db_session, user, now, key, ip=ip, user_agent=user_agent, family_id=row.family_id)
    return user, pair


def revoke_family(db_session, family_id: uuid.UUID | None, now: dt.datetime) -> None:
    if family_id is None:
        return
    db_session.execute(update(UserSession).where(UserSession.family_id == family_id,
                                                 UserSession.revoked_at.is_(None)).values(revoked_at=now))
