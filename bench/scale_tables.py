"""Rows of the generated network, table by table, and how they reach the database in bulk.

Every table the generator fills is listed in TABLES with the columns the generator gives it; the
generator calls `writer.add("table", column=value, …)` and nothing else touches SQL. When the schema
changes, this is the one file to adapt:

- a new column with a Python default (`default=…` in the model) or a server default, or a nullable
  one, is filled by that default without any change here;
- a column the app computes from others (a search key, a normalised phone…) is given by a function
  of the row in DERIVED — add it there, calling the app's own function, and it is filled only when
  the column exists at head;
- a new NOT NULL column with no default, or a column listed here that is gone, stops the build with
  a message naming it.

On PostgreSQL rows go through `COPY … FROM STDIN` (psycopg 3's `cursor.copy()`, `write_row`).
For a large build (`prepare_bulk`) the foreign-key and unique constraints and the secondary indexes
are dropped first and created again at the end (`finish_bulk`, which also checks every foreign and
unique key in one pass), and the tables are made UNLOGGED (no write-ahead log: a scratch benchmark
database, lost if the server crashes; reads are the same), so that the load is a fraction of the time.
Several writers may fill the tables at once, each giving every N-th id (`stride`).
On SQLite rows go through `executemany` in one transaction, values converted as SQLAlchemy stores them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from operator import itemgetter

from sqlalchemy import Boolean, Date, DateTime, Time, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import JSON

from intranet.extensions import db

# The columns the generator gives each table (in the order the tables are filled).
TABLES: dict[str, tuple[str, ...]] = {
    "association": ("id", "name", "slug", "kind", "city", "department_code", "timezone", "active", "created_at"),
    "user": ("id", "email", "name", "password_hash", "locale", "active", "is_network_office", "created_at",
             "last_login_at"),
    "membership": ("id", "association_id", "user_id", "role", "state", "digest", "created_at", "accepted_at",
                   "search_key"),
    "commune": ("id", "postcode", "name_key", "name", "rural"),
    "resource": ("id", "association_id", "name", "kind", "capacity", "open_days", "opens_at", "closes_at", "active"),
    "availability": ("id", "association_id", "user_id", "weekday", "starts", "ends", "valid_from", "valid_until"),
    "beneficiary": ("id", "association_id", "first_name", "last_name", "email", "phone", "postcode", "commune",
                    "contact_channel", "consent_at", "consent_scope", "referrer", "target_job", "interview_on",
                    "notes", "gender", "birth_date", "labour_status", "education_level", "disability",
                    "third_country_national", "foreign_background", "minority", "homeless", "rural", "status",
                    "active", "created_at", "updated_at"),
    "audit_entry": ("id", "association_id", "object_type", "object_id", "action", "fields", "user_id", "at"),
    "journey": ("id", "association_id", "beneficiary_id", "started_on", "exited_on", "exit_situation",
                "follow_up_result", "follow_up_on", "answer_1m", "answer_6m", "created_at"),
    "journey_module": ("id", "association_id", "journey_id", "module_id", "position", "name", "status",
                       "happened_on", "coach_id", "notes"),
    "appointment": ("id", "association_id", "module_id", "name", "starts_at", "ends_at", "volunteer_id",
                    "resource_id", "capacity", "mode", "call_details", "status", "cancel_reason",
                    "outside_availability", "created_at"),
    "seat": ("id", "association_id", "appointment_id", "beneficiary_id", "journey_module_id", "status",
             "created_at"),
    "appointment_event": ("id", "association_id", "appointment_id", "user_id", "action", "detail", "at"),
    "booking_link": ("id", "association_id", "beneficiary_id", "token_hash", "expires_at", "revoked", "created_at"),
    "outbox_message": ("id", "association_id", "key", "kind", "beneficiary_id", "appointment_id", "journey_id", "ics",
                       "sender",
                       "reply_to", "due_at", "to_address", "subject", "text_body", "html_body", "secret_links",
                       "status", "attempts", "last_error", "created_at", "next_attempt_at", "sent_at", "purged_at"),
}


def _app_function(module: str, name: str) -> Callable:
    """The app's own function for a derived column; a clear error when it is not where it was expected."""
    import importlib

    function = getattr(importlib.import_module(module), name, None)
    if function is None:
        raise LookupError(f"{module}.{name} not found: say in bench/scale_tables.py DERIVED which function of the "
                          "app computes this column")
    return function


def _beneficiary_search_key(row: dict) -> str:
    # The folded key the model keeps (names, commune, e-mail, phone digits).
    return _app_function("intranet.beneficiaries.models", "beneficiary_search_key")(row)


# Columns the app computes from the others: {table: {column: function(row as a dict) -> value}}.
# Each is used only when the column exists at head.
DERIVED: dict[str, dict[str, Callable[[dict], object]]] = {
    "beneficiary": {"search_key": _beneficiary_search_key},
}


class SchemaMismatch(Exception):
    """The generator's columns and the schema at head disagree in a way no default can settle."""


class _Table:
    """How one table's rows are made: the columns written, the constants and derived values added."""

    def __init__(self, name: str, given: tuple[str, ...]):
        table = db.metadata.tables[name]
        head = [c.name for c in table.columns]
        gone = [c for c in given if c not in head]
        if gone:
            raise SchemaMismatch(f"{name}: column(s) {', '.join(gone)} no longer exist at head; "
                                 "remove them from bench/scale_tables.py TABLES and from the generator")
        self.name = name
        self.constants: dict[str, object] = {}
        self.derived: dict[str, Callable[[dict], object]] = {}
        for column in table.columns:
            if column.name in given:
                continue
            if column.name in DERIVED.get(name, {}):
                self.derived[column.name] = DERIVED[name][column.name]
            elif column.default is not None and column.default.is_scalar:
                self.constants[column.name] = column.default.arg
            elif column.server_default is not None or column.nullable:
                continue  # the database fills it
            else:
                raise SchemaMismatch(f"{name}.{column.name} is NOT NULL with no default: give it a value in "
                                     "bench/scale_tables.py (TABLES and the generator) or a function in DERIVED")
        self.columns = tuple(c for c in head if c in given or c in self.constants or c in self.derived)
        self.types = {c.name: c.type for c in table.columns}
        self._get = itemgetter(*self.columns)

    def row(self, values: dict) -> tuple:
        if self.constants:
            values.update(self.constants)
        for column, function in self.derived.items():
            values[column] = function(values)
        return self._get(values)


def _sqlite_value(kind) -> Callable | None:
    """How SQLAlchemy stores a value of this type in SQLite (naive UTC text, 0/1, JSON text)."""
    if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
        return lambda v: None if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Time):
        return lambda v: None if v is None else v.strftime("%H:%M:%S.%f")
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else int(v)
    if isinstance(kind, JSON):
        return lambda v: json.dumps(v)
    return None


def _pg_value(kind) -> Callable | None:
    if isinstance(kind, JSON):
        return lambda v: json.dumps(v)
    return None


class Writer:
    """Collects rows table by table and writes them in batches, in one transaction."""

    BATCH = 20_000

    def __init__(self, connection: Connection, *, stride: tuple[int, int] = (1, 0)):
        self.connection = connection
        self.step, self.offset = stride
        self.postgresql = connection.dialect.name == "postgresql"
        self.raw = connection.connection.driver_connection
        self.tables = {name: _Table(name, given) for name, given in TABLES.items()}
        self.pending: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.next_ids: dict[str, int] = {}
        self._converters = {name: self._converters_of(table) for name, table in self.tables.items()}
        if self.postgresql:
            self.connection.execute(text("SET LOCAL synchronous_commit = off"))
            self.connection.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))

    def _converters_of(self, table: _Table):
        convert = _pg_value if self.postgresql else _sqlite_value
        found = [(i, convert(table.types[c])) for i, c in enumerate(table.columns)]
        found = [(i, f) for i, f in found if f is not None]
        if not found:
            return None

        def apply(row: tuple) -> tuple:
            values = list(row)
            for i, f in found:
                values[i] = f(values[i])
            return tuple(values)

        return apply

    def new_id(self, table: str) -> int:
        """The next id of `table` (ids are given here, so rows can point at each other before they are written)."""
        if table not in self.next_ids:
            current = self.connection.execute(text(f'SELECT coalesce(max(id), 0) FROM "{table}"')).scalar()
            self.next_ids[table] = current + 1 + self.offset - self.step
        self.next_ids[table] += self.step
        return self.next_ids[table]

    def add(self, table: str, **values) -> None:
        rows = self.pending[table]
        rows.append(self.tables[table].row(values))
        if len(rows) >= self.BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        """Write the batches of `table` and of every table before it (its parents), or of all tables."""
        order = list(TABLES)
        for name in order[:order.index(table) + 1] if table else order:
            self._write(name)

    def _write(self, name: str) -> None:
        rows = self.pending[name]
        if not rows:
            return
        table = self.tables[name]
        convert = self._converters[name]
        if convert is not None:
            rows = [convert(r) for r in rows]
        columns = ", ".join(f'"{c}"' for c in table.columns)
        if self.postgresql:
            with self.raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in table.columns)
            self.raw.cursor().executemany(f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', rows)
        self.counts[name] += len(rows)
        self.pending[name] = []

    def finish(self) -> None:
        """Write what is left."""
        self.flush()


def set_sequences(connection: Connection) -> None:
    """Move the id sequences past the ids given (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        for name in TABLES:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                    f"(SELECT coalesce(max(id), 0) + 1 FROM \"{name}\"), false)"))


# --- PostgreSQL: a bulk load ---------------------------------------------------------------------------


def prepare_bulk(connection: Connection) -> list[str]:
    """Drop the keys and indexes the load would slow down on, make the tables UNLOGGED; return how to put
    the keys and indexes back.

    Every foreign key of the schema goes (a logged table may not point at an unlogged one); the unique
    constraints and secondary indexes of the tables filled here go too.
    """
    filled = list(TABLES)
    foreign = connection.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'f'")).all()
    unique = connection.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(:names)"),
        {"names": [f'"{n}"' if n == "user" else n for n in filled]}).all()
    indexes = connection.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ANY(:names) AND i.indexname NOT IN (SELECT conname FROM pg_constraint)"),
        {"names": filled}).all()
    restore = []
    for table, name, _definition in [*foreign, *unique]:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, definition in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
        restore.append(definition)
    # Unique constraints before the foreign keys (which may rely on them); indexes first of all.
    restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in unique]
    restore += [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign]
    tables = connection.execute(text(
        "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalars().all()
    for table in tables:
        connection.execute(text(f"ALTER TABLE {table} SET UNLOGGED"))
    return restore


def finish_bulk(connection: Connection, restore: list[str]) -> None:
    """Build the indexes and keys again (every foreign and unique key checked on the way)."""
    connection.execute(text("SET maintenance_work_mem = '1GB'"))
    for statement in restore:
        connection.execute(text(statement))


def utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=UTC)
