"""What every webhook parser shares."""
from __future__ import annotations

from app.services.errors import DomainError


def bad_request(message: str) -> DomainError:
    """A payload we cannot read: 400 BAD_REQUEST (the provider logs it; retrying the same bytes will not help)."""
    return DomainError(message, code="BAD_REQUEST", status=400)
