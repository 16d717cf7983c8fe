"""WORK-1..3 (stage 9): the consumer's workplace."""
from __future__ import annotations
