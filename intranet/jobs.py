"""The job queue: RQ on Redis when REDIS_URL is set, a small in-process runner otherwise.

Jobs are named by their dotted path ("intranet.notifications.services.deliver") and run
inside an application context, so a job function is an ordinary service function.
"""

import importlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache

from flask import Flask, current_app

log = logging.getLogger(__name__)


def enqueue(path: str, *args) -> None:
    """Run the function at `path` with `args` in the background, soon."""
    app = current_app._get_current_object()
    if app.config["REDIS_URL"]:
        try:
            _queue(app.config["REDIS_URL"], app.config["RQ_QUEUE"]).enqueue(run, path, *args)
        except Exception:  # Redis down: the row waits in the database for the next tick.
            log.exception("could not queue %s%r", path, args)
    else:
        app.extensions["jobs"].submit(app, path, args)


def run(path: str, *args):
    """Run a job inside an application context (what the RQ worker calls)."""
    with _worker_app().app_context():
        return _call(path, args)


def _call(path: str, args):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args)


@cache
def _worker_app() -> Flask:
    from intranet import create_app

    return create_app()


@cache
def _queue(url: str, name: str):
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2))


class InProcessRunner:
    """Runs jobs one after another in a background thread of this process."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
        self._pending: list[Future] = []

    def submit(self, app: Flask, path: str, args) -> None:
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(self._executor.submit(self._run, app, path, args))

    @staticmethod
    def _run(app: Flask, path: str, args) -> None:
        with app.app_context():
            try:
                _call(path, args)
            except Exception:
                log.exception("job %s%r failed", path, args)

    def drain(self, timeout: float = 30) -> None:
        """Wait until every submitted job has run (tests, shutdown)."""
        for future in list(self._pending):
            future.result(timeout=timeout)
