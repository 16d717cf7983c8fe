"""TP-1..5 (stage 6): debt information only to the consumer, verified; nothing public."""
from __future__ import annotations
