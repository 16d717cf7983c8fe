"""DISC-1..5, TBD-2, STATE-CA-1/2 (stage 11): required content, as approved snippets."""
from __future__ import annotations
