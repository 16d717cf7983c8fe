"""A debtor pays from a phone (375 px): the payment link from the sandbox outbox, the identity check, then $50 by
card to the receipt and the new balance, a card that needs 3-D Secure completed in localstripe's modal, and a
declined card whose reason shows inline with the amount kept and the card cleared. The pay and receipt pages are
checked with axe and photographed at 375 and 1280 px; the same page without JavaScript says it needs it."""
from __future__ import annotations

import re
import time
import urllib.request

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api, check_accessibility, screenshot
from tests.e2e.test_portal import _business_setup, _daytime_place, _manager_token, _new_account

LINK = re.compile(r"https?://[^\s]+?(/p/[A-Za-z0-9_-]{35})")


def _payment_link(base: str, token: str, account: dict) -> tuple[str, str]:
    """Staff send the payment link by text; its path as the sandbox outbox recorded it (or, while quiet hours hold
    the text for the morning, as the API returned it). Returns (path, where it was read)."""
    sent = _api(base, "POST", f"/accounts/{account['id']}/payment-link", token, {"channel": "sms"})["data"]
    if sent["deliveryStatus"] == "scheduled":
        return LINK.search(sent["url"]).group(1), "API answer (scheduled by quiet hours)"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        outbox = _api(base, "GET", f"/sandbox/messages?to={urllib.request.quote(account['phone'])}", token)["data"]
        for message in outbox:
            found = LINK.search(message["body"])
            if found:
                return found.group(1), "sandbox outbox"
        time.sleep(0.3)
    raise AssertionError("the payment link never reached the sandbox outbox")


def _look(page, name: str) -> None:
    """axe at 375 px, and a picture at 375 and 1280 px."""
    page.set_viewport_size({"width": 375, "height": 812})
    check_accessibility(page, f"{name}-375")
    screenshot(page, f"{name}-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 900})
    check_accessibility(page, f"{name}-1280")
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 375, "height": 812})


def _card(page, number: str) -> None:
    """The card element's fields (localstripe's Stripe.js mounts plain inputs; the page labels them)."""
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration month (MM)").fill("12")
    page.get_by_label("Expiration year (YY)").fill("34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_label("Billing ZIP code").fill("75201")


def _debtor_on_pay_page(browser, base: str, path: str, zip_code: str):
    """The debtor's phone (a 375 px browser context and its page) past the identity check of a payment link."""
    debtor = browser.new_context(viewport={"width": 375, "height": 812})
    phone = debtor.new_page()
    phone.goto(f"{base}{path}")
    phone.get_by_label("Last name").fill("Pena")
    phone.get_by_label("ZIP code").fill(zip_code)
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/p/pay")
    return debtor, phone


def debtor_from_a_payment_link(page, browser, base: str):
    """A business set up (its admin stays signed in on `page`), an account in a US zone where it is daytime, a
    payment link sent to it, and the debtor past the link's identity check on a phone at the pay page.
    (manager's API token, account, debtor's browser context, debtor's page)."""
    _business_setup(page, base)
    token = _manager_token(base)
    place = _daytime_place()
    account = _new_account(base, token, place)
    path, source = _payment_link(base, token, account)
    print(f"payment link read from the {source}")
    debtor, phone = _debtor_on_pay_page(browser, base, path, place[1])
    return token, account, debtor, phone


def test_a_debtor_pays_by_card_with_and_without_3d_secure_and_sees_a_decline(page, browser, live_server):
    base = str(live_server)
    token, account, debtor, phone = debtor_from_a_payment_link(page, browser, base)

    expect(phone.get_by_role("heading", name="Make a payment")).to_be_visible()
    expect(phone.locator(".pay-balance")).to_contain_text("$612.40")
    pay = phone.locator("#pay-button")
    expect(pay).to_be_enabled()
    expect(pay).to_have_text("Pay $612.40")
    expect(phone.get_by_label("Card number")).to_be_visible()
    expect(phone.get_by_text("Secure payment powered by Stripe")).to_be_visible()
    _look(phone, "portal-pay")

    amount = phone.get_by_label("Payment amount")
    amount.fill("700")
    amount.blur()
    expect(phone.locator("#amount-error")).to_have_text("Enter an amount from $1.00 to $612.40.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(pay).to_have_text("Pay")
    pay.click()
    expect(amount).to_be_focused()
    phone.get_by_role("button", name="Partial payment $153.00").click()
    expect(amount).to_have_value("153.00")
    expect(pay).to_have_text("Pay $153.00")
    expect(phone.locator("#amount-error")).to_be_hidden()
    screenshot(phone, "portal-pay-choices-375")

    # $50 by a card that simply works.
    amount.fill("50")
    expect(pay).to_have_text("Pay $50.00")
    pay.click()
    expect(phone.locator("#card-error")).to_have_text("Enter your card details above.")
    _card(phone, "4242424242424242")
    pay.click()
    phone.wait_for_url("**/p/receipts/*")
    expect(phone.get_by_role("heading", name="Payment receipt")).to_be_visible()
    facts = phone.locator(".receipt-facts")
    expect(facts).to_contain_text("$50.00")
    expect(facts).to_contain_text("Visa ending in 4242")
    expect(facts).to_contain_text(re.compile(r"R-\d{4}-\d{6}"))
    expect(phone.locator(".receipt-balance")).to_have_text("$562.40")
    expect(phone.locator(".portal-balance")).to_contain_text("$562.40")
    expect(phone.get_by_role("button", name="Print receipt")).to_be_visible()
    _look(phone, "portal-receipt")

    # $25 by a card whose bank asks for 3-D Secure: localstripe's modal, once to save the card, once to charge it.
    phone.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Payments").click()
    phone.wait_for_url("**/p/pay")
    expect(pay).to_have_text("Pay $562.40")
    amount.fill("25")
    _card(phone, "4000002760003184")
    pay.click()
    for _ in range(2):
        phone.get_by_role("button", name="Complete authentication").click()
    phone.wait_for_url("**/p/receipts/*")
    expect(phone.locator(".receipt-facts")).to_contain_text("$25.00")
    expect(phone.locator(".receipt-balance")).to_have_text("$537.40")
    screenshot(phone, "portal-receipt-3ds-375")

    # A card the bank declines at the charge: the reason inline, the amount kept, the card cleared, no charge.
    phone.goto(f"{base}/p/pay")
    amount.fill("30")
    _card(phone, "4000000000000341")
    pay.click()
    alert = phone.locator("#pay-error")
    expect(alert).to_have_text(re.compile(r"^Your payment did not go through: your card was declined\. "
                                          r"Your card was not charged\."))
    expect(alert).to_be_focused()
    expect(amount).to_have_value("30")
    expect(phone.get_by_label("Card number")).to_have_value("")
    expect(pay).to_be_enabled()
    expect(pay).to_have_text("Pay $30.00")
    _look(phone, "portal-pay-declined")

    phone.get_by_role("navigation", name="Portal sections").get_by_role("link", name="Account").click()
    history = phone.locator(".payment-history")
    expect(history.locator(".payment-row")).to_have_count(3)
    expect(history.locator("[data-status='failed']")).to_contain_text("Did not go through")
    expect(history.locator("[data-status='succeeded']")).to_have_count(2)
    expect(phone.locator(".portal-facts")).to_contain_text("$537.40")
    _look(phone, "portal-account-payments")
    history.get_by_role("link", name=re.compile(r"^Receipt for \$50\.00")).click()
    expect(phone.locator(".receipt-balance")).to_have_text("$562.40")

    # Both pages in Spanish (the footer's language link).
    phone.get_by_role("link", name="Ver esta página en español").click()
    expect(phone.get_by_role("heading", name="Recibo de pago")).to_be_visible()
    expect(phone.locator(".receipt-facts")).to_contain_text("Visa terminada en 4242")
    _look(phone, "portal-receipt-es")
    phone.goto(f"{base}/p/pay")
    expect(phone.get_by_role("heading", name="Hacer un pago")).to_be_visible()
    expect(pay).to_have_text("Pagar $537.40")
    _look(phone, "portal-pay-es")
    phone.goto(f"{base}/p/pay?lang=en")

    # The same page without JavaScript: it says the card form needs it, and nothing can be sent.
    plain = browser.new_context(viewport={"width": 375, "height": 812}, java_script_enabled=False,
                                storage_state=debtor.storage_state())
    no_js = plain.new_page()
    no_js.goto(f"{base}/p/pay")
    notice = no_js.locator("noscript .alert")  # Playwright's text search skips <noscript>, the browser shows it
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("To pay online, turn on JavaScript in your browser")
    assert "turn on JavaScript" in no_js.inner_text("main")
    expect(no_js.locator("#pay-button")).to_be_disabled()
    screenshot(no_js, "portal-pay-no-js-375")
    plain.close()
    debtor.close()
