"""PRD 7.8 users: GET/POST /api/v1/admin/users, PATCH /api/v1/admin/users/:id."""
from __future__ import annotations

from flask import current_app, g, request

from app.blueprints.api import bp
from app.blueprints.api.access import api_auth
from app.blueprints.api.body import json_body, optional_str, required_str
from app.blueprints.api.envelope import ok, page_meta
from app.blueprints.api.openapi import document
from app.blueprints.api.params import pagination
from app.blueprints.api.serializers import user_json
from app.extensions import db
from app.models import User
from app.services.auth import account_flows, team
from app.services.clock import get_clock
from app.services.errors import Forbidden


def _acting_user() -> User:
    user = g.get("api_user")
    if user is None:
        raise Forbidden("Users are managed by a person, not an API key.")
    return user


@bp.get("/admin/users")
@api_auth(action="users.manage")
def list_users():
    page, limit = pagination()
    rows, total = team.list_users(db.session, g.principal, search=request.args.get("search"),
                                  role=request.args.get("role"), page=page, limit=limit)
    return ok([user_json(u) for u in rows], meta=page_meta(page, limit, total))


@bp.post("/admin/users")
@api_auth(action="users.manage")
def create_user():
    """Invite a user: they receive a link to set their password and enrol MFA."""
    body = json_body()
    user = account_flows.invite(db.session, inviter=_acting_user(), email=required_str(body, "email"),
                                role=required_str(body, "role"), first_name=optional_str(body, "firstName"),
                                last_name=optional_str(body, "lastName"), now=get_clock().now(),
                                public_url=current_app.config["PUBLIC_URL"])
    db.session.commit()
    return ok(user_json(user), status=201)


@bp.get("/admin/users/<user_id>")
@api_auth(action="users.manage")
def get_user(user_id):
    return ok(user_json(team.get_user(db.session, g.principal, user_id)))


@bp.patch("/admin/users/<user_id>")
@api_auth(action="users.manage")
def update_user(user_id):
    """Change role or status (inactive ends every session at once), or names."""
    body = json_body()
    target = team.get_user(db.session, g.principal, user_id)
    team.update_user(db.session, g.principal, target, role=optional_str(body, "role"),
                     status=optional_str(body, "status"), first_name=optional_str(body, "firstName"),
                     last_name=optional_str(body, "lastName"), now=get_clock().now(), ip=request.remote_addr,
                     user_agent=request.user_agent.string)
    db.session.commit()
    return ok(user_json(target))


_T = ["admin"]
document("/admin/users", "get", "Users of the caller's business", tags=_T)
document("/admin/users", "post", "Invite a user (business_admin, manager or agent)", tags=_T,
         request_body={"type": "object", "required": ["email", "role"], "properties": {
             "email": {"type": "string"}, "role": {"enum": ["business_admin", "manager", "agent"]},
             "firstName": {"type": "string"}, "lastName": {"type": "string"}}})
document("/admin/users/{id}", "get", "One user", tags=_T)
document("/admin/users/{id}", "patch", "Change role, status (active/inactive) or name", tags=_T)
