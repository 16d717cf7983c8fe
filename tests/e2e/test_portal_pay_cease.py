"""A debtor who sent a cease letter pays from a phone (375 px): the pay form offers "Email me a receipt" with why,
the debtor ticks it and pays $50 by card, the receipt page names the card ("Visa ending in 4242"), and the one
receipt they asked for goes out, stating the facts only; staff see the card in the account's Payments tab. Pages
checked with axe and photographed at 375 and 1280 px."""
from __future__ import annotations

import datetime as dt
import time
import urllib.request
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api, check_accessibility, screenshot
from tests.e2e.test_portal import _business_setup, _daytime_place, _manager_token, _new_account
from tests.e2e.test_portal_pay import _card, _debtor_on_pay_page, _look, _payment_link


def _outbox(base: str, token: str, to: str) -> list[dict]:
    return _api(base, "GET", f"/sandbox/messages?to={urllib.request.quote(to)}", token)["data"]


def test_after_a_cease_the_debtor_asks_for_a_receipt_with_the_payment(page, browser, live_server):
    base = str(live_server)
    _business_setup(page, base)
    token = _manager_token(base)
    place = _daytime_place()
    account = _new_account(base, token, place)
    path, _ = _payment_link(base, token, account)
    # The cease letter arrives after the link went out.
    ceased = _api(base, "PATCH", f"/accounts/{account['id']}", token, {
        "ceaseDate": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "ceaseType": "cease",
        "ceaseChannel": "mail"})
    assert ceased["success"], ceased

    debtor, phone = _debtor_on_pay_page(browser, base, path, place[1])

    offer = phone.get_by_label("Email me a receipt for this payment")
    expect(offer).to_be_visible()
    expect(offer).not_to_be_checked()
    expect(phone.locator("#receipt-hint")).to_contain_text("You asked")
    expect(phone.locator("#receipt-hint")).to_contain_text("we send one receipt with the amount, the date and the "
                                                           "receipt number only")
    phone.get_by_label("Payment amount").fill("50")
    _card(phone, "4242424242424242")
    offer.check()
    expect(offer).to_be_checked()
    _look(phone, "portal-pay-cease")

    phone.locator("#pay-button").click()
    phone.wait_for_url("**/p/receipts/*")
    facts = phone.locator(".receipt-facts")
    expect(facts).to_contain_text("Visa ending in 4242")
    expect(facts).to_contain_text("$50.00")
    expect(phone.locator(".receipt-balance")).to_have_text("$562.40")
    _look(phone, "portal-receipt-visa")

    zone = ZoneInfo(place[3])
    if 9 <= dt.datetime.now(zone).hour < 20:  # inside the window: the one receipt asked for goes out now
        deadline, found = time.monotonic() + 20, []
        while time.monotonic() < deadline and not found:
            found = [m for m in _outbox(base, token, account["email"]) if "payment received" in m["body"]]
            time.sleep(0.3)
        assert len(found) == 1, found
        assert "$50.00" in found[0]["body"] and "balance" not in found[0]["body"].lower()
    debtor.close()

    # Staff see how it was paid in the account's Payments tab.
    page.goto(f"{base}/accounts/{account['id']}?tab=payments")
    row = page.locator("table.payments-table tbody tr").first
    expect(row.locator("td[data-label='Method']")).to_contain_text("Visa ending in 4242")
    page.set_viewport_size({"width": 1280, "height": 900})
    check_accessibility(page, "account-payments-card-1280")
    screenshot(page, "account-payments-card-1280")
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "account-payments-card-375")
    screenshot(page, "account-payments-card-375")
