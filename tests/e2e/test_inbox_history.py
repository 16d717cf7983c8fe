"""A long thread, snoozing until a chosen time and the phone's "More" menu, in Chromium against the running app.

A debtor writes in many times (the provider's real webhook, through the sandbox simulator): the thread opens on its
newest 50 messages; "Show earlier messages" puts the page before above them without moving the message on screen
(in the thread's own scroll box at 1280 px, in the page at 375 px), keeps keyboard focus on the button and is gone
at the start; a message arriving meanwhile shows once. The agent snoozes the conversation until a date and time
picked in the browser's zone (Chicago here), with inline errors for a time in the past. On a phone, an admin opens
"More" from the bottom bar to reach the Sandbox. Each state is axe-checked and photographed at 1280 and 375 px."""
from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import api_call as _api, api_token, check_accessibility, screenshot, sign_in

ADMIN_EMAIL, _, _, _, ADMIN_SECRET = STAFF[0]
MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]
ZONE = "America/Chicago"
BUBBLES = "#thread-messages > li[id^='msg-']"
TEXTS = 110


@pytest.fixture(scope="module")
def long_conversation(live_server):
    """A Dallas debtor who has written 110 texts (split between two staff tokens, within the API's rate limit)."""
    base = live_server
    admin, manager = api_token(base, ADMIN_EMAIL, ADMIN_SECRET), api_token(base, MANAGER_EMAIL, MANAGER_SECRET)
    phone = f"+1214555{random.randint(1000, 9999)}"
    _api(base, "POST", "/accounts", admin, {
        "firstName": "Lena", "lastName": "Okafor", "phone": phone, "phoneType": "cell", "smsConsent": True,
        "state": "TX", "zip": "75201", "city": "Dallas", "accountNumber": f"HX-{uuid.uuid4().hex[:8].upper()}",
        "originalCreditor": "First Bank", "currentCreditor": "First Bank", "currentBalance": 380.00,
        "originalBalance": 380.00, "dueDate": "2026-05-31"})
    found = set()
    for number in range(TEXTS):
        token = admin if number % 2 else manager
        sent = _api(base, "POST", "/sandbox/inbound", token,
                    {"channel": "sms", "from": phone, "body": f"Text number {number:03d} from Lena"})
        found.add(sent["data"]["conversationId"])  # None when the embedded worker took the text first
    found.discard(None)
    assert len(found) == 1, found
    conversation_id = found.pop()
    deadline = time.monotonic() + 20
    while _total(base, admin, conversation_id) < TEXTS:  # texts the worker is still storing
        assert time.monotonic() < deadline, "every text reaches the thread"
        time.sleep(0.3)
    return conversation_id, phone, admin


def _ids(page) -> list[str]:
    return page.locator(BUBBLES).evaluate_all("els => els.map(e => e.id)")


def _top(page, element_id: str) -> float:
    return page.evaluate("id => document.getElementById(id).getBoundingClientRect().top", element_id)


def _total(base: str, token: str, conversation_id: str) -> int:
    return len(_api(base, "GET", f"/conversations/{conversation_id}", token)["data"]["messages"])


def test_earlier_messages_load_above_without_moving_the_thread(browser, live_server, long_conversation):
    base = live_server
    conversation_id, phone, token = long_conversation
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=ZONE)
    page = context.new_page()
    sign_in(page, base, ADMIN_EMAIL, ADMIN_SECRET)
    page.goto(f"{base}/conversations/{conversation_id}")
    expect(page.locator(BUBBLES)).to_have_count(50)
    expect(page.locator(BUBBLES).last).to_contain_text(f"Text number {TEXTS - 1:03d}")
    total = _total(base, token, conversation_id)
    assert total > 100, "two pages back at least"

    # Scrolled to the top of the thread's box, the button is there; pressed with the keyboard.
    page.evaluate("document.getElementById('thread-messages').scrollTop = 0")
    button = page.get_by_role("button", name="Show earlier messages")
    expect(button).to_be_in_viewport()
    check_accessibility(page, "inbox-earlier-1280")
    screenshot(page, "inbox-earlier-1280")
    first = _ids(page)[0]
    before = _top(page, first)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator(BUBBLES)).to_have_count(100)
    assert abs(_top(page, first) - before) <= 2, "the message on screen stays where it was"
    expect(page.locator("#thread-earlier-button")).to_be_focused()
    expect(page.locator("#inbox-announcer")).to_contain_text("Showing 50 earlier messages")

    # A text arriving now is added once, at the bottom.
    late = f"One more from Lena {uuid.uuid4().hex[:6]}"
    _api(base, "POST", "/sandbox/inbound", token, {"channel": "sms", "from": phone, "body": late})
    expect(page.locator(f"{BUBBLES}:has-text('{late}')")).to_have_count(1, timeout=10_000)

    # Back to the start: the button gives way to the start of the conversation; every message is there once.
    while page.locator("#thread-earlier-button").count():
        shown = page.locator(BUBBLES).count()
        page.locator("#thread-earlier-button").click()
        expect(page.locator(BUBBLES)).not_to_have_count(shown)
    expect(page.locator("#thread-start")).to_have_text("Start of the conversation")
    ids = _ids(page)
    assert len(ids) == len(set(ids)) == _total(base, token, conversation_id)
    expect(page.locator(BUBBLES).first).to_contain_text("Text number 000")
    screenshot(page, "inbox-earlier-start-1280")

    # On a phone the page scrolls, not the thread: the message on screen stays put there too.
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{base}/conversations/{conversation_id}")
    expect(page.locator(BUBBLES)).to_have_count(50)
    page.locator("#thread-earlier").scroll_into_view_if_needed()
    first = _ids(page)[0]
    before = _top(page, first)
    check_accessibility(page, "inbox-earlier-375")
    screenshot(page, "inbox-earlier-375")
    page.get_by_role("button", name="Show earlier messages").click()
    expect(page.locator(BUBBLES)).to_have_count(100)
    assert abs(_top(page, first) - before) <= 2, "the message on screen stays where it was"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_snoozing_until_a_time_picked_in_the_browsers_zone(browser, live_server, long_conversation):
    base = live_server
    conversation_id, _, _ = long_conversation
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id=ZONE)
        page = context.new_page()
        sign_in(page, base, ADMIN_EMAIL, ADMIN_SECRET)
        page.goto(f"{base}/conversations/{conversation_id}")
        if width == 1280:  # a note re-renders the header out of band: the form still knows the zone after it
            page.locator("#composer-body").fill("Asked to be contacted tomorrow morning")
            page.get_by_role("button", name="Save as private note").click()
            expect(page.locator("#composer-notice")).to_be_visible()
        page.locator("summary", has_text="Snooze").click()
        choice = page.get_by_label("Hide it from the list")
        expect(choice).to_be_visible()
        picker = page.get_by_label("Date and time")
        expect(picker).to_be_hidden()
        choice.focus()
        choice.select_option("at")
        expect(picker).to_be_visible()
        expect(page.locator("label[for='snooze-at']")).to_contain_text("(America/Chicago)")
        expect(page.locator("#snooze-form input[name='tz']")).to_have_value(ZONE)

        # A time already gone is refused next to the field, before anything is sent.
        local_now = dt.datetime.now(ZoneInfo(ZONE))
        picker.fill((local_now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Snooze", exact=True).click()
        error = page.locator("#snooze-at-error")
        expect(error).to_have_text("Choose a time in the future.")
        expect(picker).to_have_attribute("aria-invalid", "true")
        expect(picker).to_be_focused()
        check_accessibility(page, f"inbox-snooze-picker-{width}")
        screenshot(page, f"inbox-snooze-picker-{width}")
        assert width > 400 or page.evaluate("document.documentElement.scrollWidth") <= 375

        if width == 375:
            picker.fill((local_now + dt.timedelta(days=91)).strftime("%Y-%m-%dT%H:%M"))
            expect(error).to_have_text("Snooze for at most 90 days.")
            choice.focus()
            page.keyboard.press("Escape")
            expect(choice).to_be_hidden()
            expect(page.locator("summary", has_text="Snooze")).to_be_focused()
            context.close()
            continue

        # Tomorrow 09:30 in Chicago: the thread says so in the agent's time, and the stored time is 09:30 Chicago.
        tomorrow = (local_now + dt.timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
        picker.fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
        expect(error).to_be_hidden()
        page.get_by_role("button", name="Snooze", exact=True).click()
        flag = page.locator(".thread-flag:has-text('Snoozed until')")
        expect(flag).to_be_visible()
        at_utc = tomorrow.astimezone(dt.timezone.utc)
        expect(flag.locator("time")).to_have_attribute("datetime", at_utc.isoformat())
        expect(flag).to_contain_text(re.compile(rf"{tomorrow:%b} {tomorrow.day}, 9:30\s?AM"))
        screenshot(page, "inbox-snoozed-1280")
        page.goto(f"{base}/conversations?snoozed=1")
        row = page.locator(f"#conv-row-{conversation_id} .row-snoozed")
        expect(row).to_contain_text(re.compile(rf"Snoozed until {tomorrow:%b} {tomorrow.day}, 9:30\s?AM"))
        check_accessibility(page, "inbox-snoozed-list-1280")
        screenshot(page, "inbox-snoozed-list-1280")
        context.close()


def test_an_admin_reaches_the_sandbox_from_the_phone_bar(browser, live_server):
    base = live_server
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    sign_in(page, base, ADMIN_EMAIL, ADMIN_SECRET)
    bar = page.get_by_role("navigation", name="Main (mobile)")
    more = bar.locator("summary", has_text="More")
    expect(more).to_be_visible()
    sandbox = bar.get_by_role("link", name="Sandbox")
    expect(sandbox).to_be_hidden()

    # Keyboard: open, reach the entry, Escape closes and returns focus.
    more.focus()
    page.keyboard.press("Enter")
    expect(sandbox).to_be_visible()
    expect(bar.get_by_role("group", name="More pages")).to_be_visible()
    check_accessibility(page, "nav-more-open-375")
    screenshot(page, "nav-more-open-375")
    page.keyboard.press("Tab")
    expect(bar.get_by_role("group", name="More pages").get_by_role("link").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(sandbox).to_be_hidden()
    expect(more).to_be_focused()

    # A tap outside closes it; a tap on the entry goes there, and "More" then shows where the page is.
    more.click()
    expect(sandbox).to_be_visible()
    page.mouse.click(180, 200)
    expect(sandbox).to_be_hidden()
    more.click()
    sandbox.click()
    page.wait_for_url(re.compile(r"/sandbox$"))
    expect(more).to_have_class(re.compile("is-current"))
    more.click()
    expect(bar.get_by_role("link", name="Sandbox")).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "nav-more-current-375")

    # On a desktop the sidebar lists everything and the bottom bar is not shown.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(bar).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Sandbox")).to_be_visible()
    screenshot(page, "nav-more-desktop-1280")
    context.close()
