"""Recovery after faults, with the production periods: 2 real RQ workers that tick (a 60 s tick, a 15 s
mail tick, a 30 s lease, a 15 s breaker), a scratch database (bench/scratch.py), a local SMTP server.

- mail_recovery_after_smtp_outage_s: the SMTP server stops for 20 s while a mail is queued every
  second; seconds from its return until the backlog flows (the server receives the first held mail).
  Target 60. mail_backlog_sent_after_smtp_outage_s: until the whole backlog has arrived.
- tick_gap_after_scheduler_kill_s: the worker that ran the last tick is killed (-9) right after it;
  seconds from that tick to the next one (run by the other worker). Target 90.

Each held mail must arrive exactly once. Needs REDIS_URL (real workers): without it each figure says
it was skipped. Takes about three minutes, most of it waiting for the minute's tick.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import insert, select

from bench.scratch import database
from config import TestConfig
from intranet import create_app
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.notifications import services
from intranet.notifications.models import OutboxMessage
from intranet.ticks import PeriodicRun
from tests.mailsink import MailSink

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ("mail_recovery_after_smtp_outage_s", "mail_backlog_sent_after_smtp_outage_s", "tick_gap_after_scheduler_kill_s")
WORKERS = 2
OUTAGE = 20


def run() -> dict:
    if not os.environ.get("REDIS_URL"):
        return dict.fromkeys(FIGURES, "skipped (needs REDIS_URL: real RQ workers)")
    with database("recovery") as url, _smtp_server() as sink, _cluster(url, sink) as cluster:
        figures = _smtp_outage(cluster, sink)
        figures["tick_gap_after_scheduler_kill_s"] = _scheduler_kill(cluster)
    return figures


class _Cluster:
    def __init__(self, app, workers: list[subprocess.Popen]):
        self.app, self.workers = app, workers

    def queue(self, address: str) -> None:
        """Queue one mail and hand it to the workers, as a booking's commit does."""
        with self.app.app_context():
            message_id = db.session.scalar(insert(OutboxMessage).values(
                kind="bench-recovery", to_address=address, subject="Votre rendez-vous", text_body="Bonjour,\n",
                html_body="<p>Bonjour,</p>", next_attempt_at=utcnow() + services.lease()).returning(OutboxMessage.id))
            db.session.commit()
            services.enqueue_batches([message_id])

    def last_tick(self):
        with self.app.app_context():
            row = db.session.execute(select(PeriodicRun.period_start, PeriodicRun.finished_at, PeriodicRun.claimed_by)
                                     .where(PeriodicRun.name == "tick")).first()
            db.session.rollback()
            return row


@contextlib.contextmanager
def _smtp_server():
    sink = MailSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@contextlib.contextmanager
def _cluster(url: str, sink: MailSink):
    redis_url = os.environ["REDIS_URL"]

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = redis_url
        RQ_QUEUE = f"tremplin-bench-recovery-{uuid.uuid4().hex[:8]}"
        MAIL_SERVER, MAIL_PORT = "127.0.0.1", sink.port

    app = create_app(Settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    env = {**os.environ, "DATABASE_URL": url, "RQ_QUEUE": Settings.RQ_QUEUE, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(sink.port), "WORKER_TICKS": "1"}
    for setting in ("TICK_SECONDS", "MAIL_TICK_SECONDS", "MAIL_LEASE_SECONDS", "MAIL_BREAKER_SECONDS"):
        env.pop(setting, None)  # the production periods
    command = [str(Path(sys.executable).parent / "rq"), "worker", "-w", "intranet.jobs.Worker", "--quiet",
               "--url", redis_url, Settings.RQ_QUEUE]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(WORKERS)]
    cluster = _Cluster(app, workers)
    try:
        _wait(lambda: cluster.last_tick() is not None, 120, "the workers never ticked")
        yield cluster
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill(worker.pid)
        with app.app_context():
            from redis import Redis
            from rq import Queue

            Queue(Settings.RQ_QUEUE, connection=Redis.from_url(redis_url)).delete(delete_jobs=True)
            db.engine.dispose()


def _smtp_outage(cluster: _Cluster, sink: MailSink) -> dict:
    before = [f"avant{n}@exemple.test" for n in range(5)]
    for address in before:
        cluster.queue(address)
    _wait(lambda: len(_received(sink, before)) == len(before), 60, "no mail before the outage")
    sink.stop()
    held = []
    for n in range(OUTAGE):
        held.append(f"panne{n}@exemple.test")
        cluster.queue(held[-1])
        time.sleep(1)
    sink.start()  # the same port again
    back = time.monotonic()
    first = _wait(lambda: _received(sink, held), 300, "the backlog never flowed")
    last = _wait(lambda: len(_received(sink, held)) == len(held), 300, "part of the backlog never arrived")
    counts = _received(sink, held + before)
    assert set(counts.values()) == {1}, f"mail sent more than once: {counts}"
    return {"mail_recovery_after_smtp_outage_s": first - back, "mail_backlog_sent_after_smtp_outage_s": last - back}


def _scheduler_kill(cluster: _Cluster) -> float:
    _, first_finished, _ = cluster.last_tick()
    # Wait for a tick at a minute's start (the first ran whenever the workers started), then kill its worker.
    _wait(lambda: cluster.last_tick().finished_at != first_finished, 120, "no tick at the minute")
    _, finished, holder = cluster.last_tick()
    _kill(int(holder.rpartition(":")[2]))
    _wait(lambda: (row := cluster.last_tick()).finished_at != finished and row.claimed_by != holder, 300,
          "no tick after the kill")
    return (cluster.last_tick().finished_at - finished).total_seconds()


def _received(sink: MailSink, addresses: list[str]) -> Counter:
    wanted = set(addresses)
    with sink.lock:
        return Counter(m["To"] for m in sink.messages if m["To"] in wanted)


def _kill(pid: int) -> None:
    """SIGKILL a worker and its work horse."""
    horses = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
              if _parent(p) == pid]
    for victim in [*horses, pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)


def _parent(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _wait(condition, timeout: float, failure: str) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)
    return time.monotonic()
