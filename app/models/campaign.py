"""Outbound campaigns (targeting, schedule and counters)."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, Timestamps, UUIDPk
from app.models.types import JSONType, Money

CAMPAIGN_STATUSES = ("draft", "scheduled", "running", "completed", "paused", "canceled")


class Campaign(UUIDPk, BusinessOwned, Timestamps, Base):
    __tablename__ = "campaigns"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    target_filter: Mapped[dict | None] = mapped_column(JSONType)
    target_account_ids: Mapped[list | None] = mapped_column(JSONType)
    channel: Mapped[str] = mapped_column(String(20))
    message_template: Mapped[str] = mapped_column(Text)
    subject_template: Mapped[str | None] = mapped_column(String(255))
    schedule_type: Mapped[str] = mapped_column(String(20))
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    timezone: Mapped[str | None] = mapped_column(String(50))
    recurrence_rule: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    target_count: Mapped[int] = mapped_column(default=0)
    sent_count: Mapped[int] = mapped_column(default=0)
    delivered_count: Mapped[int] = mapped_column(default=0)
    response_count: Mapped[int] = mapped_column(default=0)
    payment_count: Mapped[int] = mapped_column(default=0)
    payment_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
