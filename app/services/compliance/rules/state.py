"""STATE-NY-1 and STATE-NYC-1 (stage 8): state address rules."""
from __future__ import annotations
