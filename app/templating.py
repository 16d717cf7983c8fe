"""Jinja filters shared by every page."""
from __future__ import annotations

from flask import Flask

from app.services.money import format_usd


# Chart colours per status, the same families as the status chips (success, warning, error, info, gray).
STATUS_COLORS = {
    "active": "#2e7d32", "in_payment_plan": "#a84300", "payment_failed": "#c62828", "disputed": "#ad1457",
    "legal": "#6a1b9a", "paid_in_full": "#1565c0", "closed": "#757575",
}


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "#455a64")


def format_phone(e164: str) -> str:
    """+12125550147 -> (212) 555-0147; other numbers in international format."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 1 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["usd"] = format_usd
    app.jinja_env.filters["status_color"] = status_color
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
