"""A CSV import of debtor accounts too large to answer in one request: the file, its mapping and its progress."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BusinessOwned, UUIDPk, utcnow
from app.models.types import JSONType

IMPORT_STATUSES = ("pending", "running", "completed", "failed")
DUPLICATE_CHOICES = ("skip", "update")
# Row errors kept on the import; `failed` still counts every failed row beyond this.
MAX_STORED_ERRORS = 10_000


class AccountImport(UUIDPk, BusinessOwned, Base):
    """One uploaded file. Rows are processed in committed batches, so `processed_rows` is where a re-run resumes.

    `mapping` is {column index (as text): API field name}; `errors` is [{row, column, error}] with `row` counted
    as a spreadsheet row (the header is row 1), at most MAX_STORED_ERRORS of them."""

    __tablename__ = "account_imports"
    __table_args__ = (Index("ix_account_imports_business_id_created_at", "business_id", "created_at"),)

    filename: Mapped[str] = mapped_column(String(255))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_api_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    # The role the import runs with when no user is behind it (an API key).
    created_by_role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    on_duplicate: Mapped[str] = mapped_column(String(10), default="skip")
    mapping: Mapped[dict] = mapped_column(JSONType, default=dict)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    # Deferred: progress polls read the counters every second and must not load the error list or the file.
    errors: Mapped[list] = mapped_column(JSONType, default=list, deferred=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    # The uploaded file, decoded (up to 100 MB); read only by the preview and the job.
    source_text: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")

    @property
    def column_mapping(self) -> dict[int, str]:
        """The mapping with integer column indexes, as the importer takes it."""
        return {int(index): target for index, target in (self.mapping or {}).items()}
