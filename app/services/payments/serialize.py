"""A payment as the API and outbound webhooks show it (PRD 7.5 fields, camelCase, money as Decimal), and how it was
paid in words for staff pages."""
from __future__ import annotations

BRAND_NAMES = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover",
               "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay", "cartes_bancaires": "Cartes Bancaires",
               "eftpos_au": "eftpos", "interac": "Interac"}
"""Stripe's card brand codes -> the names printed on cards."""


def brand_name(brand: str | None) -> str | None:
    """The card brand's name; None for a brand Stripe did not name (or called "unknown")."""
    return BRAND_NAMES.get((brand or "").lower())


def method_detail(payment) -> str | None:
    """"Visa ending in 4242", "STRIPE TEST BANK ending in 6789": the card or bank account a payment was made with,
    in English, when it is known."""
    if payment.card_last4:
        return f"{brand_name(payment.card_brand) or 'Card'} ending in {payment.card_last4}"
    if payment.bank_last4:
        return f"{payment.bank_name or 'Bank account'} ending in {payment.bank_last4}"
    return None


def _method_fields(payment) -> dict:
    """cardBrand (Stripe's code) and last4 of a card, bankName and last4 of a bank account: only what is known."""
    fields = {}
    if payment.card_brand:
        fields["cardBrand"] = payment.card_brand
    if payment.bank_name:
        fields["bankName"] = payment.bank_name
    last4 = payment.card_last4 or payment.bank_last4
    if last4:
        fields["last4"] = last4
    return fields


def payment_json(payment, *, receipt_url: str | None = None) -> dict:
    """`receipt_url`: our receipt page, used when Stripe gave none (manual payments, localstripe)."""
    settled = payment.status in ("succeeded", "refunded", "partially_refunded", "disputed")
    return {
        "id": str(payment.id), "accountId": str(payment.account_id), "amount": payment.amount,
        "currency": payment.currency, "status": payment.status, "paymentMethod": payment.payment_method,
        **_method_fields(payment),
        "refundedAmount": payment.refunded_amount,
        "receiptNumber": payment.receipt_number,
        "receiptUrl": (payment.receipt_url or receipt_url) if settled else None,
        "balanceAfter": payment.balance_after, "failureReason": payment.failure_reason,
        "description": payment.description,
        "paymentPlanId": str(payment.payment_plan_id) if payment.payment_plan_id else None,
        "processedById": str(payment.processed_by_id) if payment.processed_by_id else None,
        "processedAt": payment.processed_at, "succeededAt": payment.succeeded_at, "createdAt": payment.created_at,
    }
