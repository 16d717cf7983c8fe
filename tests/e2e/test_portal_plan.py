"""A debtor sets up a payment plan on a phone (375 px): from a payment link past the identity check, "Pay over time"
on the pay page, the proposals recomputed for what they can afford, then their own plan of 6 monthly payments with
its live schedule, auto-pay with a card in localstripe's Stripe.js form; they sign the agreement, the down payment
is charged with that card and the plan is active; the schedule shows it paid, and the signed agreement's PDF is in
the sandbox outbox as an email attachment. The plan page and the signed page are checked with axe and photographed
at 375 and 1280 px."""
from __future__ import annotations

import re
import time
import urllib.request

from playwright.sync_api import expect

from tests.e2e.conftest import api_call as _api, screenshot
from tests.e2e.test_portal_pay import _card, _look, debtor_from_a_payment_link


def _agreement_email(base: str, token: str, email: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        outbox = _api(base, "GET", f"/sandbox/messages?to={urllib.request.quote(email)}", token)["data"]
        for message in outbox:
            if message["subject"] == "Your signed payment plan agreement":
                return message
        time.sleep(0.5)
    raise AssertionError("the signed agreement never reached the sandbox outbox")


def test_a_debtor_picks_a_six_payment_plan_with_auto_pay_and_signs_it_on_a_phone(page, browser, live_server):
    base = str(live_server)
    token, account, debtor, phone = debtor_from_a_payment_link(page, browser, base)

    phone.get_by_role("link", name="Pay over time").click()
    phone.wait_for_url("**/p/plans/new")
    expect(phone.get_by_role("heading", name="Pay over time", level=1)).to_be_visible()
    expect(phone.locator("#plan-proposals .plan-option")).to_have_count(3)
    expect(phone.locator("#plan-proposals")).to_contain_text("$122.48 down today")
    _look(phone, "portal-plan-new")

    # "I can afford $30 a month": the proposals are recomputed in place.
    phone.get_by_label("I can afford").fill("30")
    phone.get_by_role("button", name="Show plans").click()
    expect(phone.locator("#plan-proposals")).to_contain_text("Plans with payments of up to $30.00 a month")
    expect(phone.get_by_role("heading", name="Pay over time", level=1)).to_have_count(1)  # a swap, not a new page

    # Their own plan: the schedule follows the fields, and a count past the policy says so inline.
    phone.get_by_label("Choose your own").check()
    count = phone.get_by_label("Number of payments")
    count.fill("30")
    expect(phone.locator("#preview-error")).to_have_text("A plan can last at most 24 months: choose fewer payments.")
    count.fill("6")
    phone.get_by_label("Down payment today").fill("12.40")
    preview = phone.locator("#plan-preview")
    expect(preview).to_contain_text("Your schedule: $612.40 in all")
    expect(preview.locator("tbody tr")).to_have_count(7)
    expect(preview).to_contain_text("Installment 6")
    expect(preview).to_contain_text("$100.00")

    phone.get_by_label("Pay automatically with my card").check()
    expect(phone.get_by_label("Card number")).to_be_visible()
    _card(phone, "4242424242424242")
    screenshot(phone, "portal-plan-new-custom-375")
    phone.get_by_role("button", name="Continue to the agreement").click()
    phone.wait_for_url(re.compile(r"/p/plans/[0-9a-f-]{36}/agreement$"))
    plan_id = re.search(r"/p/plans/([0-9a-f-]{36})/agreement", phone.url).group(1)
    expect(phone.get_by_role("heading", name="Your payment plan agreement")).to_be_visible()
    expect(phone.locator("table")).to_contain_text("Installment 6")
    plan = _api(base, "GET", f"/payment-plans/{plan_id}", token)["data"]
    assert plan["status"] == "pending" and plan["autoPayEnabled"] is True and plan["numberOfInstallments"] == 6
    assert plan["frequency"] == "monthly" and str(plan["downPayment"]) in ("12.4", "12.40")

    phone.get_by_label("Type your full name").fill("Dana Pena")
    phone.get_by_label("I have read this agreement and I agree to it.").check()
    phone.get_by_role("button", name="Sign the agreement").click()
    phone.wait_for_url(re.compile(rf"/p/plans/{plan_id}/agreement#signed$"))
    phone.wait_for_load_state()
    signed = phone.locator("#signed")
    expect(signed).to_contain_text("Agreement signed")
    expect(signed).to_contain_text("Your payment plan is active.")
    rows = phone.locator("table tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first).to_contain_text("Down payment")
    expect(rows.first).to_contain_text("Paid")
    expect(rows.nth(1)).to_contain_text("Upcoming")
    expect(phone.get_by_role("link", name="Pay installment 1 now ($100.00)")).to_be_visible()
    _look(phone, "portal-plan-signed")
    expect(phone.locator(".portal-balance")).to_contain_text("$600.00")

    plan = _api(base, "GET", f"/payment-plans/{plan_id}", token)["data"]
    assert plan["status"] == "active" and plan["agreementSigned"] is True and plan["paymentsMade"] == 1
    email = _agreement_email(base, token, account["email"])
    [attachment] = email["attachments"]
    assert attachment["filename"].startswith("payment-plan-agreement-") and attachment["filename"].endswith(".pdf")
    assert attachment["content_type"] == "application/pdf" and attachment["size"] > 1000
    debtor.close()
