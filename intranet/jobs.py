"""The job queue: RQ on Redis when REDIS_URL is set, a small in-process runner otherwise.

Jobs are named by their dotted path ("intranet.notifications.delivery.deliver") and run
inside an application context, so a job function is an ordinary service function; the job
is the unit of work: what the function changed is committed once it returns (a function may
commit along the way when it must, as delivery does per message), rolled back if it raises.

The periodic steps features register with `@periodic()` (this module lists none) run at the start
of each period of their schedule, on one of the live processes: every RQ worker tries each period
from its main loop, and without Redis a thread of each serving process does (`start_ticker`); the
database lets one of them in (`intranet.ticks`). No scheduler, lock or chain of jobs lives in Redis.
"""

import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import cache

import rq
from flask import Flask, current_app
from rq.exceptions import StopRequested
from rq.worker import WorkerStatus

from intranet.clock import utcnow
from intranet.extensions import db

log = logging.getLogger(__name__)

Step = Callable[[datetime], object]
# The periodic steps by name, in the order they were registered (features register theirs on import).
PERIODIC: dict[str, Step] = {}
# The schedule of a step registered without one: every TICK_SECONDS.
TICK = "tick"


def periodic(name: str | None = None, every: str = TICK) -> Callable[[Step], Step]:
    """Register a function of `now` as a periodic step, under `name` (its own name by default).

    `every` names its schedule: the step runs once every `<EVERY>_SECONDS` (a setting), the minute
    tick by default. A step finds the rows that have come due and marks them; the tick commits after
    each step, and a step's work is handed to the queue after that commit (`queue_mail`, `hand_out`).
    It must be safe to run twice at once, on several workers: take rows with SKIP LOCKED, and let the
    job re-check each row under its own lock, so that nothing is done twice.
    """

    def register(step: Step) -> Step:
        step.every = every
        PERIODIC[name or step.__name__] = step
        return step

    return register


def schedule_of(step: Step) -> str:
    return getattr(step, "every", TICK)


def tick(now: datetime | None = None, every: str | None = None) -> dict[str, object]:
    """Run every registered step once (those of schedule `every` only, if given), each in its own
    transaction; a failing step does not stop the others."""
    now = now or utcnow()
    results: dict[str, object] = {}
    for name, step in list(PERIODIC.items()):
        if every is not None and schedule_of(step) != every:
            continue
        try:
            results[name] = step(now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("tick step %s failed", name)
    return results


def commit_once() -> bool:
    """Commit what a step has just queued under its unique key (a mail); False, nothing written, when another
    tick queued the same key meanwhile."""
    from sqlalchemy.exc import IntegrityError

    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


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
    """What ticks scheduled in Redis by an earlier version call: nothing (the workers tick by themselves)."""


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
    """An RQ worker whose forked work horses find the app built: `rq worker -w intranet.jobs.Worker`.

    Its main loop comes round every POLL seconds, even when idle, and tries the periodic steps'
    new periods (`intranet.ticks`) unless WORKER_TICKS is off; one worker wins each period.
    """

    POLL = 1

    def __init__(self, *args, **kwargs) -> None:
        from sqlalchemy.orm import configure_mappers

        from intranet.ticks import Schedule

        super().__init__(*args, **kwargs)
        app = _worker_app()  # built once here; every work horse inherits it instead of building it per job
        configure_mappers()  # else each horse's first query pays for it again
        self.schedule = Schedule() if app.config["WORKER_TICKS"] else None

    @property
    def dequeue_timeout(self) -> int:
        return self.POLL

    def heartbeat(self, timeout=None, pipeline=None):
        # Called by the main loop between jobs and every POLL seconds while idle (without a pipeline),
        # before Redis is reached: the periodic steps go on while Redis is down.
        if pipeline is None and not self._is_horse and self.schedule is not None:
            self.run_periodic_steps()
        return super().heartbeat(timeout, pipeline)

    def run_periodic_steps(self) -> None:
        app = _worker_app()
        if self._stop_requested or self.get_state() == WorkerStatus.BUSY or not self.schedule.due(app.config, utcnow()):
            return
        # Busy meanwhile, as far as a stop signal is concerned: the steps finish, then the worker stops
        # (an idle worker would raise StopRequested wherever the signal finds it).
        state, self._state = self._state, WorkerStatus.BUSY
        try:
            with app.app_context():
                self.schedule.run_due()
        except Exception:
            log.exception("the periodic steps failed")
        finally:
            self._state = state
        if self._stop_requested:
            raise StopRequested()

    def main_work_horse(self, job, queue) -> None:
        with _worker_app().app_context():
            db.engine.dispose(close=False)  # pooled connections belong to the parent, never to share
        super().main_work_horse(job, queue)


def start_ticker(app: Flask, interval: float = 1) -> "Ticker | None":
    """Try the periodic steps every `interval` seconds in this process when it serves without Redis.

    Call it once the app serves requests (not in tests, where it does nothing, nor in
    commands); with Redis, the workers run them instead. Calling it again is harmless.
    """
    if app.config["REDIS_URL"] or app.testing:
        return None
    if "ticker" not in app.extensions:
        ticker = Ticker(app, interval)
        if app.extensions.setdefault("ticker", ticker) is ticker:  # two first requests at once start one
            ticker.start()
    return app.extensions["ticker"]


class Ticker(threading.Thread):
    """Runs the periodic steps this process wins, trying every `interval` seconds until stopped."""

    def __init__(self, app: Flask, interval: float) -> None:
        from intranet.ticks import Schedule

        super().__init__(name="ticker", daemon=True)
        self.app, self.interval = app, interval
        self.schedule = Schedule()
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            if self.schedule.due(self.app.config, utcnow()):
                with self.app.app_context():
                    try:
                        self.schedule.run_due()
                    except Exception:
                        log.exception("the periodic steps failed")
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
