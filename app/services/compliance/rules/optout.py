"""OPT-1..10 (stage 8): opt-outs, their confirmation, re-opt-in and HELP."""
from __future__ import annotations
