"""Payments: the Stripe gateway, plans and schedules, the ledger."""
