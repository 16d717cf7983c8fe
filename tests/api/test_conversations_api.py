"""PRD 7.4 conversations through the API: list, detail, outreach and replies; shapes, tenancy, agent queues,
idempotency, and what the compliance gate does to a message (blocked: 422, deferred: scheduled)."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Conversation, Message
from app.services.auth import api_keys
from app.services.compliance import account_records
from app.services.tenancy import Principal
from tests.api.helpers import api_login, bearer
from tests.factories import gen_account, gen_business, gen_conversation, gen_message, gen_user
from tests.messaging import debtor, messaging_business

UTC = dt.timezone.utc
LIST_KEYS = {"id", "accountId", "account", "channel", "status", "assignedAgentId", "assignedAgent", "lastMessageAt",
             "lastMessageFrom", "messageCount", "sentiment", "createdAt", "unreadCount"}
DETAIL_KEYS = {"id", "accountId", "account", "channel", "status", "assignedAgentId", "messages", "createdAt"}
MESSAGE_KEYS = {"id", "senderType", "content", "direction", "deliveryStatus", "createdAt"}


@pytest.fixture
def shop(client, clock):
    """A business with sandbox addresses and support facts, and an admin signed in through the API."""
    business = messaging_business("Talk Co")
    admin = gen_user(business, "business_admin")
    return business, admin, bearer(api_login(client, admin, clock)["token"])


def _headers(client, clock, user):
    return bearer(api_login(client, user, clock)["token"])


def _conversation(business, account, *, at=None, channel="sms", status="active", agent=None, messages=0):
    conv = gen_conversation(business, account, channel=channel)
    conv.status, conv.last_message_at = status, at
    conv.assigned_agent_id = agent.id if agent is not None else None
    conv.last_message_from = "debtor" if at else None
    for i in range(messages):
        message = gen_message(business, conv, content=f"m{i}")
        message.created_at = dt.datetime(2026, 11, 20, 14, i, tzinfo=UTC)
    db.session.commit()
    return conv


def _error(response, status, code, field=None):
    assert response.status_code == status, response.get_json()
    err = response.get_json()["error"]
    assert err["code"] == code, err
    if field is not None:
        assert err["field"] == field, err
    return err


def _start(client, headers, account, channel="sms", text="Hi, this is Talk Co about your account.", **extra):
    return client.post("/api/v1/conversations", json={"accountId": str(account.id), "channel": channel,
                                                      "initialMessage": text, **extra}, headers=headers)


def test_list_is_the_prd_shape_newest_activity_first(client, clock, shop):
    """Does the list give each PRD field, counted messages and pages, newest activity first and silent ones last?"""
    business, admin, headers = shop
    agent = gen_user(business, "agent")
    jane = gen_account(business, first_name="Jane", last_name="Smith")
    old = _conversation(business, jane, at=dt.datetime(2026, 11, 20, tzinfo=UTC), channel="email", messages=2)
    new = _conversation(business, gen_account(business), at=dt.datetime(2026, 11, 23, 10, 30, tzinfo=UTC),
                        agent=agent, messages=3)
    silent = _conversation(business, gen_account(business), channel="whatsapp")
    body = client.get("/api/v1/conversations", headers=headers).get_json()
    assert body["success"] is True
    assert [c["id"] for c in body["data"]] == [str(new.id), str(old.id), str(silent.id)]
    assert body["meta"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1}
    first = body["data"][0]
    assert set(first) == LIST_KEYS
    assert first["accountId"] == str(new.account_id) and first["channel"] == "sms" and first["status"] == "active"
    assert first["assignedAgentId"] == str(agent.id)
    assert first["assignedAgent"] == {"firstName": agent.first_name, "lastName": agent.last_name}
    assert first["lastMessageAt"] == "2026-11-23T10:30:00Z" and first["lastMessageFrom"] == "debtor"
    assert first["messageCount"] == 3 and first["unreadCount"] == 0 and first["sentiment"] is None
    assert first["createdAt"].endswith("Z")
    second = body["data"][1]
    assert second["account"] == {"firstName": "Jane", "lastName": "Smith", "accountNumber": jane.account_number}
    assert second["assignedAgent"] is None and second["assignedAgentId"] is None and second["messageCount"] == 2
    assert body["data"][2]["lastMessageAt"] is None and body["data"][2]["messageCount"] == 0
    paged = client.get("/api/v1/conversations?limit=2&page=2", headers=headers).get_json()
    assert [c["id"] for c in paged["data"]] == [str(silent.id)]
    assert paged["meta"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}


def test_list_filters_and_their_validation(client, clock, shop):
    """Do status, channel, assignedTo and accountId narrow the list, and does a bad value name its parameter?"""
    business, admin, headers = shop
    agent = gen_user(business, "agent")
    account = gen_account(business)
    sms = _conversation(business, account, agent=agent)
    email = _conversation(business, account, channel="email", status="resolved")
    other = _conversation(business, gen_account(business), channel="web_chat", status="escalated")

    def ids(**params):
        response = client.get("/api/v1/conversations", query_string=params, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {c["id"] for c in response.get_json()["data"]}

    assert ids(status="resolved") == {str(email.id)}
    assert ids(status="active,escalated") == {str(sms.id), str(other.id)}
    assert ids(channel="web_chat") == {str(other.id)}
    assert ids(assignedTo=str(agent.id)) == {str(sms.id)}
    assert ids(accountId=str(account.id)) == {str(sms.id), str(email.id)}
    assert ids(accountId=str(account.id), channel="sms") == {str(sms.id)}
    for params, field in (({"status": "open"}, "status"), ({"channel": "fax"}, "channel"),
                          ({"assignedTo": "bob"}, "assignedTo"), ({"accountId": "12"}, "accountId"),
                          ({"page": "0"}, "page"), ({"limit": "x"}, "limit")):
        _error(client.get("/api/v1/conversations", query_string=params, headers=headers), 400, "VALIDATION_ERROR",
               field)


def test_list_runs_the_same_statements_for_any_page_size(client, clock, shop):
    """Does a page of 20 conversations cost no more queries than a page of 2 (no query per row)?"""
    business, admin, headers = shop
    agent = gen_user(business, "agent")
    for i in range(20):
        _conversation(business, gen_account(business), at=dt.datetime(2026, 11, 1, tzinfo=UTC)
                      + dt.timedelta(hours=i), agent=agent if i % 2 else None, messages=1 if i % 3 else 0)
    statements = []

    def count(*args):
        statements.append(args[2])

    def run(limit):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            body = client.get(f"/api/v1/conversations?limit={limit}", headers=headers).get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(body["data"]) == limit
        return len(statements), body

    run(1)  # the first call of a token also touches its session row
    small, _ = run(2)
    large, body = run(20)
    assert large == small, statements
    assert sum(c["messageCount"] for c in body["data"]) == sum(1 for i in range(20) if i % 3)


def test_detail_is_the_prd_shape_with_messages_in_order(client, clock, shop):
    """Does one conversation come back with its account, exact balance and every message oldest first?"""
    business, admin, headers = shop
    account = gen_account(business, first_name="Jane", last_name="Smith")
    conv = _conversation(business, account, at=dt.datetime(2026, 11, 20, 14, 5, tzinfo=UTC), messages=3)
    late, early = db.session.scalars(select(Message).where(Message.conversation_id == conv.id)
                                     .order_by(Message.created_at.desc())).all()[:2]
    inbound = gen_message(business, conv, content="I'm having trouble")
    inbound.sender_type, inbound.direction = "debtor", "inbound"
    inbound.created_at = dt.datetime(2026, 11, 20, 15, tzinfo=UTC)
    db.session.commit()
    response = client.get(f"/api/v1/conversations/{conv.id}", headers=headers)
    assert response.status_code == 200
    assert '"currentBalance": 1250.00' in response.get_data(as_text=True), "money renders with two decimals"
    data = response.get_json()["data"]
    assert DETAIL_KEYS <= set(data)
    assert data["id"] == str(conv.id) and data["accountId"] == str(account.id)
    assert {k: data["account"][k] for k in ("firstName", "lastName")} == {"firstName": "Jane", "lastName": "Smith"}
    assert data["channel"] == "sms" and data["status"] == "active" and data["assignedAgentId"] is None
    assert data["createdAt"].endswith("Z")
    times = [m["createdAt"] for m in data["messages"]]
    assert times == sorted(times) and len(times) == 4
    assert [m["id"] for m in data["messages"]][1:3] == [str(early.id), str(late.id)]
    last = data["messages"][-1]
    assert MESSAGE_KEYS <= set(last)
    assert (last["senderType"], last["direction"], last["deliveryStatus"]) == ("debtor", "inbound", "delivered")
    assert last["content"].startswith("I'm having trouble") and last["createdAt"] == "2026-11-20T15:00:00Z"
    assert last["channel"] == "sms" and last["scheduledFor"] is None and last["failedReason"] is None
    assert last["complianceIssues"] == []


def test_another_business_sees_nothing(client, clock, shop):
    """Is another business's conversation (and account) a 404 everywhere, and absent from its list?"""
    business, admin, headers = shop
    account = gen_account(business)
    conv = _conversation(business, account, messages=1)
    other = _headers(client, clock, gen_user(gen_business("Other Co"), "business_admin"))
    _error(client.get(f"/api/v1/conversations/{conv.id}", headers=other), 404, "NOT_FOUND")
    _error(client.post(f"/api/v1/conversations/{conv.id}/messages", json={"content": "Hi"}, headers=other), 404,
           "NOT_FOUND")
    _error(_start(client, other, account), 404, "NOT_FOUND")
    listed = client.get("/api/v1/conversations", query_string={"accountId": str(account.id)}, headers=other)
    assert listed.get_json()["data"] == [] and listed.get_json()["meta"]["total"] == 0
    _error(client.get(f"/api/v1/conversations/{uuid.uuid4()}", headers=headers), 404, "NOT_FOUND")
    _error(client.get("/api/v1/conversations/not-an-id", headers=headers), 404, "NOT_FOUND")
    _error(_start(client, headers, account, accountId=str(uuid.uuid4())), 404, "NOT_FOUND")


def test_agents_work_their_queue_only(client, clock, shop):
    """Can an agent see and answer only conversations assigned to them or unassigned in their queue?"""
    business, admin, headers = shop
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    mine = _conversation(business, gen_account(business, assigned_agent_id=colleague.id), agent=agent)
    queued = _conversation(business, gen_account(business, assigned_agent_id=agent.id), channel="email")
    unassigned = _conversation(business, gen_account(business), channel="web_chat")
    theirs = _conversation(business, gen_account(business), agent=colleague)
    their_queue_account = gen_account(business, assigned_agent_id=colleague.id)
    their_queue = _conversation(business, their_queue_account, channel="whatsapp")
    as_agent = _headers(client, clock, agent)
    listed = client.get("/api/v1/conversations", headers=as_agent).get_json()
    assert {c["id"] for c in listed["data"]} == {str(mine.id), str(queued.id), str(unassigned.id)}
    assert listed["meta"]["total"] == 3
    for conv in (mine, queued, unassigned):
        assert client.get(f"/api/v1/conversations/{conv.id}", headers=as_agent).status_code == 200
    for conv in (theirs, their_queue):
        _error(client.get(f"/api/v1/conversations/{conv.id}", headers=as_agent), 403, "FORBIDDEN")
        _error(client.post(f"/api/v1/conversations/{conv.id}/messages", json={"content": "Hello"}, headers=as_agent),
               403, "FORBIDDEN")
    _error(_start(client, as_agent, their_queue_account, channel="sms"), 403, "FORBIDDEN")
    # An unassigned account, but its open SMS conversation is the colleague's.
    _error(_start(client, as_agent, theirs.account), 403, "FORBIDDEN")
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.direction == "outbound",
                                                                               Message.sender_id == agent.id)) == 0


def test_roles_outside_staff_are_refused(client, clock, shop):
    """Are debtors, platform admins without a business and anonymous callers kept out?"""
    business, admin, headers = shop
    conv = _conversation(business, gen_account(business))
    for user in (gen_user(business, "debtor", mfa=False), gen_user(None, "super_admin")):
        caller = _headers(client, clock, user)
        _error(client.get("/api/v1/conversations", headers=caller), 403, "FORBIDDEN")
        _error(client.get(f"/api/v1/conversations/{conv.id}", headers=caller), 403, "FORBIDDEN")
        _error(_start(client, caller, conv.account), 403, "FORBIDDEN")
        _error(client.post(f"/api/v1/conversations/{conv.id}/messages", json={"content": "x"}, headers=caller), 403,
               "FORBIDDEN")
    _error(client.get("/api/v1/conversations"), 401, "UNAUTHORIZED")


def test_outreach_creates_then_adds_to_the_open_conversation(client, clock, shop):
    """Does POST /conversations answer 201 with a new conversation, then 200 adding to it, and 201 on a new channel?"""
    business, admin, headers = shop
    account = debtor(business, contacted=True)
    first = _start(client, headers, account)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()["data"]
    assert set(data) == {"id", "accountId", "channel", "status", "messages"}
    assert (data["accountId"], data["channel"], data["status"]) == (str(account.id), "sms", "active")
    (message,) = data["messages"]
    assert set(message) == {"id", "content", "deliveryStatus"}
    assert message["content"].startswith("Hi, this is Talk Co") and message["deliveryStatus"] == "queued"
    stored = db.session.get(Message, uuid.UUID(message["id"]))
    assert (stored.sender_type, stored.kind, stored.sender_id, stored.direction) == ("agent", "agent", admin.id,
                                                                                      "outbound")
    clock.advance(minutes=5)
    again = _start(client, headers, account, text="A second note about your account.")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["data"]["id"] == data["id"]
    (added,) = again.get_json()["data"]["messages"]
    assert added["content"].startswith("A second note about your account.") and added["id"] != message["id"]
    by_email = _start(client, headers, account, channel="email", subject="Your account")
    assert by_email.status_code == 201 and by_email.get_json()["data"]["id"] != data["id"]
    assert db.session.get(Conversation, uuid.UUID(by_email.get_json()["data"]["id"])).subject == "Your account"
    detail = client.get(f"/api/v1/conversations/{data['id']}", headers=headers).get_json()["data"]
    assert len(detail["messages"]) == 2
    listed = client.get("/api/v1/conversations", headers=headers).get_json()["data"]
    assert [c["channel"] for c in listed] == ["email", "sms"], "the newest activity first"


def test_outreach_validation(client, clock, shop):
    """Does a bad channel, a missing or empty message or a malformed account id answer 400 naming the field?"""
    business, admin, headers = shop
    account = gen_account(business)
    _error(_start(client, headers, account, channel="fax"), 400, "VALIDATION_ERROR", "channel")
    _error(_start(client, headers, account, channel=None), 400, "VALIDATION_ERROR", "channel")
    _error(_start(client, headers, account, text="   "), 400, "VALIDATION_ERROR", "initialMessage")
    _error(client.post("/api/v1/conversations", json={"accountId": str(account.id), "channel": "sms"},
                       headers=headers), 400, "VALIDATION_ERROR", "initialMessage")
    _error(client.post("/api/v1/conversations", json={"channel": "sms", "initialMessage": "Hi"}, headers=headers),
           400, "VALIDATION_ERROR", "accountId")
    _error(client.post("/api/v1/conversations", data="{nope", headers={**headers, "Content-Type": "application/json"}),
           400, "BAD_REQUEST")
    assert db.session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_outreach_is_idempotent(client, clock, shop):
    """Does a retried POST with the same Idempotency-Key replay the first answer without sending twice?"""
    business, admin, headers = shop
    account = debtor(business, contacted=True)
    keyed = {**headers, "Idempotency-Key": "outreach-1"}
    first = _start(client, keyed, account)
    replay = _start(client, keyed, account)
    assert first.status_code == replay.status_code == 201
    assert replay.get_data(as_text=True) == first.get_data(as_text=True)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    conv_id = first.get_json()["data"]["id"]
    reply = {**headers, "Idempotency-Key": "reply-1"}
    one = client.post(f"/api/v1/conversations/{conv_id}/messages", json={"content": "Any questions?"}, headers=reply)
    two = client.post(f"/api/v1/conversations/{conv_id}/messages", json={"content": "Any questions?"}, headers=reply)
    assert one.status_code == two.status_code == 201 and one.get_json() == two.get_json()
    assert db.session.scalar(select(func.count()).select_from(Message)) == 2


def test_a_blocked_first_message_keeps_the_conversation(client, clock, shop):
    """With a cease on file, does outreach answer 422 with the rule ids and the conversation it left behind?"""
    business, admin, headers = shop
    account = debtor(business, contacted=True)
    principal = Principal(business_id=business.id, role="business_admin", user_id=admin.id)
    account_records.record_cease(db.session, principal, account, received_at=clock.now() - dt.timedelta(days=2),
                                 cease_type="cease", only_this_debt=False, channel="mail", now=clock.now())
    db.session.commit()
    keyed = {**headers, "Idempotency-Key": "blocked-1"}
    response = _start(client, keyed, account)
    err = _error(response, 422, "COMPLIANCE_BLOCKED")
    assert err["rules"] and all(isinstance(rule, str) for rule in err["rules"])
    assert any(rule.startswith("CEASE") for rule in err["rules"]), err["rules"]
    assert err["message"]
    conversation = db.session.get(Conversation, uuid.UUID(err["conversationId"]))
    assert conversation is not None and conversation.account_id == account.id
    (message,) = db.session.scalars(select(Message).where(Message.conversation_id == conversation.id)).all()
    assert message.delivery_status == "blocked" and message.compliance_passed is False
    replay = _start(client, keyed, account)
    assert replay.status_code == 422 and replay.get_data(as_text=True) == response.get_data(as_text=True)
    detail = client.get(f"/api/v1/conversations/{conversation.id}", headers=headers).get_json()["data"]
    assert detail["messages"][0]["deliveryStatus"] == "blocked"
    assert detail["messages"][0]["complianceIssues"] == list(message.compliance_issues)
    again = client.post(f"/api/v1/conversations/{conversation.id}/messages", json={"content": "Please pay"},
                        headers=headers)
    assert _error(again, 422, "COMPLIANCE_BLOCKED")["conversationId"] == str(conversation.id)


def test_quiet_hours_schedule_the_message(client, clock, shop):
    """At 10 pm in Dallas, is outreach stored as scheduled for the next allowed minute and answered 201?"""
    business, admin, headers = shop
    account = debtor(business, contacted=True)
    clock.set(dt.datetime(2026, 11, 26, 4, 0, tzinfo=UTC))
    response = _start(client, headers, account)
    assert response.status_code == 201, response.get_json()
    (message,) = response.get_json()["data"]["messages"]
    assert message["deliveryStatus"] == "scheduled"
    scheduled = dt.datetime.fromisoformat(message["scheduledFor"].replace("Z", "+00:00"))
    assert scheduled == dt.datetime(2026, 11, 26, 14, 0, tzinfo=UTC), "8 am in Dallas"
    stored = db.session.get(Message, uuid.UUID(message["id"]))
    assert stored.delivery_status == "scheduled" and stored.scheduled_for == scheduled
    conv_id = response.get_json()["data"]["id"]
    reply = client.post(f"/api/v1/conversations/{conv_id}/messages", json={"content": "Call us"}, headers=headers)
    assert reply.status_code == 201 and reply.get_json()["data"]["deliveryStatus"] == "scheduled"
    assert reply.get_json()["data"]["scheduledFor"] == message["scheduledFor"]


def test_replies_in_a_conversation(client, clock, shop):
    """Does a reply answer 201 in the PRD shape, posting as the AI only for admins, managers and API keys?"""
    business, admin, headers = shop
    agent = gen_user(business, "agent")
    account = debtor(business, contacted=True)
    conv = _conversation(business, account, agent=agent)
    path = f"/api/v1/conversations/{conv.id}/messages"
    response = client.post(path, json={"content": "We can set up a payment plan."}, headers=headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert set(data) == {"id", "conversationId", "senderType", "content", "deliveryStatus", "createdAt"}
    assert (data["conversationId"], data["senderType"]) == (str(conv.id), "agent")
    assert data["content"].startswith("We can set up a payment plan.") and data["deliveryStatus"] == "queued"
    assert data["createdAt"] == clock.now().isoformat().replace("+00:00", "Z")
    ai = client.post(path, json={"content": "How much can you afford monthly?", "senderType": "ai"}, headers=headers)
    assert ai.status_code == 201 and ai.get_json()["data"]["senderType"] == "ai"
    stored = db.session.get(Message, uuid.UUID(ai.get_json()["data"]["id"]))
    assert (stored.kind, stored.sender_type, stored.ai_generated) == ("ai", "ai", True)
    as_agent = _headers(client, clock, agent)
    assert client.post(path, json={"content": "Hello from your agent"}, headers=as_agent).status_code == 201
    _error(client.post(path, json={"content": "x", "senderType": "ai"}, headers=as_agent), 403, "FORBIDDEN")
    _error(client.post(path, json={"content": "x", "senderType": "debtor"}, headers=headers), 400,
           "VALIDATION_ERROR", "senderType")
    _error(client.post(path, json={"content": ""}, headers=headers), 400, "VALIDATION_ERROR", "content")
    _error(client.post(path, json={}, headers=headers), 400, "VALIDATION_ERROR", "content")
    for status in ("resolved", "closed"):
        conv.status = status
        db.session.commit()
        err = _error(client.post(path, json={"content": "Still there?"}, headers=headers), 409, "CONFLICT")
        assert "new conversation" in err["message"]
    assert db.session.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conv.id)) == 3


def test_api_keys_read_and_write(client, clock, shop):
    """Can an integration's API key list conversations, start outreach and post as the AI (no user behind it)?"""
    business, admin, headers = shop
    _, plain = api_keys.create_key(db.session, business_id=business.id, name="CRM", role="manager",
                                   created_by_id=admin.id, now=clock.now())
    db.session.commit()
    key = {"X-API-Key": plain}
    account = debtor(business, contacted=True)
    started = _start(client, key, account)
    assert started.status_code == 201, started.get_json()
    conv_id = started.get_json()["data"]["id"]
    ai = client.post(f"/api/v1/conversations/{conv_id}/messages", json={"content": "Plan options", "senderType": "ai"},
                     headers=key)
    assert ai.status_code == 201, ai.get_json()
    senders = db.session.scalars(select(Message.sender_id).where(Message.conversation_id == uuid.UUID(conv_id))).all()
    assert senders == [None, None]
    assert [c["id"] for c in client.get("/api/v1/conversations", headers=key).get_json()["data"]] == [conv_id]


def test_openapi_documents_the_conversation_paths(client):
    """Does the OpenAPI document describe the four conversation operations and their schemas?"""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(doc["paths"]["/conversations"])
    assert "get" in doc["paths"]["/conversations/{id}"] and "post" in doc["paths"]["/conversations/{id}/messages"]
    assert {"Conversation", "ConversationSummary", "ComplianceBlocked"} <= set(doc["components"]["schemas"])


def test_patch_assigns_changes_status_and_snoozes(client, clock, shop):
    """PRD 7.4 patch: a manager assigns to an agent, resolves with a resolution type, and the API checks both."""
    business, admin, headers = shop
    agent = gen_user(business, "agent")
    conv = _conversation(business, debtor(business, contacted=True))
    url = f"/api/v1/conversations/{conv.id}"
    response = client.patch(url, json={"assignedAgentId": str(agent.id)}, headers=headers)
    assert response.status_code == 200 and response.get_json()["data"]["assignedAgentId"] == str(agent.id)
    _error(client.patch(url, json={"status": "resolved"}, headers=headers), 400, "VALIDATION_ERROR", "resolutionType")
    _error(client.patch(url, json={"status": "paused"}, headers=headers), 400, "VALIDATION_ERROR", "status")
    _error(client.patch(url, json={"snoozedUntil": "tomorrow"}, headers=headers), 400, "VALIDATION_ERROR",
           "snoozedUntil")
    _error(client.patch(url, json={"colour": "red"}, headers=headers), 400, "VALIDATION_ERROR", "colour")
    done = client.patch(url, json={"status": "resolved", "resolutionType": "payment_plan"}, headers=headers)
    assert done.status_code == 200
    assert (done.get_json()["data"]["status"], done.get_json()["data"]["resolutionType"]) == \
        ("resolved", "payment_plan")


def test_patch_respects_roles_and_tenancy(client, clock, shop):
    business, admin, headers = shop
    other = messaging_business("Other Co")
    foreign = _conversation(other, debtor(other, contacted=True))
    _error(client.patch(f"/api/v1/conversations/{foreign.id}", json={"status": "escalated"}, headers=headers),
           404, "NOT_FOUND")
    agent, colleague = gen_user(business, "agent"), gen_user(business, "agent")
    queued = _conversation(business, debtor(business, contacted=True))
    agent_headers = _headers(client, clock, agent)
    _error(client.patch(f"/api/v1/conversations/{queued.id}", json={"assignedAgentId": str(colleague.id)},
                        headers=agent_headers), 403, "FORBIDDEN")
    taken = client.patch(f"/api/v1/conversations/{queued.id}", json={"assignedAgentId": str(agent.id)},
                         headers=agent_headers)
    assert taken.status_code == 200, "an agent takes a conversation from the queue"


def test_a_debtor_message_reopens_a_resolved_conversation_and_wakes_a_snoozed_one(client, clock, shop, app):
    from app.services.channels import inbound

    business, admin, headers = shop
    account = debtor(business, contacted=True)
    conv = _conversation(business, account, status="resolved")
    conv.resolution_type = "other"
    db.session.commit()
    message = inbound.InboundMessage(channel="sms", from_address=account.phone, to_address=business.sms_number,
                                     body="Actually, can we talk about a plan?", external_id="SMreopen1",
                                     provider="twilio")
    result = inbound.receive_committed(db.session, message, clock.now())
    assert result.conversation.id == conv.id and conv.status == "active" and conv.resolution_type is None
    conv.snoozed_until = clock.now() + dt.timedelta(days=1)
    db.session.commit()
    inbound.receive_committed(db.session, inbound.InboundMessage(
        channel="sms", from_address=account.phone, to_address=business.sms_number, body="Hello?",
        external_id="SMreopen2", provider="twilio"), clock.now())
    assert db.session.get(Conversation, conv.id).snoozed_until is None


def test_a_closed_conversation_stays_closed_when_the_debtor_writes(client, clock, shop):
    from app.services.channels import inbound

    business, admin, headers = shop
    account = debtor(business, contacted=True)
    closed = _conversation(business, account, status="closed")
    result = inbound.receive_committed(db.session, inbound.InboundMessage(
        channel="sms", from_address=account.phone, to_address=business.sms_number, body="Hi again",
        external_id="SMclosed1", provider="twilio"), clock.now())
    assert result.conversation.id != closed.id and closed.status == "closed"
