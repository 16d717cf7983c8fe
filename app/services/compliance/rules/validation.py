"""VALID-1..7 (stage 10): the validation notice and its timing."""
from __future__ import annotations
