"""Local doubles of the messaging providers, speaking their wire formats, so the real SDKs are exercised.

Each fake is a small threaded werkzeug server: start() on a free port inside a test (stop() at teardown), or run as
a process (`python -m tests.fakes.twilio_server --port P --state-file F`) that appends every message it accepts to
F as a JSON line, for benchmarks that kill workers and count what arrived. Switches make it answer like a provider
that is down (`fail(503, requests=2)`); in a separate process the same switches are `POST /_fake/fail`
(form fields status, requests, seconds, retry_after) and `POST /_fake/recover`; `GET /_fake/received` lists what
arrived."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import socket
import threading
import time
from typing import Callable

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class FakeServer:
    """The plumbing every fake shares: serving, the record of what arrived, failure switches, the state file."""

    def __init__(self, *, state_file: str | None = None, clock: Callable[[], dt.datetime] | None = None,
                 quiet: bool = True):
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.requests: list[dict] = []
        self.state_file = state_file
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.quiet = quiet
        self._failure: dict | None = None
        self._server = None
        self._thread = None

    # -- serving ---------------------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> "FakeServer":
        handler = _QuietHandler if self.quiet else WSGIRequestHandler
        self._server = make_server("127.0.0.1", port, self.wsgi, threaded=True, request_handler=handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wsgi(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append({"method": request.method, "path": request.path, "args": request.args.to_dict()})
        if request.path.startswith("/_fake/"):
            response = self._control(request)
        else:
            response = self._failing() or self.dispatch(request)
            if self._take_drop():  # the provider took it, then the connection died before the answer
                sock = environ.get("werkzeug.socket")
                sock.shutdown(socket.SHUT_RDWR)
                return []
        return response(environ, start_response)

    def drop_answers(self, requests: int = 1) -> None:
        """Handle the next `requests` calls, then close the connection without answering (a lost reply)."""
        with self.lock:
            self._drops = requests

    def _take_drop(self) -> bool:
        with self.lock:
            if getattr(self, "_drops", 0) > 0:
                self._drops -= 1
                return True
        return False

    def dispatch(self, request: Request) -> Response:
        raise NotImplementedError

    # -- switches --------------------------------------------------------------------------------------------------
    def fail(self, status: int = 503, *, requests: int | None = None, seconds: float | None = None,
             retry_after: int | None = None, **detail) -> None:
        """Answer `status` to the next `requests` calls, or for `seconds`, or until recover(); `detail` reaches
        error_response (e.g. Twilio's code and message)."""
        with self.lock:
            self._failure = {"status": status, "left": requests, "retry_after": retry_after, "detail": detail,
                             "until": time.monotonic() + seconds if seconds else None}

    def recover(self) -> None:
        with self.lock:
            self._failure = None

    def _failing(self) -> Response | None:
        with self.lock:
            failure = self._failure
            if failure is None:
                return None
            if failure["until"] is not None and time.monotonic() >= failure["until"]:
                self._failure = None
                return None
            if failure["left"] is not None:
                failure["left"] -= 1
                if failure["left"] <= 0:
                    self._failure = None
        headers = {"Retry-After": str(failure["retry_after"])} if failure["retry_after"] is not None else {}
        return self.error_response(failure["status"], headers=headers, **failure["detail"])

    def error_response(self, status: int, headers: dict | None = None, **detail) -> Response:
        """The provider's error body for a switched-on failure."""
        raise NotImplementedError

    def _control(self, request: Request) -> Response:
        if request.path == "/_fake/fail" and request.method == "POST":
            form = request.form
            self.fail(int(form.get("status", 503)), requests=_int(form.get("requests")),
                      seconds=float(form["seconds"]) if form.get("seconds") else None,
                      retry_after=_int(form.get("retry_after")))
            return json_response({"ok": True})
        if request.path == "/_fake/recover" and request.method == "POST":
            self.recover()
            return json_response({"ok": True})
        if request.path == "/_fake/received":
            with self.lock:
                return json_response({"received": list(self.received)})
        return json_response({"error": "unknown control"}, status=404)

    # -- the record ------------------------------------------------------------------------------------------------
    def remember(self, item: dict) -> None:
        """Keep what arrived; with a state file, also append it as one JSON line (flushed at once)."""
        with self.lock:
            self.received.append(item)
            if self.state_file:
                with open(self.state_file, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(item, default=str) + "\n")
                    handle.flush()

    # -- standalone ------------------------------------------------------------------------------------------------
    @classmethod
    def main(cls, argv=None, **defaults) -> None:
        parser = argparse.ArgumentParser(description=cls.__doc__)
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--state-file")
        cls.add_arguments(parser)
        args = parser.parse_args(argv)
        fake = cls.from_arguments(args)
        fake.start(args.port)
        print(f"{cls.__name__} listening on {fake.url}", flush=True)
        try:
            fake._thread.join()
        except KeyboardInterrupt:
            fake.stop()

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        pass

    @classmethod
    def from_arguments(cls, args) -> "FakeServer":
        return cls(state_file=args.state_file)


class _QuietHandler(WSGIRequestHandler):
    """No access log: tests read the record instead."""

    def log_request(self, *args, **kwargs):
        pass


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None
