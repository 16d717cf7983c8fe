"""Store and route the inbound texts webhooks kept for the worker (each claimed, so a second worker skips it)."""
from jobs import app_context


def drain() -> int:
    from flask import current_app

    from app.extensions import db
    from app.services.channels import inbound
    from app.services.clock import get_clock

    with app_context():
        current_app.extensions["jobs"].release(inbound.DRAIN_KEY)  # texts arriving from now on wake another drain
        return inbound.drain(db.session, lambda: get_clock().now())
