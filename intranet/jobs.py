"""The job queue: RQ on Redis when REDIS_URL is set, a small in-process runner otherwise.

Jobs are named by their dotted path ("intranet.notifications.delivery.deliver") and run
inside an application context, so a job function is an ordinary service function; the job
is the unit of work: what the function changed is committed once it returns (a function may
commit along the way when it must, as delivery does per message), rolled back if it raises.

The periodic tick runs every minute: under RQ's scheduler (`rq worker -w intranet.jobs.Worker
--with-scheduler …`), or in a thread of the serving process (`start_ticker`) when there is no
Redis. It runs the steps features register with `@periodic()`; this module lists none.
"""

import contextlib
import importlib
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import cache

import rq
from flask import Flask, current_app
from rq.exceptions import DuplicateJobError

from intranet.clock import utcnow
from intranet.extensions import db

log = logging.getLogger(__name__)
TICK = "intranet.jobs.periodic_tick"

Step = Callable[[datetime], object]
# The tick's steps by name, in the order they were registered (features register theirs on import).
PERIODIC: dict[str, Step] = {}


def periodic(name: str | None = None) -> Callable[[Step], Step]:
    """Register a function of `now` as a step of the minute tick, under `name` (its own name by default).

    A step finds the rows that have come due and marks them; the tick commits after each step, and
    a step's work is handed to the queue after that commit (`queue_mail`, `hand_out`). It must be
    safe to run twice at once, on several workers: take rows with SKIP LOCKED, and let the job
    re-check each row under its own lock, so that nothing is done twice.
    """

    def register(step: Step) -> Step:
        PERIODIC[name or step.__name__] = step
        return step

    return register


def tick(now: datetime | None = None) -> dict[str, object]:
    """Run every registered step once, each in its own transaction; a failing step does not stop the others."""
    now = now or utcnow()
    results: dict[str, object] = {}
    for name, step in list(PERIODIC.items()):
        try:
            results[name] = step(now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("tick step %s failed", name)
    return results


def enqueue(path: str, *args) -> bool:
    """Run the function at `path` with `args` in the background, soon; False if the queue is unreachable."""
    app = current_app._get_current_object()
    if app.config["REDIS_URL"]:
        try:
            _queue(app.config["REDIS_URL"], app.config["RQ_QUEUE"]).enqueue(run, path, *args)
        except Exception:  # Redis down: the row waits in the database for the next tick.
            log.exception("could not queue %s%r", path, args)
            return False
    else:
        app.extensions["jobs"].submit(app, path, args)
    return True


def periodic_tick() -> None:
    """Run the tick, having scheduled the next one first, so a failing tick cannot end the chain."""
    if current_app.config["REDIS_URL"]:
        schedule_next_tick()
    tick()


def schedule_next_tick(now: datetime | None = None) -> None:
    """Schedule the tick at the start of the next minute under RQ's scheduler, once.

    The job id is the minute: every worker scheduling it schedules the same job.
    """
    at = (now or utcnow()).replace(second=0, microsecond=0) + timedelta(minutes=1)
    queue = _queue(current_app.config["REDIS_URL"], current_app.config["RQ_QUEUE"])
    job_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"tick-{queue.name}-{at:%Y%m%d%H%M}")
    with contextlib.suppress(DuplicateJobError):  # another worker scheduled it already
        queue.enqueue_at(at, run, TICK, job_id=job_id, unique=True, at_front=True, result_ttl=0,
                         description="tick")


def run(path: str, *args):
    """Run a job inside an application context (what the RQ worker calls)."""
    with _worker_app().app_context():
        return _call(path, args)


def _call(path: str, args):
    """Run one job as one unit of work: commit what it changed, or roll it back if it failed."""
    module, _, name = path.rpartition(".")
    try:
        result = getattr(importlib.import_module(module), name)(*args)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


@cache
def _worker_app() -> Flask:
    from intranet import create_app

    return create_app()


@cache
def _queue(url: str, name: str):
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2))


class Worker(rq.Worker):
    """An RQ worker whose forked work horses find the app built: `rq worker -w intranet.jobs.Worker`."""

    def __init__(self, *args, **kwargs) -> None:
        from sqlalchemy.orm import configure_mappers

        super().__init__(*args, **kwargs)
        _worker_app()  # built once here; every work horse inherits it instead of building it per job
        configure_mappers()  # else each horse's first query pays for it again

    def main_work_horse(self, job, queue) -> None:
        with _worker_app().app_context():
            db.engine.dispose(close=False)  # pooled connections belong to the parent, never to share
        super().main_work_horse(job, queue)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        # At start and every ten minutes: restart the chain of ticks if Redis lost it.
        try:
            with _worker_app().app_context():
                schedule_next_tick()
        except Exception:
            log.exception("could not schedule the tick")


def start_ticker(app: Flask, interval: float = 60) -> "Ticker | None":
    """Run the tick every `interval` seconds in this process when it serves without Redis.

    Call it once the app serves requests (not in tests, where it does nothing, nor in
    commands); with Redis, RQ's scheduler ticks instead. Calling it again is harmless.
    """
    if app.config["REDIS_URL"] or app.testing:
        return None
    if "ticker" not in app.extensions:
        ticker = Ticker(app, interval)
        if app.extensions.setdefault("ticker", ticker) is ticker:  # two first requests at once start one
            ticker.start()
    return app.extensions["ticker"]


class Ticker(threading.Thread):
    """Hands the tick to the in-process runner now, then every `interval` seconds until stopped."""

    def __init__(self, app: Flask, interval: float) -> None:
        super().__init__(name="ticker", daemon=True)
        self.app, self.interval = app, interval
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            self.app.extensions["jobs"].submit(self.app, TICK, ())
            if self._stopped.wait(self.interval):
                return

    def stop(self) -> None:
        self._stopped.set()
        self.join()


class InProcessRunner:
    """Runs jobs in background threads of this process, one after another unless given more threads."""

    def __init__(self, threads: int = 1) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="jobs")
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
