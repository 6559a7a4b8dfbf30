"""Scratch databases for the benchmarks: a temporary SQLite file, or a PostgreSQL database made and dropped.

On PostgreSQL (DATABASE_URL set) the database is created on DATABASE_URL's server, named
BENCH_DB_PREFIX (default "bench_") + label + a random suffix, and dropped afterwards even if the
benchmark fails. BENCH_KEEP=1 keeps it (its name is printed) to look at it afterwards.
"""

import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator

from sqlalchemy.engine import make_url

from config import _database_url


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
