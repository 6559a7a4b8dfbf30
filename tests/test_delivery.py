"""Outbox delivery: the tick hands due mail out, and no failure loses a mail or sends one twice.

Mail goes through the queue the suite runs on: the real RQ worker and SMTP server when
REDIS_URL is set, the in-process runner and a local SMTP server otherwise.
"""

import contextlib
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from config import TestConfig
from intranet import create_app
from intranet.clock import utcnow
from intranet.extensions import db as _db
from intranet.jobs import tick
from intranet.notifications import breaker, services
from intranet.notifications import delivery as outbox
from intranet.notifications.models import OutboxMessage
from tests.conftest import ROOT, _start_worker, _wait_for_queued_jobs
from tests.factories import make_outbox_message, make_user
from tests.mailsink import MailSink

pytestmark = pytest.mark.commits  # delivery runs in other threads and processes


@contextlib.contextmanager
def time_machine(moment):
    """Delivery's clock set to `moment` (the rows' times are compared with it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "utcnow", lambda: moment)
        yield


class Delivery:
    """An app whose mail leaves through SMTP to `sink`, and a way to wait for its queued jobs."""

    def __init__(self, app, sink: MailSink):
        self.app, self.sink = app, sink

    def settle(self) -> None:
        if self.app.config["REDIS_URL"]:
            _wait_for_queued_jobs(self.app)
        else:
            self.app.extensions["jobs"].drain()

    def received(self, message: OutboxMessage) -> int:
        return len(self.sink.to(message.to_address))

    def settle_all(self, timeout: float = 30) -> None:
        """Settle until no job is left, jobs queuing others (a breaker released by a delivery) included."""
        deadline = time.monotonic() + timeout
        pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                 OutboxMessage.waits_for_server.is_(False)).limit(1)
        while True:
            self.settle()
            _db.session.rollback()
            if _db.session.scalar(pending) is None or time.monotonic() > deadline:
                return
            time.sleep(0.05)


def _sending_app(app, port: int, **settings):
    """An app on the suite's database that sends to 127.0.0.1:`port`, jobs in-process unless `settings` say otherwise."""

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT, REDIS_URL = "127.0.0.1", port, ""

    for name, value in settings.items():
        setattr(Settings, name, value)
    return create_app(Settings)


@pytest.fixture
def delivery(app, mail_sink, db):
    if app.config["REDIS_URL"]:  # the session's RQ worker sends to the session's SMTP server
        yield Delivery(app, mail_sink)
        mail_sink.on_mail = mail_sink.on_data = None
        mail_sink.refuse.clear()
        if not mail_sink.running:
            mail_sink.start()
        return
    sink = MailSink().start()
    sending = _sending_app(app, sink.port)
    with sending.app_context():
        yield Delivery(sending, sink)
        sending.extensions["jobs"].drain()
    sink.stop()


def _status(message: OutboxMessage) -> str:
    return _db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id))


def _queue_reset_mail(to: str) -> OutboxMessage:
    return services.queue_mail(to=to, template="password_reset", kind="password_reset",
                               user=make_user(to), link="http://localhost/reset/abc")


def test_the_tick_hands_out_due_mail_and_only_due_mail(delivery):
    now = utcnow()
    due = make_outbox_message(None, next_attempt_at=now - timedelta(seconds=1))
    never_handed_out = make_outbox_message(None, next_attempt_at=None)
    not_yet = make_outbox_message(None, next_attempt_at=now + timedelta(minutes=5))
    sent = make_outbox_message(None, status="sent", next_attempt_at=now - timedelta(minutes=1))
    failed = make_outbox_message(None, status="failed", next_attempt_at=now - timedelta(minutes=1))
    assert tick(now)["hand_out_due_mail"] == 2
    delivery.settle()
    assert [delivery.received(m) for m in (due, never_handed_out, not_yet, sent, failed)] == [1, 1, 0, 0, 0]
    assert [_status(m) for m in (due, never_handed_out, not_yet)] == ["sent", "sent", "pending"]


def test_ticks_running_together_and_again_later_send_each_mail_once(delivery):
    messages = [make_outbox_message(None) for _ in range(5)]
    now = utcnow()
    start = threading.Barrier(2)
    handed_out = []

    def run_tick():
        with delivery.app.app_context():
            start.wait()
            handed_out.append(tick(now)["hand_out_due_mail"])

    threads = [threading.Thread(target=run_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    delivery.settle()
    assert tick(now + services.LEASE * 2)["hand_out_due_mail"] == 0
    delivery.settle()
    assert sum(handed_out) == 5
    assert [delivery.received(m) for m in messages] == [1] * 5


def test_mail_pending_for_a_day_is_given_up_keeping_its_error(delivery):
    now = utcnow()
    old_with_error = make_outbox_message(None, created_at=now - timedelta(hours=25), last_error="Connexion refusée")
    old_never_tried = make_outbox_message(None, created_at=now - timedelta(hours=25))
    tick(now)
    delivery.settle()
    _db.session.expire_all()
    assert (old_with_error.status, old_with_error.last_error) == ("failed", "Connexion refusée")
    assert (old_never_tried.status, old_never_tried.last_error) == ("failed", "non envoyé en 24 h")
    assert delivery.received(old_with_error) + delivery.received(old_never_tried) == 0


def test_two_deliveries_of_one_message_at_once_send_it_once(delivery):
    message = make_outbox_message(None)
    message_id = message.id  # threads must not load attributes through this thread's session
    start, other_finished = threading.Barrier(2), threading.Event()
    # Hold the first sender in the middle of its SMTP conversation, so the two deliveries overlap.
    delivery.sink.on_mail = lambda: other_finished.wait(timeout=1)
    results = []

    def deliver():
        with delivery.app.app_context():
            start.wait()
            results.append(outbox.deliver(message_id))
            if results[-1] == "skipped":
                other_finished.set()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped"]
    assert delivery.received(message) == 1


def test_a_message_that_cannot_be_sent_as_is_fails_alone_and_its_batch_goes_on(delivery):
    injected = make_outbox_message(None, subject="Objet\nBcc: tous@exemple.test")  # refused by Flask-Mail
    unencodable = make_outbox_message(None, to_address="élodie@exemple.test")  # smtplib speaks ASCII only
    fine = make_outbox_message(None)
    assert outbox.deliver_batch([injected.id, unencodable.id, fine.id]) == ["failed", "failed", "sent"]
    _db.session.expire_all()
    assert injected.last_error == "BadHeaderError" and "ascii" in unencodable.last_error
    assert delivery.received(fine) == 1


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


# Without Redis, a serving process ticks and its in-process runner delivers what the tick handed out.
_SERVE_ONE_TICK = """
from intranet.jobs import _worker_app
from intranet.jobs import tick
app = _worker_app()
with app.app_context():
    tick()
    app.extensions["jobs"].drain()
"""


class _WorkerThatDies:
    """A worker process sending to an SMTP server of its own, killed with SIGKILL (work horse and all)
    at the n-th MAIL FROM: a real RQ worker on a queue of its own, or a process with the in-process runner.
    """

    def __init__(self, delivery: Delivery, at: int):
        self.sink = MailSink().start()
        self.app = _sending_app(delivery.app, self.sink.port, REDIS_URL=delivery.app.config["REDIS_URL"],
                                RQ_QUEUE=f"tremplin-crash-{uuid.uuid4().hex[:8]}")
        self.mails, self.at = 0, at
        self.sink.on_mail = self._count
        self.process = None

    def _count(self) -> None:
        self.mails += 1
        if self.mails == self.at:
            for pid in [*_children(self.process.pid), self.process.pid]:
                os.kill(pid, signal.SIGKILL)

    def hand_out_and_die(self) -> int:
        """Let a tick hand the due mail out to the worker; return how many were handed out once it died."""
        if self.app.config["REDIS_URL"]:
            self.process = _start_worker(self.app)
            tick()
        else:
            env = {**os.environ, "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": "",
                   "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.sink.port)}
            self.process = subprocess.Popen([sys.executable, "-c", _SERVE_ONE_TICK], cwd=ROOT, env=env)
        self.process.wait(timeout=60)
        _db.session.rollback()
        return _db.session.scalar(select(func.count()).where(OutboxMessage.next_attempt_at.is_not(None)))

    def restart(self) -> None:
        """Start a new RQ worker; without Redis, this app's in-process runner takes over."""
        if self.app.config["REDIS_URL"]:
            self.process = _start_worker(self.app)

    def settle(self) -> None:
        # A killed RQ worker's job stays "started" until RQ gives it up: wait for the rows instead.
        pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending").limit(1)
        deadline = time.monotonic() + 30
        while _db.session.scalar(pending) is not None and time.monotonic() < deadline:
            _db.session.rollback()
            time.sleep(0.05)
        self.app.extensions["jobs"].drain()
        _db.session.rollback()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.app.extensions["jobs"].drain()
        self.sink.stop()


def test_a_worker_killed_mid_batch_loses_no_mail_and_sends_none_twice(delivery):
    messages = [make_outbox_message(None, to_address=f"lot{n}@exemple.test") for n in range(50)]
    worker = _WorkerThatDies(delivery, at=20)
    try:
        with worker.app.app_context():
            assert worker.hand_out_and_die() == 50
            assert len(worker.sink.messages) == 19
            worker.restart()
            # After the lease, the tick hands out again what the dead worker left (its row locks died with it).
            later, handed_out, deadline = utcnow() + services.LEASE, 0, time.monotonic() + 30
            while handed_out < 31 and time.monotonic() < deadline:
                handed_out += tick(later)["hand_out_due_mail"]
            worker.settle()
            assert tick(later + services.LEASE)["hand_out_due_mail"] == 0
            worker.settle()
        assert handed_out == 31
        assert sorted(m["To"] for m in worker.sink.messages) == sorted(m.to_address for m in messages)
        assert {_status(m) for m in messages} == {"sent"}
    finally:
        worker.close()


def test_mail_queued_while_the_smtp_server_is_down_arrives_once_it_is_back(delivery):
    delivery.sink.stop()
    message = _queue_reset_mail("claire@exemple.test")
    _db.session.commit()  # the commit hands it to a worker, which cannot connect
    delivery.settle()
    _db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1) and message.last_error
    retry_at = message.next_attempt_at
    delivery.sink.start()  # the same port again
    assert tick(retry_at - timedelta(seconds=1))["hand_out_due_mail"] == 0
    assert tick(retry_at)["hand_out_due_mail"] == 1
    delivery.settle()
    assert tick(retry_at + services.LEASE)["hand_out_due_mail"] == 0
    delivery.settle()
    assert delivery.received(message) == 1
    assert _status(message) == "sent"


def test_a_commit_while_redis_is_down_succeeds_and_the_tick_sends_the_mail(delivery):
    redis_down = _sending_app(delivery.app, delivery.sink.port, REDIS_URL="redis://127.0.0.1:1/0")
    with redis_down.app_context():
        message_id = _queue_reset_mail("claire@exemple.test").id
        _db.session.commit()  # the queue is unreachable: logged, not raised
    message = _db.session.get(OutboxMessage, message_id)
    assert (message.status, message.attempts) == ("pending", 0)
    assert tick(utcnow() + services.LEASE)["hand_out_due_mail"] == 1
    delivery.settle()
    assert delivery.received(message) == 1
    assert _status(message) == "sent"


def test_a_server_that_never_answers_cannot_hang_delivery(app, db):
    with socket.socket() as silent:  # accepts connections (the kernel does), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = _sending_app(app, silent.getsockname()[1], MAIL_TIMEOUT=0.2)
        with mute.app_context():
            message = make_outbox_message(None)
            assert outbox.deliver(message.id) == "pending"
            _db.session.refresh(message)
            assert "timed out" in message.last_error and message.next_attempt_at is not None


# --- the breaker: a failing server holds the mail, the first message through brings it all forward ------


def _held(message: OutboxMessage) -> tuple[bool, int]:
    _db.session.refresh(message)
    return message.waits_for_server, message.attempts


def test_when_the_server_fails_the_rest_of_the_batch_is_held_without_trying_it(delivery):
    delivery.sink.stop()
    first, second, third = (make_outbox_message(None) for _ in range(3))
    assert outbox.deliver_batch([first.id, second.id, third.id]) == ["pending", "skipped", "skipped"]
    assert [_held(m) for m in (first, second, third)] == [(True, 1), (True, 0), (True, 0)]
    assert first.last_error and first.next_attempt_at == second.next_attempt_at == third.next_attempt_at


def test_while_the_breaker_is_open_new_mail_is_held_without_calling_the_server(delivery):
    delivery.sink.stop()
    failed = make_outbox_message(None)
    outbox.deliver(failed.id)
    delivery.sink.start()  # back, but nobody knows yet: the breaker waits out its cool-down
    newcomer = make_outbox_message(None)
    assert outbox.deliver(newcomer.id) == "skipped"
    assert _held(newcomer) == (True, 0) and delivery.received(newcomer) == 0
    assert newcomer.next_attempt_at <= failed.next_attempt_at  # holding it keeps the breaker open no longer


def test_once_the_cool_down_is_over_the_tick_tries_one_held_message_only(delivery):
    delivery.sink.stop()
    messages = [make_outbox_message(None) for _ in range(4)]
    outbox.deliver_batch([m.id for m in messages])
    retry_at = _db.session.get(OutboxMessage, messages[0].id).next_attempt_at
    assert tick(retry_at - timedelta(seconds=1))["hand_out_due_mail"] == 0  # open
    assert tick(retry_at)["hand_out_due_mail"] == 1  # half-open: one probe
    delivery.settle_all()
    _db.session.expire_all()
    assert sorted(m.attempts for m in messages) == [0, 0, 0, 2]  # the probe (the first one) failed again, alone
    assert {m.waits_for_server for m in messages} == {True}
    retry_again = max(m.next_attempt_at for m in messages)
    assert retry_again > retry_at
    assert tick(retry_again - timedelta(seconds=1))["hand_out_due_mail"] == 0  # open again for a cool-down


def test_the_first_message_through_brings_every_held_one_forward(delivery):
    delivery.sink.stop()
    messages = [make_outbox_message(None) for _ in range(5)]
    outbox.deliver_batch([m.id for m in messages])
    retry_at = _db.session.get(OutboxMessage, messages[0].id).next_attempt_at
    delivery.sink.start()
    assert tick(retry_at)["hand_out_due_mail"] == 1  # the probe gets through, the others follow at once
    delivery.settle_all()
    assert [delivery.received(m) for m in messages] == [1] * 5
    assert {_status(m) for m in messages} == {"sent"}
    assert tick(retry_at + services.LEASE * 2)["hand_out_due_mail"] == 0


def test_any_message_through_closes_the_breaker_not_only_the_probe(delivery):
    delivery.sink.stop()
    held = [make_outbox_message(None) for _ in range(3)]
    outbox.deliver_batch([m.id for m in held])
    retry_at = _db.session.get(OutboxMessage, held[0].id).next_attempt_at
    delivery.sink.start()
    newcomer = make_outbox_message(None)
    with time_machine(retry_at):  # half-open: a new message tries the server, and it answers
        assert outbox.deliver(newcomer.id) == "sent"
    delivery.settle_all()
    assert [delivery.received(m) for m in [*held, newcomer]] == [1] * 4


def test_a_refused_address_holds_nothing_else_and_backs_off_alone(delivery):
    busy = make_outbox_message(None, to_address="occupee@exemple.test")
    fine = make_outbox_message(None)
    delivery.sink.refuse["occupee@exemple.test"] = "450 4.2.1 Mailbox busy"
    assert outbox.deliver_batch([busy.id, fine.id]) == ["pending", "sent"]
    assert _held(busy) == (False, 1) and "Mailbox busy" in busy.last_error
    assert busy.next_attempt_at > utcnow() + timedelta(seconds=50)  # its own backoff: a minute


@pytest.mark.parametrize("error, server", [
    (ConnectionRefusedError(111, "Connection refused"), True),
    (TimeoutError("timed out"), True),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
    (smtplib.SMTPConnectError(421, b"Too busy"), True),
    (smtplib.SMTPSenderRefused(421, b"Closing", "a@b.test"), True),
    (smtplib.SMTPDataError(451, b"Local error"), False),
    (smtplib.SMTPRecipientsRefused({"a@b.test": (450, b"Busy")}), False),
])
def test_the_breaker_tells_a_server_failure_from_a_message_failure(error, server):
    assert breaker.server_failed(error) is server


# --- Message-ID: the same at every attempt, in the site's domain ------------------------------------


def test_a_resend_carries_the_message_id_of_the_first_attempt_in_the_site_domain(app, db):
    sink = MailSink().start()
    site = _sending_app(app, sink.port, BASE_URL="https://tremplin.example.org")
    try:
        with site.app_context():
            message = make_outbox_message(None)
            address = message.to_address
            assert outbox.deliver(message.id) == "sent"
            # As after a worker killed between the server's "250 OK" and the commit: still pending.
            _db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id)
                                .values(status="pending", sent_at=None))
            _db.session.commit()
            assert outbox.deliver(message.id) == "sent"
        first, again = sink.to(address)
        assert first["Message-ID"] == again["Message-ID"]
        assert first["Message-ID"].endswith("@tremplin.example.org>") and "localhost" not in first["Message-ID"]
    finally:
        sink.stop()


def test_each_message_has_its_own_message_id(app, db):
    with app.app_context():
        ids = {outbox.message_id_for(n, utcnow()) for n in range(3)}
    assert len(ids) == 3 and all(i.endswith("@localhost>") for i in ids)  # the suite's BASE_URL is http://localhost


def test_an_international_domain_is_written_in_ascii(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://tremplin-réseau.fr")
    assert outbox.message_id_for(7, utcnow()).endswith(".7@xn--tremplin-rseau-kkb.fr>")
