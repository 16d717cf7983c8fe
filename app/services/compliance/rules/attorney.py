"""ATTY-1..4 (stage 5): a represented consumer is reached through the attorney."""
from __future__ import annotations
