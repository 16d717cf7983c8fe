"""What the sandbox providers 'sent': the offline outbox that tests and the simulator read."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UUIDPk, utcnow
from app.models.types import JSONType


class SandboxMessage(UUIDPk, Base):
    __tablename__ = "sandbox_messages"
    __table_args__ = (Index("ix_sandbox_messages_business_id_created_at", "business_id", "created_at"),)

    # Null for system mail to people outside any business yet (a sign-up's verification email).
    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="debtor")  # debtor, system
    channel: Mapped[str] = mapped_column(String(20))
    from_address: Mapped[str] = mapped_column(String(255))
    to_address: Mapped[str] = mapped_column(String(255), index=True)
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="sent")
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    meta: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
