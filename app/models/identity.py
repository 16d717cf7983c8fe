"""One-time tokens for identity flows, and the per-debtor keys that protect PII inside audit rows."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UUIDPk, utcnow
from app.models.types import JSONType

TOKEN_PURPOSES = ("signup", "verify_email", "invite", "reset_password", "change_email")


class UserToken(UUIDPk, Base):
    """A single-use link token (only its hash is stored); signup tokens exist before their user does."""

    __tablename__ = "user_tokens"

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DebtorKey(Base):
    """A debtor's data key, wrapped with the master key; destroying it erases their PII in audit rows."""

    __tablename__ = "debtor_keys"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
    wrapped_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[dt.datetime | None]
