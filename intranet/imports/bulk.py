"""Many rows written at once, inside the caller's transaction, with their ids in the order of the rows.

PostgreSQL: the ids are drawn from the table's sequence in one query and the rows go through COPY,
so neither the driver nor the server handles SQL text per row (a 20,000-row import sent as batched
INSERT statements spent most of its time having psycopg split each long statement's text). SQLite:
one executemany; the ids are given here, since the transaction already holds SQLite's only write
lock (the caller writes the batch row first), so nobody else can take them meanwhile.
"""

from collections.abc import Callable

from sqlalchemy import func, insert, select, text

from intranet.extensions import db

COPY_REPORT_EVERY = 1000


def insert_rows(model, rows: list[dict], *, ids: bool = True,
                progress: Callable[[int], None] | None = None) -> list[int]:
    """Insert `rows` (column -> value; Python-side defaults filled) and return their ids (none if `ids` is False).

    `progress(n)` is called as rows are sent, with the number sent so far.
    """
    if not rows:
        return []
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return _copy(table, rows, ids, progress)
    new_ids = []
    if ids:
        db.session.flush()
        first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        new_ids = list(range(first, first + len(rows)))
        rows = [{**row, "id": i} for row, i in zip(rows, new_ids, strict=True)]
    db.session.execute(insert(table), rows)
    if progress is not None:
        progress(len(rows))
    return new_ids


class _Context:
    """What a column's default function may ask of the statement: the row being inserted."""

    def __init__(self, row: dict):
        self.current_parameters = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict:
        return self.current_parameters


def _copy(table, rows: list[dict], ids: bool, progress) -> list[int]:
    from psycopg import sql

    db.session.flush()
    connection = db.session.connection()
    dialect = connection.dialect
    new_ids: list[int] = []
    if ids:
        new_ids = sorted(connection.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": len(rows)}))
    given = set().union(*rows) | ({"id"} if ids else set())
    # The columns given, and those SQLAlchemy would fill itself (the others keep their server default).
    columns = [c for c in table.columns if c.name in given or (c.default is not None and not c.primary_key)]
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns))
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(statement) as copy:
        for n, row in enumerate(rows, start=1):
            if ids:
                row = {**row, "id": new_ids[n - 1]}
            values = []
            for column, process in zip(columns, processors, strict=True):
                value = row[column.name] if column.name in row else _default(column, row)
                values.append(process(value) if process is not None and value is not None else value)
            copy.write_row(values)
            if progress is not None and n % COPY_REPORT_EVERY == 0:
                progress(n)
    if progress is not None:
        progress(len(rows))
    return new_ids


def _default(column, row: dict):
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(_Context(row))
    if default.is_scalar:
        return default.arg
    raise ValueError(f"{column} has a default a bulk insert cannot compute")
