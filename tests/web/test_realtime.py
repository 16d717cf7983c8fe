"""Does Socket.IO admit only signed-in staff, put them in their rooms, and publish only after commit?"""
from app.extensions import db, socketio
from app.realtime import publish
from tests.factories import gen_business, gen_user
from tests.web.auth_helpers import sign_in


def test_anonymous_socket_is_refused(app, client):
    sio = socketio.test_client(app, flask_test_client=client)
    assert not sio.is_connected()


def test_staff_socket_gets_business_events_after_commit_only(app, client, clock):
    business, other = gen_business("Room A"), gen_business("Room B")
    user = gen_user(business, "agent")
    sign_in(client, user, clock)
    sio = socketio.test_client(app, flask_test_client=client)
    assert sio.is_connected()

    publish(f"business:{business.id}", "notification.created", {"title": "rolled back"})
    db.session.rollback()
    publish(f"business:{other.id}", "notification.created", {"title": "other tenant"})
    publish(f"user:{user.id}", "notification.created", {"title": "assigned to you"})
    assert sio.get_received() == [], "nothing is pushed before the commit"
    db.session.commit()
    received = [(m["name"], m["args"][0]["title"]) for m in sio.get_received()]
    assert received == [("notification.created", "assigned to you")]
    sio.disconnect()
