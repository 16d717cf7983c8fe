"""Links to the debtor portal: each signed token names one row, so a link can expire and be revoked."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, UUIDPk, utcnow


class PortalLink(UUIDPk, BusinessOwned, Base):
    __tablename__ = "portal_links"
    __table_args__ = (Index("ix_portal_links_account_id_created_at", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20), default="account")  # account, payment, validation
    channel: Mapped[str | None] = mapped_column(String(20))  # where it was sent
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    verified_at: Mapped[dt.datetime | None]  # the last passed identity check through this link
