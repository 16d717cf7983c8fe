"""The account file's Messages tab in a browser: a manager writes to a debtor, the gate adds what the law asks,
and the thread shows the message with its delivery status, at desktop and phone widths."""
import re

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]


def test_a_manager_messages_a_debtor_from_the_account_file(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, MANAGER_EMAIL, MANAGER_SECRET)
    page.goto(f"{live_server}/accounts/")
    hrefs = page.eval_on_selector_all("a[href^='/accounts/']", "links => links.map(a => a.getAttribute('href'))")
    account = next(h for h in hrefs if re.fullmatch(r"/accounts/[0-9a-f-]{36}", h))
    page.goto(f"{live_server}{account}")
    page.locator("nav.tabs").get_by_role("link", name="Messages").click()
    expect(page).to_have_url(re.compile(r"tab=messages"))
    page.get_by_label("Channel").select_option("email")
    page.get_by_label("Subject").fill("About your account")
    page.get_by_label("Message").fill("Hello, could we talk about a payment plan this week?")
    page.get_by_role("button", name="Send").click()
    outcome = page.locator(".form-status, #message-error")
    expect(outcome).to_be_visible()
    expect(page.locator(".message-list .message").first).to_contain_text("could we talk about a payment plan")
    check_accessibility(page, "account-messages-1280")
    screenshot(page, "account-messages-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.locator(".message-list")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "account-messages-375")
    screenshot(page, "account-messages-375")
