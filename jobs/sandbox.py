"""The sandbox providers' status callbacks, played through the real webhook routes after a sandbox send."""
from jobs import app_context


def status_callbacks(channel: str, message_id: str, external_id: str, business_id: str | None = None) -> list[int]:
    """`business_id` rides along so a queued job shows whose message it is (RQ dashboards, failed-job lists)."""
    from app.extensions import db
    from app.services.channels import simulator

    with app_context() as app:
        return simulator.post_status_callbacks(app, db.session, channel=channel, message_id=message_id,
                                               external_id=external_id)
