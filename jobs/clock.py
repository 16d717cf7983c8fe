"""The clock: every few seconds, find due work in the database and do or enqueue it idempotently."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, or_

from app.extensions import db
from app.models import IdempotencyKey, UserSession
from app.services.clock import get_clock

log = logging.getLogger(__name__)


def purge_expired(now) -> int:
    """Drop idempotency keys past 24 h and sessions long expired or revoked (kept 30 days for audit)."""
    removed = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now)).rowcount or 0
    horizon = now - dt.timedelta(days=30)
    removed += db.session.execute(delete(UserSession).where(or_(
        UserSession.expires_at <= horizon, UserSession.revoked_at <= horizon))).rowcount or 0
    db.session.commit()
    return removed


def enqueue_due_webhooks(now) -> int:
    """Pending webhook deliveries whose retry time has come go back on the queue."""
    from flask import current_app

    from app.services import webhooks

    webhooks.release_stuck(db.session, now)
    db.session.commit()
    ids = webhooks.due(db.session, now)
    jobs = current_app.extensions["jobs"]
    for delivery_id in ids:
        jobs.enqueue_now("default", "jobs.webhooks.deliver", str(delivery_id), job_id=f"webhook-{delivery_id}-{int(now.timestamp()) // 60}")
    return len(ids)


def release_due_messages(now) -> int:
    """Deferred messages whose time came, retries whose backoff ran out and queued rows that lost their job go to the
    deliver job (it claims each row, so a message enqueued twice is still sent once)."""
    from flask import current_app

    from app.services.channels import delivery

    ids = delivery.due(db.session, now)
    db.session.commit()
    from app.services.channels.outbound import delivery_key

    jobs = current_app.extensions["jobs"]
    return sum(jobs.enqueue_once("messages", "jobs.messages.deliver", str(message_id), key=delivery_key(message_id))
               for message_id in ids)


def reconcile_sending(now) -> dict:
    """Rows a stopped worker left in `sending`: matched at the provider, requeued, or marked for review."""
    from app.services.channels import delivery

    return delivery.reconcile(db.session, now)


def deliver_validation_notices(now) -> int:
    """D-4: a first contact that carried only the summary is followed by the full notice in a keepable form (an
    emailed PDF where the gate allows, else a letter staff are asked to mail), within the 5 days VALID-7 counts."""
    from app.models import Account
    from app.services.portal import notice

    done = 0
    for account_id in notice.notices_due(db.session, now):
        account = db.session.get(Account, account_id)
        try:
            notice.deliver_validation_notice(db.session, account, now=now)
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            log.exception("validation notice failed", extra={"account_id": str(account_id)})
    return done


def release_waiting_inbound(now) -> int:
    """Texts a webhook kept for the worker and nobody took (a stopped worker, a lost job) wake a drain."""
    from flask import current_app

    from app.services.channels import inbound

    inbound.release_stuck(db.session, now)
    db.session.commit()
    if not inbound.waiting_events(db.session, now, limit=1):
        return 0
    return int(current_app.extensions["jobs"].enqueue_once("messages", "jobs.inbound.drain", key=inbound.DRAIN_KEY))


def sweep_presence(now) -> int:
    """Agents whose last socket closed more than the grace period ago go offline (and hand their work on)."""
    from flask import current_app

    from app.services import assignment

    gone = assignment.sweep_presence(db.session, current_app.extensions["jobs"].connection, now)
    db.session.commit()
    return gone


def send_notification_digests(now) -> int:
    """Offline agents get one email with what happened while they were away (their profile decides what)."""
    from app.services import notifications

    return notifications.send_digests(db.session, now)


def reconcile_stale_payments(now) -> int:
    """Card and bank payments a lost request left pending are finished from Stripe's state (never charged twice)."""
    from app.services.payments import one_time

    return one_time.reconcile_stale(db.session, now=now)


def resume_paused_plans(now) -> int:
    """Plans whose hardship pause ends today in the debtor's zone are active again (before the charges below, so a
    payment due on the resume day is taken that day)."""
    from app.services.payments import plan_records

    return plan_records.resume_due(db.session, now)


def charge_due_installments(now) -> int:
    """Plan installments due today in the debtor's zone (or due for a retry) are claimed, batch after batch until
    none is left, and each claimed one that has no job waiting gets one on the payments queue (the job finds the
    claim and its Payment row, so an installment enqueued twice is charged once)."""
    from flask import current_app

    from app.services.payments import installments

    jobs = current_app.extensions["jobs"]
    enqueued = 0
    while True:
        claimed = installments.claim_due(db.session, now)
        enqueued += _enqueue_charges(jobs, claimed)
        if len(claimed) < installments.CLAIM_BATCH:
            break
    waiting = installments.waiting_charges(db.session, now)
    db.session.commit()
    return enqueued + _enqueue_charges(jobs, waiting)


def _enqueue_charges(jobs, installment_ids) -> int:
    from app.services.payments import installments

    return jobs.enqueue_once_many("payments", "jobs.payments.charge_installment",
                                  [((str(i),), installments.job_key(i)) for i in dict.fromkeys(installment_ids)])


def mark_missed_installments(now) -> int:
    """Installments unpaid after the grace period are missed; the second miss defaults the plan."""
    from app.services.payments import installments

    return installments.mark_missed(db.session, now)


def send_installment_reminders(now) -> int:
    """One reminder per installment, three days before it falls due (transactional, through the gate)."""
    from app.services.payments import installments

    return installments.send_reminders(db.session, now)


# Each scanner takes `now`; later features add theirs (deferred messages, campaigns...).
SCANNERS = [purge_expired, enqueue_due_webhooks, release_waiting_inbound, reconcile_sending, deliver_validation_notices,
            release_due_messages, sweep_presence, send_notification_digests, reconcile_stale_payments,
            resume_paused_plans, charge_due_installments, mark_missed_installments, send_installment_reminders]


def tick(app) -> None:
    """One pass over every scanner; a failing scanner does not stop the others."""
    with app.app_context():
        now = get_clock().now()
        for scanner in SCANNERS:
            try:
                scanner(now)
            except Exception:
                db.session.rollback()
                log.exception("clock scanner failed", extra={"job": scanner.__name__})
