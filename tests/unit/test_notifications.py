"""Do staff hear of assignments, debtor messages and escalations in-app, and by one email digest while offline,
as their profile says?"""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import Notification, SandboxMessage
from app.services import notifications
from tests.factories import NOW, gen_business, gen_user


def _note(user, kind="assignment", title="New conversation assigned: Jane Doe", at=NOW):
    notification = notifications.notify(db.session, user_id=user.id, business_id=user.business_id, kind=kind,
                                        title=title, link="/conversations/x", now=at)
    db.session.commit()
    return notification


def test_a_notification_for_another_business_user_is_not_kept():
    business, other = gen_business(), gen_business()
    stranger = gen_user(other, "agent")
    assert notifications.notify(db.session, user_id=stranger.id, business_id=business.id, kind="assignment",
                                title="x", now=NOW) is None


def test_unread_count_and_mark_read_touch_only_the_owners_rows():
    business = gen_business()
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    mine, theirs = _note(agent), _note(colleague)
    assert notifications.unread_count(db.session, agent.id) == 1
    assert notifications.mark_read(db.session, agent.id, ids=[theirs.id, "not-an-id"], now=NOW) == 0
    assert notifications.mark_read(db.session, agent.id, ids=[mine.id], now=NOW) == 1
    db.session.commit()
    assert notifications.unread_count(db.session, agent.id) == 0
    assert notifications.unread_count(db.session, colleague.id) == 1


def test_offline_agents_get_one_digest_of_what_they_chose(app):
    business = gen_business()
    agent = gen_user(business, "agent")
    agent.availability = "offline"
    agent.notification_preferences = {"escalation_email": False}
    db.session.commit()
    _note(agent, "assignment", "New conversation assigned: Jane Doe")
    _note(agent, "message", "New message from Jane Doe")
    _note(agent, "escalation", "Escalated: Jane Doe")
    later = NOW + dt.timedelta(minutes=6)
    assert notifications.send_digests(db.session, later) == 1
    mail = db.session.scalars(select(SandboxMessage).where(SandboxMessage.to_address == agent.email)).one()
    assert "Jane Doe" in mail.body and "Escalated" not in mail.body, "escalations were switched off by the agent"
    assert notifications.send_digests(db.session, later + dt.timedelta(minutes=10)) == 0, "never twice"
    assert all(n.emailed_at for n in db.session.scalars(select(Notification).where(Notification.user_id == agent.id)))


def test_online_agents_and_fresh_notifications_wait(app):
    business = gen_business()
    online, offline = gen_user(business, "agent"), gen_user(business, "agent")
    online.availability, offline.availability = "online", "offline"
    db.session.commit()
    _note(online)
    _note(offline)
    assert notifications.send_digests(db.session, NOW + dt.timedelta(minutes=1)) == 0, "a reconnect reads it first"
    assert notifications.send_digests(db.session, NOW + dt.timedelta(minutes=6)) == 1
