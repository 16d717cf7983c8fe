"""The inbox live, in two browsers: an agent has a conversation open while a manager watches the same thread; the
debtor texts in, the message appears in both without a reload and the agent's list moves it to the top; typing shows
in the other browser (with a warning when both are writing); the agent's answer goes out through the gate to the
sandbox outbox and its tick turns when the provider reports it delivered; a message sent while the agent's connection
is down arrives once it is back. Each page is axe-checked and photographed at 1280 and 375 px."""
from __future__ import annotations

import re
import time
import urllib.request

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import api_call as _api, api_token, check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]
AGENT_EMAIL, _, AGENT_FIRST, AGENT_LAST, AGENT_SECRET = STAFF[2]
PASSWORD = "Demo-Collect-2026!"
ROW = "#inbox-rows > li.inbox-row"


def _manager_token(base: str) -> str:
    return api_token(base, MANAGER_EMAIL, MANAGER_SECRET)


def _outbox_body(base: str, token: str, phone: str, text: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for message in _api(base, "GET", f"/sandbox/messages?to={urllib.request.quote(phone)}", token)["data"]:
            if text in message["body"]:
                return message["body"]
        time.sleep(0.3)
    raise AssertionError(f"no sandbox message to {phone} containing {text!r}")


def test_an_agent_sees_a_debtor_reply_live_and_answers_through_the_gate(browser, live_server):
    base = live_server
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    manager_context = browser.new_context(viewport={"width": 1280, "height": 900})
    agent, manager = agent_context.new_page(), manager_context.new_page()

    sign_in(agent, base, AGENT_EMAIL, AGENT_SECRET)
    agent.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations").click()
    expect(agent).to_have_url(re.compile(r"/conversations$"))
    rows = agent.locator(ROW)
    expect(rows.first).to_be_visible()
    check_accessibility(agent, "inbox-list-1280")
    screenshot(agent, "inbox-list-1280")

    # An SMS conversation that is not at the top, so the debtor's text has to move it there.
    sms_rows = agent.locator(f"{ROW}:has(.row-meta:has-text('SMS'))")
    assert sms_rows.count() >= 2, "the demo agent's queue has SMS conversations"
    target = sms_rows.nth(1)
    conversation_id = target.get_attribute("data-conversation-id")
    assert rows.first.get_attribute("data-conversation-id") != conversation_id
    target.locator("a").click()
    expect(agent).to_have_url(re.compile(rf"/conversations/{conversation_id}"))
    thread = agent.locator("#thread")
    expect(thread).to_have_attribute("data-conversation-id", conversation_id)
    account_id = thread.get_attribute("data-account-id")
    check_accessibility(agent, "inbox-thread-1280")

    token = _manager_token(base)
    phone = _api(base, "GET", f"/accounts/{account_id}", token)["data"]["phone"]

    sign_in(manager, base, MANAGER_EMAIL, MANAGER_SECRET)
    manager.goto(f"{base}/conversations/{conversation_id}")
    expect(manager.locator("#thread")).to_have_attribute("data-conversation-id", conversation_id)
    agent.wait_for_timeout(800)  # both sockets have joined the conversation's room

    # The debtor texts in, through the provider's real webhook.
    reply = f"I can pay 50 on Friday, ref {int(time.time()) % 100000}"
    sent = _api(base, "POST", "/sandbox/inbound", token, {"channel": "sms", "from": phone, "body": reply})
    assert sent["data"]["conversationId"] == conversation_id, sent
    expect(agent.locator("#thread-messages .bubble-in").last).to_contain_text(reply, timeout=10_000)
    expect(manager.locator("#thread-messages .bubble-in").last).to_contain_text(reply, timeout=10_000)
    expect(rows.first).to_have_attribute("data-conversation-id", conversation_id, timeout=10_000)
    expect(rows.first.locator(".row-preview")).to_contain_text("I can pay 50 on Friday")
    assert agent.evaluate("performance.getEntriesByType('navigation').length") == 1, "no reload"

    # The manager starts writing; then the agent types: each sees the other, the manager with a warning.
    manager.locator("#composer-body").fill("Let me check the plan options")
    manager.locator("#composer-body").press("End")
    agent.locator("#composer-body").press_sequentially("Thanks, ", delay=40)
    expect(manager.locator("#typing-indicator")).to_contain_text(f"{AGENT_FIRST} {AGENT_LAST} is also writing",
                                                                 timeout=5_000)
    expect(manager.locator("#typing-indicator")).to_have_class(re.compile("is-collision"))

    # A canned response: "/" opens the list, the keyboard picks one, and it arrives filled for this debtor.
    composer = agent.locator("#composer-body")
    composer.fill("")
    composer.press_sequentially("/hel", delay=40)
    listbox = agent.get_by_role("listbox", name="Canned responses")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option", selected=True)).to_contain_text("/hello")
    screenshot(agent, "inbox-canned-1280")
    composer.press("Enter")
    expect(listbox).to_be_hidden()
    expect(composer).to_have_value(re.compile(r"^Hi \S+, this is Acme Recovery Partners\. How can I help you with "
                                              r"account ACC-\d+\?$"))

    # The agent's answer: the gate's preflight first, then the send.
    answer = f"Thanks, Friday works. Ref {sent['data']['messageId'][:8]}"
    agent.locator("#composer-body").fill(answer)
    agent.locator("#composer-body").press("End")
    expect(agent.locator("#preflight .preflight-line")).to_have_class(re.compile("preflight-(send|hold)"),
                                                                      timeout=5_000)
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(agent.locator("#composer-notice")).to_be_visible()
    outbound = agent.locator("#thread-messages .bubble-out").last
    expect(outbound).to_contain_text(answer)
    expect(manager.locator("#thread-messages .bubble-out").last).to_contain_text(answer, timeout=10_000)
    assert agent.locator(f"#thread-messages li[id^='msg-']:has-text('{answer}')").count() == 1
    assert answer in _outbox_body(base, token, phone, answer)
    expect(outbound.locator(".ticks")).to_have_class(re.compile("ticks-delivered"), timeout=15_000)
    # The agent's connection drops while the debtor writes again: after reconnecting, the missed message is
    # replayed (resume) into the thread, still without a reload.
    agent.evaluate("window.funnelChat.socket.disconnect()")
    missed = f"Sorry, one more question ({int(time.time()) % 100000})"
    _api(base, "POST", "/sandbox/inbound", token, {"channel": "sms", "from": phone, "body": missed})
    expect(manager.locator("#thread-messages .bubble-in").last).to_contain_text(missed, timeout=10_000)
    assert agent.locator(f"#thread-messages .bubble-in:has-text('{missed}')").count() == 0
    agent.evaluate("window.funnelChat.socket.connect()")
    expect(agent.locator("#thread-messages .bubble-in").last).to_contain_text(missed, timeout=10_000)
    expect(rows.first.locator(".row-preview")).to_contain_text("one more question")
    assert agent.evaluate("performance.getEntriesByType('navigation').length") == 1, "no reload"
    check_accessibility(agent, "inbox-reply-1280")
    screenshot(agent, "inbox-reply-1280")
    screenshot(manager, "inbox-manager-1280")

    # A phone: the list, then the thread with its way back.
    agent.set_viewport_size({"width": 375, "height": 812})
    agent.goto(f"{base}/conversations")
    expect(agent.locator(ROW).first).to_be_visible()
    assert agent.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(agent, "inbox-list-375")
    screenshot(agent, "inbox-list-375")
    agent.locator(ROW).first.locator("a").click()
    expect(agent.locator("#thread")).to_be_visible()
    expect(agent.locator("#inbox-filters")).to_be_hidden()
    assert agent.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(agent, "inbox-thread-375")
    screenshot(agent, "inbox-thread-375")
    agent.locator(".thread-back").click()
    expect(agent.locator("#inbox-filters")).to_be_visible()
    agent_context.close()
    manager_context.close()
