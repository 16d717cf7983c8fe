"""The localstripe test harness itself: the SDK reaches it, cards behave as Stripe's test cards, 3-D Secure can
be passed or failed."""
from __future__ import annotations

import pytest
import stripe

from tests.stripe_support import authenticate, card_payment_method


def _intent(client, pm, customer):
    intent = client.v1.payment_intents.create(params={
        "amount": 1000, "currency": "usd", "customer": customer, "payment_method": pm})
    return client.v1.payment_intents.confirm(intent.id)


def test_the_app_config_points_at_the_workers_localstripe(app, stripe_config, localstripe_url):
    assert app.config["CONFIG_OBJECT"].STRIPE_API_BASE == localstripe_url
    assert app.config["STRIPE_API_BASE"] == localstripe_url


def test_a_good_card_pays_and_a_declined_card_fails_at_attach(stripe_client):
    customer = stripe_client.v1.customers.create().id
    pm = card_payment_method(stripe_client, "4242424242424242")
    stripe_client.v1.payment_methods.attach(pm, params={"customer": customer})
    assert _intent(stripe_client, pm, customer).status == "succeeded"

    declined = card_payment_method(stripe_client, "4000000000000002")
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_methods.attach(declined, params={"customer": customer})


@pytest.mark.parametrize("success, status", [(True, "succeeded"), (False, "requires_payment_method")])
def test_three_d_secure_can_be_passed_or_failed(stripe_client, success, status):
    customer = stripe_client.v1.customers.create().id
    pm = card_payment_method(stripe_client, "4000002760003184")
    stripe_client.v1.payment_methods.attach(pm, params={"customer": customer})
    intent = _intent(stripe_client, pm, customer)
    assert intent.status == "requires_action"
    after = authenticate(stripe_client, intent.id, intent.client_secret, success=success)
    assert after.status == status
    assert stripe_client.v1.payment_intents.retrieve(intent.id).status == status
