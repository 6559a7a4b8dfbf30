"""Outbox delivery: 10,000 pending mails sent by 2 workers, against a bare smtplib loop.

Both send the same messages to the same local aiosmtpd server (in a process of its own).
The workers are 2 RQ worker processes when REDIS_URL is set, else the in-process runner
with 2 threads. The database is a temporary SQLite file, or DATABASE_URL's PostgreSQL,
from which the rows made here are deleted afterwards.
"""

import contextlib
import multiprocessing
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import delete, func, insert, select

from config import TestConfig, _database_url
from intranet import create_app
from intranet.extensions import db
from intranet.jobs import InProcessRunner
from intranet.notifications import services
from intranet.notifications.models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent

MESSAGES = 10_000
WORKERS = 2
SENDER = "Tremplin <ne-pas-repondre@tremplin.test>"
SUBJECT = "Votre rendez-vous de coaching image"
TEXT = "Bonjour Claire,\n\nVotre rendez-vous est confirmé le mardi 3 mars à 14 h 30.\n" * 6
HTML = "<p>Bonjour Claire,</p><p>Votre rendez-vous est confirmé le <strong>mardi 3 mars à 14 h 30</strong>.</p>\n" * 6


def run() -> dict:
    with _smtp_server() as (port, received):
        baseline = _bare_smtplib(port)
        with _bench_app(port) as app:
            rate = _outbox_delivery(app)
        assert received.value == 2 * MESSAGES, f"the server received {received.value} messages"
    return {"mail_delivery_per_s": rate, "mail_delivery_vs_smtplib_ratio": rate / baseline}


def _bare_smtplib(port: int) -> float:
    """Send the messages over one connection with smtplib alone; return messages per second."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for n in range(MESSAGES):
            message = EmailMessage()
            message["Subject"], message["From"], message["To"] = SUBJECT, SENDER, f"bench{n}@exemple.test"
            message.set_content(TEXT)
            message.add_alternative(HTML, subtype="html")
            smtp.send_message(message)
    return MESSAGES / (time.perf_counter() - started)


def _outbox_delivery(app) -> float:
    """Hand the pending rows to the workers, wait until all are sent; return messages per second."""
    kind = app.config["BENCH_KIND"]
    with app.app_context():
        db.session.execute(insert(OutboxMessage), [
            {"kind": kind, "to_address": f"bench{n}@exemple.test", "subject": SUBJECT, "text_body": TEXT,
             "html_body": HTML} for n in range(MESSAGES)
        ])
        db.session.commit()
        ids = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == kind)).all()
        sent = select(func.count()).where(OutboxMessage.kind == kind, OutboxMessage.status == "sent")
        started = time.perf_counter()
        services.enqueue_batches(ids)  # what the tick does with due rows (the tick would take others' too)
        if not app.config["REDIS_URL"]:
            app.extensions["jobs"].drain(timeout=300)  # polling would hold SQLite's read lock against writers
        deadline = time.monotonic() + 300
        while db.session.scalar(sent) < MESSAGES:
            db.session.rollback()
            assert time.monotonic() < deadline, "the workers did not send every message in time"
            time.sleep(0.1)
        return MESSAGES / (time.perf_counter() - started)


@contextlib.contextmanager
def _bench_app(port: int):
    """An app on a database of its own, with 2 workers ready; rows and queue removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        redis_url = os.environ.get("REDIS_URL", "")

        class Settings(TestConfig):
            SQLALCHEMY_DATABASE_URI = (_database_url() if os.environ.get("DATABASE_URL")
                                       else f"sqlite:///{tmp}/bench.sqlite3")
            REDIS_URL = redis_url
            RQ_QUEUE = f"tremplin-bench-{uuid.uuid4().hex[:8]}"
            MAIL_SERVER, MAIL_PORT, MAIL_DEFAULT_SENDER = "127.0.0.1", port, SENDER
            BENCH_KIND = f"bench-{uuid.uuid4().hex[:8]}"

        app = create_app(Settings)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        workers = _start_rq_workers(app) if redis_url else []
        if not redis_url:
            app.extensions["jobs"] = InProcessRunner(threads=WORKERS)
        try:
            yield app
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
            if not redis_url:
                app.extensions["jobs"].drain()
            with app.app_context():
                db.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == Settings.BENCH_KIND))
                db.session.commit()
                if redis_url:
                    _remove_queue(app)
                db.engine.dispose()


def _start_rq_workers(app) -> list[subprocess.Popen]:
    from redis import Redis
    from rq import Queue, Worker

    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "RQ_QUEUE": app.config["RQ_QUEUE"], "MAIL_SERVER": app.config["MAIL_SERVER"],
           "MAIL_PORT": str(app.config["MAIL_PORT"]), "MAIL_DEFAULT_SENDER": SENDER,
           "WORKER_TICKS": "0"}  # the rows are handed out here, once: no mail tick hands them out again
    command = [str(Path(sys.executable).parent / "rq"), "worker", "-w", "intranet.jobs.Worker", "--quiet",
               "--url", app.config["REDIS_URL"], app.config["RQ_QUEUE"]]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(WORKERS)]
    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    deadline = time.monotonic() + 60
    while Worker.count(queue=queue) < WORKERS:  # booted (app built) before the clock starts
        assert time.monotonic() < deadline, "the RQ workers did not start"
        time.sleep(0.05)
    return workers


def _remove_queue(app) -> None:
    from redis import Redis
    from rq import Queue

    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    # The ticks the workers scheduled, the jobs they ran.
    for registry in (queue.scheduled_job_registry, queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    queue.delete(delete_jobs=True)


@contextlib.contextmanager
def _smtp_server():
    """An aiosmtpd server in its own process, counting what it receives; yields (port, count)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received, stop = multiprocessing.Value("i", 0), multiprocessing.Event()
    ready = multiprocessing.Event()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(port, received, ready, stop))
    server.start()
    assert ready.wait(30), "the SMTP server did not start"
    try:
        yield port, received
    finally:
        stop.set()
        server.join(30)


def _serve(port, received, ready, stop) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
