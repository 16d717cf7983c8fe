"""Does /api/v1/webhooks/stripe accept only events Stripe signed, apply each one exactly once to the payment it
names (whichever of the webhook and the synchronous answer comes first), and keep what it does not act on?"""
import json
import secrets
import time
import uuid
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, Payment, WebhookEvent
from app.services.payments import gateway, one_time
from tests.factories import gen_account, gen_business
from tests.stripe_support import card_payment_method

URL = "/api/v1/webhooks/stripe"


def secret(app) -> str:
    return app.config["CONFIG_OBJECT"].STRIPE_WEBHOOK_SECRET


def post(client, app, event, *, key=None, timestamp=None, headers=None):
    """Post an event signed as Stripe signs it: t=<unix>,v1=HMAC-SHA256(secret, "t.body")."""
    body = event if isinstance(event, str) else json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(body, key or secret(app), timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json",
                       headers={"Stripe-Signature": signature} if headers is None else headers)


def card_payment(account, amount="100.00", status="pending") -> Payment:
    """A card payment of ours whose PaymentIntent was created and stored (what one_time.start leaves)."""
    payment = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal(amount),
                      payment_method="card", status=status, stripe_payment_intent_id=f"pi_{secrets.token_hex(8)}")
    db.session.add(payment)
    db.session.commit()
    return payment


def intent(payment, status="succeeded", *, latest_charge="expanded", metadata=True, **extra) -> dict:
    cents = int(payment.amount * 100)
    charge_id = f"ch_{payment.stripe_payment_intent_id[3:]}"
    charge = {"id": charge_id, "object": "charge", "amount": cents, "status": "succeeded",
              "receipt_url": f"https://pay.stripe.com/receipts/{charge_id}"}
    return {"id": payment.stripe_payment_intent_id, "object": "payment_intent", "amount": cents, "currency": "usd",
            "status": status, "metadata": {"payment_id": str(payment.id)} if metadata else {},
            "latest_charge": charge if latest_charge == "expanded" else latest_charge, **extra}


def charge(payment, amount_refunded: int, *, captured=True) -> dict:
    return {"id": payment.stripe_charge_id or f"ch_{payment.stripe_payment_intent_id[3:]}", "object": "charge",
            "amount": int(payment.amount * 100), "amount_refunded": amount_refunded,
            "refunded": amount_refunded >= int(payment.amount * 100), "status": "succeeded" if captured else "failed",
            "payment_intent": payment.stripe_payment_intent_id, "metadata": {}}


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{secrets.token_hex(12)}", "object": "event", "type": kind,
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}


def fresh(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def stored(**where) -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent).where(
        *[getattr(WebhookEvent, k) == v for k, v in where.items()]))


@pytest.fixture
def account():
    business = gen_business()
    return gen_account(business, current_balance=Decimal("250.00"))


# -- signature and shape ---------------------------------------------------------------------------------------------
def test_bad_or_missing_signature_is_400_and_nothing_is_stored(client, app, account):
    """Are a forged signature, a missing header and a stale timestamp all refused, with nothing applied?"""
    payment = card_payment(account)
    body = event("payment_intent.succeeded", intent(payment))
    assert post(client, app, body, key="whsec_someone_else").status_code == 400
    assert post(client, app, body, headers={}).status_code == 400
    stale = post(client, app, body, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "BAD_REQUEST"
    tampered = json.dumps(body)
    signature = stripe.WebhookSignature.generate_signature_header(tampered, secret(app))
    response = client.post(URL, data=tampered.replace("100", "900"), content_type="application/json",
                           headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    assert stored() == 0
    assert fresh(payment).status == "pending" and fresh(account).current_balance == Decimal("250.00")


def test_signed_body_that_is_not_an_event_is_400(client, app):
    """Is a correctly signed body that is not JSON, or JSON without an event id, refused as malformed?"""
    assert post(client, app, "{not json").status_code == 400
    response = post(client, app, {"type": "payment_intent.succeeded", "data": {"object": {}}})
    assert response.status_code == 400 and "id" in response.get_json()["error"]["message"]
    assert stored() == 0


# -- payment_intent.* ------------------------------------------------------------------------------------------------
def test_succeeded_applies_once_and_a_replay_changes_nothing(client, app, account):
    """Does payment_intent.succeeded take the payment off the balance, keep the charge and receipt URL (the expanded
    latest_charge localstripe sends), and does the same event again answer 200 and change nothing?"""
    payment = card_payment(account)
    body = event("payment_intent.succeeded", intent(payment))
    response = post(client, app, body)
    assert response.status_code == 200, response.data
    assert response.get_json()["data"] == {"duplicate": False, "status": "processed", "paymentId": str(payment.id)}
    paid = fresh(payment)
    assert paid.status == "succeeded" and paid.stripe_charge_id.startswith("ch_")
    assert paid.receipt_url == f"https://pay.stripe.com/receipts/{paid.stripe_charge_id}"
    assert paid.receipt_number
    assert fresh(account).current_balance == Decimal("150.00")
    row = db.session.scalars(select(WebhookEvent)).one()
    assert (row.provider, row.external_id, row.status, row.business_id) == \
        ("stripe", body["id"], "processed", account.business_id)
    assert "receipt_url" not in json.dumps(row.payload)  # a summary is kept, not the whole charge

    replay = post(client, app, body)
    assert replay.status_code == 200 and replay.get_json()["data"]["duplicate"] is True
    assert fresh(account).current_balance == Decimal("150.00") and stored() == 1
    assert fresh(payment).receipt_number == paid.receipt_number


def test_a_second_succeeded_event_for_the_same_payment_applies_nothing(client, app, account):
    """Two different events saying the same PaymentIntent succeeded (Stripe may send both): one payment."""
    payment = card_payment(account)
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert fresh(account).current_balance == Decimal("150.00") and stored() == 2


def test_latest_charge_as_an_id_is_found_by_the_intent_id(client, app, account, stripe_config):
    """Real Stripe sends latest_charge as an id and may omit our metadata on older intents: is the payment found by
    its PaymentIntent id and the charge id kept (the receipt URL stays unknown when Stripe does not know the
    charge)?"""
    payment = card_payment(account, "250.00")
    response = post(client, app, event("payment_intent.succeeded",
                                       intent(payment, latest_charge="ch_realstripe123", metadata=False)))
    assert response.status_code == 200
    paid = fresh(payment)
    assert paid.status == "succeeded" and paid.stripe_charge_id == "ch_realstripe123" and paid.receipt_url is None
    settled = fresh(account)
    assert settled.current_balance == Decimal("0.00") and settled.status == "paid_in_full"


def test_webhook_before_the_synchronous_answer_makes_one_payment(client, app, account, stripe_client):
    """The charge succeeds on Stripe, Stripe's webhook arrives first, then our own request reads the PaymentIntent:
    is the balance reduced once, with one receipt number?"""
    config = app.config["CONFIG_OBJECT"]
    customer = gateway.ensure_customer(db.session, account)
    payment = Payment(business_id=account.business_id, account_id=account.id, amount=Decimal("60.00"),
                      payment_method="card", status="pending")
    db.session.add(payment)
    db.session.flush()
    created = gateway.create_payment_intent(amount_cents=6000, customer_id=customer,
                                            payment_method_id=gateway.usable_payment_method(
                                                customer, card_payment_method(stripe_client, "4242424242424242")).id,
                                            payment_id=payment.id, account_id=account.id,
                                            business_id=account.business_id, config=config)
    payment.stripe_payment_intent_id = created.id
    db.session.commit()
    confirmed = gateway.confirm_payment_intent(created.id, config=config)
    assert confirmed.status == "succeeded"

    response = post(client, app, event("payment_intent.succeeded", confirmed.to_dict()))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "processed"
    assert fresh(account).current_balance == Decimal("190.00")
    receipt = fresh(payment).receipt_number

    now = app.extensions["clock"].now()
    answer = one_time.apply_intent(db.session, fresh(payment), confirmed, now)  # the confirm call's own answer
    db.session.commit()
    assert answer.status == "succeeded"
    result = one_time.complete(db.session, payment.id, now=now)  # and a later check with Stripe
    db.session.commit()
    assert result.status == "succeeded"
    assert fresh(account).current_balance == Decimal("190.00")
    assert fresh(payment).receipt_number == receipt
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_payment_failed_keeps_the_decline_reason_and_never_undoes_a_success(client, app, account):
    """Does payment_failed mark a pending payment failed with Stripe's message, and leave a succeeded one alone?"""
    payment = card_payment(account)
    declined = intent(payment, "requires_payment_method", latest_charge=None,
                      last_payment_error={"code": "card_declined", "decline_code": "insufficient_funds",
                                          "message": "Your card has insufficient funds."})
    assert post(client, app, event("payment_intent.payment_failed", declined)).status_code == 200
    failed = fresh(payment)
    assert failed.status == "failed" and failed.failure_reason == "Your card has insufficient funds."
    assert fresh(account).current_balance == Decimal("250.00")

    other = card_payment(account, "50.00")
    assert post(client, app, event("payment_intent.succeeded", intent(other))).status_code == 200
    late = intent(other, "requires_payment_method", latest_charge=None, last_payment_error={"message": "Declined"})
    assert post(client, app, event("payment_intent.payment_failed", late)).status_code == 200
    assert fresh(other).status == "succeeded" and fresh(account).current_balance == Decimal("200.00")


def test_processing_and_requires_action_only_move_a_payment_in_flight(client, app, account):
    """Do processing and requires_action update the status only (no balance change), and never reopen a
    settled payment?"""
    payment = card_payment(account)
    assert post(client, app, event("payment_intent.requires_action", intent(payment, "requires_action",
                                                                            latest_charge=None))).status_code == 200
    assert fresh(payment).status == "requires_action"
    assert post(client, app, event("payment_intent.processing", intent(payment, "processing",
                                                                       latest_charge=None))).status_code == 200
    assert fresh(payment).status == "processing" and fresh(account).current_balance == Decimal("250.00")
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert post(client, app, event("payment_intent.processing", intent(payment, "processing",
                                                                       latest_charge=None))).status_code == 200
    assert fresh(payment).status == "succeeded"


def test_amount_mismatch_is_not_applied(client, app, account):
    """A PaymentIntent for another amount than our payment's is stored as failed, never applied."""
    payment = card_payment(account)
    body = intent(payment)
    body["amount"] = 9999
    response = post(client, app, event("payment_intent.succeeded", body))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "failed"
    assert fresh(payment).status == "pending" and fresh(account).current_balance == Decimal("250.00")


def test_metadata_naming_a_payment_of_another_intent_is_ignored(client, app, account):
    """An event whose metadata names one of our payments that is tied to another PaymentIntent applies nothing."""
    payment = card_payment(account)
    body = intent(payment)
    body["id"] = "pi_somebodyelse"
    response = post(client, app, event("payment_intent.succeeded", body))
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "ignored"
    assert fresh(payment).status == "pending"


def test_unknown_payment_is_stored_and_acknowledged(client, app, account):
    """An event for a PaymentIntent we never made answers 200 (so Stripe stops retrying) and is kept, unapplied."""
    stranger = {"id": "pi_notours", "object": "payment_intent", "amount": 1000, "status": "succeeded",
                "metadata": {"payment_id": str(uuid.uuid4())}, "latest_charge": None}
    response = post(client, app, event("payment_intent.succeeded", stranger))
    assert response.status_code == 200
    row = db.session.scalars(select(WebhookEvent)).one()
    assert row.status == "ignored" and row.business_id is None and "no payment" in row.error
    assert fresh(account).current_balance == Decimal("250.00")


def test_events_are_scoped_by_the_payment_row(client, app):
    """With two businesses, does the event touch only the business whose payment it names?"""
    first, second = gen_business(), gen_business()
    mine = gen_account(first, current_balance=Decimal("100.00"))
    theirs = gen_account(second, current_balance=Decimal("100.00"))
    payment = card_payment(theirs, "30.00")
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert fresh(theirs).current_balance == Decimal("70.00") and fresh(mine).current_balance == Decimal("100.00")
    assert db.session.scalars(select(WebhookEvent)).one().business_id == second.id


# -- charge.refunded -------------------------------------------------------------------------------------------------
def test_charge_refunded_partial_then_full(client, app, account):
    """Does charge.refunded put Stripe's refunded total back on the balance (partly, then in full), and does a late
    copy of the partial event change nothing?"""
    payment = card_payment(account)
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert fresh(account).current_balance == Decimal("150.00")
    paid = fresh(payment)

    partial = event("charge.refunded", charge(paid, 4000))
    assert post(client, app, partial).status_code == 200
    part = fresh(payment)
    assert part.status == "partially_refunded" and part.refunded_amount == Decimal("40.00")
    assert fresh(account).current_balance == Decimal("190.00")

    assert post(client, app, event("charge.refunded", charge(paid, 10000))).status_code == 200
    whole = fresh(payment)
    assert whole.status == "refunded" and whole.refunded_amount == Decimal("100.00")
    assert fresh(account).current_balance == Decimal("250.00")

    late_copy = event("charge.refunded", charge(paid, 4000))
    assert post(client, app, late_copy).status_code == 200
    assert fresh(payment).refunded_amount == Decimal("100.00")
    assert fresh(account).current_balance == Decimal("250.00")


def test_refund_of_a_paid_in_full_account_makes_it_active_again(client, app, account):
    """An account paid in full goes back to active when a refund leaves something owed."""
    payment = card_payment(account, "250.00")
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert fresh(account).status == "paid_in_full"
    assert post(client, app, event("charge.refunded", charge(fresh(payment), 2500))).status_code == 200
    settled = fresh(account)
    assert settled.current_balance == Decimal("25.00") and settled.status == "active"


def test_refund_arriving_before_the_success_applies_both_once(client, app, account):
    """Stripe does not order its events: a charge.refunded for a payment we still think pending means the charge
    succeeded; both are applied once, and the succeeded event that follows changes nothing."""
    payment = card_payment(account)
    assert post(client, app, event("charge.refunded", charge(payment, 3000))).status_code == 200
    early = fresh(payment)
    assert early.status == "partially_refunded" and early.refunded_amount == Decimal("30.00")
    assert fresh(account).current_balance == Decimal("180.00")
    assert post(client, app, event("payment_intent.succeeded", intent(payment))).status_code == 200
    assert fresh(account).current_balance == Decimal("180.00")


# -- events kept without action --------------------------------------------------------------------------------------
def test_subscription_and_invoice_events_are_stored_whole(client, app):
    """Are billing events (our subscription with the business) kept whole, matched to the business, unprocessed?"""
    business = gen_business()
    business.stripe_customer_id = f"cus_{secrets.token_hex(6)}"
    db.session.commit()
    subscription = {"id": "sub_123", "object": "subscription", "customer": business.stripe_customer_id,
                    "status": "active", "items": {"data": [{"price": {"id": "price_pro"}}]}}
    body = event("customer.subscription.updated", subscription)
    assert post(client, app, body).status_code == 200
    invoice = {"id": "in_123", "object": "invoice", "customer": "cus_unknown", "amount_paid": 9900}
    assert post(client, app, event("invoice.paid", invoice)).status_code == 200
    rows = {row.event_type: row for row in db.session.scalars(select(WebhookEvent))}
    kept = rows["customer.subscription.updated"]
    assert kept.status == "received" and kept.processed_at is None and kept.business_id == business.id
    assert kept.payload == body
    assert rows["invoice.paid"].business_id is None and rows["invoice.paid"].payload["data"]["object"] == invoice


def test_setup_intent_succeeded_is_recorded_for_the_account_business(client, app, account):
    """A saved card: the event is kept under the business of the account whose Stripe customer it names."""
    account.stripe_customer_id = "cus_saved"
    db.session.commit()
    setup = {"id": "seti_1", "object": "setup_intent", "customer": "cus_saved", "payment_method": "pm_1",
             "status": "succeeded"}
    assert post(client, app, event("setup_intent.succeeded", setup)).status_code == 200
    row = db.session.scalars(select(WebhookEvent)).one()
    assert row.status == "processed" and row.business_id == account.business_id
    assert db.session.get(Account, account.id).current_balance == Decimal("250.00")
