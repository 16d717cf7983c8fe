"""FREQ-1..8, STATE-MA-1/2, STATE-WA-1 and the NYC cap (stage 12): rolling-window caps."""
from __future__ import annotations
