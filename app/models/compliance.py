"""The compliance gate's own records: every decision it made, the disputes it holds debts for, platform defaults."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, UUIDPk, utcnow
from app.models.types import JSONType, Money

DISPUTE_KINDS = ("dispute", "original_creditor")


class ComplianceDecision(UUIDPk, BusinessOwned, Base):
    """One gate decision, append-only (PRIV-3 keeps them 3 years): written only by compliance.store.evaluate."""

    __tablename__ = "compliance_decisions"
    __table_args__ = (
        Index("ix_compliance_decisions_business_id_evaluated_at", "business_id", "evaluated_at"),
        Index("ix_compliance_decisions_business_id_outcome_evaluated_at", "business_id", "outcome", "evaluated_at"),
        Index("ix_compliance_decisions_account_id_evaluated_at", "account_id", "evaluated_at"),
    )

    # SET NULL, not CASCADE: the record of what the gate decided outlives the account and the message.
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(20), default="debtor")
    to_address: Mapped[str | None] = mapped_column(String(255))
    consumer_request_id: Mapped[str | None] = mapped_column(String(100))  # CEASE-3: the request a receipt answers
    outcome: Mapped[str] = mapped_column(String(20))  # allow, defer, require_content, block
    rules: Mapped[list] = mapped_column(JSONType, default=list)  # ids with a block/defer/require_content/warn verdict
    record: Mapped[dict] = mapped_column(JSONType, default=dict)  # gate.record(attempt, decision)
    evaluated_at: Mapped[dt.datetime]
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DebtDispute(UUIDPk, BusinessOwned, Base):
    """A dispute of the debt (or part of it), or a request for the original creditor (DISPUTE-1/2/4)."""

    __tablename__ = "debt_disputes"
    __table_args__ = (Index("ix_debt_disputes_account_id_received_at", "account_id", "received_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="dispute")  # DISPUTE_KINDS
    received_at: Mapped[dt.datetime]
    written: Mapped[bool] = mapped_column(default=True)  # letters, email and typed text count as writing
    channel: Mapped[str | None] = mapped_column(String(20))  # mail, email, sms, whatsapp, web_chat, voice, portal
    within_vp: Mapped[bool] = mapped_column(default=True)  # received inside the validation period
    portion: Mapped[Decimal | None] = mapped_column(Money)  # None = the whole debt
    answered_at: Mapped[dt.datetime | None]  # verification, judgment copy, or creditor name and address sent
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlatformSetting(Base):
    """Defaults that hold for every business and only a super admin changes (e.g. FREQ-5 on or off, D-1)."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
