"""Web chat in a browser: a debtor on a business's own site (another site: no cookie of ours reaches the frame there)
opens the widget, confirms who they are and chats with an agent (typing shown both ways); the network drops, the agent
answers and the debtor writes meanwhile; when the network returns, every message is there exactly once; the site's
next page reopens the chat without asking again. The portal's "Chat with us" opens the same chat without asking again.
Each frame is checked with axe and photographed at 375 px and 1280 px."""
from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import socketio
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, check_accessibility, fresh_code
from tests.e2e.test_portal import MANAGER_EMAIL, MANAGER_SECRET, PASSWORD, _api, _daytime_place, _new_account


class _Site(BaseHTTPRequestHandler):
    """A business's own web page (another origin) with the embed code on it."""

    page = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args):
        pass


@pytest.fixture
def business_site(live_server):
    """http://localhost:<other port>/ serving a plain page that embeds the widget for `business`: another site than
    127.0.0.1 (a port does not make a site), so the browser sends the frame none of our SameSite=Lax cookies."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def site(business_id: str) -> str:
        _Site.page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Recovery</title>'
                      f'<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
                      f'<main><h1>Acme Recovery</h1><p>Questions about your account? Chat with us.</p></main>'
                      f'<script src="{live_server}/widget.js" data-business="{business_id}" async></script>'
                      f'</body></html>').encode()
        return f"http://localhost:{server.server_address[1]}/"

    yield site
    server.shutdown()


def _login(base: str) -> dict:
    body = {"email": MANAGER_EMAIL, "password": PASSWORD, "mfaCode": fresh_code(MANAGER_SECRET)}
    return _api(base, "POST", "/auth/login", body=body)["data"]


class Agent:
    """The agent's side: a Socket.IO client with the manager's JWT (as the inbox page connects) and the API."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.events: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        for name in ("message.created", "typing"):
            self.sio.on(name, self._keeper(name))
        self.sio.connect(base, auth={"token": token}, transports=["polling"], wait_timeout=10)

    def _keeper(self, name):
        def keep(data):
            with self.lock:
                self.events.append((name, data))
        return keep

    def wait_for(self, name: str, test, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for event, data in self.events:
                    if event == name and test(data):
                        return data
            time.sleep(0.1)
        raise AssertionError(f"the agent never received {name}; got {[e for e, _ in self.events]}")

    def join(self, conversation_id: str) -> None:
        assert self.sio.call("join", {"conversationId": conversation_id}, timeout=10)["ok"]

    def typing(self, conversation_id: str, account_id: str, state: bool) -> None:
        self.sio.emit("typing", {"conversationId": conversation_id, "typing": state, "channel": "web_chat",
                                 "accountId": account_id})

    def reply(self, conversation_id: str, content: str) -> dict:
        sent = _api(self.base, "POST", f"/conversations/{conversation_id}/messages", self.token, {"content": content})
        assert sent["success"] and sent["data"]["deliveryStatus"] == "sent", sent
        return sent["data"]

    def messages(self, conversation_id: str) -> list[dict]:
        return _api(self.base, "GET", f"/conversations/{conversation_id}", self.token)["data"]["messages"]


def _widget(page):
    """The chat frame as a Playwright Frame (for axe and scripts), once it has loaded."""
    return page.locator("iframe[data-funnelchat-frame]").element_handle().content_frame()


def _picture(page, name: str) -> None:
    """What the visitor sees: the viewport (the frame is fixed to it, so a full-page picture would misplace it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _look(page, frame, name: str) -> None:
    """axe inside the frame, and pictures of the page with the frame open at 375 and 1280 px."""
    for width, height in ((375, 812), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        check_accessibility(frame, f"{name}-{width}")
        _picture(page, f"{name}-{width}")
    assert frame.evaluate("document.documentElement.scrollWidth") <= 400


def test_a_debtor_chats_from_a_business_site_through_a_network_drop(browser, live_server, business_site):
    base = str(live_server)
    login = _login(base)
    token, business_id = login["token"], login["user"]["businessId"]
    place = _daytime_place()
    account = _new_account(base, token, place)
    agent = Agent(base, token)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(business_site(business_id))
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    frame_element = page.locator("iframe[data-funnelchat-frame]")
    expect(frame_element).to_be_visible()
    frame = page.frame_locator("iframe[data-funnelchat-frame]")
    expect(frame.get_by_role("heading", name=re.compile("Chat with"))).to_be_visible()
    widget = _widget(page)
    body = frame.locator("body").inner_text()
    assert "612.40" not in body and account["accountNumber"] not in body and "Northwind" not in body
    _look(page, widget, "widget-identify")

    frame.get_by_label("Account number").fill(account["accountNumber"])
    frame.get_by_label("Last name").fill("Pena")
    frame.get_by_label("ZIP code").fill("99999")
    frame.get_by_role("button", name="Continue").click()
    expect(frame.get_by_role("alert")).to_contain_text("don't match our records")
    frame.get_by_label("ZIP code").fill(place[1])
    frame.get_by_role("button", name="Continue").click()
    log = frame.get_by_role("log", name="Messages")
    expect(log).to_contain_text("No messages yet")
    widget = _widget(page)
    _look(page, widget, "widget-chat-empty")

    composer = frame.get_by_label("Your message")
    composer.fill("Hi, can I set up a payment plan?")
    composer.press("Enter")
    expect(log.locator("li[data-message-id]")).to_have_count(1)
    created = agent.wait_for("message.created", lambda d: d.get("accountId") == account["id"])
    conversation_id = created["conversationId"]
    agent.join(conversation_id)

    composer.press_sequentially("Also, ", delay=30)
    heard = agent.wait_for("typing", lambda d: d.get("from") == "debtor" and d.get("typing"))
    assert heard["conversationId"] == conversation_id
    agent.typing(conversation_id, account["id"], True)
    indicator = frame.locator("#chat-typing span")
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("is typing")
    _look(page, widget, "widget-chat-typing")
    agent.reply(conversation_id, "Yes, we can set that up here.")
    expect(log.locator(".chat-theirs")).to_have_count(1)
    expect(log.locator(".chat-theirs")).to_contain_text("Yes, we can set that up here.")
    expect(indicator).to_be_hidden()
    composer.fill("")

    context.set_offline(True)
    expect(frame.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
    agent.reply(conversation_id, "While you were away: the plan starts on the 1st.")
    composer.fill("I'm on a train, the signal is bad.")
    composer.press("Enter")
    waiting = log.locator("li[data-pending]")
    expect(waiting).to_contain_text("Not sent yet")
    _look(page, widget, "widget-chat-offline")
    context.set_offline(False)

    expect(frame.get_by_role("status").filter(has_text="Reconnecting")).to_be_hidden()
    expect(log.locator("li", has_text="While you were away")).to_have_count(1)
    expect(log.locator("li", has_text="I'm on a train")).to_have_count(1)
    expect(log.locator("li[data-pending]")).to_have_count(0)
    expect(log.locator("li[data-message-id]")).to_have_count(4)
    page.wait_for_timeout(1500)  # a late duplicate (a second catch-up or push) would show up by now
    expect(log.locator("li[data-message-id]")).to_have_count(4)
    stored = [m["content"] for m in agent.messages(conversation_id) if m["direction"] == "inbound"]
    assert stored == ["Hi, can I set up a payment plan?", "I'm on a train, the signal is bad."]
    _look(page, widget, "widget-chat-after-reconnect")

    frame.get_by_role("button", name="Minimise chat").click()
    expect(frame_element).to_be_hidden()
    expect(launcher).to_be_focused()

    assert not [c for c in context.cookies() if c["name"] == "session" and "portal" in c.get("value", "")]
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(frame.get_by_role("log", name="Messages").locator("li[data-message-id]")).to_have_count(4)
    expect(frame.get_by_label("Account number")).to_have_count(0)
    composer = frame.get_by_label("Your message")
    composer.fill("Back on your site's next page.")
    composer.press("Enter")
    expect(frame.locator("li[data-message-id]", has_text="next page")).to_have_count(1)
    agent.reply(conversation_id, "Still here.")
    expect(frame.locator(".chat-theirs", has_text="Still here.")).to_have_count(1)
    agent.sio.disconnect()
    context.close()


def test_the_portal_offers_the_chat_without_a_second_identity_check(browser, live_server):
    base = str(live_server)
    token = _login(base)["token"]
    place = _daytime_place()
    account = _new_account(base, token, place)
    link = _api(base, "POST", f"/accounts/{account['id']}/payment-link", token, {"send": False})["data"]["url"]

    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    page.goto(link)
    page.get_by_label("Last name").fill("Peña")
    page.get_by_label("ZIP code").fill(place[1])
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{base}/p/account")
    chat = page.get_by_role("link", name="Chat with us")
    expect(chat).to_be_visible()
    chat.scroll_into_view_if_needed()
    check_accessibility(page, "portal-account-chat-375")
    _picture(page, "portal-account-chat-375")
    chat.click()
    frame = page.frame_locator("iframe[data-funnelchat-frame]")
    expect(frame.get_by_label("Your message")).to_be_visible()
    expect(frame.get_by_label("Account number")).to_have_count(0)
    widget = _widget(page)
    check_accessibility(widget, "widget-portal-375")
    _picture(page, "widget-portal-375")
    frame.get_by_role("button", name="Close chat").click()
    expect(page.locator("iframe[data-funnelchat-frame]")).to_have_count(0)
    expect(chat).to_be_focused()
    context.close()

