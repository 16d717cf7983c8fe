"""A payment as the API and outbound webhooks show it (PRD 7.5 fields, camelCase, money as Decimal)."""
from __future__ import annotations


def payment_json(payment, *, receipt_url: str | None = None) -> dict:
    """`receipt_url`: our receipt page, used when Stripe gave none (manual payments, localstripe)."""
    settled = payment.status in ("succeeded", "refunded", "partially_refunded", "disputed")
    return {
        "id": str(payment.id), "accountId": str(payment.account_id), "amount": payment.amount,
        "currency": payment.currency, "status": payment.status, "paymentMethod": payment.payment_method,
        "refundedAmount": payment.refunded_amount,
        "receiptNumber": payment.receipt_number,
        "receiptUrl": (payment.receipt_url or receipt_url) if settled else None,
        "balanceAfter": payment.balance_after, "failureReason": payment.failure_reason,
        "description": payment.description,
        "paymentPlanId": str(payment.payment_plan_id) if payment.payment_plan_id else None,
        "processedById": str(payment.processed_by_id) if payment.processed_by_id else None,
        "processedAt": payment.processed_at, "succeededAt": payment.succeeded_at, "createdAt": payment.created_at,
    }
