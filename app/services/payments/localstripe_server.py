"""Run localstripe on loopback only (its own launcher listens on every interface).

    python -m app.services.payments.localstripe_server --port 8420
"""
from __future__ import annotations

import argparse
import logging


def main() -> None:
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1, starting from an empty store")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    from aiohttp import web
    from localstripe.server import app

    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
