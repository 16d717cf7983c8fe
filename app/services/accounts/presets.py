"""Saved grid filters: private to their owner, or shared with the business."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_, select

from app.models import SavedFilter
from app.services.errors import Forbidden, NotFound, ValidationError
from app.services.tenancy import Principal

ALLOWED_KEYS = {"search", "status", "tags", "balanceMin", "balanceMax", "dueFrom", "dueTo", "createdFrom", "createdTo",
                "state", "language", "hasActivePlan", "optedOut", "assignedTo", "sortBy", "sortOrder"}


def visible(db_session, principal: Principal):
    return db_session.scalars(select(SavedFilter).where(
        SavedFilter.business_id == principal.business_id,
        or_(SavedFilter.user_id == principal.user_id, SavedFilter.shared.is_(True))).order_by(SavedFilter.name)).all()


def save(db_session, principal: Principal, name: str, query: dict, shared: bool, now: dt.datetime) -> SavedFilter:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("Name the view (up to 100 characters).", field="name")
    kept = {k: v for k, v in query.items() if k in ALLOWED_KEYS and v}
    preset = SavedFilter(business_id=principal.business_id, user_id=principal.user_id, name=name, query=kept,
                         shared=bool(shared) and principal.role in ("business_admin", "manager"),
                         created_at=now, updated_at=now)
    db_session.add(preset)
    return preset


def delete(db_session, principal: Principal, preset_id) -> None:
    try:
        preset = db_session.get(SavedFilter, uuid.UUID(str(preset_id)))
    except ValueError:
        preset = None
    if preset is None or preset.business_id != principal.business_id:
        raise NotFound("Saved view not found")
    if preset.user_id != principal.user_id and principal.role not in ("business_admin", "manager"):
        raise Forbidden("Only its owner or a manager may delete a shared view.")
    db_session.delete(preset)
