"""Choosing a payment plan in the portal (PRD 9.5, FR-PAY-022) through the test client: does the debtor see the
policy's three proposals for their balance, recomputed for what they can afford, and a schedule preview of their own
plan with the policy's refusals inline; does posting set up exactly the plan the policy allows (whatever the form
says), pending, audited as the debtor, with a saved card for auto-pay; and is an account with an open plan, or
another account's plan, never given a second plan or shown?"""
from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Business, PaymentPlan
from app.services.payments import plan_policy, plans
from tests.messaging import debtor, messaging_business
from tests.plans.agreement_helpers import pending_plan
from tests.plans.portal_helpers import (
    JSON, START, choose, custom_form, plan_id_of, plans_of, portal_debtor, rows_of, text_of)
from tests.stripe_support import card_payment_method

HX = {"HX-Request": "true"}


def _policy(business: Business, **values) -> None:
    business = db.session.get(Business, business.id)
    business.settings = {**(business.settings or {}), plan_policy.SETTINGS_KEY: values}
    db.session.commit()


def test_the_page_offers_the_three_proposals_the_custom_plan_and_auto_pay(client):
    account = portal_debtor(client)
    page = text_of(client.get("/p/plans/new"))
    expected = plans.proposals(plan_policy.DEFAULTS, Decimal("412.50"), start=dt.date(2026, 11, 25))
    assert [p.key for p in expected] == ["standard", "flexible", "hardship"]
    for option in expected:
        assert f"{option.count} payments of ${option.installment_amount} a month" in page
        assert f'id="choice-{option.key}" value="{option.key}"' in page
    assert "$82.50 down today" in page and "Nothing down today" in page and "Total $412.50" in page
    assert "First payment December 25, 2026" in page
    assert "Choose your own" in page and "Pay automatically with my card" in page
    assert "I will pay each one myself" in page and 'type="date"' in page
    assert 'min="2026-11-25" max="2026-12-25"' in page
    # Reached from the account and pay pages.
    assert "/p/plans/new" in client.get("/p/account").get_data(as_text=True)
    assert "/p/plans/new" in client.get("/p/pay").get_data(as_text=True)
    assert plans_of(account) == []


def test_i_can_afford_recomputes_the_proposals_as_a_partial_or_a_page(client):
    portal_debtor(client)
    partial = client.get("/p/plans/new?part=proposals&affordable=27&proposal_frequency=monthly", headers=HX)
    body = text_of(partial)
    assert partial.status_code == 200 and "<html" not in body and "<h1>" not in body
    assert "Plans with payments of up to $27.00 a month" in body
    assert "13 payments of $25.38 a month" in body  # the standard plan stretched to fit $27
    assert 'name="affordable" value="27"' in body
    # Without JavaScript the same form is a GET of the whole page.
    page = text_of(client.get("/p/plans/new?affordable=27&proposal_frequency=weekly"))
    assert "<h1>Pay over time</h1>" in page and "Plans with payments of up to $27.00 a week" in page
    bad = text_of(client.get("/p/plans/new?affordable=abc"))
    assert 'id="affordable-error"' in bad and "Enter an amount in dollars, like 50." in bad


def test_the_custom_preview_shows_the_schedule_or_the_policys_refusal(client):
    portal_debtor(client)
    ok = text_of(client.get("/p/plans/new?part=preview&count=6&frequency=monthly&down_payment=50&start_date="
                            + START, headers=HX))
    assert "Your schedule: $412.50 in all" in ok and "Installment 6" in ok and "$60.41" in ok
    assert "Down payment" in ok and "May 25, 2027" in ok
    cases = {"count=30": "A plan can last at most 24 months: choose fewer payments.",
             "count=16&down_payment=100": "Each payment must be at least $25.00: choose fewer payments.",
             "down_payment=412.50": "The down payment must be less than $412.50 (or 0), and at least $1.00.",
             "start_date=2027-01-10": "Choose a start date from today to December 25, 2026."}
    for query, message in cases.items():
        values = {**custom_form(), **dict(part.split("=") for part in query.split("&"))}
        url = "/p/plans/new?part=preview&" + "&".join(f"{k}={v}" for k, v in values.items())
        answer = text_of(client.get(url, headers=HX))
        assert message in answer and 'class="error-text' in answer, (query, answer)


def test_choosing_a_proposal_sets_up_that_plan_pending_audited_as_the_debtor(client):
    account = portal_debtor(client)
    response = client.post("/p/plans/new", data={"choice": "hardship", "proposal_frequency": "monthly",
                                                 "affordable": "", "auto_pay": "none",
                                                 # numbers a tampered form might add are not read for a proposal
                                                 "count": "2", "down_payment": "0"})
    assert response.status_code == 303
    plan = db.session.get(PaymentPlan, plan_id_of(response))
    hardship = plans.proposals(plan_policy.DEFAULTS, Decimal("412.50"), start=dt.date(2026, 11, 25))[2]
    assert plan.status == "pending" and not plan.agreement_signed and not plan.auto_pay_enabled
    assert plan.number_of_installments == hardship.count and plan.down_payment == Decimal("0.00")
    assert plan.total_amount == Decimal("412.50") and plan.created_by_id is None
    rows = rows_of(plan)
    assert sum(r.amount for r in rows) == Decimal("412.50") and [r.number for r in rows][0] == 1
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment_plan_created",
                                                      AuditLog.resource_id == plan.id)).one()
    assert entry.user_role == "debtor" and entry.meta["channel"] == "portal" and entry.meta["withinPolicy"] is True
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_custom_plan_outside_the_policy_is_refused_inline_whatever_the_form_says(client):
    business = messaging_business()
    _policy(business, min_down_percent="10", frequencies=["monthly", "biweekly"], max_months=12,
            min_installment="30.00")
    account = portal_debtor(client, business)
    refusals = {
        "down_payment": ({"down_payment": "20.00"}, "The down payment must be at least $41.25."),
        "frequency": ({"frequency": "weekly"}, "Choose how often you pay."),
        "count": ({"count": "13"}, "A plan can last at most 12 months: choose fewer payments."),
        "count-small": ({"count": "12", "down_payment": "100"}, "Each payment must be at least $30.00"),
        "start_date": ({"start_date": "2026-11-24"}, "Choose a start date from today to December 25, 2026."),
        "count-bad": ({"count": "six"}, "Enter the number of payments, like 6."),
    }
    for name, (changes, message) in refusals.items():
        response = choose(client, **changes)
        page = text_of(response)
        field = name.split("-")[0]
        assert response.status_code == 422, name
        assert message in page and f'id="{field}-error"' in page, (name, page[page.find("error-text"):][:300])
    assert choose(client, choice="premium").status_code == 422
    assert plans_of(account) == []
    done = choose(client, down_payment="41.25", count="12", frequency="biweekly")
    assert done.status_code == 303
    [plan] = plans_of(account)
    assert plan.frequency == "biweekly" and plan.number_of_installments == 12


def test_auto_pay_saves_the_card_on_the_accounts_customer(client, stripe_client):
    account = portal_debtor(client)
    secret = client.post("/p/plans/new/setup", headers=JSON).get_json()["data"]["clientSecret"]
    method = card_payment_method(stripe_client, "4242424242424242")
    stripe_client.v1.setup_intents.confirm(secret.split("_secret_")[0], params={"payment_method": method})
    assert choose(client, auto_pay="card").status_code == 422  # no card collected
    declined = choose(client, auto_pay="card",
                      payment_method_id=card_payment_method(stripe_client, "4000000000000002"))
    assert declined.status_code == 402 and "Your card was declined." in text_of(declined)
    response = choose(client, auto_pay="card", payment_method_id=method)
    assert response.status_code == 303
    [plan] = plans_of(account)
    db.session.refresh(account)
    assert plan.auto_pay_enabled and plan.stripe_payment_method_id == method
    assert plan.stripe_customer_id == account.stripe_customer_id is not None
    assert stripe_client.v1.payment_methods.retrieve(method).customer == account.stripe_customer_id


def test_an_open_plan_is_linked_instead_and_never_doubled(client):
    account = portal_debtor(client)
    first = choose(client)
    plan_id = plan_id_of(first)
    again = client.get("/p/plans/new")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/p/plans/{plan_id}/agreement")
    second = choose(client, count="3")
    assert second.status_code == 303 and second.headers["Location"].endswith(f"/p/plans/{plan_id}/agreement")
    assert len(plans_of(account)) == 1
    account_page = client.get("/p/account").get_data(as_text=True)
    assert f"/p/plans/{plan_id}/agreement" in account_page and "/p/plans/new" not in account_page
    assert client.post("/p/plans/new/setup", headers=JSON).status_code == 409


def test_nothing_owed_offers_no_plan(client):
    account = portal_debtor(client, current_balance=Decimal("0.00"))
    page = text_of(client.get("/p/plans/new"))
    assert "No payment plan to choose" in page and "Your balance is paid in full" in page
    assert choose(client).status_code == 200 and plans_of(account) == []


def test_another_accounts_plan_is_not_found(client):
    business = messaging_business()
    other = debtor(business, contacted=True)
    mine = portal_debtor(client, business)
    theirs = pending_plan(other)
    assert client.get(f"/p/plans/{theirs.id}/agreement").status_code == 404
    down = next(r for r in theirs.installments if r.number == 0)
    assert client.get(f"/p/pay?installment={down.id}").status_code == 404
    assert client.get("/p/pay?installment=not-a-uuid").status_code == 404
    assert plans_of(mine) == []


def test_two_posts_at_once_make_one_plan(app, client):
    """Each request on its own thread, app context and session, as a threaded server's would."""
    account = portal_debtor(client)
    cookie = client.get_cookie("session")
    gate = threading.Barrier(6)

    def post(count):
        with app.test_client() as own:
            own.set_cookie("session", cookie.value, domain=cookie.domain)
            gate.wait()
            return own.post("/p/plans/new", data=custom_form(count=str(count))).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, range(3, 9)))
    assert answers == [303] * 6  # the losers are sent to the plan that won
    db.session.remove()
    made = plans_of(account)
    assert len(made) == 1 and len(rows_of(made[0])) == made[0].number_of_installments + 1


def test_spanish_debtor_reads_the_page_in_spanish(client):
    portal_debtor(client, preferred_language="es")
    page = text_of(client.get("/p/plans/new"))
    assert "Pagar a plazos" in page and "Plan estándar" in page and "Elija el suyo" in page
    assert "pagos de" in page and "al mes" in page and "Primer pago el 25 de diciembre de 2026" in page
    refused = text_of(choose(client, count="30"))
    assert "Un plan puede durar como máximo 24 meses" in refused
