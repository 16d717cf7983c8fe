"""PRD 7.4 shapes of conversations and messages (camelCase; times as aware UTC, money as Decimal)."""
from __future__ import annotations


def _id(value) -> str | None:
    return str(value) if value is not None else None


def conversation_list_item(row) -> dict:
    """A list row (app.services.conversations.ConversationRow): the PRD list shape plus unreadCount."""
    conv = row.conversation
    agent = None
    if conv.assigned_agent_id is not None:
        agent = {"firstName": row.agent_first_name, "lastName": row.agent_last_name}
    return {
        "id": str(conv.id), "accountId": str(conv.account_id),
        "account": {"firstName": row.account_first_name, "lastName": row.account_last_name,
                    "accountNumber": row.account_number},
        "channel": conv.channel, "status": conv.status, "assignedAgentId": _id(conv.assigned_agent_id),
        "assignedAgent": agent, "lastMessageAt": conv.last_message_at, "lastMessageFrom": conv.last_message_from,
        "messageCount": row.message_count, "sentiment": conv.sentiment, "createdAt": conv.created_at,
        "unreadCount": conv.unread_count or 0,
    }


def message_json(message) -> dict:
    """A message in a conversation's thread, with what the gate and the provider said about it."""
    return {
        "id": str(message.id), "senderType": message.sender_type, "content": message.content,
        "direction": message.direction, "deliveryStatus": message.delivery_status, "createdAt": message.created_at,
        "channel": message.channel, "scheduledFor": message.scheduled_for, "failedReason": message.failed_reason,
        "complianceIssues": list(message.compliance_issues or []),
    }


def conversation_detail(detail) -> dict:
    """GET /conversations/<id> (app.services.conversations.ConversationDetail): the PRD shape and a few extras."""
    conv, account = detail.conversation, detail.account
    return {
        "id": str(conv.id), "accountId": str(conv.account_id),
        "account": {"firstName": account.first_name, "lastName": account.last_name,
                    "currentBalance": account.current_balance, "accountNumber": account.account_number},
        "channel": conv.channel, "status": conv.status, "assignedAgentId": _id(conv.assigned_agent_id),
        "messages": [message_json(m) for m in detail.messages], "createdAt": conv.created_at,
        "subject": conv.subject, "resolutionType": conv.resolution_type, "lastMessageAt": conv.last_message_at,
        "lastMessageFrom": conv.last_message_from, "unreadCount": conv.unread_count or 0,
        "sentiment": conv.sentiment, "updatedAt": conv.updated_at,
    }


def _sent(message) -> dict:
    """The part of a just-sent message every POST answer carries; scheduledFor only when it waits."""
    body = {"id": str(message.id), "content": message.content, "deliveryStatus": message.delivery_status}
    if message.scheduled_for is not None and message.delivery_status == "scheduled":
        body["scheduledFor"] = message.scheduled_for
    return body


def outreach_json(conversation, message) -> dict:
    """POST /conversations: the conversation and the one message this call added to it."""
    return {"id": str(conversation.id), "accountId": str(conversation.account_id), "channel": conversation.channel,
            "status": conversation.status, "messages": [_sent(message)]}


def sent_message_json(message) -> dict:
    """POST /conversations/<id>/messages."""
    body = _sent(message)
    return {"id": body.pop("id"), "conversationId": str(message.conversation_id), "senderType": message.sender_type,
            "content": body.pop("content"), "deliveryStatus": body.pop("deliveryStatus"),
            "createdAt": message.created_at, **body}
