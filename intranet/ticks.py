"""Who runs the periodic steps, and when: one live process at the start of each period.

Each schedule (`jobs.periodic(every=…)`: the tick every TICK_SECONDS, the mail's every
MAIL_TICK_SECONDS) is cut into periods aligned on the clock (a 60 s tick starts at every minute).
Every RQ worker, and without Redis every serving process, tries each period once, about a second
after it starts; one row per schedule in `periodic_run` decides: the process whose UPDATE moves
the row to the new period runs the steps, the others find it moved already. Nobody holds anything
between periods, so a worker killed in any state, or Redis emptied, restarted or down, costs at
most the period in progress: the next one starts on whichever process is alive.
"""

import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import String, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from intranet import jobs
from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db

log = logging.getLogger(__name__)


class PeriodicRun(db.Model):
    """The period a schedule's steps last ran in, and who ran them."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The start of the period last claimed: a process runs the steps by moving it forward.
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")  # host:pid
    # When the steps last finished: /healthz reports its age.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def schedules(config) -> dict[str, int]:
    """Seconds between runs of each schedule some step is on (0 or less: not run)."""
    names = {jobs.schedule_of(step) for step in jobs.PERIODIC.values()}
    return {name: int(config[f"{name.upper()}_SECONDS"]) for name in sorted(names)}


def period_start(now: datetime, seconds: int) -> datetime:
    """The start of the period `now` falls in: periods are aligned on the epoch, so on the clock."""
    return datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)


def claim(name: str, start: datetime, by: str) -> tuple[bool, datetime | None]:
    """Take the period starting at `start` for this process; return whether it is ours and when the
    schedule's steps last finished. Flushes; the caller commits at once, releasing the row."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    first = db.session.execute(insert(PeriodicRun).values(name=name, period_start=start, claimed_by=by)
                               .on_conflict_do_nothing(index_elements=["name"]).returning(PeriodicRun.name)).first()
    if first is not None:  # the schedule's first run ever
        return True, None
    moved = db.session.execute(
        update(PeriodicRun).where(PeriodicRun.name == name, PeriodicRun.period_start < start)
        .values(period_start=start, claimed_by=by).returning(PeriodicRun.finished_at)
        .execution_options(synchronize_session=False)
    ).first()
    return moved is not None, moved.finished_at if moved is not None else None


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Schedule:
    """The periods one process has tried: it tries each once, at its first chance after it starts."""

    def __init__(self) -> None:
        self._tried: dict[str, datetime] = {}

    def due(self, config, now: datetime) -> dict[str, datetime]:
        """The schedules whose current period this process has not tried yet, with that period's start."""
        due = {}
        for name, seconds in schedules(config).items():
            if seconds > 0 and self._tried.get(name) != (start := period_start(now, seconds)):
                due[name] = start
        return due

    def run_due(self, now: datetime | None = None) -> dict[str, dict]:
        """Try every period due (inside an app context); run the steps of those this process wins.

        Returns the results of the steps run, by schedule. A database that cannot be reached is
        logged, and tried again at the next call.
        """
        now = now or utcnow()
        ran = {}
        for name, start in self.due(current_app.config, now).items():
            try:
                won, finished_at = claim(name, start, process_name())
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("could not claim the %s of %s", name, start)
                continue
            self._tried[name] = start
            if not won:
                continue
            seconds = schedules(current_app.config)[name]
            if finished_at is not None and (now - finished_at).total_seconds() > 2 * seconds + 5:
                log.warning("%s: no run for %.0f s (one every %d s expected); running again",
                            name, (now - finished_at).total_seconds(), seconds)
            started = time.monotonic()
            ran[name] = jobs.tick(now, every=name)
            finished_at = now + timedelta(seconds=time.monotonic() - started)
            try:
                db.session.execute(update(PeriodicRun).where(PeriodicRun.name == name)
                                   .values(finished_at=finished_at).execution_options(synchronize_session=False))
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("could not record the %s's run", name)
        return ran


def last_runs() -> dict[str, datetime | None]:
    """When each schedule's steps last finished (None: never)."""
    rows = dict(db.session.execute(db.select(PeriodicRun.name, PeriodicRun.finished_at)).all())
    return {name: rows.get(name) for name in schedules(current_app.config)}
