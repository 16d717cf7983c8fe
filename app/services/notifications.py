"""Staff notifications (PRD FR-CONV-031): the bell, a live toast, and one email digest while an agent is offline.

A notification is always kept in-app (the bell counts it); whether it also reaches the person's inbox by email is
their profile's choice per kind, and only while they are offline, gathered into one digest per clock pass.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from sqlalchemy import func, select, update

from app.models import Notification, User
from app.services.auth.profile import notification_preferences

KINDS = ("assignment", "message", "escalation", "review")
EMAIL_PREFERENCE = {"assignment": "assignment_email", "message": "message_email", "escalation": "escalation_email",
                    "review": "escalation_email"}
"""The profile switch that lets each kind reach the person's email in the offline digest."""
DIGEST_AFTER = dt.timedelta(minutes=5)
"""An offline agent's notification waits this long before the digest mails it (a reconnect reads it first)."""


def _publish(db_session, notification: Notification, unread: int) -> None:
    from app import realtime

    realtime.publish(f"user:{notification.user_id}", "notification.created", {
        "id": str(notification.id), "kind": notification.kind, "title": notification.title,
        "body": notification.body, "link": notification.link,
        "conversationId": str(notification.conversation_id) if notification.conversation_id else None,
        "unread": unread}, session=db_session)


def notify(db_session, *, user_id, business_id, kind: str, title: str, body: str | None = None,
           link: str | None = None, conversation_id=None, now: dt.datetime) -> Notification | None:
    """Keep one notification for a staff user of the business and push it live; None for nobody to tell."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user = db_session.get(User, user_id) if user_id is not None else None
    if user is None or user.business_id != business_id or user.status != "active":
        return None
    notification = Notification(id=uuid.uuid4(), business_id=business_id, user_id=user.id, kind=kind,
                                title=title[:255], body=body, link=link, conversation_id=conversation_id,
                                created_at=now)
    db_session.add(notification)
    db_session.flush()
    _publish(db_session, notification, unread_count(db_session, user.id))
    return notification


def unread_count(db_session, user_id) -> int:
    return db_session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(db_session, user_id, *, limit: int = 20) -> list[Notification]:
    """The person's latest notifications, newest first (read ones included, shown as read)."""
    return list(db_session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(db_session, user_id, *, ids=None, now: dt.datetime) -> int:
    """Mark the person's notifications read (all of them when ids is None); another user's ids change nothing."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        wanted = []
        for value in ids:
            try:
                wanted.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
            except ValueError:
                continue
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    return db_session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False)).rowcount


def mark_conversation_read(db_session, user_id, conversation_id, *, now: dt.datetime) -> int:
    """Opening a conversation reads the notifications about it."""
    return db_session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.conversation_id == conversation_id,
        Notification.read_at.is_(None)).values(read_at=now).execution_options(synchronize_session=False)).rowcount


def _digest_text(user: User, items: list[Notification], public_url: str) -> tuple[str, str]:
    count = len(items)
    subject = f"funnelChat: {count} update{'s' if count != 1 else ''} while you were away"
    lines = [f"Hello {user.first_name or user.email},", "",
             f"While you were offline, {count} thing{'s' if count != 1 else ''} needed you:", ""]
    for item in items:
        lines.append(f"- {item.title}" + (f": {item.body}" if item.body else ""))
        if item.link:
            lines.append(f"  {public_url.rstrip('/')}{item.link}")
    lines += ["", "Sign in to answer. You can change which notifications reach your email in your profile."]
    return subject, "\n".join(lines)


def send_digests(db_session, now: dt.datetime) -> int:
    """One email per offline agent with unread notifications not yet emailed (per their preferences); the rows are
    marked emailed whether or not their kind is mailed, so a later switch does not resend old news. Commits."""
    from flask import current_app

    from app.services.channels.system_email import send_system_email

    due = db_session.scalars(select(Notification).join(User, User.id == Notification.user_id).where(
        Notification.read_at.is_(None), Notification.emailed_at.is_(None),
        Notification.created_at <= now - DIGEST_AFTER, User.availability == "offline", User.status == "active")
        .order_by(Notification.user_id, Notification.created_at)).all()
    by_user: dict = defaultdict(list)
    for notification in due:
        by_user[notification.user_id].append(notification)
    sent = 0
    public_url = current_app.config["PUBLIC_URL"]
    for user_id, items in by_user.items():
        user = db_session.get(User, user_id)
        wanted = notification_preferences(user)
        mailed = [n for n in items if wanted.get(EMAIL_PREFERENCE.get(n.kind, ""), False)]
        for n in items:
            n.emailed_at = now
        if mailed:
            subject, body = _digest_text(user, mailed, public_url)
            send_system_email(db_session, to=user.email, subject=subject, body=body, now=now,
                              business_id=user.business_id, category="digest")
            sent += 1
        db_session.commit()
    return sent
