"""Every business-owned query is scoped to the caller's business and hides soft-deleted rows."""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, TypeVar

from sqlalchemy import Select, select

from app.services.errors import NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user or an API key, acting for one business."""

    business_id: uuid.UUID | None
    role: str
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    email: str | None = None

    @property
    def is_super_admin(self) -> bool:
        return self.role == "super_admin"


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)


def current_principal() -> Principal | None:
    return _current.get()


def set_principal(principal: Principal | None) -> contextvars.Token:
    return _current.set(principal)


def reset_principal(token: contextvars.Token) -> None:
    _current.reset(token)


@contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Run a block (a job, a CLI command, a test) as the given principal."""
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)


def _business_id(principal: Principal | None) -> uuid.UUID:
    principal = principal or current_principal()
    if principal is None or principal.business_id is None:
        # No principal means no rows: a missing scope must never widen into "everything".
        raise PermissionError("no business in scope")
    return principal.business_id


def scoped(model: type[T], principal: Principal | None = None, *, include_deleted: bool = False) -> Select:
    """SELECT model rows of the principal's business (soft-deleted rows hidden)."""
    stmt = select(model).where(model.business_id == _business_id(principal))
    if not include_deleted and hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    return stmt


def get_scoped(session, model: type[T], object_id, principal: Principal | None = None) -> T:
    """One row by id within the principal's business, else NotFound (another tenant's id is 404, never the row)."""
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"{model.__name__} not found") from None
    row = session.scalars(scoped(model, principal).where(model.id == key)).first()
    if row is None:
        raise NotFound(f"{model.__name__} not found")
    return row
