"""One-time payments by card or bank account, charged once even when something fails half way.

start(): under the account's row lock the amount is checked against what is available (the balance less what
payments in flight reserve) and the Payment row is inserted `pending` and committed, before Stripe hears of it.
Then: the Stripe customer, the payment method attached to it, a PaymentIntent created unconfirmed with
`metadata.payment_id`, its id committed on our row, and only then the confirm that charges. Whatever stops the
process after that, complete() and the clock's reconcile_stale() ask Stripe for the PaymentIntent and apply its state
(confirming one that never got confirmed): a retry finds the stored PaymentIntent, it never makes a second one.
The balance moves only in ledger.apply_success, once, whichever of this answer and Stripe's webhook comes first."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import stripe
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.models import Account, Payment
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.money import format_usd, to_cents
from app.services.payments import gateway, ledger
from app.services.payments.ledger import IN_FLIGHT, SETTLED
from app.services.payments.receipts import ReceiptRequest
from app.services.tenancy import Principal, current_principal

log = logging.getLogger(__name__)

METHODS = ("card", "ach")
MIN_AMOUNT = Decimal("1.00")
STALE_AFTER = dt.timedelta(minutes=2)
"""A payment still `pending` this long after it was created lost its request: the clock finishes it from Stripe."""
ABANDONED_AFTER = dt.timedelta(hours=1)
"""A 3-D Secure step not finished in this long is given up: the PaymentIntent is canceled, the reservation freed."""
RECONCILE_BATCH = 20
UNAVAILABLE = "The card processor did not answer. Nothing was charged: please try again in a few minutes."
CHECKING = "The card processor has not confirmed this payment yet; it will be checked again shortly."
UNUSABLE = "This payment method cannot be used. Enter the card details again."
ON_SESSION_PREFIX = "installment:"
"""The idempotency key of a plan installment the debtor pays themselves (plan_offers.pay_installment):
installment:<status it had>:<installment id>:<payment method id>:<try>. The clock's own charges have no key."""


@dataclass
class PaymentResult:
    """What became of a payment: `status` is succeeded, requires_action (hand `client_secret` to Stripe.js's
    confirmCardPayment), processing (a bank debit, or an answer still to come) or failed (`error` says why)."""

    payment: Payment
    status: str
    client_secret: str | None = None
    error: str | None = None


# -- amounts ---------------------------------------------------------------------------------------------------------
def parse_amount(value) -> Decimal:
    """An amount typed or sent as a number or text, exactly (Decimal(str(value)), never through float), in dollars
    and cents: ValidationError on the `amount` field otherwise."""
    if value is None or isinstance(value, bool) or (isinstance(value, str) and not value.strip()):
        raise ValidationError("Enter the amount to pay.", field="amount")
    text = str(value).strip().replace(",", "").removeprefix("$").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError("Enter the amount as a number, like 100.00.", field="amount") from None
    if not amount.is_finite():
        raise ValidationError("Enter the amount as a number, like 100.00.", field="amount")
    if amount != amount.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        raise ValidationError("Enter the amount in dollars and cents (at most two decimal places).", field="amount")
    return amount.quantize(Decimal("0.01"))


def available_amount(db_session, account: Account) -> Decimal:
    """What a new payment may cover now: the balance less the amounts of payments still in flight (pending,
    requires_action, processing) on the account, never below zero."""
    reserved = db_session.scalar(select(func.sum(Payment.amount)).where(
        Payment.account_id == account.id, Payment.status.in_(IN_FLIGHT))) or Decimal("0.00")
    return max(account.current_balance - reserved, Decimal("0.00"))


def check_amount(db_session, account: Account, amount: Decimal) -> None:
    """From $1 (or the whole balance when less is owed) to the balance: ValidationError. More than what payments in
    flight leave available: Conflict, saying how much can be paid now."""
    balance = account.current_balance
    if balance <= 0:
        raise ValidationError("This account has nothing left to pay.", field="amount")
    if amount <= 0 or amount < min(MIN_AMOUNT, balance):
        raise ValidationError(f"The smallest payment is {format_usd(min(MIN_AMOUNT, balance))}.", field="amount")
    if amount > balance:
        raise ValidationError(f"The amount cannot be more than the balance of {format_usd(balance)}.", field="amount")
    available = available_amount(db_session, account)
    if amount > available:
        if available > 0:
            message = (f"Another payment on this account is still being processed, so at most {format_usd(available)} "
                       f"can be paid now.")
        else:
            message = "Another payment for the rest of the balance is still being processed on this account."
        raise Conflict(message, field="amount", extra={"available": available})


# -- start -----------------------------------------------------------------------------------------------------------
def start(db_session, account: Account, amount: Decimal, *, method: str, payment_method_id: str, now: dt.datetime,
          by_user_id=None, ip: str | None = None, user_agent: str | None = None, idempotency_key: str | None = None,
          description: str | None = None, receipt_request: ReceiptRequest | None = None) -> PaymentResult:
    """Charge `amount` to the payment method (a PaymentMethod id from Stripe.js). Commits as it goes. Raises
    ValidationError (amount, method, payment method id) or Conflict (another payment in flight) before anything is
    written; a decline is a failed result, not an exception. With `idempotency_key`, a request retried after a lost
    answer finds its payment and finishes it instead of paying twice.

    `receipt_request`: the debtor asked for a receipt of this payment (receipts.new_request). It is recorded with
    the payment, before anything is charged, and the receipt the ledger sends answers it (CEASE-3)."""
    amount = parse_amount(amount)
    if method not in METHODS:
        raise ValidationError("Choose card or ach.", field="paymentMethod")
    if not isinstance(payment_method_id, str) or not payment_method_id.strip() or len(payment_method_id) > 255:
        raise ValidationError("A payment method is required.", field="paymentMethodId")
    if idempotency_key:
        earlier = _by_key(db_session, account.id, idempotency_key)
        if earlier is not None:
            return _resume(db_session, earlier, amount, now)
    try:
        payment = _reserve(db_session, account, amount, method=method, now=now, by_user_id=by_user_id, ip=ip,
                           user_agent=user_agent, idempotency_key=idempotency_key, description=description,
                           receipt_request=receipt_request)
    except IntegrityError:
        db_session.rollback()
        earlier = _by_key(db_session, account.id, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return _resume(db_session, earlier, amount, now)
    return _charge(db_session, payment, payment_method_id.strip(), now)


def _resume(db_session, earlier: Payment, amount: Decimal, now: dt.datetime) -> PaymentResult:
    """The payment an earlier request with this key made, finished from Stripe's state; another amount under the
    same key is a mistake of the caller's, refused."""
    if earlier.amount != amount:
        raise Conflict("This idempotency key was used for a payment of another amount.", code="IDEMPOTENCY_CONFLICT")
    return complete(db_session, earlier.id, now=now)


def _by_key(db_session, account_id, key: str) -> Payment | None:
    return db_session.scalars(select(Payment).where(Payment.account_id == account_id,
                                                    Payment.idempotency_key == key)).first()


def _reserve(db_session, account: Account, amount: Decimal, *, method: str, now: dt.datetime, by_user_id, ip,
             user_agent, idempotency_key, description, receipt_request: ReceiptRequest | None = None) -> Payment:
    """Insert the pending row under the account's lock, so concurrent requests see each other's reservations. A
    receipt request is committed with it, so it is on record before Stripe hears of the payment."""
    account_id = account.id
    locked = ledger.lock_account(db_session, account_id)
    try:
        check_amount(db_session, locked, amount)
    except (ValidationError, Conflict):
        db_session.rollback()  # free the lock at once: 200 requests queue behind it
        raise
    payment = Payment(id=uuid.uuid4(), business_id=locked.business_id, account_id=account_id, amount=amount,
                      currency="USD", payment_method=method, status="pending", description=description,
                      processed_by_id=by_user_id, payer_ip=(ip or None) and ip[:45], payer_user_agent=user_agent,
                      idempotency_key=idempotency_key, stripe_customer_id=locked.stripe_customer_id,
                      created_at=now, updated_at=now)
    if receipt_request is not None:
        payment.receipt_request_id = receipt_request.id
        payment.receipt_requested_at = receipt_request.requested_at
    db_session.add(payment)
    if receipt_request is not None:
        _record_receipt_request(db_session, payment, receipt_request, ip=ip, user_agent=user_agent)
    db_session.commit()
    return payment


def _record_receipt_request(db_session, payment: Payment, request: ReceiptRequest, *, ip, user_agent) -> None:
    """The audit trail's record of the debtor's request: when, from where, by which channel (CEASE-3 allows the
    receipt only as the answer to it)."""
    principal = current_principal()
    if principal is None or principal.business_id != payment.business_id:
        principal = Principal(business_id=payment.business_id, role="debtor")
    audit.record(db_session, "receipt_requested", now=request.requested_at, principal=principal,
                 resource_type="payment", resource_id=payment.id,
                 description=f"Receipt by {request.channel} requested with a {format_usd(payment.amount)} payment",
                 meta={"accountId": str(payment.account_id), "requestId": request.id, "channel": request.channel,
                       "rule": "CEASE-3"}, ip=(ip or None) and ip[:45], user_agent=user_agent)


def charge_reserved(db_session, payment: Payment, payment_method_id: str, now: dt.datetime) -> PaymentResult:
    """Charge a payment already reserved and committed elsewhere (a plan installment claimed under the account's
    lock), exactly as start() charges its own."""
    return _charge(db_session, payment, payment_method_id, now)


def _charge(db_session, payment: Payment, payment_method_id: str, now: dt.datetime) -> PaymentResult:
    account = db_session.get(Account, payment.account_id)
    try:
        customer_id = gateway.ensure_customer(db_session, account)
        details = gateway.method_details(
            gateway.usable_payment_method(customer_id, payment_method_id, method=payment.payment_method))
        intent = gateway.create_payment_intent(
            amount_cents=to_cents(payment.amount), customer_id=customer_id, payment_method_id=payment_method_id,
            payment_id=payment.id, account_id=account.id, business_id=account.business_id,
            method=payment.payment_method, description=f"Payment on account {account.account_number}")
    except stripe.CardError as exc:
        return _failed(db_session, payment, _card_message(exc), _card_code(exc), now)
    except gateway.PaymentMethodUnusable as exc:
        return _failed(db_session, payment, str(exc), "payment_method_unusable", now)
    except stripe.InvalidRequestError as exc:
        log.warning("payment %s: Stripe refused the payment method: %s", payment.id, exc)
        return _failed(db_session, payment, UNUSABLE, exc.code or "invalid_request", now)
    except stripe.StripeError as exc:
        # No PaymentIntent exists, or an unconfirmed one nobody will confirm: nothing can be charged.
        log.warning("payment %s: Stripe unavailable before the PaymentIntent: %s", payment.id, exc)
        return _failed(db_session, payment, UNAVAILABLE, "processor_unavailable", now)
    stored = db_session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.status == "pending",
                              Payment.stripe_payment_intent_id.is_(None))
        .values(stripe_payment_intent_id=intent.id, stripe_customer_id=customer_id, updated_at=now,
                **_method_columns(details))
        .execution_options(synchronize_session=False)).rowcount
    db_session.commit()
    db_session.refresh(payment)
    if not stored:
        # The clock gave this payment up while Stripe was slow: withdraw the PaymentIntent rather than charge it.
        _cancel_quietly(intent.id)
        return result_of(payment)
    return _confirm(db_session, payment, now)


def _method_columns(details: gateway.MethodDetails | None) -> dict:
    """How the payment is made, stored with its PaymentIntent id (so every later path, the webhook included, finds
    it); the charge's own account of it replaces it on success (ledger.apply_success)."""
    if details is None:
        return {}
    return {"card_brand": details.card_brand, "card_last4": details.card_last4, "bank_name": details.bank_name,
            "bank_last4": details.bank_last4}


def _confirm(db_session, payment: Payment, now: dt.datetime) -> PaymentResult:
    try:
        intent = gateway.confirm_payment_intent(payment.stripe_payment_intent_id, method=payment.payment_method,
                                                ip=payment.payer_ip, user_agent=payment.payer_user_agent)
    except stripe.CardError as exc:
        return _failed(db_session, payment, _card_message(exc), _card_code(exc), now)
    except stripe.StripeError as exc:
        # The answer was lost, the confirm was refused, or another confirm got there first: Stripe's state decides.
        log.warning("payment %s: confirm did not answer cleanly: %s", payment.id, exc)
        try:
            intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
        except stripe.StripeError:
            return PaymentResult(payment, "processing", error=CHECKING)
        if intent.status == "requires_confirmation":
            if not isinstance(exc, stripe.InvalidRequestError):
                return PaymentResult(payment, "processing", error=CHECKING)
            # Refused for good (a bank debit without its mandate, say): asking again would be refused again.
            _cancel_quietly(intent.id)
            return _failed(db_session, payment, exc.user_message or "The payment could not be confirmed.",
                           exc.code or "confirm_refused", now)
    return apply_intent(db_session, payment, intent, now)


def _card_message(exc: stripe.StripeError) -> str:
    return exc.user_message or "The card was declined."


def _card_code(exc: stripe.StripeError) -> str | None:
    error = getattr(exc, "error", None)
    return getattr(error, "decline_code", None) or exc.code


def _failed(db_session, payment: Payment, reason: str, code: str | None, now: dt.datetime) -> PaymentResult:
    ledger.mark_failed(db_session, payment, reason=reason, code=code, now=now)
    db_session.commit()
    db_session.refresh(payment)
    return result_of(payment)


def _cancel_quietly(intent_id: str) -> None:
    try:
        gateway.cancel_payment_intent(intent_id)
    except stripe.StripeError as exc:
        log.warning("PaymentIntent %s could not be canceled: %s", intent_id, exc)


# -- Stripe's state, applied -----------------------------------------------------------------------------------------
def result_of(payment: Payment, client_secret: str | None = None) -> PaymentResult:
    """The result a payment's stored status stands for."""
    if payment.status in SETTLED:
        return PaymentResult(payment, "succeeded")
    if payment.status == "failed":
        return PaymentResult(payment, "failed", error=payment.failure_reason or "The payment failed.")
    if payment.status == "requires_action":
        return PaymentResult(payment, "requires_action", client_secret=client_secret)
    return PaymentResult(payment, "processing", error=CHECKING if payment.status == "pending" else None)


def _move(db_session, payment: Payment, status: str, now: dt.datetime) -> None:
    """In flight to another in-flight status; a settled payment stays as it is."""
    db_session.execute(update(Payment).where(Payment.id == payment.id, Payment.status.in_(IN_FLIGHT))
                       .values(status=status, updated_at=now).execution_options(synchronize_session=False))
    db_session.commit()
    db_session.refresh(payment)


def apply_intent(db_session, payment: Payment, intent, now: dt.datetime) -> PaymentResult:
    """Bring our payment to the PaymentIntent's state and commit; a PaymentIntent never confirmed is confirmed."""
    status = intent.status
    if status == "succeeded":
        details = gateway.charge_details(intent)
        ledger.apply_success(db_session, payment, now=now, charge_id=details.charge_id,
                             receipt_url=details.receipt_url, method=details.method)
        db_session.commit()
        db_session.refresh(payment)
        return result_of(payment)
    if status == "requires_action":
        _move(db_session, payment, "requires_action", now)
        return result_of(payment, client_secret=intent.client_secret)
    if status in ("processing", "requires_capture"):
        _move(db_session, payment, "processing", now)
        return result_of(payment)
    if status == "requires_confirmation":
        return _confirm(db_session, payment, now)
    if status == "canceled":
        return _failed(db_session, payment, "The payment was canceled before it was completed.", "canceled", now)
    code, message = gateway.failure(intent)  # requires_payment_method: declined, or 3-D Secure failed
    return _failed(db_session, payment, message, code, now)


def complete(db_session, payment_id, *, now: dt.datetime, account_id=None) -> PaymentResult:
    """After 3-D Secure in the browser, or a crash: ask Stripe for the PaymentIntent and apply its state.
    `account_id` limits the lookup to one account's payments (NotFound otherwise)."""
    try:
        key = payment_id if isinstance(payment_id, uuid.UUID) else uuid.UUID(str(payment_id))
    except ValueError:
        raise NotFound("Payment not found") from None
    payment = db_session.get(Payment, key)
    if payment is None or (account_id is not None and str(payment.account_id) != str(account_id)):
        raise NotFound("Payment not found")
    if payment.status not in IN_FLIGHT or payment.payment_method not in METHODS:
        return result_of(payment)
    if not payment.stripe_payment_intent_id:
        return result_of(payment)  # still starting, or given up by reconcile_stale after STALE_AFTER
    try:
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    except stripe.StripeError as exc:
        log.warning("payment %s: PaymentIntent not retrieved: %s", payment.id, exc)
        return PaymentResult(payment, "processing", error=CHECKING)
    return apply_intent(db_session, payment, intent, now)


# -- the clock -------------------------------------------------------------------------------------------------------
def reconcile_stale(db_session, *, now: dt.datetime) -> int:
    """Payments a lost request left behind: `pending` over STALE_AFTER (finished from Stripe's state, or failed when
    no PaymentIntent was ever stored: nothing can have been charged), and 3-D Secure steps abandoned over
    ABANDONED_AFTER (canceled; a bank account waiting days for its microdeposit check is Stripe's to time out, its
    webhook fails the payment). Each is committed on its own; Stripe being down ends the pass early. How many
    payments were looked at."""
    stale = db_session.scalars(select(Payment.id).where(
        Payment.payment_method.in_(METHODS),
        # A plan's off-session charge is finished by its own job (installments.charge); one the debtor made in the
        # portal is finished here like any payment of theirs.
        Payment.installment_id.is_(None) | Payment.idempotency_key.like(f"{ON_SESSION_PREFIX}%"),
        ((Payment.status == "pending") & (Payment.created_at < now - STALE_AFTER))
        | ((Payment.status == "requires_action") & (Payment.payment_method == "card")
           & (Payment.created_at < now - ABANDONED_AFTER)))
        .order_by(Payment.created_at).limit(RECONCILE_BATCH)).all()
    done = 0
    for payment_id in stale:
        try:
            _reconcile_one(db_session, payment_id, now)
            done += 1
        except stripe.APIConnectionError as exc:
            db_session.rollback()
            log.warning("Stripe unreachable: reconciling stops for now (%s)", exc)
            break
        except Exception:
            db_session.rollback()
            log.exception("payment %s could not be reconciled", payment_id)
    return done


def _reconcile_one(db_session, payment_id, now: dt.datetime) -> None:
    payment = db_session.get(Payment, payment_id)
    if payment is None or payment.status not in IN_FLIGHT:
        return
    if not payment.stripe_payment_intent_id:
        # Locked, so start() cannot store a PaymentIntent id in between: it finds the payment failed and cancels.
        payment = ledger.lock_payment(db_session, payment.id)
        if payment.status == "pending" and not payment.stripe_payment_intent_id:
            ledger.mark_failed(db_session, payment, reason="The payment did not start. Nothing was charged.",
                               code="not_started", now=now)
        db_session.commit()
        if not payment.stripe_payment_intent_id or payment.status not in IN_FLIGHT:
            return
    intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    if payment.status == "requires_action" and intent.status == "requires_action":
        gateway.cancel_payment_intent(intent.id)
        _failed(db_session, payment, "The card's security check (3-D Secure) was not completed.",
                "authentication_abandoned", now)
        return
    apply_intent(db_session, payment, intent, now)
