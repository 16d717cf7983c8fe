"""Socket.IO: authenticate on connect, join rooms, publish events after the transaction commits, replay missed ones.

Who connects (DESIGN.md section 7): staff with their session cookie or a JWT (`auth={"token": ...}`) join
`user:<id>` and `business:<id>`, and `conversation:<id>` for the one conversation they have open (checked against
their queue); a debtor with a verified portal session joins `portal:<account id>`. Anything else is refused.

Every event is appended to a short Redis stream per room before it is emitted, and carries its `room` and
`eventId` (the stream id, increasing per room). A client that reconnects sends `resume` with the last id it saw per
room and gets what it missed, in order. Business-wide rooms carry ids and states only; message text travels in
conversation and portal rooms, whose members were checked when they joined.
"""
from __future__ import annotations

import json
import logging
import uuid

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import emit, join_room, leave_room, rooms

from app.extensions import db, socketio
from app.services.on_commit import on_commit

log = logging.getLogger(__name__)
STREAM_MAXLEN = 2000
"""Events kept per room for replay (a reconnecting client misses at most this many; it reloads beyond that)."""
STREAM_TTL = 24 * 3600
REPLAY_LIMIT = 500
_listeners: dict[str, list] = {}


def rooms_for_user(user) -> list[str]:
    rooms_ = [f"user:{user.id}"]
    if user.business_id:
        rooms_.append(f"business:{user.business_id}")
    return rooms_


def on(event: str, handler) -> None:
    """Let a feature react to socket lifecycle events ("connect", "disconnect") without this module importing it:
    handler(identity: dict) is called with the socket's identity."""
    _listeners.setdefault(event, []).append(handler)


def _fire(event: str, identity: dict) -> None:
    for handler in _listeners.get(event, ()):
        try:
            handler(identity)
        except Exception:
            log.exception("socket %s handler failed", event)


# -- who is connecting ----------------------------------------------------------------------------------------------
def _staff_from_token(token: str):
    from app.services.auth import tokens
    from app.services.clock import get_clock
    from app.services.errors import DomainError

    try:
        user, _ = tokens.authenticate_access(db.session, token, get_clock().now(),
                                             tokens.signing_key(current_app.config["SECRET_KEY"]))
    except DomainError:
        return None
    return user


def _portal_account_id(auth) -> uuid.UUID | None:
    """The verified debtor: by the widget's token on a business's own site (no cookie reaches a frame there), else by
    this browser's portal session; the same checks the portal pages make."""
    from app.blueprints.portal.views import _current, resolve
    from app.services.clock import get_clock
    from app.services.portal import widget_tokens

    now = get_clock().now()
    if isinstance(auth, dict) and isinstance(auth.get("widgetToken"), str):
        facts = widget_tokens.read(current_app.config["SECRET_KEY"], auth["widgetToken"])
        current = resolve(facts, now)[0] if facts is not None else None
    elif isinstance(session.get("portal"), dict):
        current, _ = _current(now)
    else:
        return None
    return current.account.id if current is not None else None


def identity() -> dict | None:
    """The connected socket's identity, kept in its Socket.IO session."""
    return session.get("realtime")


@socketio.on("connect")
def _connect(auth=None):
    user = None
    if current_user and current_user.is_authenticated:
        user = current_user.user
    elif isinstance(auth, dict) and isinstance(auth.get("token"), str):
        user = _staff_from_token(auth["token"])
    if user is not None and user.business_id is not None and user.status == "active":
        who = {"kind": "staff", "user_id": str(user.id), "business_id": str(user.business_id), "role": user.role,
               "name": " ".join(p for p in (user.first_name, user.last_name) if p) or user.email}
        for room in rooms_for_user(user):
            join_room(room)
    else:
        account_id = _portal_account_id(auth)
        if account_id is None:
            return False
        who = {"kind": "debtor", "account_id": str(account_id)}
        join_room(f"portal:{account_id}")
    session["realtime"] = who
    _fire("connect", {**who, "sid": request.sid})
    return True


@socketio.on("disconnect")
def _disconnect(*_args):
    who = identity()
    if who:
        _fire("disconnect", {**who, "sid": request.sid})


def _staff_principal(who: dict):
    from app.services.tenancy import Principal

    return Principal(business_id=uuid.UUID(who["business_id"]), role=who["role"], user_id=uuid.UUID(who["user_id"]))


@socketio.on("join")
def _join(data=None):
    """Open one conversation: staff join its room if it is in their queue (the room of the one they left is left)."""
    from app.services import conversations
    from app.services.errors import DomainError

    who = identity()
    if not who or who["kind"] != "staff" or not isinstance(data, dict):
        return {"ok": False, "error": "not allowed"}
    try:
        conversation, _ = conversations.get_conversation(db.session, _staff_principal(who),
                                                         str(data.get("conversationId", "")))
    except (DomainError, ValueError):
        return {"ok": False, "error": "not found"}
    for room in rooms():
        if room.startswith("conversation:"):
            leave_room(room)
    join_room(f"conversation:{conversation.id}")
    session["viewing"] = {"conversation_id": str(conversation.id), "account_id": str(conversation.account_id),
                          "channel": conversation.channel}
    return {"ok": True, "room": f"conversation:{conversation.id}"}


@socketio.on("typing")
def _typing(data=None):
    """Typing indicators: staff to the others viewing the conversation (and to the debtor on web chat); a debtor to
    the staff viewing their web chat conversation. Never stored, never replayed."""
    who = identity()
    if not who or not isinstance(data, dict):
        return
    state = bool(data.get("typing"))
    if who["kind"] == "staff":
        room = f"conversation:{data.get('conversationId')}"
        if room not in rooms():
            return
        payload = {"conversationId": data.get("conversationId"), "userId": who["user_id"], "name": who["name"],
                   "typing": state, "from": "agent"}
        emit("typing", payload, to=room, include_self=False)
        viewing = session.get("viewing") or {}
        if viewing.get("conversation_id") == str(data.get("conversationId")) and viewing.get("channel") == "web_chat":
            emit("typing", {"typing": state, "from": "agent"}, to=f"portal:{viewing['account_id']}")
    else:
        from app.services import web_chat

        conversation_id = web_chat.open_conversation_id(db.session, uuid.UUID(who["account_id"]))
        if conversation_id is not None:
            emit("typing", {"conversationId": str(conversation_id), "typing": state, "from": "debtor"},
                 to=f"conversation:{conversation_id}")


@socketio.on("resume")
def _resume(data=None):
    """What this socket missed: {room: last event id seen} -> the later events of those rooms, oldest first."""
    if not identity() or not isinstance(data, dict):
        return {"events": []}
    since = data.get("since") if isinstance(data.get("since"), dict) else {}
    return {"events": missed(rooms(), since)}


class WithoutWebsocketCompression:
    """Socket.IO websockets without permessage-deflate: a fan-out writes one small event to every socket, and
    deflate would compress it once per socket and keep a zlib context per connection (measured: twice the CPU per
    write, 179 KB instead of 71 KB per connection). Socket.IO's own server leaves it off for the same reason."""

    def __init__(self, wsgi_app, path: str = "/socket.io"):
        self.wsgi_app, self.path = wsgi_app, path

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.path):
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


# -- publishing ------------------------------------------------------------------------------------------------------
def _redis():
    return current_app.extensions["jobs"].connection


def _record(room: str, event: str, payload: dict) -> str | None:
    """Append to the room's stream; the stream id is the event id (None if Redis is unreachable: still emitted)."""
    key = f"rt:{room}"
    try:
        connection = _redis()
        event_id = connection.xadd(key, {"event": event, "payload": json.dumps(payload, default=str)},
                                   maxlen=STREAM_MAXLEN, approximate=True)
        connection.expire(key, STREAM_TTL)
    except Exception:
        log.exception("could not record realtime event %s for %s", event, room)
        return None
    return event_id.decode() if isinstance(event_id, bytes) else event_id


def emit_now(room: str, event: str, payload: dict) -> dict:
    """Record and emit at once (for work that is already committed)."""
    body = {**payload, "room": room}
    event_id = _record(room, event, body)
    if event_id:
        body["eventId"] = event_id
    socketio.emit(event, body, to=room)
    return body


def publish(room: str, event: str, payload: dict, session=None) -> None:
    """Emit to a room once the current transaction commits (never for work that rolls back)."""
    on_commit(session or db.session, lambda: emit_now(room, event, payload))


def missed(joined, since: dict, limit: int = REPLAY_LIMIT) -> list[dict]:
    """Events recorded in `joined` rooms after the ids in `since` (a room missing from `since` replays nothing: the
    client loaded its page after joining), merged oldest first."""
    connection = _redis()
    found = []
    for room in joined:
        last = since.get(room)
        if not isinstance(last, str) or not last:
            continue
        for event_id, fields in connection.xrange(f"rt:{room}", min=f"({last}", count=limit):
            event_id = event_id.decode() if isinstance(event_id, bytes) else event_id
            fields = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                      for k, v in fields.items()}
            found.append({"event": fields["event"], "data": {**json.loads(fields["payload"]), "eventId": event_id}})
    found.sort(key=lambda e: tuple(int(part) for part in e["data"]["eventId"].split("-")))
    return found[:limit]


# -- presence --------------------------------------------------------------------------------------------------------
def _presence(who: dict, connected: bool) -> None:
    """Staff sockets count toward their availability (app.services.assignment decides what that means)."""
    if who.get("kind") != "staff":
        return
    from app.services import assignment
    from app.services.clock import get_clock

    handler = assignment.socket_connected if connected else assignment.socket_disconnected
    handler(db.session, _redis(), who["user_id"], who["sid"], now=get_clock().now())
    db.session.commit()


on("connect", lambda who: _presence(who, True))
on("disconnect", lambda who: _presence(who, False))


@socketio.on("presence")
def _presence_state(data=None):
    """The browser reports idleness: away after minutes without input, online again on input."""
    who = identity()
    if not who or who["kind"] != "staff" or not isinstance(data, dict) or data.get("state") not in ("online", "away"):
        return {"ok": False}
    from app.models import User
    from app.services import assignment
    from app.services.clock import get_clock

    user = db.session.get(User, uuid.UUID(who["user_id"]))
    if user is None:
        return {"ok": False}
    assignment.set_availability(db.session, user, data["state"], now=get_clock().now(), by_presence=True)
    db.session.commit()
    return {"ok": True, "availability": user.availability}
