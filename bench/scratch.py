"""Scratch databases for the benchmarks, and the app migrated and loaded on one, with signed-in clients.

`database(label)` gives a temporary SQLite file, or a PostgreSQL database made and dropped. On PostgreSQL (DATABASE_URL set) the database is created on DATABASE_URL's server, named
BENCH_DB_PREFIX (default "bench_") + label + a random suffix, and dropped afterwards even if the
benchmark fails. BENCH_KEEP=1 keeps it (its name is printed) to look at it afterwards.

`migrated_app(url, load)` builds the schema by the migrations, runs `load()` (which commits its rows) and
refreshes the planner's statistics; `client_as(app, state)` is a test client signed in with `state`
(`auth.sessions.signed_in_state(user)`); `statements(app, request)` and `median_ms(request, runs)` measure.
"""

import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from config import _database_url

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def postgresql() -> bool:
    return _database_url().startswith("postgresql")


@contextlib.contextmanager
def database(label: str) -> Iterator[str]:
    """The URL of an empty database for this run."""
    if not postgresql():
        with tempfile.TemporaryDirectory(prefix="tremplin-bench-") as tmp:
            yield f"sqlite:///{tmp}/{label}.sqlite3"
        return
    import psycopg
    from psycopg import sql

    server = make_url(_database_url())
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'bench_')}{label}_{uuid.uuid4().hex[:8]}"
    maintenance = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if os.environ.get("BENCH_KEEP"):
            print(f"kept database {name}", file=sys.stderr)
        else:
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def app_for(database_url: str) -> Flask:
    """The app on `database_url`, mail kept in the outbox, no queue."""
    from config import TestConfig
    from intranet import create_app

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = ""
        MAIL_SERVER = ""
        BASE_URL = os.environ.get("BASE_URL") or "http://localhost"
        DATABASE_STATEMENT_TIMEOUT = 0  # a large build loads and indexes whole tables in one statement

    return create_app(Settings)


@contextlib.contextmanager
def migrated_app(url: str, load: Callable[[], T], *, analyze: bool = True) -> Iterator[tuple[Flask, T]]:
    """The app on `url` with its schema built by the migrations and `load()` run; yield it with what `load`
    returned. On PostgreSQL the tables are ANALYZEd afterwards (unless `analyze` is off: a loader that did
    it), as after a real load. The connections are closed at the end."""
    from flask_migrate import upgrade

    from intranet.extensions import db

    app = app_for(url)
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            loaded = load()
            if analyze and db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("ANALYZE"))
            db.session.remove()
        yield app, loaded
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def client_as(app: Flask, state: dict) -> FlaskClient:
    """A test client of `app` signed in with the session `state` (`auth.sessions.signed_in_state(user)`)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(state)
    return client


def statements(app: Flask, request: Callable[[], object]) -> list[str]:
    """The SQL statements `request()` runs on the app's database."""
    from intranet.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def median_ms(request: Callable[[], object], runs: int) -> float:
    """The median time of `runs` calls of `request()`, in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
