"""Stripe: the one client the app uses, and the one place that knows where localstripe differs from Stripe.

Everything else calls these functions and stays written for real Stripe. The differences, all in `Localstripe`
below: PaymentIntent parameters it refuses ("Unexpected description"), a confirm that takes no parameters (so no
ACH mandate data), `latest_charge` returned expanded where Stripe returns an id, and charges without
`payment_method_details` (how a charge was paid is read from its PaymentMethod there).

The debtor's email address is never given to Stripe: Stripe's own receipt emails would reach the debtor around
the compliance gate. Our receipts go through channels.send (payments/receipts.py)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import stripe
from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.config import SANDBOX_STRIPE_SECRET_KEY
from app.models import Account

JS_URL = "https://js.stripe.com/v3/"
TIMEOUT_SECONDS = 20
"""Per request: a payment left pending by a slow answer is reconciled after two minutes (one_time.STALE_AFTER)."""
INTENT_TYPES = {"card": "card", "ach": "us_bank_account"}
"""Our payment method names -> Stripe's payment method types."""

_clients: dict[tuple[str, str | None], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


class PaymentMethodUnusable(Exception):
    """The payment method id names nothing we may charge (unknown, another customer's, or of another type)."""


def _config(config=None):
    return config if config is not None else current_app.config["CONFIG_OBJECT"]


def _setting(config, name: str):
    """Config object or Flask mapping alike."""
    return config[name] if isinstance(config, dict) or hasattr(config, "keys") else getattr(config, name)


StripeError = stripe.StripeError
"""Any failure talking to Stripe (callers outside this package catch these names, never the SDK's own)."""
RequestRefused = stripe.InvalidRequestError
"""Stripe refused the request's parameters (`param` names the field)."""
SignatureInvalid = stripe.SignatureVerificationError


def verify_webhook(payload: str, signature_header: str | None, secret: str, *, tolerance: int = 300) -> None:
    """Check a webhook body against its `Stripe-Signature` header (HMAC of "t.body"); SignatureInvalid if not."""
    stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance=tolerance)


def is_localstripe(config=None) -> bool:
    """The sandbox key selects localstripe (app/config.py); a real key selects Stripe."""
    return _setting(_config(config), "STRIPE_SECRET_KEY") == SANDBOX_STRIPE_SECRET_KEY


def client(config=None) -> stripe.StripeClient:
    """One client per key and API base, no automatic retries (a retry is our decision: one_time.complete)."""
    config = _config(config)
    key, base = _setting(config, "STRIPE_SECRET_KEY"), _setting(config, "STRIPE_API_BASE")
    with _clients_lock:
        found = _clients.get((key, base))
        if found is None:
            found = stripe.StripeClient(key, base_addresses={"api": base} if base else None, max_network_retries=0,
                                        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS))
            _clients[(key, base)] = found
        return found


def publishable_key(config=None) -> str:
    return _setting(_config(config), "STRIPE_PUBLISHABLE_KEY")


def js_url(config=None) -> str:
    """Stripe.js: Stripe's own, or the stand-in localstripe serves next to its API."""
    config = _config(config)
    if is_localstripe(config) and _setting(config, "STRIPE_API_BASE"):
        return f"{_setting(config, 'STRIPE_API_BASE').rstrip('/')}/js.stripe.com/v3/"
    return JS_URL


def supports_bank_debits(config=None) -> bool:
    """Whether the processor can debit a bank account (Stripe's `us_bank_account`): Stripe can, localstripe answers
    400 to that type. The portal offers bank payments only when this is true."""
    return not is_localstripe(config)


class Localstripe:
    """The sandbox compatibility layer: what localstripe refuses or answers differently, adapted here only."""

    UNSUPPORTED_INTENT_PARAMS = ("description", "receipt_email", "setup_future_usage", "automatic_payment_methods",
                                 "statement_descriptor", "statement_descriptor_suffix", "mandate_data")

    @classmethod
    def intent_params(cls, config, params: dict) -> dict:
        if not is_localstripe(config):
            return params
        return {k: v for k, v in params.items() if k not in cls.UNSUPPORTED_INTENT_PARAMS}

    @staticmethod
    def confirm_params(config, params: dict) -> dict:
        """localstripe's confirm takes no parameters at all (a payment method given there answers 500)."""
        return {} if is_localstripe(config) else params

    @staticmethod
    def charge_method(config, charge) -> MethodDetails | None:
        """A localstripe charge has no `payment_method_details`: the PaymentMethod it names says the same (its
        brand is always "visa" there, whatever the number). On Stripe nothing is looked up."""
        if not is_localstripe(config):
            return None
        method_id = _id(_field(charge, "payment_method"))
        if not method_id:
            return None
        try:
            return method_details(client(config).v1.payment_methods.retrieve(method_id))
        except stripe.StripeError:
            return None


# -- customers and saved cards ---------------------------------------------------------------------------------------
def ensure_customer(db_session, account: Account, *, config=None) -> str:
    """The account's Stripe customer id, created on first use. Two requests racing here keep the first id stored;
    the other customer stays empty in Stripe. A new id is committed at once (with whatever the session holds): the
    account's row lock, SQLite's write lock, must not be held over the Stripe calls that follow."""
    if account.stripe_customer_id:
        return account.stripe_customer_id
    customer = client(config).v1.customers.create(params={
        "name": account.full_name,
        "metadata": {"account_id": str(account.id), "business_id": str(account.business_id)}})
    stored = db_session.execute(
        update(Account).where(Account.id == account.id, Account.stripe_customer_id.is_(None))
        .values(stripe_customer_id=customer.id).execution_options(synchronize_session=False)).rowcount
    db_session.commit()
    if stored:
        set_committed_value(account, "stripe_customer_id", customer.id)
    else:
        db_session.refresh(account, attribute_names=["stripe_customer_id"])
    return account.stripe_customer_id


def create_setup_intent(db_session, account: Account, *, usage: str = "on_session", payment_method_type: str = "card",
                        config=None) -> stripe.SetupIntent:
    """A SetupIntent for the page's Stripe.js to collect a card (`confirmCardSetup` with its client_secret); the
    card number goes from the browser to Stripe only. A new customer id is committed (ensure_customer)."""
    customer = ensure_customer(db_session, account, config=config)
    return client(config).v1.setup_intents.create(params={
        "customer": customer, "usage": usage, "payment_method_types": [payment_method_type],
        "metadata": {"account_id": str(account.id)}})


def usable_payment_method(customer_id: str, payment_method_id: str, *, method: str = "card",
                          config=None) -> stripe.PaymentMethod:
    """The PaymentMethod, attached to the customer. Stripe.js leaves it attached after a SetupIntent on Stripe;
    localstripe (and a payment method made by createPaymentMethod) leaves it unattached, and attaching is where a
    card like 4000000000000002 is declined (stripe.CardError). PaymentMethodUnusable for an unknown id, another
    customer's card, or a card given as a bank account."""
    stripe_client = client(config)
    try:
        payment_method = stripe_client.v1.payment_methods.retrieve(payment_method_id)
    except stripe.InvalidRequestError:
        raise PaymentMethodUnusable("This payment method cannot be used: ask for the card details again.") from None
    if payment_method.type != INTENT_TYPES[method]:
        raise PaymentMethodUnusable(f"This payment method is not a {'card' if method == 'card' else 'bank account'}.")
    owner = _id(payment_method.customer)
    if owner is None:
        payment_method = stripe_client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
    elif owner != customer_id:
        raise PaymentMethodUnusable("This payment method belongs to someone else.")
    return payment_method


def create_bank_payment_method(*, holder_name: str, routing_number: str, account_number: str, account_type: str,
                               holder_type: str = "individual", config=None) -> stripe.PaymentMethod:
    """A `us_bank_account` PaymentMethod from the numbers the payer typed. They go to Stripe in this one request and
    are kept nowhere else: what comes back (and what we keep) is Stripe's bank name and the last 4 digits. Stripe
    refuses numbers it cannot use with stripe.InvalidRequestError naming the parameter
    (`us_bank_account[routing_number]`, `us_bank_account[account_number]`)."""
    return client(config).v1.payment_methods.create(params={
        "type": "us_bank_account",
        "us_bank_account": {"account_holder_type": holder_type, "account_number": account_number,
                            "routing_number": routing_number, "account_type": account_type},
        "billing_details": {"name": holder_name}})


# -- PaymentIntents --------------------------------------------------------------------------------------------------
def create_payment_intent(*, amount_cents: int, customer_id: str, payment_method_id: str, payment_id, account_id,
                          business_id, method: str = "card", description: str | None = None,
                          config=None) -> stripe.PaymentIntent:
    """Unconfirmed, so nothing is charged until our row holds its id (one_time.start commits it, then confirms)."""
    config = _config(config)
    params = {"amount": amount_cents, "currency": "usd", "customer": customer_id,
              "payment_method": payment_method_id, "payment_method_types": [INTENT_TYPES[method]],
              "metadata": {"payment_id": str(payment_id), "account_id": str(account_id),
                           "business_id": str(business_id)},
              "description": description}
    params = {k: v for k, v in params.items() if v is not None}
    return client(config).v1.payment_intents.create(params=Localstripe.intent_params(config, params))


def confirm_payment_intent(intent_id: str, *, method: str = "card", ip: str | None = None,
                           user_agent: str | None = None, config=None) -> stripe.PaymentIntent:
    """Charge it. A bank debit needs the payer's online mandate (their address and browser) on Stripe."""
    config = _config(config)
    params: dict = {}
    if method == "ach":
        params["mandate_data"] = {"customer_acceptance": {"type": "online", "online": {
            "ip_address": ip or "", "user_agent": user_agent or ""}}}
    params = Localstripe.confirm_params(config, params)
    return client(config).v1.payment_intents.confirm(intent_id, params=params or None)


def retrieve_payment_intent(intent_id: str, *, config=None) -> stripe.PaymentIntent:
    return client(config).v1.payment_intents.retrieve(intent_id)


def cancel_payment_intent(intent_id: str, *, config=None) -> stripe.PaymentIntent:
    return client(config).v1.payment_intents.cancel(intent_id)


def create_off_session_intent(*, amount_cents: int, customer_id: str, payment_method_id: str, payment_id,
                              installment_id, account_id, business_id, config=None) -> stripe.PaymentIntent:
    """A plan installment's charge to the saved card, unconfirmed like create_payment_intent (the Payment row stores
    its id before confirm_off_session charges it)."""
    config = _config(config)
    params = {"amount": amount_cents, "currency": "usd", "customer": customer_id,
              "payment_method": payment_method_id, "payment_method_types": ["card"],
              "metadata": {"payment_id": str(payment_id), "installment_id": str(installment_id),
                           "account_id": str(account_id), "business_id": str(business_id)}}
    return client(config).v1.payment_intents.create(params=Localstripe.intent_params(config, params))


def confirm_off_session(intent_id: str, *, config=None) -> stripe.PaymentIntent:
    """Charge it with the debtor away (`off_session`): a card that needs them to authenticate is declined by
    Stripe (authentication_required) instead of waiting for them."""
    config = _config(config)
    params = Localstripe.confirm_params(config, {"off_session": True})
    return client(config).v1.payment_intents.confirm(intent_id, params=params or None)


# -- how a payment was made -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MethodDetails:
    """How a payment was made, in the words Stripe uses for the payment method: a card's brand (Stripe's code:
    visa, mastercard, amex...) and last 4 digits, or a bank account's bank name and last 4. Nothing else of a card
    or an account is kept."""

    card_brand: str | None = None
    card_last4: str | None = None
    bank_name: str | None = None
    bank_last4: str | None = None

    @property
    def known(self) -> bool:
        return any((self.card_brand, self.card_last4, self.bank_name, self.bank_last4))


def method_details(source) -> MethodDetails | None:
    """From a PaymentMethod or from a charge's `payment_method_details`: both carry `type` and a sub-object of that
    name (`card`: brand, last4; `us_bank_account`: bank_name, last4). None when it names nothing we keep."""
    if source is None or isinstance(source, str):
        return None
    kind = _field(source, "type")
    inner = _field(source, kind) if kind in ("card", "us_bank_account") else None
    if inner is None:
        return None
    last4 = _last4(_field(inner, "last4"))
    if kind == "card":
        brand = _field(inner, "brand")
        details = MethodDetails(card_brand=brand.strip().lower()[:30] if isinstance(brand, str) and brand.strip()
                                else None, card_last4=last4)
    else:
        bank = _field(inner, "bank_name")
        details = MethodDetails(bank_name=bank.strip()[:100] if isinstance(bank, str) and bank.strip() else None,
                                bank_last4=last4)
    return details if details.known else None


def _last4(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if len(text) == 4 and text.isdigit() else None


@dataclass(frozen=True)
class ChargeDetails:
    charge_id: str | None
    receipt_url: str | None
    method: MethodDetails | None = None


def charge_details(intent, *, config=None) -> ChargeDetails:
    """The charge behind `latest_charge`: its id, Stripe's receipt URL and how it was paid (the charge's
    `payment_method_details`). Stripe sends an id, looked up here; localstripe sends the charge expanded, without a
    receipt URL or payment_method_details (Localstripe.charge_method)."""
    latest = getattr(intent, "latest_charge", None)
    if latest is None:
        return ChargeDetails(None, None)
    if isinstance(latest, str):
        try:
            latest = client(config).v1.charges.retrieve(latest)
        except stripe.StripeError:
            return ChargeDetails(latest, None)
    method = method_details(_field(latest, "payment_method_details"))
    if method is None:
        method = Localstripe.charge_method(_config(config), latest)
    return ChargeDetails(latest.id, getattr(latest, "receipt_url", None) or None, method)


def failure(intent) -> tuple[str | None, str]:
    """(code, message) of the last failed attempt on a PaymentIntent, in Stripe's words."""
    error = getattr(intent, "last_payment_error", None)
    if not error:
        return None, "The payment was declined."
    code = getattr(error, "decline_code", None) or getattr(error, "code", None)
    return code, getattr(error, "message", None) or "The payment was declined."


def _id(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "id", None)


def _field(value, name: str):
    """A field of a Stripe object or of a plain dict (an event's payload), None when absent."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)
