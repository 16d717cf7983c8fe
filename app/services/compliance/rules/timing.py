"""TIME-1..7 (stage 13): the hours every candidate zone allows."""
from __future__ import annotations
