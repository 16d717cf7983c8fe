"""ACCT (stage 1), PRIV-1/2 (stage 2) and DNC (stage 3): account-level stops."""
from __future__ import annotations
