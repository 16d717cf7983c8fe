"""A debtor's first visit on a phone: the link from the first-contact text, one wrong answer (shown inline), the
identity check passed, the account, the validation notice and its PDF, a dispute and the contact preferences, each
page checked with axe at 375 px and photographed at 375 and 1280 px."""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import sqlite3
import time
import urllib.request
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from app.services.demo import STAFF
from tests.e2e.conftest import api_call as _api, api_token, check_accessibility, screenshot, sign_in
from tests.unit.test_validation_notice import pdf_text

ADMIN_EMAIL, _, _, _, ADMIN_SECRET = STAFF[0]
MANAGER_EMAIL, _, _, _, MANAGER_SECRET = STAFF[1]
PASSWORD = "Demo-Collect-2026!"
CREDITOR = "Northwind Bank"
PLACES = (  # state, ZIP, area code, zone: the debtor lives where it is daytime now, so the first text goes out
    ("NY", "10001", "212", "America/New_York"), ("TX", "75201", "214", "America/Chicago"),
    ("CO", "80202", "303", "America/Denver"), ("CA", "90012", "213", "America/Los_Angeles"),
    ("HI", "96813", "808", "Pacific/Honolulu"), ("PR", "00901", "787", "America/Puerto_Rico"),
    ("GU", "96910", "671", "Pacific/Guam"),
)


def _manager_token(base: str) -> str:
    return api_token(base, MANAGER_EMAIL, MANAGER_SECRET)


def _daytime_place():
    now = dt.datetime.now(dt.timezone.utc)
    for place in PLACES:
        if 9 <= now.astimezone(ZoneInfo(place[3])).hour < 20:
            return place
    return PLACES[0]


def _first_contact_link(base: str, token: str, phone: str, account_id: str) -> tuple[str, str]:
    """Send the first-contact SMS through the pipeline; the link from the sandbox outbox once it is sent, or from the
    stored message while the gate holds it for the morning. Returns (path, where it was read)."""
    sent = _api(base, "POST", "/conversations", token, {
        "accountId": account_id, "channel": "sms", "initialMessage": "Hi, this is a message about your account."})
    assert sent["success"], sent
    data = sent["data"]
    conversation_id = data.get("id") or data.get("conversationId") or data["conversation"]["id"]
    pattern = re.compile(r"https?://[^\s]+?(/p/[A-Za-z0-9_-]{35})")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        outbox = _api(base, "GET", f"/sandbox/messages?to={urllib.request.quote(phone)}", token)["data"]
        for message in outbox:
            found = pattern.search(message["body"])
            if found:
                return found.group(1), "sandbox outbox"
        detail = _api(base, "GET", f"/conversations/{conversation_id}", token)["data"]
        stored = [m for m in detail["messages"] if pattern.search(m["content"] or "")]
        if stored and stored[-1]["deliveryStatus"] == "scheduled":
            return pattern.search(stored[-1]["content"]).group(1), "stored message (scheduled by quiet hours)"
        time.sleep(0.4)
    raise AssertionError("the first-contact text never carried a portal link")


def _business_setup(page, base: str) -> None:
    """The admin records the dispute mailing address and support phone the notice and the pages print (D-15)."""
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, ADMIN_EMAIL, ADMIN_SECRET)
    page.goto(f"{base}/settings/compliance")
    page.get_by_label("Dispute mailing address").fill("PO Box 4410, Dallas, TX 75201")
    page.get_by_label("Support phone").fill("+18005550199")
    page.get_by_role("button", name="Save compliance settings").click()
    expect(page.get_by_label("Dispute mailing address")).to_have_value("PO Box 4410, Dallas, TX 75201")


def _new_account(base: str, token: str, place, **fields) -> dict:
    state, zip_code, area, _ = place
    body = {"firstName": "Dana", "lastName": "Peña", "phone": f"+1{area}555{random.randint(1000, 9999)}",
            "phoneType": "cell", "smsConsent": True, "email": f"dana.{uuid.uuid4().hex[:6]}@example.com",
            "emailProvenance": "consumer_consent", "state": state, "zip": zip_code, "city": "Springfield",
            "accountNumber": f"NW-{uuid.uuid4().hex[:8].upper()}", "originalCreditor": CREDITOR,
            "currentCreditor": CREDITOR, "currentBalance": 612.40, "originalBalance": 700.00, "dueDate": "2026-05-31",
            **fields}
    return _api(base, "POST", "/accounts", token, body)["data"]


def _look(page, name: str) -> None:
    """axe at 375 px, and a picture at 375 and 1280 px."""
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, f"{name}-375")
    screenshot(page, f"{name}-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 375, "height": 812})


def test_a_debtor_opens_the_first_contact_link_on_a_phone(page, browser, live_server):
    base = str(live_server)
    _business_setup(page, base)
    place = _daytime_place()
    zip_code = place[1]
    token = _manager_token(base)
    account = _new_account(base, token, place)
    phone = account["phone"]
    path, source = _first_contact_link(base, token, phone, account["id"])
    print(f"portal link read from the {source}")

    debtor = browser.new_context(viewport={"width": 375, "height": 812}, accept_downloads=True)
    phone_page = debtor.new_page()
    phone_page.goto(f"{base}{path}")
    expect(phone_page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    body = phone_page.locator("body").inner_text()
    assert CREDITOR not in body and "612.40" not in body and account["accountNumber"][-4:] not in body
    check_accessibility(phone_page, "portal-identify-375")
    screenshot(phone_page, "portal-identify-375")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375

    phone_page.get_by_label("Last name").fill("Pena")
    phone_page.get_by_label("ZIP code").fill("99999")
    phone_page.get_by_role("button", name="Continue").click()
    error = phone_page.get_by_role("alert")
    expect(error).to_contain_text("don't match our records")
    expect(error).to_contain_text("4 attempts left")
    check_accessibility(phone_page, "portal-identify-error-375")
    screenshot(phone_page, "portal-identify-error-375")

    phone_page.get_by_label("ZIP code").fill(zip_code)
    phone_page.get_by_role("button", name="Continue").click()
    phone_page.wait_for_url("**/p/account")
    expect(phone_page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(phone_page.locator(".portal-facts")).to_contain_text(CREDITOR)
    expect(phone_page.locator(".portal-facts")).to_contain_text("$612.40")
    expect(phone_page.locator(".portal-facts")).to_contain_text(f"ending in {account['accountNumber'][-4:]}")
    check_accessibility(phone_page, "portal-account-375")
    screenshot(phone_page, "portal-account-375")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375

    phone_page.get_by_role("link", name="Read the notice").click()
    phone_page.wait_for_url("**/p/notice")
    notice = phone_page.locator("article.notice")
    expect(notice).to_contain_text(f"with {CREDITOR} with account number {account['accountNumber']}")
    expect(notice).to_contain_text("Mail your dispute or request to: PO Box 4410, Dallas, TX 75201")
    check_accessibility(phone_page, "portal-notice-375")
    screenshot(phone_page, "portal-notice-375")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375

    with phone_page.expect_download() as download_info:
        phone_page.get_by_role("link", name="Download PDF").click()
    data = open(download_info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    text = re.sub(r"\s+", " ", pdf_text(data))
    assert CREDITOR in text and "Validation notice" in text and "$612.40" in text

    phone_page.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Account").click()
    phone_page.get_by_label("I want the name and address of the original creditor").check()
    phone_page.get_by_role("button", name="Send").click()
    expect(phone_page.get_by_role("status").filter(has_text="We received your request")).to_be_visible()
    expect(phone_page.locator(".portal-requests")).to_contain_text("Request for the original creditor")
    check_accessibility(phone_page, "portal-account-after-request-375")

    phone_page.get_by_role("link", name="Manage preferences").click()
    expect(phone_page.get_by_role("heading", name="How we contact you")).to_be_visible()
    check_accessibility(phone_page, "portal-preferences-375")
    screenshot(phone_page, "portal-preferences-375")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375

    phone_page.set_viewport_size({"width": 1280, "height": 900})
    for name, url in (("account", "/p/account"), ("notice", "/p/notice"), ("preferences", "/p/preferences")):
        phone_page.goto(f"{base}{url}")
        check_accessibility(phone_page, f"portal-{name}-1280")
        screenshot(phone_page, f"portal-{name}-1280")
    phone_page.get_by_role("button", name="Sign out").click()
    expect(phone_page.get_by_role("heading", name="You've signed out")).to_be_visible()
    debtor.close()


def test_the_other_portal_pages_a_debtor_may_meet(page, browser, live_server):
    """The lock after five wrong answers, an expired link and its fresh one, the email footer's preferences page
    without the identity check, the one-click unsubscribe, and the Spanish identity check."""
    base = str(live_server)
    _business_setup(page, base)
    token = _manager_token(base)
    place = _daytime_place()
    debtor = browser.new_context(viewport={"width": 375, "height": 812})
    visitor = debtor.new_page()

    locked = _new_account(base, token, place)
    link = _api(base, "POST", f"/accounts/{locked['id']}/payment-link", token, {"send": False})["data"]["url"]
    visitor.goto(link)
    for _ in range(5):
        visitor.get_by_label("Last name").fill("Pena")
        visitor.get_by_label("ZIP code").fill("99999")
        visitor.get_by_role("button", name="Continue").click()
    expect(visitor.get_by_role("alert")).to_contain_text("try again in 30 minutes")
    expect(visitor.get_by_role("alert")).to_contain_text("(800) 555-0199")
    _look(visitor, "portal-locked")

    expired = _new_account(base, token, place)
    old = _api(base, "POST", f"/accounts/{expired['id']}/payment-link", token, {"send": False, "channel": "sms"})
    old_token = old["data"]["url"].rsplit("/", 1)[1]
    with sqlite3.connect(live_server.database) as conn:  # a link issued eight days ago
        conn.execute("UPDATE portal_links SET expires_at = '2020-01-01 00:00:00.000000', "
                     "created_at = '2019-12-25 00:00:00.000000' WHERE account_id = ?",
                     (uuid.UUID(expired["id"]).hex,))
    visitor.goto(old["data"]["url"])
    expect(visitor.get_by_role("heading", name="This link has expired")).to_be_visible()
    _look(visitor, "portal-expired")
    visitor.get_by_role("button", name="Send me a new link").click()
    expect(visitor.get_by_role("heading", name="We sent you a new link")).to_be_visible()
    _look(visitor, "portal-renewed")

    emailed = _new_account(base, token, place)
    # The debtor writes first and we answer within minutes (TIME-5): the email goes out at any hour of the day.
    wrote = _api(base, "POST", "/sandbox/inbound", token, {"channel": "email", "from": emailed["email"],
                                                           "subject": "Your account", "body": "Who is this?"})
    sent = _api(base, "POST", f"/conversations/{wrote['data']['conversationId']}/messages", token,
                {"content": "Hello Dana."})
    assert sent["success"], sent
    footer, unsubscribe_url = None, None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not unsubscribe_url:
        with sqlite3.connect(live_server.database) as conn:
            row = conn.execute("SELECT body, meta FROM sandbox_messages WHERE to_address = ?",
                               (emailed["email"],)).fetchone()
        if row:
            footer = re.search(r"https?://\S+/p/[A-Za-z0-9_-]{35}/preferences", row[0]).group(0)
            unsubscribe_url = json.loads(row[1])["unsubscribe_url"]
        time.sleep(0.3)
    assert footer and unsubscribe_url, "the email never left (quiet hours everywhere?)"
    visitor.goto(footer)
    expect(visitor.get_by_role("heading", name="How we contact you")).to_be_visible()
    expect(visitor.locator("body")).not_to_contain_text(CREDITOR)
    _look(visitor, "portal-footer-preferences")

    visitor.goto(unsubscribe_url)
    expect(visitor.get_by_role("heading", name="Unsubscribe from emails")).to_be_visible()
    _look(visitor, "portal-unsubscribe")
    visitor.get_by_role("button", name="Unsubscribe").click()
    expect(visitor.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    _look(visitor, "portal-unsubscribed")
    visitor.goto(footer)
    expect(visitor.locator("[data-state='off']")).to_have_count(visitor.locator(".preference").count())

    spanish = _new_account(base, token, place, preferredLanguage="es", firstName="Lucía")
    link = _api(base, "POST", f"/accounts/{spanish['id']}/payment-link", token, {"send": False})["data"]["url"]
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Confirme su identidad")).to_be_visible()
    _look(visitor, "portal-identify-es")
    visitor.get_by_label("Apellido").fill("peña")
    visitor.get_by_label("Código postal (ZIP)").fill(place[1])
    visitor.get_by_role("button", name="Continuar").click()
    visitor.wait_for_url("**/p/pay")  # a payment link lands on the payment page
    visitor.get_by_role("navigation", name="Secciones del portal").get_by_role("link", name="Cuenta").click()
    visitor.wait_for_url("**/p/account")
    expect(visitor.get_by_role("heading", name="Su cuenta")).to_be_visible()
    _look(visitor, "portal-account-es")
    visitor.get_by_role("link", name="Leer el aviso").click()
    expect(visitor.locator("article.notice")).to_contain_text("es un cobrador de deudas")
    _look(visitor, "portal-notice-es")
    visitor.get_by_role("button", name="Cerrar sesión").click()
    expect(visitor.get_by_role("heading", name="Ha cerrado sesión")).to_be_visible()
    _look(visitor, "portal-signed-out-es")
    debtor.close()
