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
    sio.get_received()  # the agent's own arrival (presence.update)

    publish(f"business:{business.id}", "notification.created", {"title": "rolled back"})
    db.session.rollback()
    publish(f"business:{other.id}", "notification.created", {"title": "other tenant"})
    publish(f"user:{user.id}", "notification.created", {"title": "assigned to you"})
    assert sio.get_received() == [], "nothing is pushed before the commit"
    db.session.commit()
    received = [(m["name"], m["args"][0]["title"]) for m in sio.get_received()]
    assert received == [("notification.created", "assigned to you")]
    sio.disconnect()


def _token(app, user, clock) -> str:
    from tests.api.helpers import api_login

    return api_login(app.test_client(), user, clock)["token"]


def test_a_jwt_opens_a_socket_and_a_bad_one_does_not(app, clock):
    business = gen_business()
    user = gen_user(business, "manager")
    good = socketio.test_client(app, auth={"token": _token(app, user, clock)})
    assert good.is_connected()
    bad = socketio.test_client(app, auth={"token": "not-a-token"})
    assert not bad.is_connected()
    good.disconnect()


def test_an_agent_joins_only_conversations_in_their_queue(app, clock):
    """Can an agent open another agent's conversation room, or another business's? No."""
    from tests.factories import gen_account, gen_conversation

    business, other = gen_business(), gen_business()
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    mine = gen_conversation(business, gen_account(business))
    theirs = gen_conversation(business, gen_account(business))
    theirs.assigned_agent_id = colleague.id
    foreign = gen_conversation(other, gen_account(other))
    db.session.commit()
    sio = socketio.test_client(app, auth={"token": _token(app, agent, clock)})
    assert sio.emit("join", {"conversationId": str(mine.id)}, callback=True)["ok"]
    assert not sio.emit("join", {"conversationId": str(theirs.id)}, callback=True)["ok"]
    assert not sio.emit("join", {"conversationId": str(foreign.id)}, callback=True)["ok"]
    publish(f"conversation:{foreign.id}", "message.created", {"messageId": "x"})
    publish(f"conversation:{mine.id}", "message.created", {"messageId": "y"})
    db.session.commit()
    got = [m["args"][0]["messageId"] for m in sio.get_received() if m["name"] == "message.created"]
    assert got == ["y"]
    sio.disconnect()


def test_a_reconnecting_client_gets_what_it_missed_in_order(app, clock):
    business = gen_business()
    user = gen_user(business, "manager")
    room = f"business:{business.id}"
    sio = socketio.test_client(app, auth={"token": _token(app, user, clock)})
    publish(room, "conversation.updated", {"n": 1})
    db.session.commit()
    first = sio.get_received()[-1]["args"][0]
    assert first["room"] == room and first["eventId"]
    sio.disconnect()
    for n in (2, 3):
        publish(room, "conversation.updated", {"n": n})
        db.session.commit()
    again = socketio.test_client(app, auth={"token": _token(app, user, clock)})
    missed = again.emit("resume", {"since": {room: first["eventId"]}}, callback=True)["events"]
    assert [e["data"]["n"] for e in missed] == [2, 3]
    assert all(e["event"] == "conversation.updated" for e in missed)
    other_business = gen_business()
    outsider = socketio.test_client(app, auth={"token": _token(app, gen_user(other_business, "manager"), clock)})
    assert outsider.emit("resume", {"since": {room: "0-0"}}, callback=True)["events"] == [], \
        "resume replays only rooms the socket is in"
    again.disconnect()
    outsider.disconnect()


def test_typing_reaches_the_other_agents_in_the_conversation_only(app, clock):
    from tests.factories import gen_account, gen_conversation

    business = gen_business()
    ana, ben = gen_user(business, "manager"), gen_user(business, "manager")
    conversation = gen_conversation(business, gen_account(business))
    a = socketio.test_client(app, auth={"token": _token(app, ana, clock)})
    b = socketio.test_client(app, auth={"token": _token(app, ben, clock)})
    for sio in (a, b):
        assert sio.emit("join", {"conversationId": str(conversation.id)}, callback=True)["ok"]
        sio.get_received()
    a.emit("typing", {"conversationId": str(conversation.id), "typing": True})
    seen = [m["args"][0] for m in b.get_received() if m["name"] == "typing"]
    assert seen and seen[0]["userId"] == str(ana.id) and seen[0]["typing"] is True
    assert not [m for m in a.get_received() if m["name"] == "typing"], "nobody hears their own typing"
    a.disconnect()
    b.disconnect()


def test_a_staff_socket_marks_the_agent_online_and_presence_reaches_managers(app, clock):
    business = gen_business()
    manager, agent = gen_user(business, "manager"), gen_user(business, "agent")
    watching = socketio.test_client(app, auth={"token": _token(app, manager, clock)})
    watching.get_received()
    sio = socketio.test_client(app, auth={"token": _token(app, agent, clock)})
    db.session.refresh(agent)
    assert agent.availability == "online"
    updates = [m["args"][0] for m in watching.get_received() if m["name"] == "presence.update"]
    assert {"userId": str(agent.id), "availability": "online"}.items() <= updates[-1].items()
    assert sio.emit("presence", {"state": "away"}, callback=True)["availability"] == "away"
    sio.disconnect()
    watching.disconnect()


def test_websocket_compression_is_not_offered_to_socket_io_clients():
    """A fan-out writes one event per socket: deflate would double the CPU per write and keep zlib state per socket."""
    from app.realtime import WithoutWebsocketCompression

    seen = {}

    def inner(environ, start_response):
        seen.update(environ)
        return []

    wrapped = WithoutWebsocketCompression(inner)
    wrapped({"PATH_INFO": "/socket.io/", "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate"}, None)
    assert "HTTP_SEC_WEBSOCKET_EXTENSIONS" not in seen
    wrapped({"PATH_INFO": "/other", "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate"}, None)
    assert seen["HTTP_SEC_WEBSOCKET_EXTENSIONS"] == "permessage-deflate"
