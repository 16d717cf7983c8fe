"""The top bar's bell and availability menu: is the unread count rendered with the page, does the list load over
HTMX with links to conversations, does "mark all read" touch only the caller's rows, does a new notification reach
the bell live, and does the availability menu change (and publish) the person's state?"""
import datetime as dt
import re

from sqlalchemy import select

from app.extensions import db, socketio
from app.models import Notification, User
from app.services import notifications
from tests.factories import NOW, gen_account, gen_business, gen_conversation, gen_user
from tests.web.auth_helpers import sign_in

HX = {"HX-Request": "true"}


def _notify(user, title, *, minutes_ago=0, conversation=None, body=None):
    row = notifications.notify(db.session, user_id=user.id, business_id=user.business_id, kind="assignment",
                               title=title, body=body, conversation_id=conversation.id if conversation else None,
                               link=f"/conversations/{conversation.id}" if conversation else None,
                               now=NOW - dt.timedelta(minutes=minutes_ago))
    db.session.commit()
    return row


def _badge(html):
    return re.search(r'<span class="badge" id="notification-count"[^>]*>([^<]*)</span>', html)


def test_the_badge_is_rendered_with_the_page(client, clock):
    """Does every shell page carry the unread count (hidden at zero) and say it in the bell's accessible name?"""
    agent = gen_user(gen_business(), "agent")
    sign_in(client, agent, clock)
    quiet = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="notification-count" aria-hidden="true" hidden>0<', quiet)
    _notify(agent, "New conversation assigned: Maria Lopez")
    _notify(agent, "Escalated: Tom Reed")
    page = client.get("/dashboard").get_data(as_text=True)
    badge = _badge(page)
    assert badge.group(1) == "2" and " hidden" not in badge.group(0)
    assert '<span class="visually-hidden" id="notification-count-label">Notifications, 2 unread</span>' in page


def test_the_list_loads_over_htmx_newest_first_with_links(client, clock):
    """Does the HTMX list show only my notifications, newest first, unread marked in words, each linking to its
    conversation, and refresh the badge out of band?"""
    business = gen_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    conversation = gen_conversation(business, gen_account(business))
    _notify(agent, "Older: assigned to you", minutes_ago=90)
    _notify(agent, "Maria Lopez replied", minutes_ago=3, conversation=conversation, body="Can I pay on Friday?")
    _notify(other, "Someone else's news")
    sign_in(client, agent, clock)
    html = client.get("/settings/notifications", headers=HX).get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="notification-list"')
    assert "Someone else" not in html
    assert html.index("Maria Lopez replied") < html.index("Older: assigned to you")
    assert f'href="/conversations/{conversation.id}"' in html
    assert html.count("Unread: ") == 2 and "3 min ago" in html and "1 h ago" in html
    assert "Can I pay on Friday?" in html
    assert 'hx-swap-oob="true"' in html and _badge(html).group(1) == "2"


def test_the_notifications_page_without_htmx(client, clock):
    """Is the same URL without HTMX a full page, with one bell badge only and a plain mark-all-read form?"""
    agent = gen_user(gen_business(), "agent")
    _notify(agent, "Assigned: Ana Ruiz")
    sign_in(client, agent, clock)
    html = client.get("/settings/notifications").get_data(as_text=True)
    assert "<html" in html and "<h1>Notifications</h1>" in html and "Assigned: Ana Ruiz" in html
    assert html.count('id="notification-count"') == 1
    assert 'id="notification-page-list"' in html and 'hx-post="/settings/notifications/read"' not in html, \
        "the page's form posts plainly; only the bell's copy (in the top bar) posts over HTMX"


def test_mark_all_read_touches_only_my_notifications(client, clock):
    """Does "mark all read" over HTMX clear my unread (list and badge) and leave a colleague's alone?"""
    business = gen_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    _notify(agent, "One")
    _notify(agent, "Two")
    _notify(other, "Theirs")
    sign_in(client, agent, clock)
    html = client.post("/settings/notifications/read", headers=HX).get_data(as_text=True)
    assert "All read" in html and "Unread: " not in html and "Mark all read" not in html
    assert re.search(r'id="notification-count" aria-hidden="true" hx-swap-oob="true" hidden>0<', html)
    rows = db.session.scalars(select(Notification)).all()
    assert {n.title for n in rows if n.read_at is not None} == {"One", "Two"}
    assert {n.read_at for n in rows if n.user_id == agent.id} == {NOW}
    assert notifications.unread_count(db.session, other.id) == 1


def test_mark_read_by_id_and_the_plain_post_returns_to_the_page(client, clock):
    """Can one notification be marked read by id (another user's id changes nothing), and does a plain post go back
    to the page it came from, never to another site?"""
    business = gen_business()
    agent, other = gen_user(business, "agent"), gen_user(business, "agent")
    mine, keep = _notify(agent, "Mine"), _notify(agent, "Keep")
    theirs = _notify(other, "Theirs")
    sign_in(client, agent, clock)
    response = client.post("/settings/notifications/read", data={"id": [str(mine.id), str(theirs.id)]},
                           headers={"Referer": "http://localhost/accounts?status=active"})
    assert response.status_code == 302 and response.headers["Location"] == "/accounts?status=active"
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is not None
    assert db.session.get(Notification, keep.id).read_at is None
    assert db.session.get(Notification, theirs.id).read_at is None
    away = client.post("/settings/notifications/read", headers={"Referer": "https://evil.example/phish"})
    assert away.headers["Location"] == "/dashboard"


def test_a_new_notification_reaches_the_bell_live(app, client, clock):
    """Does the person's socket get notification.created with what the bell shows (title, link, unread count)?"""
    business = gen_business()
    agent = gen_user(business, "agent")
    conversation = gen_conversation(business, gen_account(business))
    _notify(agent, "Earlier")
    sign_in(client, agent, clock)
    sio = socketio.test_client(app, flask_test_client=client)
    sio.get_received()
    _notify(agent, "New conversation assigned: Maria Lopez", conversation=conversation)
    events = [m["args"][0] for m in sio.get_received() if m["name"] == "notification.created"]
    assert len(events) == 1
    assert events[0]["title"] == "New conversation assigned: Maria Lopez"
    assert events[0]["link"] == f"/conversations/{conversation.id}" and events[0]["unread"] == 2
    sio.disconnect()


def test_the_empty_list_says_what_will_appear(client, clock):
    """Does an empty bell explain what it will show instead of a blank panel?"""
    sign_in(client, gen_user(gen_business(), "manager"), clock)
    html = client.get("/settings/notifications", headers=HX).get_data(as_text=True)
    assert "You are all caught up" in html and "escalations appear here" in html


def test_the_bell_needs_a_signed_in_staff_member(client):
    """Is the list closed to anonymous visitors?"""
    response = client.get("/settings/notifications", headers=HX)
    assert response.status_code in (302, 401)
    assert client.post("/settings/notifications/read").status_code in (302, 401)


def test_availability_menu_sets_my_state_and_tells_the_team(app, client, clock):
    """Does choosing "away" store it, answer the control with the dot and the word, and publish presence.update to
    the business (so managers' pages change live)?"""
    business = gen_business()
    agent = gen_user(business, "agent")
    manager = gen_user(business, "manager")
    watcher = app.test_client()
    sign_in(watcher, manager, clock)
    sio = socketio.test_client(app, flask_test_client=watcher)
    sign_in(client, agent, clock)
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="availability-menu" data-availability="offline"', page)
    assert '<span class="availability-text" data-presence-text>Offline</span>' in page
    sio.get_received()
    html = client.post("/settings/me/availability", data={"availability": "away"}, headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<details class="menu availability-menu" id="availability-menu"')
    assert 'data-availability="away"' in html and 'class="status-dot dot-away"' in html
    assert '<span class="availability-text" data-presence-text>Away</span>' in html
    assert re.search(r'value="away" aria-pressed="true"', html)
    db.session.expire_all()
    assert db.session.get(User, agent.id).availability == "away"
    updates = [m["args"][0] for m in sio.get_received() if m["name"] == "presence.update"]
    assert updates and updates[-1]["userId"] == str(agent.id) and updates[-1]["availability"] == "away"
    sio.disconnect()


def test_an_unknown_availability_is_refused_in_place(client, clock):
    """Is a made-up state answered with the control and an error, leaving the state as it was?"""
    agent = gen_user(gen_business(), "agent")
    sign_in(client, agent, clock)
    response = client.post("/settings/me/availability", data={"availability": "asleep"}, headers=HX)
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, agent.id).availability == "offline"
    plain = client.post("/settings/me/availability", data={"availability": "online"},
                        headers={"Referer": "http://localhost/settings/profile"})
    assert plain.status_code == 302 and plain.headers["Location"] == "/settings/profile"
    db.session.expire_all()
    assert db.session.get(User, agent.id).availability == "online"
