"""Debtor accounts, their notes, documents, and the grid's saved filters."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BusinessOwned, SoftDelete, Timestamps, UUIDPk, utcnow
from app.models.types import JSONType, Money

ACCOUNT_STATUSES = ("active", "in_payment_plan", "payment_failed", "paid_in_full", "disputed", "legal", "closed")
LANGUAGES = ("en", "es")
CONTACT_METHODS = ("sms", "email", "whatsapp")
EMAIL_PROVENANCES = ("consumer_emailed", "consumer_consent", "creditor_notice", "prior_collector", "other")
"""How the address was obtained (Reg F 1006.6(d)(4)); "other" is outside the safe harbor (CONSENT-3)."""
PHONE_TYPES = ("cell", "landline", "work", "unknown")
CEASE_TYPES = ("cease", "refuse_to_pay")


class Account(UUIDPk, BusinessOwned, Timestamps, SoftDelete, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("business_id", "account_number"),
        Index("ix_accounts_business_id_status", "business_id", "status"),
        Index("ix_accounts_business_id_created_at_id", "business_id", "created_at", "id"),
        Index("ix_accounts_tags_gin", "tags", postgresql_using="gin"),
    )

    debtor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    assigned_agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    phone_secondary: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(50))
    zip: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(50), default="US")
    # AES-GCM ciphertext (never searched): date of birth for the portal's identity check.
    date_of_birth_encrypted: Mapped[str | None] = mapped_column(Text)
    # The portal's identity check: wrong answers in a row (any link of this account), and the lock they cause.
    portal_failed_attempts: Mapped[int] = mapped_column(default=0)
    portal_locked_until: Mapped[dt.datetime | None]

    account_number: Mapped[str] = mapped_column(String(100), index=True)
    original_creditor: Mapped[str | None] = mapped_column(String(255))
    current_balance: Mapped[Decimal] = mapped_column(Money)
    original_balance: Mapped[Decimal | None] = mapped_column(Money)
    due_date: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)

    tags: Mapped[list] = mapped_column(JSONType, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict] = mapped_column(JSONType, default=dict)

    # The Stripe customer our card and bank payments for this account are made under (gateway.ensure_customer).
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), index=True)

    preferred_language: Mapped[str] = mapped_column(String(10), default="en")
    preferred_contact_method: Mapped[str | None] = mapped_column(String(20))
    # No default: an absent zone means unknown, and contact rules use every candidate zone.
    timezone: Mapped[str | None] = mapped_column(String(50))
    timezone_source: Mapped[str | None] = mapped_column(String(20))  # stated, staff, api, zip, state, phone
    do_not_contact: Mapped[bool] = mapped_column(default=False)
    do_not_sms: Mapped[bool] = mapped_column(default=False)
    do_not_email: Mapped[bool] = mapped_column(default=False)
    do_not_call: Mapped[bool] = mapped_column(default=False)
    do_not_whatsapp: Mapped[bool] = mapped_column(default=False)

    sms_consent: Mapped[bool] = mapped_column(default=False)
    sms_consent_date: Mapped[dt.datetime | None]
    email_consent: Mapped[bool] = mapped_column(default=False)
    email_consent_date: Mapped[dt.datetime | None]
    whatsapp_consent: Mapped[bool] = mapped_column(default=False)
    whatsapp_consent_date: Mapped[dt.datetime | None]

    # Facts the compliance gate reads (COMPLIANCE.md section 0 and D-12).
    itemization_date: Mapped[dt.date | None]
    itemization_date_type: Mapped[str | None] = mapped_column(String(30))
    itemization_amount: Mapped[Decimal | None] = mapped_column(Money)
    interest_since_itemization: Mapped[Decimal | None] = mapped_column(Money)
    fees_since_itemization: Mapped[Decimal | None] = mapped_column(Money)
    initial_communication_at: Mapped[dt.datetime | None]
    validation_notice_sent_at: Mapped[dt.datetime | None]
    validation_period_end: Mapped[dt.date | None]
    time_barred: Mapped[str] = mapped_column(String(10), default="unknown")  # true, false, unknown
    legal_action_approved: Mapped[bool] = mapped_column(default=False)
    bankruptcy: Mapped[bool] = mapped_column(default=False)
    deceased: Mapped[bool] = mapped_column(default=False)
    cease_received_at: Mapped[dt.datetime | None]
    cease_candidate_at: Mapped[dt.datetime | None]
    attorney_pending: Mapped[bool] = mapped_column(default=False)
    # AES-GCM ciphertext of {name, address, email, phone, knownAt} (app/services/accounts/attorney.py).
    attorney_encrypted: Mapped[str | None] = mapped_column(Text)
    dispute_status: Mapped[str | None] = mapped_column(String(20))  # open, verified, resolved
    disputed_at: Mapped[dt.datetime | None]
    workplace_objection: Mapped[dict | None] = mapped_column(JSONType)
    inconvenient_times: Mapped[list] = mapped_column(JSONType, default=list)
    stated_timezone_at: Mapped[dt.datetime | None]
    # The import batch that created this file: its one audit row names every account of the batch.
    import_batch_id: Mapped[uuid.UUID | None]

    # Per-address facts (CONSENT-3/4, WORK-1, STATE-NY-1, TP-2); consents themselves are ConsentEvent rows.
    email_provenance: Mapped[str | None] = mapped_column(String(30))  # EMAIL_PROVENANCES
    email_is_work: Mapped[bool] = mapped_column(default=False)
    employer_domain: Mapped[str | None] = mapped_column(String(255))
    phone_type: Mapped[str | None] = mapped_column(String(20))  # PHONE_TYPES; absent = unknown
    phone_secondary_type: Mapped[str | None] = mapped_column(String(20))
    phone_rnd_checked_at: Mapped[dt.datetime | None]  # reassigned-numbers check said "not reassigned"
    phone_secondary_rnd_checked_at: Mapped[dt.datetime | None]
    # Addresses (normalized) after a wrong-party signal, and addresses the debtor proved in the portal.
    unverified_addresses: Mapped[list | None] = mapped_column(JSONType, default=list)
    authenticated_addresses: Mapped[list | None] = mapped_column(JSONType, default=list)

    # ACCT-2: the estate's authorized person (phone or email) when the debtor is deceased.
    representative_address: Mapped[str | None] = mapped_column(String(255))
    current_creditor: Mapped[str | None] = mapped_column(String(255))
    authorized_fees: Mapped[list | None] = mapped_column(JSONType, default=list)  # amounts as "12.50" (CONTENT-7)
    past_credit_reporting_period: Mapped[bool] = mapped_column(default=False)  # TBD-2 (CA)

    # CEASE-1/5: what the notice was and whether it names only this debt.
    cease_type: Mapped[str | None] = mapped_column(String(20))  # cease, refuse_to_pay
    cease_channel: Mapped[str | None] = mapped_column(String(20))
    cease_written: Mapped[bool] = mapped_column(default=True)
    cease_all_debts: Mapped[bool] = mapped_column(default=True)
    # ATTY-1/3: the details stay in attorney_encrypted; these dates drive the exceptions.
    attorney_pending_at: Mapped[dt.datetime | None]
    attorney_consented_direct_at: Mapped[dt.datetime | None]
    attorney_contacted_at: Mapped[dt.datetime | None]  # our last message to the attorney
    attorney_responded_at: Mapped[dt.datetime | None]

    # VALID-1..7 tracking, written by the message pipeline.
    initial_had_validation: Mapped[bool] = mapped_column(default=False)
    validation_method: Mapped[str | None] = mapped_column(String(20))  # email, mail, portal, sms_summary
    spanish_offer_included: Mapped[bool] = mapped_column(default=False)
    spanish_notice_requested_at: Mapped[dt.datetime | None]

    # Consents that are not per address (creditor-supplied dates; the debtor's own are ConsentEvent rows).
    esign_consent_at: Mapped[dt.datetime | None]
    marketing_consent_at: Mapped[dt.datetime | None]
    nyc: Mapped[bool | None]  # absent = derived from the ZIP's county
    nyc_consent_at: Mapped[dt.datetime | None]

    # PRIV-1/2.
    ccpa_deleted_at: Mapped[dt.datetime | None]
    ccpa_denied_reason: Mapped[str | None] = mapped_column(Text)
    gdpr_scope: Mapped[bool] = mapped_column(default=False)
    marketing_objection_at: Mapped[dt.datetime | None]

    assigned_agent = relationship("User", foreign_keys=[assigned_agent_id])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Account {self.account_number}>"


class AccountNote(UUIDPk, BusinessOwned, Base):
    """Internal notes on an account file: staff only, never sent."""

    __tablename__ = "account_notes"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Document(UUIDPk, BusinessOwned, Timestamps, SoftDelete, Base):
    __tablename__ = "documents"

    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(50))
    file_size: Mapped[int]
    mime_type: Mapped[str | None] = mapped_column(String(100))
    storage_path: Mapped[str] = mapped_column(String(500))
    storage_url: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    document_type: Mapped[str | None] = mapped_column(String(50), index=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list] = mapped_column(JSONType, default=list)


class SavedFilter(UUIDPk, BusinessOwned, Timestamps, Base):
    """A named account-grid query, private to its owner or shared with the business."""

    __tablename__ = "saved_filters"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict] = mapped_column(JSONType, default=dict)
    shared: Mapped[bool] = mapped_column(default=False)
