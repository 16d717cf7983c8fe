"""Browser sessions as rows: revoking a row signs the browser out on its next request."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update

from app.models import User, UserSession

WEB_SESSION_LIFETIME = dt.timedelta(hours=12)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db_session, user: User, now: dt.datetime, ip: str | None, user_agent: str | None) -> str:
    """Create a web session row; return the secret token the cookie carries."""
    token = secrets.token_urlsafe(32)
    db_session.add(UserSession(user_id=user.id, token=token_hash(token), kind="web", ip_address=ip,
                               user_agent=(user_agent or "")[:500], expires_at=now + WEB_SESSION_LIFETIME,
                               created_at=now, last_activity_at=now))
    return token


def resolve(db_session, token: str, now: dt.datetime, idle: dt.timedelta) -> User | None:
    """The user of a live session (not revoked, not expired, not idle too long), touching its activity."""
    row = db_session.scalars(select(UserSession).where(UserSession.token == token_hash(token),
                                                       UserSession.kind == "web")).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_activity_at > idle:
        row.revoked_at = now
        db_session.commit()
        return None
    user = db_session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if (now - row.last_activity_at).total_seconds() > 30:
        row.last_activity_at = now
        db_session.commit()
    return user


def revoke(db_session, token: str, now: dt.datetime) -> None:
    db_session.execute(update(UserSession).where(UserSession.token == token_hash(token),
                                                 UserSession.revoked_at.is_(None)).values(revoked_at=now))


def revoke_all(db_session, user_id, now: dt.datetime) -> int:
    """End every session and token of a user (password change, deactivation)."""
    result = db_session.execute(update(UserSession).where(UserSession.user_id == user_id,
                                                          UserSession.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount or 0
