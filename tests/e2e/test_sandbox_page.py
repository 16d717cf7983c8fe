"""The sandbox simulator in a browser: the demo admin watches the outbox while a message goes out from an account in
another tab, sees it arrive without reloading, answers as the debtor through the real webhook, and reports the text
delivered; at desktop and phone widths."""
import datetime as dt
import sqlite3
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

ADMIN_EMAIL, _, _, _, ADMIN_SECRET = STAFF[0]
SOCKET_READY = "() => !!(window.funnelChat && window.funnelChat.socket && window.funnelChat.socket.connected)"


def texting_debtor(server) -> tuple[str, str]:
    """(account id, phone) of a demo debtor who agreed to texts and never opted out, preferring one whose local time
    allows a message now."""
    with sqlite3.connect(server.database) as conn:
        rows = conn.execute(
            "SELECT id, phone, timezone FROM accounts WHERE sms_consent = 1 AND status = 'active' AND phone IS NOT NULL"
            " AND timezone IS NOT NULL AND cease_received_at IS NULL AND attorney_pending = 0 AND deleted_at IS NULL"
            " AND phone NOT IN (SELECT address FROM opt_out_events WHERE address IS NOT NULL)"
            " ORDER BY account_number").fetchall()
    now = dt.datetime.now(dt.timezone.utc)
    in_hours = [row for row in rows if 10 <= now.astimezone(ZoneInfo(row[2])).hour < 19]
    account_id, phone, _ = (in_hours or rows)[0]
    return str(uuid.UUID(str(account_id))), phone


def test_the_outbox_fills_live_and_the_debtor_answers(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, ADMIN_EMAIL, ADMIN_SECRET)
    page.goto(f"{live_server}/sandbox")
    expect(page.get_by_role("heading", name="Sandbox simulator")).to_be_visible()
    page.locator("#sandbox-switches > summary").click()
    switch = page.get_by_label("Report delivery automatically")
    if switch.is_checked():
        switch.uncheck()
    expect(page.locator("#auto-reports-hint")).to_contain_text("sends stay Sent")
    page.wait_for_function(SOCKET_READY)
    try:
        _send_watch_answer_and_report(page, live_server)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server}/sandbox")
        page.locator("#sandbox-switches > summary").click()
        if not page.get_by_label("Report delivery automatically").is_checked():
            page.get_by_label("Report delivery automatically").check()
        expect(page.locator("#auto-reports-hint")).to_contain_text("Each send is reported sent")


def _send_watch_answer_and_report(page, live_server):
    account_id, phone = texting_debtor(live_server)
    marker = f"Sandbox check {uuid.uuid4().hex[:6]}"
    other = page.context.new_page()
    other.goto(f"{live_server}/accounts/{account_id}?tab=messages")
    other.get_by_label("Channel").select_option("sms")
    other.get_by_label("Message").fill(f"{marker}: could we talk about your balance this week?")
    other.get_by_role("button", name="Send").click()
    outcome = other.locator(".message-compose .form-status, #message-error")
    expect(outcome).to_be_visible()
    if "Sent to the provider queue." in outcome.inner_text():
        row = page.locator(".outbox-item", has_text=marker)
    else:
        # Outside the debtor's contact hours the account's text waits for the morning; the debtor texting HELP
        # gets the business's help reply at any hour, which the outbox shows in the same way.
        other.goto(f"{live_server}/sandbox")
        other.locator("#sandbox-compose > summary").click()
        other.get_by_label("Channel", exact=True).select_option("sms")
        other.get_by_label("From (the debtor's phone or email)").fill(phone)
        other.get_by_label("Message", exact=True).fill("HELP")
        other.locator("#sandbox-compose").get_by_role("button", name="Send as the debtor").click()
        expect(other.locator("#sandbox-compose .form-status")).to_contain_text("Received through the SMS webhook")
        row = page.locator(".outbox-item", has=page.locator(".outbox-to", has_text=phone))
    other.close()

    expect(row.first).to_be_visible(timeout=20_000)  # arrived over Socket.IO: this page was never reloaded
    row = page.locator(f"#{row.first.get_attribute('id')}")
    expect(row.locator(".outbox-head .chip[data-status]")).to_have_text("Provider status: Sent")

    row.get_by_role("link", name="Reply as the debtor").click()
    reply = row.get_by_label("The debtor's message")
    expect(reply).to_be_focused()
    reply.fill("Thanks, I can pay $50 on Friday.")
    row.get_by_role("button", name="Send as the debtor").click()
    expect(row.locator(".reply-panel .form-status")).to_contain_text("Received through the SMS webhook into")

    row.get_by_role("button", name="Delivered").click()
    expect(row.locator(".outbox-head .chip[data-status]")).to_have_text("Provider status: Delivered")
    expect(row.locator(".outbox-note")).to_contain_text("Reported delivered")
    expect(row.locator(".outbox-ids")).to_contain_text("In the app")
    expect(row.get_by_role("button", name="Failed")).to_have_count(0)

    # A second send while the list is showing goes on top of it, again without a reload.
    before = page.locator(".outbox-item").count()
    page.locator("#sandbox-compose > summary").click()
    page.get_by_label("Channel", exact=True).select_option("sms")
    page.get_by_label("From (the debtor's phone or email)").fill(phone)
    page.get_by_label("Message", exact=True).fill("HELP")
    page.locator("#sandbox-compose").get_by_role("button", name="Send as the debtor").click()
    expect(page.locator("#sandbox-compose .form-status")).to_contain_text("Received through the SMS webhook")
    expect(page.locator(".outbox-item")).to_have_count(before + 1, timeout=20_000)
    expect(page.locator(".outbox-total")).to_have_text(f"{before + 1} messages")
    expect(page.locator(".outbox-item").first.locator(".outbox-to")).to_have_text(phone)
    expect(page.locator("#outbox-live")).to_contain_text(f"New in the outbox: SMS to {phone}")
    check_accessibility(page, "sandbox-1280")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "sandbox-1280")

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator(".outbox-list")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "sandbox-375")
    screenshot(page, "sandbox-375")
