"""Run localstripe on loopback only (its own launcher listens on every interface).

    python -m app.services.payments.localstripe_server --port 8420

Its Stripe.js stand-in declares a top-level `class Element`, which shadows the DOM's Element for every script of the
page (htmx's `instanceof Element` checks then fail, so no hx- attribute works on a page that loads it). It is served
inside a block here, which keeps that class to itself; `Stripe` is still assigned globally as the page expects.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

JS_PATH = "/js.stripe.com/v3/"


def _scoped_js(web):
    import localstripe

    source = (Path(localstripe.__file__).parent / "localstripe-v3.js").read_text()
    body = "{\n" + source + "\n}\n"

    @web.middleware
    async def scoped(request, handler):
        if request.path == JS_PATH:
            return web.Response(text=body, content_type="application/javascript")
        return await handler(request)

    return scoped


def main() -> None:
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1, starting from an empty store")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    from aiohttp import web
    from localstripe.server import app

    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    app.middlewares.insert(0, _scoped_js(web))
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
