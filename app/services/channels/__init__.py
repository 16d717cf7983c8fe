"""Channels: the one way out to providers (sandbox, Twilio, SendGrid, SMTP) and the one way in from them."""
from app.services.channels.outbound import Outcome, send
from app.services.channels.system_email import send_system_email

__all__ = ["Outcome", "send", "send_system_email"]
