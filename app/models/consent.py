"""Consent, opt-out and do-not-contact records: append-only evidence the gate reads."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, UUIDPk, utcnow
from app.models.types import JSONType

CONSENT_SOURCES = ("web", "keyword", "portal", "oral", "written", "creditor_attested", "import")


class ConsentEvent(UUIDPk, BusinessOwned, Base):
    """A grant or revocation of consent for one channel and address, with its evidence."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_account_id_channel_occurred_at", "account_id", "channel", "occurred_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))  # sms, whatsapp, email, marketing, esign
    address: Mapped[str | None] = mapped_column(String(255))
    granted: Mapped[bool]
    source: Mapped[str] = mapped_column(String(30))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    inbound_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    evidence: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OptOutEvent(UUIDPk, BusinessOwned, Base):
    """A debtor's opt-out (or START opt-in) with the raw text and how it was classified (OPT-10)."""

    __tablename__ = "opt_out_events"
    __table_args__ = (Index("ix_opt_out_events_account_id_effective_at", "account_id", "effective_at"),)

    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(10), default="opt_out")  # opt_out, opt_in
    scope: Mapped[str] = mapped_column(String(20), default="all")  # all channels (D-3) or this channel
    rule_id: Mapped[str | None] = mapped_column(String(20))
    raw_text: Mapped[str | None] = mapped_column(Text)
    normalized_text: Mapped[str | None] = mapped_column(Text)
    classifier_label: Mapped[str | None] = mapped_column(String(50))
    classifier_score: Mapped[float | None]
    inbound_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    confirmation_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime]
    effective_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DoNotContact(UUIDPk, BusinessOwned, Base):
    """An internal do-not-contact entry for a debtor or an address (DNC-1)."""

    __tablename__ = "do_not_contact"
    __table_args__ = (Index("ix_do_not_contact_business_id_kind_value", "business_id", "kind", "value"),)

    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # account, phone, email, whatsapp
    value: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None]
