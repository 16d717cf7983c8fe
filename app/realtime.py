"""Socket.IO: authenticate on connect, join rooms, and publish events after the transaction commits."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_socketio import join_room

from app.extensions import db, socketio
from app.services.on_commit import on_commit


def rooms_for_user(user) -> list[str]:
    rooms = [f"user:{user.id}"]
    if user.business_id:
        rooms.append(f"business:{user.business_id}")
    return rooms


@socketio.on("connect")
def _connect(auth=None):
    """Staff connect with their session cookie; anything else is refused."""
    if not (current_user and current_user.is_authenticated):
        return False
    for room in rooms_for_user(current_user.user):
        join_room(room)
    return True


def publish(room: str, event: str, payload: dict, session=None) -> None:
    """Emit to a room once the current transaction commits (never for work that rolls back)."""
    on_commit(session or db.session, lambda: socketio.emit(event, payload, to=room))
