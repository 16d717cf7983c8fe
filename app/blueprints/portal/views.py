"""Debtor portal pages."""
