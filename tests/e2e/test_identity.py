"""Sign up, verify, enrol MFA, sign out, sign in with TOTP, invite an agent who joins in a second browser."""
import re
import time
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import check_accessibility, fresh_code, outbox_link, screenshot

PASSWORD = "Vq7#rLm2!xTz9Kp"


def _enrol(page, name: str) -> str:
    page.wait_for_url("**/mfa/setup")
    check_accessibility(page, f"mfa-setup-{name}")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from your authenticator app").fill(fresh_code(secret))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url("**/mfa/recovery-codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    check_accessibility(page, f"recovery-codes-{name}")
    page.get_by_role("link", name="I have saved them, continue").click()
    page.wait_for_url("**/dashboard")
    return secret


def test_signup_to_invited_agent(browser, live_server):
    tag = uuid.uuid4().hex[:6]
    owner_email = f"owner-{tag}@agency.example"
    agent_email = f"agent-{tag}@agency.example"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/signup")
    check_accessibility(page, "signup")
    page.get_by_label("Company name").fill(f"Northwind Recovery {tag}")
    page.get_by_label("Your name").fill("Nora Owner")
    page.get_by_label("Work email").fill(owner_email)
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(live_server + outbox_link(live_server, owner_email, r"/signup/verify/\S+"))
    secret = _enrol(page, "owner")
    expect(page.locator(".page-head")).to_contain_text(f"Northwind Recovery {tag}")

    page.locator("#user-menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.get_by_label("Email").fill(owner_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Authentication code").fill(fresh_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    page.wait_for_url("**/dashboard")

    page.goto(f"{live_server}/settings/team")
    check_accessibility(page, "team")
    page.get_by_label("Email").fill(agent_email)
    page.get_by_label("First name").fill("Alan")
    page.get_by_label("Last name").fill("Agent")
    page.get_by_label("Role", exact=True).select_option("agent")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(agent_email)
    expect(page.get_by_role("cell", name=agent_email)).to_be_visible()
    screenshot(page, "team-1280")

    other = browser.new_context(viewport={"width": 375, "height": 812})
    agent_page = other.new_page()
    agent_page.goto(live_server + outbox_link(live_server, agent_email, r"/invite/\S+"))
    check_accessibility(agent_page, "accept-invite")
    agent_page.get_by_label("New password", exact=True).fill(PASSWORD)
    agent_page.get_by_label("Repeat the new password").fill(PASSWORD)
    agent_page.get_by_role("button", name="Set password and continue").click()
    _enrol(agent_page, "agent")
    expect(agent_page.locator(".page-head")).to_contain_text(f"Northwind Recovery {tag}")
    screenshot(agent_page, "agent-dashboard-375")

    page.reload()
    row = page.get_by_role("row", name=re.compile(agent_email))
    expect(row).to_contain_text("Active")
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, "team-375")
    screenshot(page, "team-375")
    other.close()
    context.close()
