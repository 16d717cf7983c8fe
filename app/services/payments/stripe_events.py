"""Stripe's events, verified by the webhook view, applied to our payments once each.

Every event gets one webhook_events row (provider "stripe", unique by Stripe's event id): a replay finds the row
and changes nothing. The ledger's own transitions are conditional as well, so an event that races the synchronous
answer of a payment (or arrives after it) applies nothing twice. The Payment row decides the business: an event
for a payment we do not know is stored and acknowledged, never applied. The caller commits."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models import Account, Business, Payment, WebhookEvent
from app.services.money import from_cents

log = logging.getLogger(__name__)

PROVIDER = "stripe"
STATUS_ONLY = {"payment_intent.processing": "processing", "payment_intent.requires_action": "requires_action"}
RECORDED_PREFIXES = ("customer.subscription.", "invoice.")
"""Billing events (our own subscription with the business): stored whole for the billing work, no action yet."""


class MalformedEvent(ValueError):
    """The body verified but is not a Stripe event (no id, type or data.object)."""


@dataclass
class Outcome:
    """What became of one event: `status` is the webhook_events status (processed, ignored, received, failed)."""

    status: str
    duplicate: bool = False
    payment_id: uuid.UUID | None = None
    note: str | None = None

    def as_json(self) -> dict:
        return {"duplicate": self.duplicate, "status": self.status,
                "paymentId": str(self.payment_id) if self.payment_id else None}


def _field(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else None


def _object_id(value) -> str | None:
    """An id whether Stripe sent the id itself or the expanded object (localstripe expands `latest_charge`)."""
    if isinstance(value, str):
        return value or None
    return _field(value, "id")


def _cents(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _summary(event: dict, obj: dict) -> dict:
    """What we keep of a payment event: ids, amounts and states, never the billing details or card data."""
    metadata = _field(obj, "metadata") or {}
    keep = {"type": event.get("type"), "created": event.get("created"), "livemode": event.get("livemode"),
            "objectType": _field(obj, "object"), "objectId": _field(obj, "id"), "status": _field(obj, "status"),
            "amount": _field(obj, "amount"), "amountRefunded": _field(obj, "amount_refunded"),
            "paymentIntent": _object_id(_field(obj, "payment_intent")),
            "latestCharge": _object_id(_field(obj, "latest_charge")),
            "customer": _object_id(_field(obj, "customer")),
            "paymentMethod": _object_id(_field(obj, "payment_method")),
            "paymentId": metadata.get("payment_id") if isinstance(metadata, dict) else None}
    return {key: value for key, value in keep.items() if value is not None}


def _claim(db_session, event: dict, obj: dict, now: dt.datetime) -> WebhookEvent | None:
    """The event's row, or None when an earlier delivery already stored it (Stripe retries, and may send twice)."""
    kind = str(event.get("type") or "")
    whole = kind.startswith(RECORDED_PREFIXES)
    row = WebhookEvent(provider=PROVIDER, external_id=str(event["id"])[:255], event_type=kind[:100] or None,
                       payload=event if whole else _summary(event, obj), status="received", received_at=now)
    try:
        with db_session.begin_nested():
            db_session.add(row)
    except IntegrityError:
        return None
    return row


def _payment_by_id(db_session, value) -> Payment | None:
    try:
        return db_session.get(Payment, uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _payment_by_intent(db_session, intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return db_session.scalars(select(Payment).where(Payment.stripe_payment_intent_id == intent_id)).first()


def find_payment(db_session, obj: dict) -> tuple[Payment | None, str | None]:
    """Our payment for a PaymentIntent or Charge: metadata.payment_id first, then the PaymentIntent id, then (for
    a charge) the charge id. A payment whose stored PaymentIntent is another one is not this event's: (None, why)."""
    is_charge = _field(obj, "object") == "charge"
    intent_id = _object_id(_field(obj, "payment_intent")) if is_charge else _field(obj, "id")
    metadata = _field(obj, "metadata") or {}
    payment = _payment_by_id(db_session, metadata.get("payment_id") if isinstance(metadata, dict) else None)
    if payment is None:
        payment = _payment_by_intent(db_session, intent_id)
    if payment is None and is_charge and _field(obj, "id"):
        payment = db_session.scalars(select(Payment).where(Payment.stripe_charge_id == obj["id"])).first()
    if payment is None:
        return None, "no payment of ours matches this event"
    if intent_id and payment.stripe_payment_intent_id and payment.stripe_payment_intent_id != intent_id:
        return None, f"payment {payment.id} belongs to another PaymentIntent"
    if payment.payment_method not in ("card", "ach"):
        return None, f"payment {payment.id} was not made through Stripe"
    return payment, None


def _as_stripe_object(obj: dict):
    """The SDK's object for a payload, so the gateway's readers (and its localstripe layer) apply unchanged."""
    from app.services.payments import gateway

    return gateway.client().deserialize(obj, api_mode="V1")


def _amount_matches(payment: Payment, intent: dict) -> bool:
    cents = _cents(_field(intent, "amount"))
    return cents is None or from_cents(cents) == payment.amount


def _intent_succeeded(db_session, payment: Payment, intent: dict, now: dt.datetime) -> Outcome:
    """The charge id and receipt URL come from `latest_charge` (an id on Stripe, looked up by the gateway; the
    expanded charge on localstripe)."""
    from app.services.payments import gateway, ledger

    if not _amount_matches(payment, intent):
        log.error("Stripe PaymentIntent %s succeeded for %s cents but payment %s is for %s: not applied",
                  intent.get("id"), intent.get("amount"), payment.id, payment.amount)
        return Outcome("failed", payment_id=payment.id, note="the PaymentIntent's amount differs from the payment's")
    charge = gateway.charge_details(_as_stripe_object(intent))
    applied = ledger.apply_success(db_session, payment, now=now, charge_id=charge.charge_id,
                                   receipt_url=charge.receipt_url)
    return Outcome("processed", payment_id=payment.id, note=None if applied else "already applied")


def _intent_failed(db_session, payment: Payment, intent: dict, now: dt.datetime) -> Outcome:
    """Stripe's words for the decline (last_payment_error.message); a payment that succeeded stays succeeded."""
    from app.services.payments import gateway, ledger

    _, reason = gateway.failure(_as_stripe_object(intent))
    changed = ledger.mark_failed(db_session, payment, reason=reason[:1000], now=now)
    return Outcome("processed", payment_id=payment.id, note=None if changed else "already settled")


def _intent_status(db_session, payment: Payment, status: str, now: dt.datetime) -> Outcome:
    """processing / requires_action: only a payment still in flight moves; a settled one never goes back."""
    from app.services.payments import ledger

    moved = db_session.execute(update(Payment).where(Payment.id == payment.id, Payment.status.in_(ledger.IN_FLIGHT))
                               .values(status=status, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    if moved:
        db_session.refresh(payment)
    return Outcome("processed", payment_id=payment.id, note=None if moved else "already settled")


def _charge_refunded(db_session, payment: Payment, charge: dict, now: dt.datetime) -> Outcome:
    """Stripe's absolute refunded total; the ledger applies only what it has not applied yet. A refund of a charge
    whose success we have not recorded (events arrive in any order) means the charge succeeded: that is applied
    first."""
    from app.services.payments import ledger

    refunded = _cents(_field(charge, "amount_refunded"))
    if refunded is None:
        return Outcome("failed", payment_id=payment.id, note="the charge carries no amount_refunded")
    if payment.status not in ledger.SETTLED:
        if _field(charge, "status") != "succeeded":
            return Outcome("ignored", payment_id=payment.id, note="refund of a charge that has not succeeded")
        ledger.apply_success(db_session, payment, now=now, charge_id=_field(charge, "id"),
                             receipt_url=_field(charge, "receipt_url"))
    if payment.status not in ledger.SETTLED:
        return Outcome("ignored", payment_id=payment.id, note=f"payment is {payment.status}")
    ledger.apply_refunded_total(db_session, payment, from_cents(refunded), now=now)
    return Outcome("processed", payment_id=payment.id)


def _setup_intent_succeeded(db_session, setup_intent: dict, row: WebhookEvent) -> Outcome:
    """A card saved through a SetupIntent. The account's customer record is its Stripe customer id alone (no column
    holds a default payment method: the pay flow charges the card it was just given), so the event is kept,
    matched to the account's business, and nothing else changes."""
    customer = _object_id(_field(setup_intent, "customer"))
    account = db_session.scalars(select(Account).where(Account.stripe_customer_id == customer)).first() \
        if customer else None
    if account is None:
        return Outcome("ignored", note="no account of ours has this Stripe customer")
    row.business_id = account.business_id
    return Outcome("processed", note="recorded")


def _billing_business(db_session, obj: dict) -> uuid.UUID | None:
    customer = _object_id(_field(obj, "customer"))
    if not customer:
        return None
    return db_session.scalar(select(Business.id).where(Business.stripe_customer_id == customer))


def _dispatch(db_session, kind: str, obj: dict, row: WebhookEvent, now: dt.datetime) -> Outcome:
    if kind.startswith(RECORDED_PREFIXES):
        row.business_id = _billing_business(db_session, obj)
        return Outcome("received", note="billing event recorded")
    if kind == "setup_intent.succeeded":
        return _setup_intent_succeeded(db_session, obj, row)
    handlers = {"payment_intent.succeeded": _intent_succeeded, "payment_intent.payment_failed": _intent_failed,
                "charge.refunded": _charge_refunded}
    if kind not in handlers and kind not in STATUS_ONLY:
        return Outcome("ignored", note="event type not used")
    payment, problem = find_payment(db_session, obj)
    if payment is None:
        log.info("Stripe %s %s: %s", kind, _field(obj, "id"), problem)
        return Outcome("ignored", note=problem)
    row.business_id = payment.business_id
    if kind in STATUS_ONLY:
        return _intent_status(db_session, payment, STATUS_ONLY[kind], now)
    return handlers[kind](db_session, payment, obj, now)


def handle(db_session, event: dict, *, now: dt.datetime) -> Outcome:
    """Store one verified event and apply it. `event` is the parsed JSON Stripe posted ({id, type, data:
    {object}}); a malformed one raises MalformedEvent before anything is stored. The caller commits."""
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"].strip():
        raise MalformedEvent("The event has no id.")
    if not isinstance(event.get("type"), str):
        raise MalformedEvent("The event has no type.")
    obj = _field(event.get("data"), "object")
    if not isinstance(obj, dict):
        raise MalformedEvent("The event has no data.object.")
    row = _claim(db_session, event, obj, now)
    if row is None:
        return Outcome("duplicate", duplicate=True)
    outcome = _dispatch(db_session, event["type"], obj, row, now)
    row.status, row.error = outcome.status, outcome.note if outcome.status in ("failed", "ignored") else None
    row.processed_at = now if outcome.status != "received" else None
    return outcome
