"""Collection agencies and AR departments: the tenants."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, SoftDelete, Timestamps, UUIDPk
from app.models.types import JSONType

BUSINESS_STATUSES = ("active", "suspended")
SUBSCRIPTION_TIERS = ("free", "basic", "premium")


class Business(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "businesses"

    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")

    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True, index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    subscription_tier: Mapped[str] = mapped_column(String(20), default="free")
    subscription_status: Mapped[str] = mapped_column(String(20), default="active")

    message_quota: Mapped[int] = mapped_column(default=0)
    messages_used_this_month: Mapped[int] = mapped_column(default=0)
    billing_period_start: Mapped[dt.date | None]
    billing_period_end: Mapped[dt.date | None]

    # Sender addresses on each channel: real numbers when configured, sandbox ones otherwise.
    sms_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    whatsapp_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    sender_email: Mapped[str | None] = mapped_column(String(255), unique=True)

    # Next number for auto-generated account numbers (ACC-000001, ...), per business.
    account_number_seq: Mapped[int] = mapped_column(default=0)
    # The last receipt number given to a payment of this business (receipts.next_number).
    receipt_number_seq: Mapped[int] = mapped_column(default=0)

    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Round robin's place: the agent who got the last auto-assigned conversation (no foreign key: users already
    # refer to businesses, and a removed agent simply restarts the round).
    last_assigned_agent_id: Mapped[uuid.UUID | None]

    def __repr__(self) -> str:
        return f"<Business {self.id} {self.name!r}>"
