"""Deliver one stored outbound message (the service claims the row, so a duplicate job changes nothing)."""
from jobs import app_context


def deliver(message_id: str) -> str:
    from app.extensions import db
    from app.services.channels import delivery
    from app.services.clock import get_clock

    from flask import current_app

    from app.services.channels.outbound import delivery_key

    with app_context():
        current_app.extensions["jobs"].release(delivery_key(message_id))
        return delivery.deliver(db.session, message_id, get_clock().now())
