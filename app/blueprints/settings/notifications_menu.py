"""The top bar's bell and availability menu (PRD FR-CONV-031, 4.3.4).

The bell's unread count is rendered with every shell page; its list loads over HTMX when the menu opens (the same
URL without HTMX is a full page, for bookmarks and no-script use). New notifications arrive live over Socket.IO
(app.js). The availability menu lets staff say they are online, away or offline; presence changes it too."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.blueprints.auth.views import _safe_next
from app.blueprints.settings import bp
from app.blueprints.settings.profile import staff_only
from app.extensions import db
from app.services import assignment, notifications
from app.services.auth.profile import notification_preferences
from app.services.clock import get_clock
from app.services.errors import ValidationError

LIST_LIMIT = 20
PAGE_LIMIT = 100
AVAILABILITY_LABELS = {"online": "Online", "away": "Away", "offline": "Offline"}
AVAILABILITY_HINTS = {"online": "New conversations can come to you",
                      "away": "You keep yours; no new ones come",
                      "offline": "No new ones; yours may be handed on"}


def ago(when: dt.datetime | None, now: dt.datetime) -> str:
    """Relative time for people: just now, 5 min ago, 3 h ago, 2 d ago, then the date."""
    if when is None:
        return ""
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    if seconds < 7 * 86400:
        return f"{seconds // 86400} d ago"
    return when.strftime("%b %d, %Y")


@bp.app_context_processor
def _topbar():
    """What the shell's top bar needs; the unread count is a callable, so only pages with the bell query it."""
    if g.get("principal") is None or not current_user.is_authenticated:
        return {}
    user = current_user.user
    return {"notifications_unread": lambda: notifications.unread_count(db.session, user.id),
            "browser_notifications": notification_preferences(user).get("browser_notifications", False),
            "my_availability": user.availability or "offline", "availability_labels": AVAILABILITY_LABELS,
            "availability_hints": AVAILABILITY_HINTS}


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _back() -> str:
    """Where a plain (no-script) form post returns: the page it came from, when that page is ours."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return url_for("dashboard.index")
    return _safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def _list(oob: bool = True):
    user_id = current_user.user.id
    now = get_clock().now()
    return render_template("layouts/_notifications.html", items=notifications.recent(db.session, user_id,
                                                                                       limit=LIST_LIMIT),
                           unread=notifications.unread_count(db.session, user_id), now=now, ago=ago, oob=oob)


@bp.get("/notifications", endpoint="notifications")
@staff_only
def notifications_page():
    """HTMX: the bell's list (and its badge, out of band). Otherwise the page of recent notifications."""
    if _is_htmx():
        return _list()
    user_id = current_user.user.id
    return render_template("settings/notifications.html",
                           items=notifications.recent(db.session, user_id, limit=PAGE_LIMIT),
                           unread=notifications.unread_count(db.session, user_id), now=get_clock().now(), ago=ago,
                           oob=False)


@bp.post("/notifications/read")
@staff_only
def notifications_read():
    """Mark the listed notifications read (`id` fields), or all of them when none are listed."""
    ids = request.form.getlist("id") or None
    notifications.mark_read(db.session, current_user.user.id, ids=ids, now=get_clock().now())
    db.session.commit()
    if _is_htmx():
        return _list()
    return redirect(_back())


@bp.post("/me/availability")
@staff_only
def set_availability():
    """The signed-in person's own choice (presence never overrides it); going offline hands their work on."""
    user = current_user.user
    error = None
    try:
        assignment.set_availability(db.session, user, (request.form.get("availability") or "").strip(),
                                    now=get_clock().now())
    except ValidationError as exc:
        db.session.rollback()
        error = exc.message
    else:
        db.session.commit()
    if _is_htmx():
        return render_template("layouts/_availability.html", availability=user.availability,
                               availability_labels=AVAILABILITY_LABELS, availability_hints=AVAILABILITY_HINTS,
                               availability_error=error, refocus=True), 400 if error else 200
    if error:
        flash(error, "error")
    return redirect(_back())
