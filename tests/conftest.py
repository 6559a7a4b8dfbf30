"""Fixtures: the app on a schema built by the migrations, a clean database per test,
a client, `login_as`, a real SMTP server and, when REDIS_URL is set, a real RQ worker.

The suite runs on the embedded defaults (SQLite, mail kept in the outbox) unless
DATABASE_URL / REDIS_URL are set, as `.ci/run` does for its second pass.

Each test runs inside one transaction that is rolled back at its end: `db.session.commit()`
(in factories, services, views) only releases a SAVEPOINT. Tests whose rows must really be
committed, because another connection reads them (a thread, a process, the RQ worker, the
browser's live server), are marked `@pytest.mark.commits`: the database is emptied and
reseeded after them instead. See `db` below for the tests marked automatically.
"""

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask import current_app, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, text

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
def _smtp_server():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def mail_sink(_smtp_server):
    """The suite's SMTP server (with REDIS_URL set, a test asking for it runs with real commits)."""
    return _smtp_server


@pytest.fixture(scope="session")
def app(tmp_path_factory, _smtp_server):
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
        MAIL_PORT = _smtp_server.port
        WTF_CSRF_ENABLED = False  # test_security checks CSRF with it on
        BASE_URL = "http://localhost"
        PROGRESS_FOLDER = str(tmp_path_factory.mktemp("progress"))  # without Redis, jobs' progress files

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
        # Tests run the periodic steps themselves (jobs.tick), when they choose; tests/test_faults.py
        # starts workers of its own that tick.
        "WORKER_TICKS": "0",
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


def _savepoint_engine(app):
    """The engine the per-test transaction runs on: the app's own on PostgreSQL; on SQLite, a second
    engine on the same file whose driver leaves transactions to SQLAlchemy, so that SAVEPOINTs work
    (pysqlite's own transaction handling does not support them). The app's engine is left as it is:
    tests with real commits (concurrency above all) run on what production runs."""
    if _db.engine.dialect.name != "sqlite":
        return _db.engine
    if "savepoint_engine" not in app.extensions:
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])

        @event.listens_for(engine, "connect")
        def no_driver_transactions(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def begin(conn):
            conn.exec_driver_sql("BEGIN")

        app.extensions["savepoint_engine"] = engine
    return app.extensions["savepoint_engine"]


class _JoinedSession(FlaskSession):
    """A session joined to the test's transaction: its commits release SAVEPOINTs.

    Only for the suite's database (an app on another database, such as an unreachable one, keeps
    its own engine) and only in the test's thread: a thread or process reading what the test wrote
    needs real commits, which the test must ask for with `@pytest.mark.commits`.
    """

    database_url: str
    thread_id: int

    def __init__(self, db, **kwargs):
        super().__init__(db, **kwargs)
        if threading.get_ident() != self.thread_id and self._joined():
            raise RuntimeError("A session opened in another thread than the test's cannot see its rows: "
                               "mark the test @pytest.mark.commits.")

    def _joined(self) -> bool:
        return current_app.config["SQLALCHEMY_DATABASE_URI"] == self.database_url

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self._joined():
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextlib.contextmanager
def _one_transaction(app):
    """Run the block inside one transaction on one connection, rolled back at its end.

    The scoped session's factory is pointed at that connection for the block, so every
    `db.session` (the test's, and the one each test-client request gets after the app's
    teardown removed the previous one) joins the same transaction.
    """
    connection = _savepoint_engine(app).connect()
    transaction = connection.begin()
    factory = _db.session.session_factory
    saved = factory.class_, dict(factory.kw)
    _db.session.remove()
    factory.class_ = type("JoinedSession", (_JoinedSession,), {
        "database_url": app.config["SQLALCHEMY_DATABASE_URI"], "thread_id": threading.get_ident()})
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        _db.session.remove()
        factory.class_, factory.kw = saved
        if transaction.is_active:
            transaction.rollback()
        connection.close()


def _commits(request) -> str | None:
    """How the test's rows are committed: None, rolled back at its end (the default); "test", committed
    and emptied after the test; "module", committed and kept until the module ends, for modules whose
    tests share rows made once (`pytestmark = pytest.mark.commits(scope="module")`).

    Marked `commits` (everything under tests/browser/ is, the live server reading in its own threads),
    or, with the RQ worker (REDIS_URL set), waiting for the mail it delivers from what it reads.
    """
    marker = request.node.get_closest_marker("commits")
    if marker is not None:
        return marker.kwargs.get("scope", "test")
    if os.environ.get("REDIS_URL") and {"sent_mail", "mail_sink"} & set(request.fixturenames):
        return "test"
    return None


def _settle_jobs(app) -> None:
    """Let the jobs this test queued finish, so they cannot touch the next test."""
    app.extensions["jobs"].drain()
    if app.config["REDIS_URL"]:
        _wait_for_queued_jobs(app)


def _empty_and_reseed(app) -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table, rows in app.extensions["seed_rows"]:
            if rows:
                conn.execute(table.insert(), rows)


@pytest.fixture(scope="module")
def module_rows(app):
    """Rows committed by a module marked `commits(scope="module")` (its fixtures and tests) stay until
    the module ends; then the database is emptied and reseeded."""
    yield
    with app.app_context():
        _settle_jobs(app)
        _empty_and_reseed(app)
        _db.session.remove()


@pytest.fixture(autouse=True)
def db(app, _smtp_server, request):
    """The database, as the migrations left it at the start of each test; no mail left over.

    By default the test's writes are rolled back at its end; with real commits (see `_commits`)
    the database is emptied and reseeded after the test, or after its module.
    """
    _smtp_server.clear()
    commits = _commits(request)
    if commits == "module":
        request.getfixturevalue("module_rows")
    with app.app_context():
        if commits:
            yield _db
            _settle_jobs(app)
            _db.session.rollback()
            if commits == "test":
                _empty_and_reseed(app)
            _db.session.remove()
            return
        with _one_transaction(app):
            yield _db
            app.extensions["jobs"].drain()
        if app.config["REDIS_URL"]:
            _wait_for_queued_jobs(app)  # jobs queued by this test found none of its rows, all rolled back


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
def jobs_run_here(monkeypatch):
    """Jobs asked for are not run in the background: the test runs them itself (`export_jobs.run(id)`), since a job
    thread could not see its uncommitted rows."""
    import intranet.jobs

    queued = []
    monkeypatch.setattr(intranet.jobs, "enqueue", lambda path, *args: queued.append((path, *args)) or True)
    return queued


@pytest.fixture
def bordeaux():
    """The association most tests work in."""
    return factories.make_association("bordeaux", name="Tremplin Bordeaux")


@pytest.fixture
def lyon():
    """A second association, for what must stay apart from Bordeaux or be shared with it."""
    return factories.make_association("lyon", name="Tremplin Lyon")


@pytest.fixture
def staff(login_as, bordeaux):
    """A staff member of Bordeaux, signed in on `client`."""
    return login_as("staff", bordeaux, name="Julien Moreau")


@pytest.fixture
def admin(login_as, bordeaux):
    """An admin of Bordeaux, signed in on `client`."""
    return login_as("admin", bordeaux, name="Nadia Benali")


@pytest.fixture
def count_queries(db):
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""

    @contextlib.contextmanager
    def counting():
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.session.get_bind().engine  # the test's transaction may run on its own engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

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


def pytest_collection_modifyitems(items):
    browser = Path(__file__).resolve().parent / "browser"
    for item in items:
        if browser in Path(str(item.path)).parents and item.get_closest_marker("commits") is None:
            item.add_marker(pytest.mark.commits)  # the live server reads in its own threads


def pytest_terminal_summary(terminalreporter):
    skipped = terminalreporter.stats.get("skipped", [])
    if any("Chromium not found" in str(report.longrepr) for report in skipped):
        terminalreporter.write_sep("!", "BROWSER TESTS DID NOT RUN: Chromium is missing (apt-get install chromium)",
                                   red=True, bold=True)
