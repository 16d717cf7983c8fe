"""Store and route one inbound text the webhook kept for the worker (idempotent: a processed event is skipped)."""
import uuid

from jobs import app_context


def process(event_id: str) -> str:
    from flask import current_app

    from app.extensions import db
    from app.services.channels import inbound
    from app.services.clock import get_clock

    with app_context():
        current_app.extensions["jobs"].release(f"inbound:{event_id}")
        result = inbound.process_event(db.session, uuid.UUID(event_id), get_clock().now())
        return "skipped" if result is None else ("duplicate" if result.duplicate else "received")
