"""The Payments tab of the account file: history, "Record a payment" with inline errors, and refunds with a
confirm step for managers and business admins only."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Account, Payment
from tests.factories import gen_account, gen_business, gen_user
from tests.web.auth_helpers import sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def shop():
    business = gen_business()
    return business, gen_account(business, current_balance=Decimal("500.00"), status="active")


def tab(account) -> str:
    return f"/accounts/{account.id}?tab=payments"


def record(client, account, **form):
    values = {"amount": "", "paymentMethod": "", "reference": "", "receivedOn": "", "note": "", **form}
    return client.post(f"/accounts/{account.id}/payments", data=values, headers=HTMX)


def only_payment() -> Payment:
    db.session.expire_all()
    return db.session.scalars(select(Payment)).one()


def test_empty_tab_says_what_to_do(client, clock, shop):
    """Does a manager see the empty history with what to do, and the record form with the amount limit?"""
    business, account = shop
    sign_in(client, gen_user(business, "manager"), clock)
    page = client.get(tab(account)).get_data(as_text=True)
    assert 'aria-current="page">Payments' in page
    assert "No payments yet." in page and "record a check, cash or money order" in page
    assert "Record a payment" in page and "$0.01 to $500.00." in page


def test_recording_a_check_with_inline_errors_then_success(client, clock, shop):
    """A bad amount comes back inline on its field (400, the form kept); a good one is stored and the tab lists it
    with its receipt number and who recorded it."""
    business, account = shop
    manager = gen_user(business, "manager")
    sign_in(client, manager, clock)
    refused = record(client, account, amount="900", paymentMethod="check", reference="1001")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert html.startswith('<div id="account-payments"') or 'id="account-payments"' in html[:200]
    assert 'id="pay-amount-error"' in html and "more than the $500.00 still owed" in html
    assert 'aria-invalid="true" aria-describedby="pay-amount-hint pay-amount-error"' in html
    assert 'value="1001"' in html  # what was typed stays
    assert db.session.scalars(select(Payment)).first() is None

    no_method = record(client, account, amount="120.00")
    assert no_method.status_code == 400 and 'id="pay-paymentMethod-error"' in no_method.get_data(as_text=True)

    stored = record(client, account, amount="120.00", paymentMethod="check", reference="1001",
                    receivedOn="2026-11-24", note="Front desk")
    assert stored.status_code == 200 and stored.headers["HX-Redirect"].endswith(f"/accounts/{account.id}?tab=payments")
    payment = only_payment()
    assert payment.status == "succeeded" and payment.processed_by_id == manager.id
    assert db.session.get(Account, account.id).current_balance == Decimal("380.00")

    page = client.get(tab(account)).get_data(as_text=True)
    assert "$120.00 by check recorded." in page and payment.receipt_number in page
    assert "Check 1001, received 2026-11-24" in page and manager.full_name in page
    assert "Succeeded" in page and "$380.00" in page


def test_refund_with_a_confirm_step(client, clock, shop):
    """Refund opens with the remaining amount prefilled; an amount over it is refused inline; a good amount is
    shown for confirmation with the balance after, and only the confirmation refunds."""
    business, account = shop
    sign_in(client, gen_user(business, "manager"), clock)
    record(client, account, amount="100.00", paymentMethod="cash")
    payment = only_payment()
    opened = client.get(f"/accounts/{account.id}/payments/{payment.id}/refund", headers=HTMX)
    assert opened.status_code == 200
    html = opened.get_data(as_text=True)
    assert 'name="amount" inputmode="decimal"' in html and 'value="100.00"' in html and "Review refund" in html

    url = f"/accounts/{account.id}/payments/{payment.id}/refund"
    over = client.post(url, data={"amount": "100.01"}, headers=HTMX)
    assert over.status_code == 400
    assert "At most $100.00 of this payment is left to refund." in over.get_data(as_text=True)

    review = client.post(url, data={"amount": "40", "reason": "Overpaid"}, headers=HTMX)
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "Refund $40.00?" in html and "to $440.00" in html
    assert 'name="confirm" value="yes"' in html
    assert only_payment().refunded_amount == Decimal("0.00")  # nothing happened yet

    done = client.post(url, data={"amount": "40.00", "reason": "Overpaid", "confirm": "yes"}, headers=HTMX)
    assert done.status_code == 200 and "HX-Redirect" in done.headers
    refunded = only_payment()
    assert refunded.status == "partially_refunded" and refunded.refunded_amount == Decimal("40.00")
    assert db.session.get(Account, account.id).current_balance == Decimal("440.00")
    page = client.get(tab(account)).get_data(as_text=True)
    assert "Refunded $40.00 of the $100.00 payment" in page and "Partly refunded" in page


def test_refund_without_htmx_works_as_plain_forms(client, clock, shop):
    """Without JavaScript: the Refund link opens the panel on the page, and the forms post and redirect."""
    business, account = shop
    sign_in(client, gen_user(business, "business_admin"), clock)
    client.post(f"/accounts/{account.id}/payments", data={"amount": "10.00", "paymentMethod": "money_order"})
    payment = only_payment()
    page = client.get(f"{tab(account)}&refund={payment.id}").get_data(as_text=True)
    assert 'id="refund-amount"' in page and 'value="10.00"' in page
    url = f"/accounts/{account.id}/payments/{payment.id}/refund"
    review = client.post(url, data={"amount": "10.00"})
    assert review.status_code == 200 and "Confirm refund of $10.00" in review.get_data(as_text=True)
    done = client.post(url, data={"amount": "10.00", "confirm": "yes"})
    assert done.status_code == 303 and only_payment().status == "refunded"


def test_agents_record_but_never_refund(client, clock, shop):
    """An agent sees the record form but no Refund button, and a refund posted anyway is 403."""
    business, account = shop
    agent = gen_user(business, "agent")
    sign_in(client, agent, clock)
    assert record(client, account, amount="25.00", paymentMethod="cash").status_code == 200
    payment = only_payment()
    page = client.get(tab(account)).get_data(as_text=True)
    assert "Record a payment" in page and "Refund<span" not in page
    url = f"/accounts/{account.id}/payments/{payment.id}/refund"
    assert client.get(url, headers=HTMX).status_code == 403
    assert client.post(url, data={"amount": "25.00", "confirm": "yes"}, headers=HTMX).status_code == 403
    assert only_payment().status == "succeeded"


def test_another_accounts_payment_is_not_found(client, clock, shop):
    business, account = shop
    sign_in(client, gen_user(business, "manager"), clock)
    record(client, account, amount="5.00", paymentMethod="cash")
    payment = only_payment()
    other = gen_account(business)
    assert client.get(f"/accounts/{other.id}/payments/{payment.id}/refund", headers=HTMX).status_code == 404
