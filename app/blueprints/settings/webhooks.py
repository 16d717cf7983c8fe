"""Webhook endpoints (settings.manage): add a URL and its events, see the secret once, disable, delivery log."""
from flask import g, render_template, request

from app.blueprints.settings import bp
from app.blueprints.access import page_permission
from app.extensions import db
from app.services import audit, webhooks
from app.services.clock import get_clock
from app.services.errors import DomainError


def _page(status=200, **extra):
    return render_template("settings/webhooks.html", endpoints=webhooks.endpoints(db.session, g.principal.business_id),
                           deliveries=webhooks.deliveries(db.session, g.principal.business_id),
                           events=webhooks.EVENTS, **extra), status


@bp.get("/webhooks", endpoint="webhooks")
@page_permission("settings.manage")
def webhooks_page():
    return _page()


@bp.post("/webhooks")
@page_permission("settings.manage")
def webhooks_create():
    now = get_clock().now()
    try:
        endpoint, secret = webhooks.create_endpoint(db.session, g.principal, request.form.get("url", ""),
                                                    request.form.getlist("events"),
                                                    request.form.get("description") or None, now)
    except DomainError as exc:
        db.session.rollback()
        return _page(400, error=exc, url=request.form.get("url", ""))
    audit.record(db.session, "webhook_endpoint_created", principal=g.principal, now=now, resource_type="webhook",
                 resource_id=endpoint.id, description=endpoint.url, ip=request.remote_addr,
                 user_agent=request.user_agent.string)
    db.session.commit()
    return _page(201, new_secret=secret, new_url=endpoint.url)


@bp.post("/webhooks/<endpoint_id>/toggle")
@page_permission("settings.manage")
def webhooks_toggle(endpoint_id):
    now = get_clock().now()
    endpoint = webhooks.get_endpoint(db.session, g.principal.business_id, endpoint_id)
    endpoint.active = not endpoint.active
    endpoint.disabled_at = None if endpoint.active else now
    audit.record(db.session, "webhook_endpoint_" + ("enabled" if endpoint.active else "disabled"),
                 principal=g.principal, now=now, resource_type="webhook", resource_id=endpoint.id,
                 description=endpoint.url, ip=request.remote_addr, user_agent=request.user_agent.string)
    db.session.commit()
    return _page()
