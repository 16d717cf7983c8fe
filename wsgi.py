"""The one module gunicorn and `flask --app wsgi` load."""
import sys

from app import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    print(f"funnelChat cannot start: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
