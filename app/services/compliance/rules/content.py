"""CONTENT-1..12, TBD-1, DISPUTE-3/5, PRIV-4 (stage 11): prohibited content, never rewritten."""
from __future__ import annotations
