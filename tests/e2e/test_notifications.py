"""The bell, availability and the settings pages behind them, in a browser: a manager assigns a conversation in one
browser and the agent's bell count rises and a toast appears in another, without a reload; canned responses and
assignment settings work at desktop and phone widths; idleness turns an agent away and input brings them back."""
import re
import sqlite3
import uuid

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

ADMIN_EMAIL, _, _, _, ADMIN_SECRET = STAFF[0]
MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]
AGENT_EMAIL, _, AGENT_FIRST, AGENT_LAST, AGENT_SECRET = STAFF[2]
DESKTOP = {"width": 1280, "height": 900}
FAKE_BROWSER_NOTIFICATIONS = """
window.__shown = []; window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", {configurable: true, get: function () { return window.__hidden; }});
function FakeNotification(title, options) { window.__shown.push({title: title, body: options && options.body}); }
FakeNotification.prototype.close = function () {};
FakeNotification.permission = "default";
FakeNotification.requestPermission = function () {
  FakeNotification.permission = "granted"; return Promise.resolve("granted"); };
window.Notification = FakeNotification;
"""
"""Records browser notifications instead of showing them, and lets the test say when the tab is hidden."""
PHONE = {"width": 375, "height": 812}


def _conversation_for_someone_else(server) -> str:
    """An open demo conversation not assigned to the agent (read from the server's database)."""
    with sqlite3.connect(server.database) as conn:
        agent_id = conn.execute("SELECT id FROM users WHERE email = ?", (AGENT_EMAIL,)).fetchone()[0]
        row = conn.execute("SELECT id FROM conversations WHERE status IN ('active', 'escalated') AND "
                           "(assigned_agent_id IS NULL OR assigned_agent_id != ?) ORDER BY last_message_at DESC",
                           (agent_id,)).fetchone()
    return str(uuid.UUID(row[0]))


def _unread(page) -> int:
    badge = page.locator("#notification-count")
    return int(badge.text_content()) if badge.is_visible() else 0


def test_an_assignment_reaches_the_agent_without_a_reload(browser, live_server):
    agent_context, manager_context = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    agent = agent_context.new_page()
    agent.add_init_script(FAKE_BROWSER_NOTIFICATIONS)
    sign_in(agent, live_server, AGENT_EMAIL, AGENT_SECRET)
    expect(agent.locator("#availability-menu [data-presence-text]")).to_have_text("Online")  # its socket is up
    before = _unread(agent)
    agent.locator("#notifications-menu > summary").click()
    agent.get_by_role("button", name=re.compile("Show browser notifications")).click()
    expect(agent.locator("#browser-notifications-state")).to_have_text(re.compile("Browser notifications are on"))
    agent.keyboard.press("Escape")
    agent.evaluate("window.__hidden = true")  # the agent switches to another tab

    manager = manager_context.new_page()
    sign_in(manager, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    manager.goto(f"{live_server}/conversations/{_conversation_for_someone_else(live_server)}")
    manager.locator("summary", has_text="Assign").click()
    choice = manager.get_by_label("Assign to")
    choice.select_option(choice.locator("option", has_text=f"{AGENT_FIRST} {AGENT_LAST}").get_attribute("value"))
    manager.locator("form", has=choice).get_by_role("button", name="Assign").click()

    expect(agent.locator("#notification-count")).to_have_text(str(before + 1))
    shown = agent.evaluate("window.__shown")
    assert len(shown) == 1 and shown[0]["title"].startswith("New conversation assigned: "), shown
    agent.evaluate("window.__hidden = false")
    toast = agent.locator(".toast-notification").last
    expect(toast).to_contain_text("New conversation assigned")
    link = toast.get_by_role("link").get_attribute("href")
    assert re.fullmatch(r"/conversations/[0-9a-f-]{36}", link)
    expect(agent.locator("#notifications-menu > summary")).to_have_accessible_name(
        f"Notifications, {before + 1} unread")

    agent.locator("#notifications-menu > summary").click()
    newest = agent.locator("#notification-list .notification-item").first
    expect(newest).to_contain_text("New conversation assigned")
    expect(newest.get_by_role("link")).to_have_attribute("href", link)
    check_accessibility(agent, "notifications-open-1280")
    screenshot(agent, "notifications-open-1280")
    agent.get_by_role("button", name="Mark all read").click()
    expect(agent.locator("#notification-list")).to_contain_text("All read")
    expect(agent.locator("#notification-count")).to_be_hidden()

    agent.set_viewport_size(PHONE)
    agent.reload()
    agent.locator("#notifications-menu > summary").click()
    expect(agent.locator("#notification-list .notification-item").first).to_be_visible()
    assert agent.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(agent, "notifications-open-375")
    screenshot(agent, "notifications-open-375")
    agent.keyboard.press("Escape")
    agent.locator("#availability-menu > summary").click()
    expect(agent.get_by_role("button", name=re.compile("^Away"))).to_be_visible()
    check_accessibility(agent, "availability-open-375")
    screenshot(agent, "availability-open-375")
    agent_context.close()
    manager_context.close()


def test_availability_from_the_menu_shows_live_to_managers(browser, live_server):
    manager_context, agent_context = browser.new_context(viewport=DESKTOP), browser.new_context(viewport=DESKTOP)
    manager = manager_context.new_page()
    sign_in(manager, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    manager.goto(f"{live_server}/settings/assignment")
    agent = agent_context.new_page()
    sign_in(agent, live_server, AGENT_EMAIL, AGENT_SECRET)
    row = manager.locator("tr", has_text=f"{AGENT_FIRST} {AGENT_LAST}")
    expect(row.locator("[data-presence-text]")).to_have_text("Online")

    agent.locator("#availability-menu > summary").focus()
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("button", name=re.compile("^Online"))).to_have_attribute("aria-pressed", "true")
    check_accessibility(agent, "availability-open-1280")
    screenshot(agent, "availability-open-1280")
    agent.get_by_role("button", name=re.compile("^Away")).click()
    expect(agent.locator("#availability-menu [data-presence-text]")).to_have_text("Away")
    expect(agent.locator("#availability-menu > summary")).to_be_focused()
    expect(row.locator("[data-presence-text]")).to_have_text("Away")
    expect(row.locator("[data-presence-dot]")).to_have_class(re.compile("dot-away"))
    expect(manager.locator('[data-presence-count="away"]')).not_to_have_text("0")
    check_accessibility(manager, "assignment-1280")
    screenshot(manager, "assignment-1280")
    agent.locator("#availability-menu > summary").click()
    agent.get_by_role("button", name=re.compile("^Online")).click()
    expect(row.locator("[data-presence-text]")).to_have_text("Online")
    manager_context.close()
    agent_context.close()


def test_idle_turns_an_agent_away_and_input_brings_them_back(browser, live_server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.clock.install()
    sign_in(page, live_server, AGENT_EMAIL, AGENT_SECRET)
    status = page.locator("#availability-menu [data-presence-text]")
    expect(status).to_have_text("Online")
    page.clock.fast_forward("05:20")
    expect(status).to_have_text("Away")
    page.mouse.move(200, 300)
    page.mouse.move(240, 320)
    expect(status).to_have_text("Online")
    context.close()


def test_canned_responses_and_assignment_settings_at_both_widths(page, live_server):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, ADMIN_EMAIL, ADMIN_SECRET)
    page.goto(f"{live_server}/settings/canned")
    page.get_by_label("Shortcut").fill("payment-options")
    page.get_by_label("Text").fill("Hi {firstName}, you can pay {balanse} online or by phone.")
    page.get_by_role("button", name="Save response").click()
    error = page.locator("#new-body-error")
    expect(error).to_contain_text("{balanse}")
    expect(page.get_by_label("Text")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Text").fill("Hi {firstName}, you can pay ${balance} online or by phone.")
    page.get_by_role("button", name="Save response").click()
    item = page.locator(".canned-item", has_text="/payment-options")
    expect(item).to_contain_text("Hi Jane, you can pay $1,250.00 online or by phone.")
    expect(page.get_by_label("Shortcut")).to_have_value("")
    item = page.locator(f"#{item.get_attribute('id')}")
    item.get_by_role("link", name="Edit /payment-options").click()
    expect(item.get_by_label("Shortcut")).to_be_focused()
    item.get_by_label("Text").fill("Hola {firstName}, puede pagar ${balance} en línea.")
    item.get_by_label("Language").select_option("es")
    item.get_by_role("button", name="Save").click()
    expect(item).to_contain_text("Spanish")
    expect(item.get_by_role("link", name="Edit /payment-options")).to_be_focused()
    check_accessibility(page, "canned-1280")
    screenshot(page, "canned-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "canned-375")
    screenshot(page, "canned-375")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/settings/assignment")
    page.get_by_label("Round robin").check()
    page.get_by_label("Open conversations per agent").fill("0")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#assignment-capacity-error")).to_contain_text("between 1 and")
    page.get_by_label("Open conversations per agent").fill("30")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_contain_text("Assignment settings saved.")
    row = page.locator("tr", has_text=f"{AGENT_FIRST} {AGENT_LAST}")
    row.get_by_label(f"Skills of {AGENT_FIRST} {AGENT_LAST}").fill("es, medical")
    row.get_by_role("button", name=f"Save {AGENT_FIRST} {AGENT_LAST}").click()
    expect(page.locator("tr", has_text=f"{AGENT_FIRST} {AGENT_LAST}").get_by_role("status")).to_have_text("Saved")
    check_accessibility(page, "assignment-admin-1280")
    screenshot(page, "assignment-admin-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "assignment-375")
    screenshot(page, "assignment-375")
    page.get_by_label("Manual").check()  # the demo business as other browser tests expect it
    page.get_by_label("Open conversations per agent").fill("25")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_role("status")).to_contain_text("Assignment settings saved.")
    row = page.locator("tr", has_text=f"{AGENT_FIRST} {AGENT_LAST}")
    row.get_by_label(f"Skills of {AGENT_FIRST} {AGENT_LAST}").fill("")
    row.get_by_role("button", name=f"Save {AGENT_FIRST} {AGENT_LAST}").click()
    expect(page.locator("tr", has_text=f"{AGENT_FIRST} {AGENT_LAST}").get_by_role("status")).to_have_text("Saved")

    page.goto(f"{live_server}/settings/notifications")
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "notifications-page-375")
    screenshot(page, "notifications-page-375")
    page.set_viewport_size(DESKTOP)
    page.reload()
    check_accessibility(page, "notifications-page-1280")
    screenshot(page, "notifications-page-1280")
