"""Managing a business's users: list, change role, deactivate (sessions end at once), reactivate."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from app.models import User
from app.services import audit as audit_service
from app.services.auth import web_sessions
from app.services.auth.permissions import may_manage_role
from app.services.errors import Forbidden, ValidationError
from app.services.tenancy import Principal, get_scoped

BUSINESS_ROLES = ("business_admin", "manager", "agent")
STATUSES = ("active", "inactive")


def list_users(db_session, principal: Principal, *, search: str | None, role: str | None, page: int, limit: int):
    stmt = select(User).where(User.business_id == principal.business_id, User.deleted_at.is_(None),
                              User.role != "debtor")
    if role:
        stmt = stmt.where(User.role == role)
    if search:
        like = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(User.email).like(like), func.lower(User.first_name).like(like),
                              func.lower(User.last_name).like(like)))
    total = db_session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db_session.scalars(stmt.order_by(User.created_at, User.id).offset((page - 1) * limit).limit(limit)).all()
    return rows, total


def get_user(db_session, principal: Principal, user_id) -> User:
    return get_scoped(db_session, User, user_id, principal)


def update_user(db_session, principal: Principal, target: User, *, role: str | None = None,
                status: str | None = None, first_name: str | None = None, last_name: str | None = None,
                now: dt.datetime, ip: str | None = None, user_agent: str | None = None) -> User:
    """Apply a role or status change within what the caller's role allows; audit before/after."""
    if not may_manage_role(principal.role, target.role):
        raise Forbidden("Your role may not change this user.")
    if role is not None and role not in BUSINESS_ROLES:
        raise ValidationError("Role must be business_admin, manager or agent.", field="role", code="INVALID_ROLE")
    if role is not None and not may_manage_role(principal.role, role):
        raise Forbidden("Your role may not give this role.")
    if status is not None and status not in STATUSES:
        raise ValidationError("Status must be active or inactive.", field="status")
    if target.id == principal.user_id and (status == "inactive" or (role and role != target.role)):
        raise ValidationError("You cannot deactivate yourself or change your own role.", field="status")
    if target.role == "business_admin" and (status == "inactive" or (role and role != "business_admin")):
        others = db_session.scalar(select(func.count()).select_from(User).where(
            User.business_id == target.business_id, User.role == "business_admin", User.status == "active",
            User.id != target.id, User.deleted_at.is_(None)))
        if not others:
            raise ValidationError("A business needs at least one active admin.", field="role")
    changes = {}
    for field, value in (("role", role), ("status", status), ("first_name", first_name), ("last_name", last_name)):
        if value is not None and getattr(target, field) != value:
            if field == "status" and target.status == "invited" and value == "active":
                raise ValidationError("An invited user becomes active by accepting the invitation.", field="status")
            changes[field] = [getattr(target, field), value]
            setattr(target, field, value)
    if "status" in changes and status == "inactive":
        from app.services import assignment

        web_sessions.revoke_all(db_session, target.id, now)
        target.availability, target.availability_source = "offline", "presence"
        assignment.release_from(db_session, target, now=now)  # their open conversations go on or back to the queue
    if changes:
        action = "role_changed" if "role" in changes else ("user_deactivated" if status == "inactive" else
                                                           "user_reactivated" if "status" in changes else "user_updated")
        audit_service.record(db_session, action, principal=principal, now=now, resource_type="user",
                             resource_id=target.id, changes=changes, ip=ip, user_agent=user_agent)
    return target
