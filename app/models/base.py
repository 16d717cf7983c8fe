"""Declarative base and the mixins every table shares."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

from app.models.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Default for timestamp columns (the row's own bookkeeping, not business time)."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING),
                        type_annotation_map={dt.datetime: UTCDateTime(), uuid.UUID: Uuid()})


class UUIDPk:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SoftDelete:
    """Rows are hidden, not removed; tenancy.scoped() filters them out."""

    deleted_at: Mapped[dt.datetime | None]


class BusinessOwned:
    """A row that belongs to one business: every query goes through tenancy.scoped()."""

    @declared_attr
    def business_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), index=True)
