"""Faults, on real RQ workers, Redis and an SMTP server: the tick and the mail come back on their own.

Each test starts workers of its own (on a queue of their own, ticking every 2 s, the mail every 1 s,
a 3 s lease, a 1 s breaker: the production periods are 60 s, 15 s, 30 s and 15 s) and breaks something:
the worker running the tick is killed, Redis is emptied, the SMTP server stops, a worker dies in the
middle of a batch. Every message then arrives exactly once, or, the one in flight when a worker died
after the server took it, twice with the same Message-ID; and within the target, scaled to those periods.
Only with REDIS_URL set (CI's second pass).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from config import TestConfig
from intranet import create_app
from intranet.clock import utcnow
from intranet.extensions import db as _db
from intranet.notifications import services
from intranet.ticks import PeriodicRun
from tests.conftest import ROOT
from tests.factories import make_user
from tests.mailsink import MailSink

pytestmark = [
    pytest.mark.commits,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="fault tests need Redis and real RQ workers"),
]

TICK, MAIL_TICK, LEASE, BREAKER = 2, 1, 3, 1
SETTINGS = {"TICK_SECONDS": TICK, "MAIL_TICK_SECONDS": MAIL_TICK, "MAIL_LEASE_SECONDS": LEASE,
            "MAIL_BREAKER_SECONDS": BREAKER, "MAIL_TIMEOUT": 5}
# What a process may add to the periods: a worker tries every second, a job waits for a free worker, and
# on a machine busy with other work (CI shares it) starting a process takes seconds. Still far below the
# minutes these faults cost before (6 to 14 minutes without a tick, 792 s before the mail flowed again).
SLACK = 6


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class Cluster:
    """RQ workers of their own that tick, an SMTP server of their own, and an app that queues to them."""

    def __init__(self, app, workers: int = 2):
        self.sink = MailSink().start()
        queue = f"tremplin-faults-{uuid.uuid4().hex[:8]}"

        class Settings(TestConfig):
            SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
            REDIS_URL, RQ_QUEUE = app.config["REDIS_URL"], queue
            MAIL_SERVER, MAIL_PORT = "127.0.0.1", self.sink.port

        for name, value in SETTINGS.items():
            setattr(Settings, name, value)
        self.app = create_app(Settings)
        self.workers = [self.start_worker() for _ in range(workers)]
        self.wait(lambda: self.worker_count() >= workers, 60, "the workers did not start")

    def start_worker(self) -> subprocess.Popen:
        config = self.app.config
        env = {**os.environ, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": config["REDIS_URL"],
               "RQ_QUEUE": config["RQ_QUEUE"], "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.sink.port),
               "WORKER_TICKS": "1", **{name: str(value) for name, value in SETTINGS.items()}}
        rq = Path(sys.executable).parent / "rq"
        return subprocess.Popen([str(rq), "worker", "-w", "intranet.jobs.Worker", "--quiet", "--url",
                                 config["REDIS_URL"], "--path", str(ROOT), config["RQ_QUEUE"]],
                                cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)

    def worker_count(self) -> int:
        from redis import Redis
        from rq import Queue, Worker

        queue = Queue(self.app.config["RQ_QUEUE"], connection=Redis.from_url(self.app.config["REDIS_URL"]))
        return Worker.count(queue=queue)

    @staticmethod
    def wait(condition, timeout: float, failure: str) -> float:
        """Wait until `condition()` holds; return when it did (time.monotonic())."""
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, failure
            time.sleep(0.05)
        return time.monotonic()

    def kill(self, worker: subprocess.Popen | int) -> None:
        """SIGKILL a worker and its work horse, as the kernel's OOM killer or a power cut would."""
        pid = worker if isinstance(worker, int) else worker.pid
        for victim in [*children(pid), pid]:
            os.kill(victim, signal.SIGKILL)
        for process in self.workers:
            if process.pid == pid:
                process.wait(timeout=10)

    def last_tick(self) -> tuple:
        with self.app.app_context():
            row = _db.session.execute(select(PeriodicRun.finished_at, PeriodicRun.claimed_by)
                                      .where(PeriodicRun.name == "tick")).first()
            _db.session.rollback()
        return tuple(row) if row else (None, None)

    def queue_mail(self, count: int, one_transaction: bool = False) -> list[str]:
        """Queue password-reset mails to `count` new addresses, each committed on its own (a job each) or together."""
        addresses = [f"panne-{uuid.uuid4().hex[:10]}@exemple.test" for _ in range(count)]
        with self.app.app_context():
            users = [make_user(address) for address in addresses]  # committed, each: no mail yet
            for user in users:
                services.queue_mail(to=user.email, template="password_reset", kind="password_reset",
                                    user=user, link="http://localhost/reset/abc")
                if not one_transaction:
                    _db.session.commit()
            _db.session.commit()
        return addresses

    def received(self, addresses: list[str]) -> Counter:
        wanted = set(addresses)
        with self.sink.lock:
            return Counter(m["To"] for m in self.sink.messages if m["To"] in wanted)

    def all_arrived(self, addresses: list[str]) -> bool:
        return len(self.received(addresses)) == len(addresses)

    def assert_each_once(self, addresses: list[str], in_flight: int = 0) -> None:
        """Every message arrived once; at most `in_flight` of them twice, both copies with one Message-ID."""
        received = self.received(addresses)
        assert set(received) == set(addresses)
        twice = [address for address, n in received.items() if n > 1]
        assert len(twice) <= in_flight and all(received[a] == 2 for a in twice), received
        with self.sink.lock:
            for address in twice:
                assert len({m["Message-ID"] for m in self.sink.messages if m["To"] == address}) == 1

    def close(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
        for process in self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(process)
        self.sink.stop()
        from redis import Redis
        from rq import Queue

        Queue(self.app.config["RQ_QUEUE"], connection=Redis.from_url(self.app.config["REDIS_URL"])).delete()


@pytest.fixture
def cluster(app, db):
    started = Cluster(app)
    yield started
    started.close()


def test_the_worker_running_the_tick_is_killed_and_another_ticks_at_the_next_period(cluster):
    cluster.wait(lambda: cluster.last_tick()[0] is not None, 30, "no tick")
    _, holder = cluster.last_tick()
    killed_at = utcnow()
    cluster.kill(int(holder.rpartition(":")[2]))
    cluster.wait(lambda: (t := cluster.last_tick())[0] is not None and t[0] > killed_at, 30, "no tick after the kill")
    finished_at, new_holder = cluster.last_tick()
    assert new_holder != holder
    assert (finished_at - killed_at).total_seconds() <= TICK + SLACK
    addresses = cluster.queue_mail(5)  # and the mail still goes, through the one left
    cluster.wait(lambda: cluster.all_arrived(addresses), 30, "mail lost after the kill")
    cluster.assert_each_once(addresses)


def test_redis_emptied_loses_neither_the_tick_nor_the_jobs_it_held(cluster):
    from redis import Redis

    cluster.sink.on_mail = lambda: time.sleep(0.05)  # slow enough for jobs to wait in Redis
    addresses = cluster.queue_mail(30)
    cluster.wait(lambda: len(cluster.received(addresses)) >= 3, 30, "nothing sent")
    flushed_at, flushed = utcnow(), time.monotonic()
    Redis.from_url(cluster.app.config["REDIS_URL"]).flushdb()
    cluster.wait(lambda: (t := cluster.last_tick())[0] is not None and t[0] > flushed_at, 30, "no tick after FLUSHDB")
    assert (cluster.last_tick()[0] - flushed_at).total_seconds() <= TICK + SLACK
    arrived = cluster.wait(lambda: cluster.all_arrived(addresses), 60, "mail lost with Redis's jobs")
    assert arrived - flushed <= LEASE + MAIL_TICK + 30 * 0.05 + SLACK  # the lost jobs' rows, handed out again
    cluster.assert_each_once(addresses)


def test_after_an_smtp_outage_the_first_message_through_brings_the_backlog_with_it(cluster):
    before = cluster.queue_mail(3)
    cluster.wait(lambda: cluster.all_arrived(before), 30, "the server never took mail")
    cluster.sink.stop()
    held = cluster.queue_mail(20)
    outage = 5  # the production periods would allow 20 s and more; these are 15 times shorter
    time.sleep(outage)
    with cluster.app.app_context():
        from intranet.notifications.models import OutboxMessage

        waiting = _db.session.scalars(select(OutboxMessage.waits_for_server)
                                      .where(OutboxMessage.to_address.in_(held))).all()
    assert waiting == [True] * 20  # held behind the breaker, not each on a backoff of its own
    cluster.sink.start()  # the same port again
    back = time.monotonic()
    first = cluster.wait(lambda: len(cluster.received(held)) > 0, 30, "nothing after the server came back")
    last = cluster.wait(lambda: cluster.all_arrived(held), 30, "the backlog did not follow")
    assert first - back <= BREAKER + MAIL_TICK + SLACK
    assert last - first <= SLACK
    cluster.assert_each_once(before + held)


def test_a_worker_killed_mid_batch_leaves_the_rest_to_another_within_the_lease(cluster):
    victims, sent = [], []

    def kill_the_sender():
        sent.append(1)
        if len(sent) == 10:  # the server has the 10th message; its sender dies before hearing "250 OK"
            busy = [w for w in cluster.workers if w.poll() is None and children(w.pid)]
            victims.extend(busy)
            for worker in busy:
                cluster.kill(worker)

    cluster.sink.on_data = kill_the_sender
    addresses = cluster.queue_mail(40, one_transaction=True)  # one batch, one job
    cluster.wait(lambda: len(victims) == 1, 30, "the batch never reached its 10th message")
    killed = time.monotonic()
    arrived = cluster.wait(lambda: cluster.all_arrived(addresses), 30, "the dead worker's mail was never sent")
    assert arrived - killed <= LEASE + MAIL_TICK + SLACK
    cluster.assert_each_once(addresses, in_flight=1)
    assert sum(cluster.received(addresses).values()) <= 41

