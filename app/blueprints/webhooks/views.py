"""Provider webhook routes."""
