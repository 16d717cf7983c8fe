"""Deliver one outbound webhook (the service claims the row, so a duplicate job does nothing)."""
from jobs import app_context


def deliver(delivery_id: str) -> str:
    from app.extensions import db
    from app.services import webhooks
    from app.services.clock import get_clock

    with app_context():
        return webhooks.deliver(db.session, delivery_id, get_clock().now())
