"""Charge one claimed plan installment (the service finds the claim and its Payment row, so a duplicate job never
charges twice)."""
from jobs import app_context


def charge_installment(installment_id: str) -> str:
    from flask import current_app

    from app.extensions import db
    from app.services.clock import get_clock
    from app.services.payments import installments

    with app_context():
        current_app.extensions["jobs"].release(installments.job_key(installment_id))
        return installments.charge(db.session, installment_id, now=get_clock().now())
