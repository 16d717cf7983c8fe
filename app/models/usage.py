"""Messages billed per business per billing period (the PRD bills sent and received messages)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, UUIDPk


class UsageCounter(UUIDPk, BusinessOwned, Base):
    __tablename__ = "usage_counters"
    __table_args__ = (UniqueConstraint("business_id", "period_start"),)

    period_start: Mapped[dt.date]
    sent: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)
