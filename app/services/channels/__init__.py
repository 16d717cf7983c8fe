"""Channels: the one way out to providers (sandbox, Twilio, SendGrid, SMTP)."""
from app.services.channels.system_email import send_system_email

__all__ = ["send_system_email"]
