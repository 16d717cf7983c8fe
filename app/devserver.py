"""`make run`: migrations, demo data, localstripe, and the web server with the worker and clock in-process.

    python -m app.devserver
"""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

WEBHOOK_ID = "funnelchat"


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_localstripe(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_localstripe(port: int) -> tuple[subprocess.Popen | None, int]:
    """Start localstripe on the port (or reuse one already there); another service on it moves us to a free port."""
    if _port_open("127.0.0.1", port):
        if _is_localstripe(f"http://127.0.0.1:{port}"):
            return None, port
        taken, port = port, _free_port()
        print(f"Port {taken} is taken by something else: localstripe will listen on {port}.", file=sys.stderr)
    process = subprocess.Popen([sys.executable, "-m", "app.services.payments.localstripe_server", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_stop, process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with status {process.returncode}")
        if _is_localstripe(f"http://127.0.0.1:{port}"):
            return process, port
        time.sleep(0.1)
    raise RuntimeError("localstripe did not answer within 20 s")


def register_stripe_webhook(stripe_base: str, public_url: str, secret: str) -> None:
    body = json.dumps({"url": f"{public_url}/api/v1/webhooks/stripe", "secret": secret}).encode()
    request = urllib.request.Request(f"{stripe_base}/_config/webhooks/{WEBHOOK_ID}-{urlsplit(public_url).port}",
                                     data=body, headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request, timeout=5).read()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def prepare_database(app) -> str:
    """Apply migrations and load the demo data on the first run; return the sign-in text."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.services import demo
    from app.services.clock import get_clock

    with app.app_context():
        upgrade()
        result = demo.load(db.session, get_clock().now(), skip_if_present=True)
        db.session.commit()
        return demo.sign_in_text(result)


def start_embedded_workers(app):
    """Without REDIS_URL, the RQ worker and the clock run here on the embedded fakeredis."""
    import jobs
    from app.services.jobs import EmbeddedLoop
    from jobs.clock import tick

    jobs.bind_app(app)
    queue_loop = EmbeddedLoop("embedded-worker", app.extensions["jobs"].work_burst, interval=0.25)
    clock_loop = EmbeddedLoop("embedded-clock", lambda: tick(app), interval=app.config["CLOCK_INTERVAL_SECONDS"])
    queue_loop.start()
    clock_loop.start()
    return queue_loop, clock_loop


def main() -> None:
    started = time.monotonic()
    from app import ConfigError, create_app
    from app.config import Config

    try:
        config = Config.from_env()
        localstripe = None
        if config.stripe_mode == "localstripe" and not os.environ.get("STRIPE_API_BASE"):
            localstripe, port = start_localstripe(int(os.environ.get("LOCALSTRIPE_PORT") or 8420))
            config.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
        app = create_app(config)
    except ConfigError as exc:
        print(f"funnelChat cannot start: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    sign_in = prepare_database(app)
    if config.stripe_mode == "localstripe":
        register_stripe_webhook(config.STRIPE_API_BASE, config.PUBLIC_URL, config.STRIPE_WEBHOOK_SECRET)
    if not config.REDIS_URL:
        start_embedded_workers(app)

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    print("\n".join([
        "",
        f"funnelChat is running at {config.PUBLIC_URL} (ready in {time.monotonic() - started:.1f}s; Ctrl-C stops everything)",
        f"  database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}",
        f"  queue: {'Redis ' + config.REDIS_URL if config.REDIS_URL else 'embedded (worker and clock in this process)'}",
        f"  stripe: {config.stripe_mode} {config.STRIPE_API_BASE or ''}; sms: {config.sms_mode}; email: {config.email_mode}; ai: {config.ai_mode}",
        sign_in,
        "",
    ]), flush=True)
    from app.extensions import socketio

    try:
        socketio.run(app, host="127.0.0.1", port=config.PORT, allow_unsafe_werkzeug=True, use_reloader=False,
                     log_output=False)
    except KeyboardInterrupt:
        pass
    finally:
        if localstripe is not None:
            _stop(localstripe)


if __name__ == "__main__":
    main()
