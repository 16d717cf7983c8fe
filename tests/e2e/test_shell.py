"""Can the demo admin sign in with TOTP and use the business shell on a desktop and on a phone?"""
import pyotp
from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import check_accessibility, screenshot, sign_in

ADMIN_EMAIL, _, _, _, ADMIN_SECRET = STAFF[0]
AGENT_EMAIL, _, _, _, AGENT_SECRET = STAFF[2]


def test_admin_signs_in_and_sees_the_shell(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, ADMIN_EMAIL, ADMIN_SECRET)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("Acme Recovery Partners")
    expect(page.get_by_role("navigation", name="Main", exact=True)).to_be_visible()
    expect(page.locator("#status-chart")).to_be_visible()
    check_accessibility(page, "dashboard-1280")
    screenshot(page, "shell-1280")

    page.set_viewport_size({"width": 375, "height": 812})
    page.reload()
    expect(page.get_by_role("navigation", name="Main (mobile)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main", exact=True)).to_be_hidden()
    check_accessibility(page, "dashboard-375")
    screenshot(page, "shell-375")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"no horizontal scrolling at 375 px (page is {width} px wide)"


def test_keyboard_reaches_skip_link_and_user_menu(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, AGENT_EMAIL, AGENT_SECRET)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    menu = page.locator("#user-menu > summary")
    expect(menu).to_have_accessible_name("Account menu for Jordan Lee")
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    menu.click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(f"{live_server}/dashboard")
    page.wait_for_url("**/login**")


def test_wrong_code_shows_an_inline_error(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("Demo-Collect-2026!")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/login/mfa")
    wrong = str((int(pyotp.TOTP(ADMIN_SECRET).now()) + 1) % 1_000_000).zfill(6)
    page.get_by_label("Authentication code").fill(wrong)
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    check_accessibility(page, "mfa-error")


def test_settings_pages_render_accessibly(page, live_server):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, ADMIN_EMAIL, ADMIN_SECRET)
    for path, name in (("/settings/", "settings"), ("/settings/profile", "profile"),
                       ("/settings/api-keys", "api-keys"), ("/settings/webhooks", "webhooks"), ("/settings/audit", "audit"),
                       ("/settings/compliance", "settings-compliance")):
        page.goto(live_server + path)
        check_accessibility(page, name)
        screenshot(page, f"{name}-1280")
    page.goto(live_server + "/settings/profile")
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, "profile-375")
    screenshot(page, "profile-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(live_server + "/settings/audit")
    check_accessibility(page, "audit-375")
    screenshot(page, "audit-375")
    page.goto(live_server + "/settings/compliance")
    check_accessibility(page, "settings-compliance-375")
    screenshot(page, "settings-compliance-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
