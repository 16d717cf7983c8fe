"""The one shape of `conversation.updated`: ids and states only, so every staff socket of the business may hear it;
the inbox fetches the row it is allowed to see."""
from __future__ import annotations

from app.models import Conversation


def conversation_state(conversation: Conversation) -> dict:
    return {"conversationId": str(conversation.id), "accountId": str(conversation.account_id),
            "status": conversation.status, "channel": conversation.channel,
            "assignedAgentId": str(conversation.assigned_agent_id) if conversation.assigned_agent_id else None,
            "unreadCount": conversation.unread_count or 0,
            "lastMessageAt": conversation.last_message_at.isoformat() if conversation.last_message_at else None,
            "snoozedUntil": conversation.snoozed_until.isoformat() if conversation.snoozed_until else None}


def publish_conversation(db_session, conversation: Conversation) -> None:
    """conversation.updated to the business and to the conversation's own room, after the commit."""
    from app import realtime

    state = conversation_state(conversation)
    realtime.publish(f"business:{conversation.business_id}", "conversation.updated", state, session=db_session)
    realtime.publish(f"conversation:{conversation.id}", "conversation.updated", state, session=db_session)
