"""Jinja filters shared by every page."""
from __future__ import annotations

from flask import Flask

from app.services.money import format_usd


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["usd"] = format_usd
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
