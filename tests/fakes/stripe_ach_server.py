"""A local Stripe for bank debits (`us_bank_account`), which localstripe lacks: the few endpoints our ACH payments use,
answering in Stripe's shapes (form-encoded requests with bracketed keys, Bearer secret key, Stripe's error body).

What it keeps of Stripe's behaviour: a PaymentIntent is created `requires_confirmation`; confirming a bank debit
without `mandate_data` (the payer's online acceptance) is a 400; a confirmed debit stays `processing` (for days on
Stripe) until the test settles it with `settle(intent_id, success)`: `succeeded` with a charge id in
`latest_charge` (an id, as Stripe sends it, whose charge carries `receipt_url`), or back to
`requires_payment_method` with `last_payment_error` (insufficient funds). The charge carries Stripe's
`payment_method_details` (type us_bank_account: bank name, last 4). Cards are refused here: use localstripe.

Run alone: `python -m tests.fakes.stripe_ach_server --port 8440`."""
from __future__ import annotations

import re
import secrets
import time

from werkzeug.wrappers import Request, Response

from tests.fakes import FakeServer, json_response

SECRET_KEY = "sk_test_fake_ach"
BANK_NAME = "STRIPE TEST BANK"
INSUFFICIENT_FUNDS = "The customer's account has insufficient funds to cover this payment."


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def nested(form) -> dict:
    """Stripe's form encoding (`a[b][0]=x`) back into dicts; list indexes become dict keys '0', '1'..."""
    out: dict = {}
    for key, value in form.items(multi=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class FakeStripeACH(FakeServer):
    """Customers, us_bank_account PaymentMethods, PaymentIntents and charges, kept in memory."""

    def __init__(self, secret_key: str = SECRET_KEY, **kwargs):
        super().__init__(**kwargs)
        self.secret_key = secret_key
        self.objects: dict[str, dict] = {}

    # -- test helpers ----------------------------------------------------------------------------------------------
    def settle(self, intent_id: str, success: bool = True) -> dict:
        """The bank's answer days later: the debit clears or bounces."""
        with self.lock:
            intent = self.objects[intent_id]
            assert intent["status"] == "processing", intent["status"]
            if success:
                bank = self.objects[intent["payment_method"]]["us_bank_account"]
                charge = {"id": _id("py"), "object": "charge", "amount": intent["amount"], "status": "succeeded",
                          "payment_intent": intent_id, "payment_method": intent["payment_method"],
                          "payment_method_details": {"type": "us_bank_account", "us_bank_account": {
                              "account_holder_type": bank["account_holder_type"], "account_type": "checking",
                              "bank_name": bank["bank_name"], "last4": bank["last4"],
                              "routing_number": bank["routing_number"]}},
                          "receipt_url": f"https://pay.stripe.com/receipts/{_id('rcpt')}"}
                self.objects[charge["id"]] = charge
                intent.update(status="succeeded", latest_charge=charge["id"])
            else:
                intent.update(status="requires_payment_method", last_payment_error={
                    "code": "insufficient_funds", "message": INSUFFICIENT_FUNDS, "type": "card_error"})
            return dict(intent)

    def event(self, intent_id: str, kind: str | None = None) -> dict:
        """The webhook event Stripe sends about the PaymentIntent as it stands now (payment_intent.succeeded after a
        clearing settle(), payment_intent.payment_failed after a bounce, payment_intent.processing while in
        flight), for a test to sign and post to our webhook endpoint."""
        with self.lock:
            intent = dict(self.objects[intent_id])
        if kind is None:
            kind = {"succeeded": "payment_intent.succeeded", "processing": "payment_intent.processing",
                    "requires_action": "payment_intent.requires_action"}.get(
                intent["status"], "payment_intent.payment_failed")
        return {"id": _id("evt"), "object": "event", "type": kind, "created": int(time.time()), "livemode": False,
                "api_version": "2025-01-27.acacia", "data": {"object": intent}}

    # -- the API ---------------------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return self.error_response(401, message="Invalid API Key provided.", type="invalid_request_error")
        params = nested(request.form)
        self.remember({"method": request.method, "path": request.path, "params": params})
        routes = [
            ("POST", r"/v1/customers", self._create_customer),
            ("POST", r"/v1/payment_methods", self._create_payment_method),
            ("GET", r"/v1/payment_methods/(\w+)", self._retrieve),
            ("POST", r"/v1/payment_methods/(\w+)/attach", self._attach),
            ("POST", r"/v1/payment_intents", self._create_intent),
            ("GET", r"/v1/payment_intents/(\w+)", self._retrieve),
            ("POST", r"/v1/payment_intents/(\w+)/confirm", self._confirm),
            ("POST", r"/v1/payment_intents/(\w+)/cancel", self._cancel),
            ("GET", r"/v1/charges/(\w+)", self._retrieve),
        ]
        for method, pattern, handler in routes:
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                with self.lock:
                    return handler(params, *match.groups())
        return self.error_response(404, message=f"Unrecognized request URL ({request.method}: {request.path}).")

    def error_response(self, status: int, headers: dict | None = None, *, message: str = "Service unavailable",
                       type: str = "invalid_request_error", code: str | None = None, param: str | None = None,
                       **extra) -> Response:
        error = {"message": message, "type": type, **({"code": code} if code else {}),
                 **({"param": param} if param else {}), **extra}
        return json_response({"error": error}, status=status, headers=headers)

    def _missing(self, kind: str, object_id: str) -> Response:
        return self.error_response(404, message=f"No such {kind}: '{object_id}'", code="resource_missing", param="id")

    def _retrieve(self, params, object_id):
        found = self.objects.get(object_id)
        if found is None:
            return self._missing("object", object_id)
        return json_response(found)

    def _create_customer(self, params):
        customer = {"id": _id("cus"), "object": "customer", "name": params.get("name"),
                    "metadata": params.get("metadata", {}), "created": int(time.time())}
        self.objects[customer["id"]] = customer
        return json_response(customer)

    def _create_payment_method(self, params):
        if params.get("type") != "us_bank_account":
            return self.error_response(400, message="This fake makes us_bank_account payment methods only.",
                                       param="type")
        bank = params.get("us_bank_account", {})
        if not bank.get("routing_number") or not bank.get("account_number"):
            return self.error_response(400, message="Missing required param: us_bank_account[account_number].",
                                       param="us_bank_account")
        method = {"id": _id("pm"), "object": "payment_method", "type": "us_bank_account", "customer": None,
                  "billing_details": params.get("billing_details", {}),
                  "us_bank_account": {"routing_number": bank["routing_number"], "bank_name": BANK_NAME,
                                      "last4": bank["account_number"][-4:],
                                      "account_holder_type": bank.get("account_holder_type", "individual")}}
        self.objects[method["id"]] = method
        return json_response(method)

    def _attach(self, params, method_id):
        method = self.objects.get(method_id)
        if method is None:
            return self._missing("payment_method", method_id)
        if params.get("customer") not in self.objects:
            return self._missing("customer", params.get("customer"))
        method["customer"] = params["customer"]
        return json_response(method)

    def _create_intent(self, params):
        method = self.objects.get(params.get("payment_method"))
        if method is None:
            return self._missing("payment_method", params.get("payment_method"))
        types = list(params.get("payment_method_types", {}).values())
        if method["type"] not in types:
            return self.error_response(400, message="The PaymentMethod type is not in payment_method_types.",
                                       param="payment_method")
        intent_id = _id("pi")
        intent = {"id": intent_id, "object": "payment_intent", "amount": int(params["amount"]),
                  "currency": params.get("currency"), "customer": params.get("customer"),
                  "payment_method": method["id"], "payment_method_types": types, "status": "requires_confirmation",
                  "metadata": params.get("metadata", {}), "description": params.get("description"),
                  "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}", "latest_charge": None,
                  "last_payment_error": None, "mandate": None}
        self.objects[intent_id] = intent
        return json_response(intent)

    def _confirm(self, params, intent_id):
        intent = self.objects.get(intent_id)
        if intent is None:
            return self._missing("payment_intent", intent_id)
        if intent["status"] != "requires_confirmation":
            return self.error_response(400, code="payment_intent_unexpected_state", message=(
                f"This PaymentIntent's status is {intent['status']}, so it cannot be confirmed."))
        online = params.get("mandate_data", {}).get("customer_acceptance", {}).get("online", {})
        if not online.get("ip_address") or not online.get("user_agent"):
            return self.error_response(400, param="mandate_data", message=(
                "A mandate is required to confirm a us_bank_account PaymentIntent: pass mandate_data with the "
                "customer's online acceptance."))
        mandate = {"id": _id("mandate"), "object": "mandate", "customer_acceptance": {
            "type": "online", "online": {"ip_address": online["ip_address"], "user_agent": online["user_agent"]}}}
        self.objects[mandate["id"]] = mandate
        intent.update(status="processing", mandate=mandate["id"])
        return json_response(intent)

    def _cancel(self, params, intent_id):
        intent = self.objects.get(intent_id)
        if intent is None:
            return self._missing("payment_intent", intent_id)
        if intent["status"] in ("succeeded", "processing", "canceled"):
            return self.error_response(400, code="payment_intent_unexpected_state", message=(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}."))
        intent["status"] = "canceled"
        return json_response(intent)


UNKNOWN_ROUTING = "123456780"
"""A routing number that passes the ABA checksum but belongs to no bank: Stripe refuses it when the PaymentMethod is
created (FakeStripeManualEntry)."""
DESCRIPTOR_CODE = "SM11AA"
"""Stripe's test descriptor code: what the payer reads on the $0.01 microdeposit and types on the verification page."""


class FakeStripeManualEntry(FakeStripeACH):
    """Bank accounts typed in by hand, as Stripe treats them. A routing number no bank uses is refused when the
    PaymentMethod is created (400 naming `us_bank_account[routing_number]`). With `microdeposits=True`, confirming a
    debit from such an account does not start it: Stripe first proves the payer owns the account, so the
    PaymentIntent is `requires_action` with `next_action.verify_with_microdeposits` (the hosted verification page,
    when the deposit arrives) until the test plays the payer's verification (verify_microdeposits), which moves it
    to `processing`."""

    def __init__(self, *args, microdeposits: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.microdeposits = microdeposits

    def verify_microdeposits(self, intent_id: str, descriptor_code: str = DESCRIPTOR_CODE) -> dict:
        """The payer typed the code from their statement on Stripe's hosted page."""
        with self.lock:
            intent = self.objects[intent_id]
            assert intent["status"] == "requires_action", intent["status"]
            if descriptor_code != DESCRIPTOR_CODE:
                raise AssertionError("Stripe refuses a wrong descriptor code")
            intent.update(status="processing", next_action=None)
            return dict(intent)

    def _create_payment_method(self, params):
        if params.get("us_bank_account", {}).get("routing_number") == UNKNOWN_ROUTING:
            return self.error_response(400, message="Routing number is invalid.",
                                       param="us_bank_account[routing_number]")
        return super()._create_payment_method(params)

    def _confirm(self, params, intent_id):
        response = super()._confirm(params, intent_id)
        intent = self.objects.get(intent_id)
        if not self.microdeposits or intent is None or intent["status"] != "processing":
            return response
        arrives = int(time.time()) + 2 * 86400
        intent.update(status="requires_action", next_action={
            "type": "verify_with_microdeposits", "verify_with_microdeposits": {
                "arrival_date": arrives, "microdeposit_type": "descriptor_code",
                "hosted_verification_url": f"https://payments.stripe.com/microdeposit/{_id('pacs_test')}"}})
        return json_response(intent)


if __name__ == "__main__":
    FakeStripeACH.main()
