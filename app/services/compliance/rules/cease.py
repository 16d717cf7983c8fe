"""CEASE-1..5 (stage 4): after a cease only the enumerated notices pass."""
from __future__ import annotations
