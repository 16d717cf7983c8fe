"""What the portal's payment pages show and accept: how much the debtor may pay now, the quick choices, the payment
history in plain words and one receipt, always within the verified debtor's own account.

Charging is the payments service's (payments/one_time.py); this module reads and checks, and for a payment from a
bank account hands the numbers the debtor typed to Stripe (which keeps them) before one_time.start. Messages are
text keys (services/portal/texts.py) so the page can say them in the debtor's language."""
from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import select

from app.models import Account, Payment
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationError
from app.services.money import format_usd, to_decimal
from app.services.payments import gateway, one_time, receipts, serialize
from app.services.tenancy import Principal

log = logging.getLogger(__name__)

MIN_AMOUNT = Decimal("1.00")
RECEIPT_STATUSES = ("succeeded", "processing", "refunded", "partially_refunded", "disputed")
"""A receipt exists for money that moved or is moving (a bank transfer in flight); not for a payment that failed or
was never finished."""
STATUS_TONES = {"pending": "pending", "requires_action": "pending", "processing": "pending", "succeeded": "active",
                "failed": "failed", "refunded": "closed", "partially_refunded": "completed", "disputed": "disputed"}
"""The stylesheet's chip colours for each state (green paid, amber in flight, red failed, grey refunded)."""


@dataclass(frozen=True)
class PayFacts:
    balance: Decimal
    available: Decimal  # the balance less what payments still in flight reserve
    partial: Decimal | None  # the suggested partial amount, when there is a sensible one

    @property
    def reserved(self) -> Decimal:
        return max(self.balance - self.available, Decimal("0.00"))

    @property
    def payable(self) -> bool:
        return self.available >= MIN_AMOUNT


def pay_facts(db_session, account: Account) -> PayFacts:
    available = max(one_time.available_amount(db_session, account), Decimal("0.00"))
    return PayFacts(balance=account.current_balance, available=available, partial=suggested_partial(available))


def receipt_offer(db_session, account: Account) -> str | None:
    """The channel of the "Email me a receipt" / "Text me a receipt" choice the pay form offers, or None when it
    offers none. Only while a cease covers the account: then no receipt goes unless the debtor asks for it with
    the payment (CEASE-3, D-7); otherwise every payment gets its receipt anyway."""
    if not receipts.cease_covers(db_session, account):
        return None
    return receipts.channel_for(account)


def receipt_request(db_session, account: Account, ticked: bool, *, now: dt.datetime):
    """The debtor's request for a receipt (receipts.ReceiptRequest) when they ticked the box the form offered, for
    one_time.start to record with the payment; None when there is nothing to record."""
    if not ticked or receipt_offer(db_session, account) is None:
        return None
    return receipts.new_request(account, now=now)


def suggested_partial(available: Decimal) -> Decimal | None:
    """A quarter of what may be paid, in whole dollars: a real step toward the balance that still leaves room to
    pay the rest later. None when that would be under $1 or the whole amount."""
    partial = (available / 4).quantize(Decimal("1"), rounding=ROUND_DOWN).quantize(Decimal("0.01"))
    return partial if MIN_AMOUNT <= partial < available else None


def parse_amount(text: str | None, available: Decimal) -> Decimal:
    """The amount typed ("50", "$1,250.50"), from $1.00 to what may be paid now; ValidationError(field="amount")
    whose extra carries the text key and the values for the message."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError("Enter the amount you want to pay.", field="amount",
                              extra={"text": "err_amount_missing", "values": {}})
    values = {"max": format_usd(available)}
    try:
        amount = to_decimal(raw)
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount < MIN_AMOUNT or amount > available:
        raise ValidationError(f"Enter an amount from $1.00 to {values['max']}.", field="amount",
                              extra={"text": "err_amount_range", "values": values})
    return amount


def _payment_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound("Payment not found.") from None


def account_payment(db_session, account: Account, payment_id) -> Payment:
    """One payment of this account (another account's, or another business's, is NotFound like a missing one)."""
    payment = db_session.scalars(select(Payment).where(
        Payment.id == _payment_id(payment_id), Payment.account_id == account.id,
        Payment.business_id == account.business_id)).one_or_none()
    if payment is None:
        raise NotFound("Payment not found.")
    return payment


def status_key(payment: Payment) -> str:
    """The text key for a payment's state in plain words (a bank transfer in flight says how long it takes, or that
    the bank account is waiting for the debtor's verification)."""
    if payment.status == "processing" and payment.payment_method == "ach":
        return "st_processing_ach"
    if awaiting_bank_verification(payment):
        return "st_requires_action_ach"
    return f"st_{payment.status}"


FAILURE_REASONS = {
    "card_declined": "reason_declined", "generic_decline": "reason_declined", "do_not_honor": "reason_declined",
    "lost_card": "reason_declined", "stolen_card": "reason_declined", "fraudulent": "reason_declined",
    "insufficient_funds": "reason_insufficient_funds", "expired_card": "reason_expired_card",
    "incorrect_cvc": "reason_incorrect_cvc", "invalid_cvc": "reason_incorrect_cvc",
    "incorrect_number": "reason_incorrect_number", "invalid_number": "reason_incorrect_number",
    "payment_intent_authentication_failure": "reason_authentication", "authentication_required":
    "reason_authentication", "authentication_abandoned": "reason_authentication",
    "processor_unavailable": "reason_unavailable", "payment_method_unusable": "reason_unusable",
    "canceled": "reason_canceled", "not_started": "reason_unavailable",
}
"""Stripe's failure codes -> the portal's words for them (the debtor may read Spanish; Stripe's messages are
English). A code not listed shows Stripe's own message."""


BANK_FAILURE_REASONS = {
    "insufficient_funds": "reason_bank_insufficient_funds", "payment_method_unusable": "reason_bank_unusable",
    "invalid_request": "reason_bank_unusable", "processor_unavailable": "reason_bank_unavailable",
    "not_started": "reason_bank_unavailable", "canceled": "reason_canceled",
}
"""The same for a debit from a bank account (a card's words would be wrong there, so a code not listed is said as
"this bank account could not be used" rather than in Stripe's or the card path's English)."""


def failure_reason_key(code: str | None, method: str = "card") -> str | None:
    if method == "ach":
        return BANK_FAILURE_REASONS.get(code or "", "reason_bank_unusable")
    return FAILURE_REASONS.get(code or "")


def awaiting_bank_verification(payment: Payment) -> bool:
    """A debit from a bank account typed in by hand that Stripe holds until the debtor proves the account is theirs
    (Stripe's microdeposit check: the PaymentIntent is `requires_action`)."""
    return payment.payment_method == "ach" and payment.status == "requires_action"


def has_receipt(payment: Payment) -> bool:
    """A receipt page exists for money that moved or is moving, and for a bank debit waiting for its account's
    verification (the page says what to do)."""
    return payment.status in RECEIPT_STATUSES or awaiting_bank_verification(payment)


@dataclass(frozen=True)
class HistoryRow:
    payment: Payment
    when: dt.datetime
    status_key: str
    method_key: str
    tone: str
    receipt: bool


def history(db_session, account: Account) -> list[HistoryRow]:
    """Every payment of the account, newest first."""
    payments = db_session.scalars(select(Payment).where(
        Payment.account_id == account.id, Payment.business_id == account.business_id)
        .order_by(Payment.created_at.desc(), Payment.id))
    return [HistoryRow(payment=p, when=paid_at(p), status_key=status_key(p), method_key=f"pm_{p.payment_method}",
                       tone=STATUS_TONES.get(p.status, "closed"), receipt=has_receipt(p)) for p in payments]


def paid_at(payment: Payment) -> dt.datetime:
    """When the ledger applied it, else when it was processed (a bank transfer in flight) or started."""
    return payment.succeeded_at or payment.processed_at or payment.created_at


def card_brand_name(brand: str | None) -> str | None:
    return serialize.brand_name(brand)


@dataclass(frozen=True)
class BankVerification:
    """Stripe's microdeposit check of a bank account: its page where the debtor types the code from the deposit,
    and when the deposit should arrive (either None when Stripe could not be asked)."""

    url: str | None
    arrives: dt.datetime | None


def bank_verification(payment: Payment) -> BankVerification | None:
    """For a debit waiting for its account's verification, what Stripe says about it now (asked each time: the page
    is Stripe's to give); None for any other payment."""
    if not awaiting_bank_verification(payment) or not payment.stripe_payment_intent_id:
        return None
    try:
        intent = gateway.retrieve_payment_intent(payment.stripe_payment_intent_id)
    except gateway.StripeError as exc:
        log.warning("payment %s: verification details not retrieved: %s", payment.id, type(exc).__name__)
        return BankVerification(None, None)
    action = getattr(intent, "next_action", None)
    details = getattr(action, "verify_with_microdeposits", None) if action is not None else None
    url = getattr(details, "hosted_verification_url", None) if details is not None else None
    arrival = getattr(details, "arrival_date", None) if details is not None else None
    return BankVerification(
        url=url if isinstance(url, str) and url.startswith("https://") else None,
        arrives=dt.datetime.fromtimestamp(arrival, dt.timezone.utc) if isinstance(arrival, int) else None)


def clearing_receipt_channel(db_session, account: Account, payment: Payment) -> str | None:
    """How the receipt of a bank transfer in flight will reach the debtor when it clears ("email", "sms"), or None
    when none will be sent: no address, or a cease on file and no receipt asked for with the payment (CEASE-3)."""
    channel = receipts.channel_for(account)
    if channel is None or (receipts.cease_covers(db_session, account) and not payment.receipt_request_id):
        return None
    return channel


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    status_key: str
    balance_after: Decimal | None  # the balance this payment left (None while a payment is in flight)
    paid_in_full: bool
    # How it was paid, as stored when it was charged (gateway.MethodDetails): no call to Stripe per view.
    card_brand: str | None
    card_last4: str | None
    bank_name: str | None = None
    bank_last4: str | None = None
    in_flight: bool = False  # a bank transfer not cleared yet, or a charge not confirmed yet
    verification: BankVerification | None = None  # a bank debit waiting for the account's verification
    clearing_channel: str | None = None  # a bank transfer in flight: how its receipt will be sent when it clears


def receipt(db_session, account: Account, payment_id) -> Receipt:
    """The receipt of one of this account's payments; NotFound for another account's, or for a payment that failed
    or never finished (it has no receipt)."""
    payment = account_payment(db_session, account, payment_id)
    if not has_receipt(payment):
        raise NotFound("Payment not found.")
    in_flight = payment.status in ("processing", "requires_action")
    balance_after = None if in_flight else payment.balance_after
    card = payment.payment_method == "card"
    bank = payment.payment_method == "ach"
    # "Paid in full" while it is still true: a later refund puts a balance back.
    paid_in_full = balance_after is not None and balance_after <= 0 and account.current_balance <= 0
    return Receipt(payment=payment, status_key=status_key(payment), balance_after=balance_after,
                   paid_in_full=paid_in_full, card_brand=payment.card_brand if card else None,
                   card_last4=payment.card_last4 if card else None, bank_name=payment.bank_name if bank else None,
                   bank_last4=payment.bank_last4 if bank else None, in_flight=in_flight,
                   verification=bank_verification(payment),
                   clearing_channel=clearing_receipt_channel(db_session, account, payment) if bank and in_flight
                   else None)


# -- paying from a bank account (ACH) --------------------------------------------------------------------------------
ACCOUNT_TYPES = ("checking", "savings")
BANK_FIELDS = ("holder_name", "routing_number", "account_number", "account_number_confirm", "account_type",
               "authorize")
"""The bank form's fields in page order: the first one with a problem is the one the page points at."""
HOLDER_NAME_MAX = 100
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""The pay form's one-time token (new_submission): one bank payment per token, so a double submit pays once."""
ABA_WEIGHTS = (3, 7, 1) * 3


class BankUnavailable(Exception):
    """Stripe did not answer while the bank account was being set up: nothing was debited."""


@dataclass(frozen=True)
class BankAccountEntry:
    """What the debtor typed. The numbers live only as long as the request: they are handed to Stripe once and never
    stored, logged or shown (repr leaves them out)."""

    holder_name: str
    routing_number: str = field(repr=False)
    account_number: str = field(repr=False)
    account_type: str = "checking"


def new_submission() -> str:
    return secrets.token_urlsafe(18)


def _digits(text) -> str | None:
    """Digits typed with or without spaces and dashes ("110 000 000"); None when anything else is there."""
    raw = re.sub(r"[\s-]", "", text if isinstance(text, str) else "")
    return raw if raw.isascii() and raw.isdigit() else None


def routing_number_valid(digits: str) -> bool:
    """The ABA check digit: the nine digits weighted 3, 7, 1, 3, 7, 1, 3, 7, 1 add up to a multiple of 10."""
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(digits, ABA_WEIGHTS)) % 10 == 0


def parse_bank_account(*, holder_name, routing_number, account_number, account_number_confirm, account_type,
                       authorized: bool) -> BankAccountEntry:
    """The bank form checked all at once: ValidationError on the first field with a problem, whose
    extra["errors"] maps every field with a problem to its text key. Nothing typed appears in an error."""
    errors: dict[str, str] = {}
    name = " ".join(holder_name.split()) if isinstance(holder_name, str) else ""
    if not name:
        errors["holder_name"] = "err_holder_missing"
    elif len(name) > HOLDER_NAME_MAX:
        errors["holder_name"] = "err_holder_long"
    routing = _digits(routing_number)
    if routing is None or len(routing) != 9:
        errors["routing_number"] = "err_routing_format"
    elif not routing_number_valid(routing):
        errors["routing_number"] = "err_routing_checksum"
    account = _digits(account_number)
    if account is None or not 4 <= len(account) <= 17:
        errors["account_number"] = "err_account_format"
    elif _digits(account_number_confirm) != account:
        errors["account_number_confirm"] = "err_account_mismatch"
    if account_type not in ACCOUNT_TYPES:
        errors["account_type"] = "err_account_type"
    if not authorized:
        errors["authorize"] = "err_authorize"
    if errors:
        first = next(f for f in BANK_FIELDS if f in errors)
        raise ValidationError("Check the bank account details.", field=first, extra={"errors": errors})
    return BankAccountEntry(holder_name=name, routing_number=routing, account_number=account,
                            account_type=account_type)


def _submission_key(submission) -> str:
    if not isinstance(submission, str) or not SUBMISSION.fullmatch(submission):
        raise ValidationError("The form expired: reload the page.", field="submission")
    return f"portal-ach:{submission}"


def _refused_by_stripe(exc: gateway.RequestRefused) -> ValidationError:
    """Stripe would not make a PaymentMethod of the numbers (a routing number no bank uses, say): said on the field
    its `param` names, else for the whole form. Only the code and the parameter are logged, never Stripe's message about the numbers."""
    param = exc.param or ""
    log.info("Stripe refused a bank account: code=%s param=%s", exc.code, param or None)
    if "routing_number" in param:
        return ValidationError("The routing number was refused.", field="routing_number",
                               extra={"errors": {"routing_number": "err_routing_refused"}})
    if "account_number" in param:
        return ValidationError("The account number was refused.", field="account_number",
                               extra={"errors": {"account_number": "err_account_refused"}})
    return ValidationError("The bank account was refused.", extra={"text": "err_bank_refused"})


def pay_by_bank(db_session, account: Account, amount: Decimal, entry: BankAccountEntry, *, submission: str,
                authorization: str, now: dt.datetime, ip: str | None = None, user_agent: str | None = None,
                receipt_request=None) -> one_time.PaymentResult:
    """A one-time debit of `amount` from the bank account typed in, authorized in the words `authorization` (the
    text the page showed next to the box the debtor ticked, kept in the audit trail with the payment; Stripe keeps
    the mandate with the debtor's address and browser, which one_time sends with the confirm).

    One payment per form `submission`: a second post of the same form finds the first payment and reports where it
    stands, without handing the numbers to Stripe again. Otherwise Stripe makes a `us_bank_account` PaymentMethod
    of the numbers and one_time.start debits it (a bank debit stays `processing` for days). Raises ValidationError
    (a field Stripe refused; the submission token), Conflict (amount), BankUnavailable (Stripe did not answer)."""
    key = _submission_key(submission)
    earlier = db_session.scalars(select(Payment).where(Payment.account_id == account.id,
                                                       Payment.idempotency_key == key)).first()
    if earlier is not None:
        if earlier.amount != amount:
            raise Conflict("This form was already used for a payment of another amount.", field="submission")
        return one_time.complete(db_session, earlier.id, now=now, account_id=account.id)
    try:
        method = gateway.create_bank_payment_method(
            holder_name=entry.holder_name, routing_number=entry.routing_number,
            account_number=entry.account_number, account_type=entry.account_type)
    except gateway.RequestRefused as exc:
        raise _refused_by_stripe(exc) from None
    except gateway.StripeError as exc:
        log.warning("bank account not set up: Stripe did not answer (%s)", type(exc).__name__)
        raise BankUnavailable() from None
    result = one_time.start(db_session, account, amount, method="ach", payment_method_id=method.id, now=now, ip=ip,
                            user_agent=user_agent, idempotency_key=key, receipt_request=receipt_request)
    _record_authorization(db_session, result.payment, entry, authorization, now=now, ip=ip, user_agent=user_agent)
    return result


def _record_authorization(db_session, payment: Payment, entry: BankAccountEntry, text: str, *, now: dt.datetime,
                          ip, user_agent) -> None:
    """The debit's authorization on our side: what the debtor agreed to, when, from where (never the numbers: the
    last 4 digits as Stripe reported them)."""
    audit.record(db_session, "bank_debit_authorized", now=now,
                 principal=Principal(business_id=payment.business_id, role="debtor"), resource_type="payment",
                 resource_id=payment.id, description=f"One-time bank debit of {format_usd(payment.amount)} "
                                                     "authorized in the portal",
                 meta={"accountId": str(payment.account_id), "amount": str(payment.amount), "text": text,
                       "accountType": entry.account_type, "bankLast4": payment.bank_last4},
                 ip=(ip or None) and ip[:45], user_agent=user_agent)
    db_session.commit()
