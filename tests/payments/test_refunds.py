"""Can managers and business admins refund a payment in part or in full through Stripe (the real SDK against
localstripe), with the balance going back up exactly once, over-refunds and other roles refused, and the webhook
that follows changing nothing?"""
import json
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import select

from app.extensions import db
from app.models import Account, AuditLog, Payment
from app.services.errors import Conflict, Forbidden, NotFound, ValidationError
from app.services.payments import one_time, refunds
from app.services.payments.manual import record_manual
from app.services.tenancy import Principal
from tests.api.helpers import api_login, bearer
from tests.concurrency import race
from tests.factories import NOW, gen_account, gen_business, gen_user
from tests.stripe_support import card_payment_method

WEBHOOK = "/api/v1/webhooks/stripe"


def principal(user) -> Principal:
    return Principal(business_id=user.business_id, role=user.role, user_id=user.id, email=user.email)


def pay_by_card(stripe_client, account, amount: str) -> Payment:
    """A debtor's card payment through the real flow (one_time.start against localstripe)."""
    result = one_time.start(db.session, account, Decimal(amount), method="card",
                            payment_method_id=card_payment_method(stripe_client, "4242424242424242"), now=NOW)
    db.session.commit()
    assert result.status == "succeeded", result
    return result.payment


def refund(user, payment, amount=None, **extra) -> Payment:
    done = refunds.refund(db.session, principal(user), payment.id, amount, now=NOW, **extra)
    db.session.commit()
    return done


def stripe_refunded(stripe_client, payment) -> int:
    return stripe_client.v1.charges.retrieve(payment.stripe_charge_id).amount_refunded


def balance(account) -> Decimal:
    db.session.expire_all()
    return db.session.get(Account, account.id).current_balance


@pytest.fixture
def shop(stripe_config):
    business = gen_business()
    account = gen_account(business, current_balance=Decimal("300.00"), status="active")
    return business, account, gen_user(business, "manager")


def test_partial_then_full_refund_through_stripe(shop, stripe_client):
    """Does a $40 refund reach Stripe and raise the balance by $40, and the rest (no amount given) refund the
    remaining $60, with the payment partially_refunded and then refunded?"""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "100.00")
    assert balance(account) == Decimal("200.00")

    part = refund(manager, payment, Decimal("40.00"), reason="Billing error")
    assert part.status == "partially_refunded" and part.refunded_amount == Decimal("40.00")
    assert stripe_refunded(stripe_client, part) == 4000
    assert balance(account) == Decimal("240.00")

    whole = refund(manager, payment)
    assert whole.status == "refunded" and whole.refunded_amount == Decimal("100.00")
    assert stripe_refunded(stripe_client, whole) == 10000
    assert balance(account) == Decimal("300.00")
    issued = db.session.scalars(select(AuditLog).where(AuditLog.action == "refund_issued")
                                .order_by(AuditLog.seq)).all()
    assert [row.meta["amount"] for row in issued] == ["40.00", "60.00"]
    assert issued[0].user_id == manager.id and issued[0].meta["reason"] == "Billing error"
    assert issued[0].meta["throughStripe"] is True


def test_the_webhook_after_a_refund_changes_nothing(shop, stripe_client, client, app):
    """Stripe's charge.refunded for a refund we made (its absolute total) finds nothing left to apply."""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "100.00")
    refund(manager, payment, Decimal("25.00"))
    charge = stripe_client.v1.charges.retrieve(payment.stripe_charge_id).to_dict()
    body = json.dumps({"id": "evt_refund_after", "object": "event", "type": "charge.refunded",
                       "data": {"object": charge}})
    secret = app.config["CONFIG_OBJECT"].STRIPE_WEBHOOK_SECRET
    signature = stripe.WebhookSignature.generate_signature_header(body, secret)
    response = client.post(WEBHOOK, data=body, content_type="application/json",
                           headers={"Stripe-Signature": signature})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refunded_amount == Decimal("25.00")
    assert balance(account) == Decimal("225.00")


def test_over_refund_is_refused_before_stripe_is_asked(shop, stripe_client):
    """localstripe would refund more than was paid; we refuse first: nothing reaches Stripe, nothing changes."""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "100.00")
    with pytest.raises(ValidationError) as refused:
        refund(manager, payment, Decimal("100.01"))
    assert refused.value.field == "amount" and "$100.00" in refused.value.message
    db.session.rollback()
    refund(manager, payment, Decimal("70.00"))
    with pytest.raises(ValidationError) as again:
        refund(manager, payment, Decimal("30.01"))
    assert "$30.00" in again.value.message
    db.session.rollback()
    assert stripe_refunded(stripe_client, payment) == 7000
    assert balance(account) == Decimal("270.00")
    for bad in (Decimal("0.00"), "-1", "abc", "1.001"):
        with pytest.raises(ValidationError):
            refund(manager, payment, bad)
        db.session.rollback()


def test_only_managers_and_business_admins_refund(shop, stripe_client):
    """An agent is refused (403) and nothing is refunded; a business admin may; another business's payment is 404."""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "50.00")
    with pytest.raises(Forbidden):
        refund(gen_user(business, "agent"), payment, Decimal("10.00"))
    db.session.rollback()
    assert stripe_refunded(stripe_client, payment) == 0
    with pytest.raises(NotFound):
        refund(gen_user(gen_business(), "business_admin"), payment, Decimal("10.00"))
    db.session.rollback()
    assert refund(gen_user(business, "business_admin"), payment, Decimal("10.00")).refunded_amount == Decimal("10.00")


def test_a_refund_makes_a_paid_in_full_account_active_again(shop, stripe_client):
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "300.00")
    db.session.expire_all()
    assert db.session.get(Account, account.id).status == "paid_in_full"
    refund(manager, payment, Decimal("0.01"))
    db.session.expire_all()
    settled = db.session.get(Account, account.id)
    assert settled.current_balance == Decimal("0.01") and settled.status == "active"


def test_only_succeeded_payments_can_be_refunded(shop, stripe_client):
    """A pending or failed payment, or one refunded in full already, is a 409."""
    business, account, manager = shop
    pending = Payment(business_id=business.id, account_id=account.id, amount=Decimal("20.00"), payment_method="card",
                      status="pending", stripe_payment_intent_id="pi_waiting")
    db.session.add(pending)
    db.session.commit()
    with pytest.raises(Conflict):
        refund(manager, pending)
    db.session.rollback()
    paid = pay_by_card(stripe_client, account, "20.00")
    refund(manager, paid)
    with pytest.raises(Conflict) as again:
        refund(manager, paid)
    assert "refunded already" in again.value.message


def test_a_manual_payment_is_reversed_without_stripe(shop):
    """A check recorded by hand is refunded here alone (no Stripe call), with who did it in the audit trail."""
    business, account, manager = shop
    check = record_manual(db.session, principal(manager), account.id, "80.00", "check", reference="2211", now=NOW)
    db.session.commit()
    assert balance(account) == Decimal("220.00")
    admin = gen_user(business, "business_admin")
    part = refund(admin, check, "30.00", reason="Check bounced in part")
    assert part.status == "partially_refunded" and balance(account) == Decimal("250.00")
    whole = refund(admin, check)
    assert whole.status == "refunded" and whole.refunded_amount == Decimal("80.00")
    assert balance(account) == Decimal("300.00")
    issued = db.session.scalars(select(AuditLog).where(AuditLog.action == "refund_issued")).all()
    assert {row.user_id for row in issued} == {admin.id} and not any(r.meta["throughStripe"] for r in issued)


# -- POST /api/v1/payments/<id>/refund -------------------------------------------------------------------------------
def test_refund_api(shop, stripe_client, client, clock):
    """200 with the payment JSON after a partial refund; 400 VALIDATION_ERROR over what is left; 403 for an agent;
    404 for an id that is not ours."""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "90.00")
    headers = bearer(api_login(client, manager, clock)["token"])
    url = f"/api/v1/payments/{payment.id}/refund"

    response = client.post(url, json={"amount": 15.5, "reason": "Goodwill"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["id"] == str(payment.id) and data["status"] == "partially_refunded"
    assert data["refundedAmount"] == 15.5 and data["amount"] == 90.0 and data["receiptNumber"]

    over = client.post(url, json={"amount": "74.51"}, headers=headers)
    assert over.status_code == 400
    assert over.get_json()["error"]["code"] == "VALIDATION_ERROR" and over.get_json()["error"]["field"] == "amount"

    agent = bearer(api_login(client, gen_user(business, "agent"), clock)["token"])
    assert client.post(url, json={}, headers=agent).status_code == 403
    missing = client.post("/api/v1/payments/00000000-0000-0000-0000-000000000000/refund", json={}, headers=headers)
    assert missing.status_code == 404

    rest = client.post(url, json={}, headers=headers)
    assert rest.status_code == 200 and rest.get_json()["data"]["status"] == "refunded"
    assert balance(account) == Decimal("300.00")
    assert stripe_refunded(stripe_client, payment) == 9000


def test_two_refunds_at_once_cannot_both_pass_the_check(shop, stripe_client, app):
    """Two managers refund $60 of the same $100 payment at the same moment: one refund goes through, the other is
    refused for the $40 left, and Stripe saw one refund."""
    business, account, manager = shop
    payment = pay_by_card(stripe_client, account, "100.00")
    callers = [principal(manager), principal(gen_user(business, "business_admin"))]
    payment_id = payment.id  # read here: the threads must not touch this session's objects
    outcomes = race(app, [lambda caller=caller: refunds.refund(db.session, caller, payment_id, Decimal("60.00"),
                                                               now=NOW) for caller in callers])
    outcomes = [o.message if isinstance(o, ValidationError) else repr(o) if isinstance(o, Exception) else "refunded"
                for o in outcomes]
    assert sorted(outcomes) == ["At most $40.00 of this payment is left to refund.", "refunded"]
    assert stripe_refunded(stripe_client, payment) == 6000
    assert balance(account) == Decimal("260.00")
