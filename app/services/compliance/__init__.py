"""The compliance gate: every message to a debtor passes here (rules arrive rule by rule)."""
