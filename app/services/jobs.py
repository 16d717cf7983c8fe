"""RQ queues, enqueue-after-commit, and the embedded worker used when no REDIS_URL is set."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from app.services.on_commit import on_commit

log = logging.getLogger(__name__)

QUEUES = ("messages", "payments", "default", "reports")

_embedded_server = None
_lock = threading.Lock()


def redis_connection(redis_url: str | None) -> redis.Redis:
    """A bytes connection (RQ needs raw bytes): the real server, or the process's embedded fakeredis."""
    if redis_url:
        return redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
    import fakeredis

    global _embedded_server
    with _lock:
        if _embedded_server is None:
            _embedded_server = fakeredis.FakeServer()
    return fakeredis.FakeRedis(server=_embedded_server)


class Jobs:
    """The app's queues; bound to one Redis connection."""

    def __init__(self, connection: redis.Redis):
        self.connection = connection
        self.queues = {name: Queue(name, connection=connection) for name in QUEUES}

    def enqueue_now(self, queue: str, func: str | Any, *args, job_id: str | None = None, **kwargs):
        """Put a job on a queue right away (callers inside a transaction use enqueue())."""
        return self.queues[queue].enqueue(func, *args, job_id=job_id, **kwargs)

    def enqueue(self, session, queue: str, func: str | Any, *args, job_id: str | None = None, **kwargs) -> None:
        """Enqueue once the session commits; nothing is enqueued if it rolls back."""
        on_commit(session, lambda: self.enqueue_now(queue, func, *args, job_id=job_id, **kwargs))

    def enqueue_once(self, queue: str, func: str | Any, *args, key: str, ttl: int = 300, **kwargs) -> bool:
        """Enqueue unless a job for `key` is already waiting (a marker with a TTL, so a job lost with a killed worker
        is enqueued again once it expires); the job clears the marker with release(key) when it starts."""
        if not self.connection.set(f"pending:{key}", b"1", nx=True, ex=ttl):
            return False
        self.enqueue_now(queue, func, *args, **kwargs)
        return True

    def enqueue_once_many(self, queue: str, func: str, calls: list[tuple[tuple, str]], ttl: int = 300) -> int:
        """enqueue_once for many (args, key) pairs in two round trips: the markers in one pipeline, then the jobs
        whose marker this call set, in one more. How many were enqueued."""
        if not calls:
            return 0
        with self.connection.pipeline(transaction=False) as pipe:
            for _, key in calls:
                pipe.set(f"pending:{key}", b"1", nx=True, ex=ttl)
            taken = pipe.execute()
        jobs = [Queue.prepare_data(func, args=args) for (args, _), ok in zip(calls, taken) if ok]
        if jobs:
            self.queues[queue].enqueue_many(jobs)
        return len(jobs)

    def release(self, key: str) -> None:
        self.connection.delete(f"pending:{key}")

    def ping(self) -> bool:
        return bool(self.connection.ping())

    def work_burst(self) -> bool:
        """Run every queued job in this thread; True if any ran (tests and the embedded loop)."""
        worker = ThreadWorker(list(self.queues.values()), connection=self.connection)
        return worker.work(burst=True, logging_level="WARNING")


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that can live in a thread: no signal handlers, timer-based job timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


class EmbeddedLoop(threading.Thread):
    """Runs a callable every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, name: str, func, interval: float):
        super().__init__(name=name, daemon=True)
        self.func = func
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            started = time.monotonic()
            try:
                self.func()
            except Exception:
                log.exception("%s iteration failed", self.name)
            self._stop_event.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop_event.set()
