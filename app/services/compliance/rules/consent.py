"""CONSENT-1..5 and CHAN-1..3 (stage 8): per-address permission and provenance."""
from __future__ import annotations
