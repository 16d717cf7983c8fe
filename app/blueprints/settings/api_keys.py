"""API keys for integrations: created with a name and scope, shown once, revocable."""
from flask import g, render_template, request
from sqlalchemy import select

from app.blueprints.settings import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.models import ApiKey
from app.services import audit as audit_service
from app.services.auth import api_keys
from app.services.clock import get_clock
from app.services.errors import DomainError, NotFound

SCOPES = (("manager", "Manager: accounts, conversations, payments"), ("agent", "Agent: assigned work only"),
          ("business_admin", "Admin: everything, including users"))


def _keys():
    return db.session.scalars(select(ApiKey).where(ApiKey.business_id == g.principal.business_id)
                              .order_by(ApiKey.created_at.desc())).all()


def _page(status=200, **extra):
    return render_template("settings/api_keys.html", keys=_keys(), scopes=SCOPES, **extra), status


@bp.get("/api-keys", endpoint="api_keys")
@page_permission("settings.manage")
def api_keys_page():
    return _page()


@bp.post("/api-keys")
@page_permission("settings.manage")
def api_keys_create():
    now = get_clock().now()
    try:
        key, plain = api_keys.create_key(db.session, business_id=g.principal.business_id,
                                         name=request.form.get("name", ""), role=request.form.get("role", ""),
                                         created_by_id=g.principal.user_id, now=now)
    except DomainError as exc:
        db.session.rollback()
        return _page(400, error=exc, name=request.form.get("name", ""))
    audit_service.record(db.session, "api_key_created", principal=g.principal, now=now, resource_type="api_key",
                         resource_id=key.id, description=f"{key.name} ({key.role})", ip=request.remote_addr,
                         user_agent=request.user_agent.string)
    db.session.commit()
    return _page(201, new_key=plain, new_key_name=key.name)


@bp.post("/api-keys/<key_id>/revoke")
@page_permission("settings.manage")
def api_keys_revoke(key_id):
    import uuid

    try:
        key = db.session.get(ApiKey, uuid.UUID(key_id))
    except ValueError:
        key = None
    if key is None or key.business_id != g.principal.business_id:
        raise NotFound("API key not found")
    now = get_clock().now()
    api_keys.revoke(db.session, key, now)
    audit_service.record(db.session, "api_key_revoked", principal=g.principal, now=now, resource_type="api_key",
                         resource_id=key.id, description=key.name, ip=request.remote_addr,
                         user_agent=request.user_agent.string)
    db.session.commit()
    return _page()
