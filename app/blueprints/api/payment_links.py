"""POST /api/v1/accounts/<id>/payment-link."""
