"""Staff and debtor users, their sessions and the business's API keys."""
from __future__ import annotations

import datetime as dt
import uuid

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, SoftDelete, Timestamps, UUIDPk, utcnow
from app.models.types import JSONType

ROLES = ("super_admin", "business_admin", "manager", "agent", "debtor")
STAFF_ROLES = ("super_admin", "business_admin", "manager", "agent")
USER_STATUSES = ("active", "inactive", "suspended")


class User(UUIDPk, Timestamps, SoftDelete, UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_email_verification_token", "email_verification_token", unique=True,
              sqlite_where=text("email_verification_token IS NOT NULL"),
              postgresql_where=text("email_verification_token IS NOT NULL")),
        Index("ix_users_password_reset_token", "password_reset_token", unique=True,
              sqlite_where=text("password_reset_token IS NOT NULL"),
              postgresql_where=text("password_reset_token IS NOT NULL")),
    )

    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(20), index=True)
    permissions: Mapped[list] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    email_verified: Mapped[bool] = mapped_column(default=False)
    email_verification_token: Mapped[str | None] = mapped_column(String(255))
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    # Last TOTP time step accepted: a code is never accepted twice.
    mfa_last_step: Mapped[int | None]
    mfa_recovery_codes: Mapped[list] = mapped_column(JSONType, default=list)
    password_reset_token: Mapped[str | None] = mapped_column(String(255))
    password_reset_expires: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None]
    notification_preferences: Mapped[dict] = mapped_column(JSONType, default=dict)
    last_login_at: Mapped[dt.datetime | None]
    # The inbox (PRD 4.3.4): availability set by the agent and by presence, skills that pick eligible agents
    # (languages such as "es", account tags such as "medical"), and a cap on open conversations (None: the
    # business's default).
    availability: Mapped[str] = mapped_column(String(20), default="offline", server_default="offline")
    availability_changed_at: Mapped[dt.datetime | None]
    # Who set it: "agent" (a choice presence never overrides) or "presence" (connected sockets).
    availability_source: Mapped[str | None] = mapped_column(String(20))
    last_seen_at: Mapped[dt.datetime | None]
    skills: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")
    max_open_conversations: Mapped[int | None]

    business = relationship("Business", lazy="joined")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot hold a session
        return self.status == "active" and self.deleted_at is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(UUIDPk, Base):
    """A browser session, access token or refresh token; revoking the row ends it at once."""

    __tablename__ = "sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(500), unique=True, index=True)  # SHA-256 of the token
    kind: Mapped[str] = mapped_column(String(20), default="web")  # web, access, refresh
    family_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKey(UUIDPk, Base):
    """A business's integration key: only its hash is stored; the prefix identifies it in lists."""

    __tablename__ = "api_keys"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="manager")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
