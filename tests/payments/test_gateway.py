"""The Stripe gateway: configuration, customers, SetupIntents (the portal's way to collect a card), and the one
place where localstripe's differences from Stripe are absorbed."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Account
from app.services.payments import gateway, one_time
from tests.payments.one_time_helpers import GOOD_CARD, balance_of, paying_debtor
from tests.stripe_support import card_payment_method


def test_keys_and_stripe_js_follow_the_configuration(app):
    config = app.config["CONFIG_OBJECT"]
    sandbox = dataclasses.replace(config, STRIPE_API_BASE="http://127.0.0.1:8420")
    assert gateway.is_localstripe(sandbox)
    assert gateway.js_url(sandbox) == "http://127.0.0.1:8420/js.stripe.com/v3/"
    assert gateway.publishable_key(sandbox) == "pk_test_sandbox"
    live = dataclasses.replace(config, STRIPE_SECRET_KEY="sk_live_x", STRIPE_PUBLISHABLE_KEY="pk_live_x",
                               STRIPE_API_BASE=None)
    assert not gateway.is_localstripe(live)
    assert (gateway.js_url(live), gateway.publishable_key(live)) == ("https://js.stripe.com/v3/", "pk_live_x")
    assert gateway.js_url(app.config) == gateway.js_url(config)  # the Flask mapping works as well


def test_the_client_is_one_per_key_and_base_without_retries(app):
    config = app.config["CONFIG_OBJECT"]
    one = dataclasses.replace(config, STRIPE_API_BASE="http://127.0.0.1:1")
    assert gateway.client(one) is gateway.client(dataclasses.replace(one))
    assert gateway.client(one) is not gateway.client(dataclasses.replace(one, STRIPE_API_BASE="http://127.0.0.1:2"))
    assert gateway.client(one)._requestor._options.base_addresses["api"] == "http://127.0.0.1:1"


def test_localstripe_gets_only_the_parameters_it_knows(app):
    config = app.config["CONFIG_OBJECT"]
    params = {"amount": 100, "description": "Payment", "mandate_data": {"x": 1}}
    assert gateway.Localstripe.intent_params(config, params) == {"amount": 100}
    live = dataclasses.replace(config, STRIPE_SECRET_KEY="sk_live_x")
    assert gateway.Localstripe.intent_params(live, params) == params
    assert gateway.Localstripe.confirm_params(config, {"mandate_data": {}}) == {}


def test_a_customer_is_made_once_and_a_racing_one_is_not_stored(stripe_config):
    business, account, _ = paying_debtor("50.00")
    first = gateway.ensure_customer(db.session, account)
    db.session.commit()
    assert first.startswith("cus_") and gateway.ensure_customer(db.session, account) == first

    _, other, _ = paying_debtor("50.00", business=business)
    assert other.stripe_customer_id is None  # read before another request stores its customer:
    with Session(db.engine) as racing:
        racing.execute(update(Account).where(Account.id == other.id).values(stripe_customer_id="cus_stored_first"))
        racing.commit()
    assert gateway.ensure_customer(db.session, other) == "cus_stored_first"


def test_a_card_collected_through_a_setup_intent_pays(stripe_config, stripe_client, clock):
    """The portal's flow: SetupIntent -> confirmCardSetup in the browser -> the server charges the card."""
    business, account, _ = paying_debtor("60.00")
    setup = gateway.create_setup_intent(db.session, account)
    db.session.commit()
    assert setup.client_secret.startswith(setup.id) and setup.customer == account.stripe_customer_id
    card = card_payment_method(stripe_client, GOOD_CARD)
    confirmed = stripe_client.v1.setup_intents.confirm(setup.id, params={"payment_method": card})
    assert confirmed.status == "succeeded"
    result = one_time.start(db.session, account, Decimal("60.00"), method="card", payment_method_id=card,
                            now=clock.now())
    assert result.status == "succeeded" and balance_of(account.id) == Decimal("0.00")


def test_someone_elses_card_or_a_card_given_as_a_bank_account_is_refused(stripe_config, stripe_client):
    business, account, _ = paying_debtor("60.00")
    _, other, _ = paying_debtor("60.00", business=business)
    mine, theirs = (gateway.ensure_customer(db.session, a) for a in (account, other))
    card = card_payment_method(stripe_client, GOOD_CARD)
    gateway.usable_payment_method(theirs, card)
    with pytest.raises(gateway.PaymentMethodUnusable, match="someone else"):
        gateway.usable_payment_method(mine, card)
    with pytest.raises(gateway.PaymentMethodUnusable, match="not a bank account"):
        gateway.usable_payment_method(theirs, card, method="ach")


def test_charge_details_read_an_expanded_charge_or_look_up_an_id(stripe_config, stripe_client):
    """localstripe expands latest_charge; Stripe sends its id, and the receipt URL is on the charge."""
    customer = stripe_client.v1.customers.create().id
    card = card_payment_method(stripe_client, GOOD_CARD)
    stripe_client.v1.payment_methods.attach(card, params={"customer": customer})
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 500, "currency": "usd", "customer": customer, "payment_method": card, "confirm": True})
    expanded = gateway.charge_details(intent)
    assert expanded.charge_id.startswith("ch_")
    as_stripe_sends_it = stripe.PaymentIntent.construct_from({"id": intent.id, "latest_charge": expanded.charge_id},
                                                             "sk_test_sandbox")
    assert gateway.charge_details(as_stripe_sends_it).charge_id == expanded.charge_id
    unknown = stripe.PaymentIntent.construct_from({"id": intent.id, "latest_charge": "ch_gone"}, "sk_test_sandbox")
    assert gateway.charge_details(unknown) == gateway.ChargeDetails("ch_gone", None)
