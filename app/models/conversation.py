"""Conversations with debtors and the messages in them (the outbox is the messages table)."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BusinessOwned, Timestamps, UUIDPk
from app.models.types import JSONType

CHANNELS = ("sms", "whatsapp", "email", "web_chat")
CONVERSATION_STATUSES = ("active", "escalated", "resolved", "closed")
OPEN_STATUSES = ("active", "escalated")
RESOLUTION_TYPES = ("paid", "payment_plan", "dispute", "cease", "wrong_number", "other")
SENDER_TYPES = ("agent", "debtor", "ai", "system")
MESSAGE_KINDS = ("agent", "ai", "campaign", "transactional", "system", "note", "inbound")
# A status never moves backwards: the rank orders them.
DELIVERY_STATUS_RANK = {"blocked": 0, "scheduled": 1, "queued": 2, "sending": 3, "sent": 4,
                        "failed": 5, "delivered": 5, "read": 6, "received": 6}


class Conversation(UUIDPk, BusinessOwned, Timestamps, Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_business_id_status_last_message_at", "business_id", "status", "last_message_at"),
        # One open conversation per account and channel: two webhooks racing for a new debtor cannot make two.
        Index("uq_conversations_account_id_channel_open", "account_id", "channel", unique=True,
              sqlite_where=text("status IN ('active', 'escalated')"),
              postgresql_where=text("status IN ('active', 'escalated')")),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                               index=True)
    assigned_at: Mapped[dt.datetime | None]
    channel: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    resolution_type: Mapped[str | None] = mapped_column(String(50))
    subject: Mapped[str | None] = mapped_column(String(255))
    # The debtor's address on this channel and ours (phone numbers in E.164, emails lower-case).
    debtor_address: Mapped[str | None] = mapped_column(String(255), index=True)
    business_address: Mapped[str | None] = mapped_column(String(255))
    last_message_at: Mapped[dt.datetime | None]
    last_message_from: Mapped[str | None] = mapped_column(String(20))
    last_inbound_at: Mapped[dt.datetime | None]
    unread_count: Mapped[int] = mapped_column(default=0)
    snoozed_until: Mapped[dt.datetime | None]
    ai_handled: Mapped[bool] = mapped_column(default=False)
    ai_confidence_avg: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    sentiment: Mapped[str | None] = mapped_column(String(20))
    closed_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None]

    account = relationship("Account")
    assigned_agent = relationship("User", foreign_keys=[assigned_agent_id])
    messages = relationship("Message", back_populates="conversation", order_by="Message.created_at",
                            lazy="dynamic")


class Message(UUIDPk, BusinessOwned, Timestamps, Base):
    """One message in or out; an outbound row is written before any provider call (transactional outbox)."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_provider_external_id", "provider", "external_id", unique=True,
              sqlite_where=text("external_id IS NOT NULL"), postgresql_where=text("external_id IS NOT NULL")),
        Index("ix_messages_account_id_direction_created_at", "account_id", "direction", "created_at"),
        Index("ix_messages_delivery_status_next_attempt_at", "delivery_status", "next_attempt_at"),
    )

    # Null only for the one reply to an unknown sender, which belongs to no debtor's conversation.
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                              index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    sender_type: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="agent")
    purpose: Mapped[str] = mapped_column(String(30), default="collection")
    channel: Mapped[str] = mapped_column(String(20))
    from_address: Mapped[str | None] = mapped_column(String(255))
    to_address: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(20), default="text")
    attachment_url: Mapped[str | None] = mapped_column(String(500))
    attachment_filename: Mapped[str | None] = mapped_column(String(255))
    attachment_size: Mapped[int | None]
    direction: Mapped[str] = mapped_column(String(10))  # inbound, outbound
    in_reply_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    delivery_status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    scheduled_for: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    first_attempt_at: Mapped[dt.datetime | None]  # retries stop 24 h after this
    claimed_at: Mapped[dt.datetime | None]  # when a worker moved it to `sending`
    # Set when a row left in `sending` could not be matched at the provider: a person decides, nothing resends it.
    review_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    read_at: Mapped[dt.datetime | None]
    failed_reason: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(20))  # twilio, sendgrid, smtp, sandbox, web
    external_id: Mapped[str | None] = mapped_column(String(255))
    twilio_sid: Mapped[str | None] = mapped_column(String(100))
    sendgrid_id: Mapped[str | None] = mapped_column(String(100))
    ai_generated: Mapped[bool] = mapped_column(default=False)
    ai_confidence: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    ai_model: Mapped[str | None] = mapped_column(String(50))
    compliance_checked: Mapped[bool] = mapped_column(default=False)
    compliance_passed: Mapped[bool] = mapped_column(default=True)
    compliance_issues: Mapped[list] = mapped_column(JSONType, default=list)
    compliance_record: Mapped[dict | None] = mapped_column(JSONType)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"),
                                                          index=True)

    conversation = relationship("Conversation", back_populates="messages")


class UnmatchedInbound(UUIDPk, BusinessOwned, Base):
    """A message from an address on no account of the business (the "unknown senders" list).

    The sender gets one reply naming the business and nothing about a debt; staff may link it to an account."""

    __tablename__ = "unmatched_inbound"
    __table_args__ = (
        Index("ix_unmatched_inbound_provider_external_id", "provider", "external_id", unique=True),
        Index("ix_unmatched_inbound_business_id_received_at", "business_id", "received_at"),
    )

    channel: Mapped[str] = mapped_column(String(20))
    from_address: Mapped[str] = mapped_column(String(255), index=True)
    to_address: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    reply_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
