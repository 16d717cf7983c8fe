"""Every rule family; importing this package registers them all (see registry.py)."""
from app.services.compliance.rules import (  # noqa: F401
    attorney, cease, consent, content, disclosures, disputes, frequency, optout, state, stops, third_party,
    timing, validation, workplace,
)
