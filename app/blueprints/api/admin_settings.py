"""PRD 7.8 settings: GET/PATCH /api/v1/admin/settings (the business's profile, sender addresses, usage, compliance)."""
from __future__ import annotations

from flask import g

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body
from app.blueprints.api.envelope import ok
from app.blueprints.api.openapi import document
from app.extensions import db
from app.services import business_settings
from app.services.clock import get_clock


@bp.get("/admin/settings")
@api_auth(action="settings.manage")
def get_settings():
    return ok(business_settings.view(db.session, g.principal.business_id, get_clock().now()))


@bp.patch("/admin/settings")
@api_auth(action="settings.manage")
def update_settings():
    now = get_clock().now()
    business_settings.update(db.session, g.principal, json_body(), now)
    db.session.commit()
    return ok(business_settings.view(db.session, g.principal.business_id, now))


_T = ["Admin"]
document("/admin/settings", "get", "The business's profile, sender addresses (messaging), usage this billing period "
         "and compliance settings", tags=_T)
document("/admin/settings", "patch", "Change name, phone, address, website and compliance settings", tags=_T,
         request_body={"type": "object", "properties": {
             "name": {"type": "string"}, "phone": {"type": "string"}, "address": {"type": "string"},
             "website": {"type": "string"}, "compliance": {"type": "object"}}})
