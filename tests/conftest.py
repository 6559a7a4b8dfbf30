"""Fixtures: the app on a schema built by the migrations, a clean database per test,
a client, `login_as`, a real SMTP server and, when REDIS_URL is set, a real RQ worker.

The suite runs on the embedded defaults (SQLite, mail kept in the outbox) unless
DATABASE_URL / REDIS_URL are set, as `.ci/run` does for its second pass.
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from config import TestConfig, _database_url
from intranet import create_app
from intranet.auth.sessions import signed_in_state
from intranet.extensions import db as _db
from tests import factories
from tests.mailsink import MailSink

ROOT = Path(__file__).resolve().parent.parent


class IsolatedClient(FlaskClient):
    """A test client whose requests each start with an empty `g`, as in production.

    Tests keep an application context open (for factories and queries), and Flask reuses
    it for the requests they make; without this, `g` (the signed-in user, the resolved
    association) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        saved = dict(g.__dict__) if has_app_context() else None
        if saved is not None:
            g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            if saved is not None:
                g.__dict__.clear()
                g.__dict__.update(saved)


def _reset_database(app) -> None:
    """Empty the database completely, so the migrations start from nothing."""
    engine = _db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(directory=str(ROOT / "migrations"))
    # Rows the migrations themselves write (the network's programs) are put back after each test.
    with engine.connect() as conn:
        app.extensions["seed_rows"] = [
            (table, [dict(row._mapping) for row in conn.execute(table.select())])
            for table in _db.metadata.sorted_tables
        ]


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def app(tmp_path_factory, mail_sink):
    redis_url = os.environ.get("REDIS_URL", "")
    database_url = (
        _database_url() if os.environ.get("DATABASE_URL")
        else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = redis_url
        RQ_QUEUE = f"tremplin-test-{uuid.uuid4().hex[:8]}"
        # With Redis (production-like), mail really leaves through SMTP; otherwise it stays in the outbox.
        MAIL_SERVER = "127.0.0.1" if redis_url else ""
        MAIL_PORT = mail_sink.port
        WTF_CSRF_ENABLED = False  # test_security checks CSRF with it on
        BASE_URL = "http://localhost"

    app = create_app(Settings)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _reset_database(app)
    worker = _start_worker(app) if redis_url else None
    yield app
    if worker is not None:
        worker.terminate()
        worker.wait(timeout=10)


def _start_worker(app) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "MAIL_SERVER": app.config["MAIL_SERVER"],
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "RQ_QUEUE": app.config["RQ_QUEUE"],
    }
    rq = Path(sys.executable).parent / "rq"
    return subprocess.Popen(
        [str(rq), "worker", "-w", "intranet.jobs.Worker", "--url", app.config["REDIS_URL"], "--path", str(ROOT),
         app.config["RQ_QUEUE"]],
        cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr,
    )


def _wait_for_queued_jobs(app, timeout: float = 20) -> None:
    """Let the RQ worker finish what this test queued, so it cannot touch the next test."""
    from redis import Redis
    from rq import Queue

    queue = Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))
    deadline = time.monotonic() + timeout
    # A job being taken sits in the intermediate queue, between the queue and the started registry.
    while time.monotonic() < deadline and (
        queue.count or queue.intermediate_queue.get_job_ids() or queue.started_job_registry.count
    ):
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def db(app, mail_sink):
    """The database, emptied after each test (committed rows included); no mail left over."""
    mail_sink.clear()
    with app.app_context():
        yield _db
        app.extensions["jobs"].drain()
        if app.config["REDIS_URL"]:
            _wait_for_queued_jobs(app)
        _db.session.rollback()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            for table, rows in app.extensions["seed_rows"]:
                if rows:
                    conn.execute(table.insert(), rows)
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """Sign `client` in as a new person: login_as("admin", association) or login_as("network")."""

    def sign_in(role: str, association=None, **user_fields):
        user = factories.make_user(is_network_office=(role == "network"), **user_fields)
        if role != "network":
            factories.make_membership(association or factories.make_association(), role, user)
        with client.session_transaction() as session:
            session.update(signed_in_state(user))
        return user

    return sign_in


@pytest.fixture
def count_queries(db):
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def sent_mail(app, mail_sink):
    """The mails sent to an address: from the SMTP server when mail leaves, else from the outbox.

    Returns a function giving a list of (subject, text body) pairs, as delivered: from the outbox,
    with the personal links the stored rows keep masked put back.
    """
    from sqlalchemy import select

    from intranet.notifications.models import OutboxMessage
    from intranet.notifications.services import as_sent
    from tests.mailsink import text_part

    def fetch(address: str, count: int = 1):
        if app.config["MAIL_SERVER"]:
            return [(m["Subject"], text_part(m)) for m in mail_sink.wait_for(address, count)]
        rows = _db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)
        ).all()
        assert len(rows) >= count, f"{len(rows)} message(s) to {address} in the outbox, expected {count}"
        return [as_sent(m)[:2] for m in rows]

    return fetch


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any("Chromium not found" in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("!", "BROWSER TESTS DID NOT RUN: Chromium is missing (apt-get install chromium)",
                                   red=True, bold=True)
