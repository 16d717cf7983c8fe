"""DISPUTE-1, -2, -4 (stage 7): holds on a disputed debt."""
from __future__ import annotations
