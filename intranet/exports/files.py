"""Files people download: CSV for French Excel (UTF-8 with BOM, `;`) and XLSX, with French headers."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, stream_with_context
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    """A header row and the rows under it (any iterable, read once), and notes on what the rows are (a rule, a
    period): under the rows after a blank line in CSV, on a sheet of their own in XLSX."""

    title: str
    headers: list[str]
    rows: Iterable[list]
    notes: tuple[str, ...] = ()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.4g}".replace(".", ",")
    text = str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def csv_chunks(table: Table) -> Iterator[str]:
    """The table as CSV text, a chunk every few hundred rows (the BOM first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(table.headers)
    for n, row in enumerate(table.rows, 1):
        writer.writerow([_cell(v) for v in row])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if table.notes:
        writer.writerow([])
        for note in table.notes:
            writer.writerow([_cell(note)])
    yield buffer.getvalue()


def xlsx_bytes(*tables: Table) -> bytes:
    """The tables as one workbook, a sheet each (written row by row)."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.append(table.headers)
        for row in table.rows:
            sheet.append([v if isinstance(v, int | float | date) and not isinstance(v, bool) else _cell(v)
                          for v in row])
    notes = [(table.title, note) for table in tables for note in table.notes]
    if notes:
        sheet = book.create_sheet(title="Notes")
        sheet.append(["Feuille", "Note"])
        for title, note in notes:
            sheet.append([title, _cell(note)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str, filename: str, *extra: Table, then: Callable[[], None] | None = None) -> Response:
    """Answer with the file: CSV streamed (its rows may come from the database as it goes, inside the request's
    context; `then` runs once the last row is written), XLSX built in memory."""
    if fmt == "xlsx":
        response = Response(xlsx_bytes(table, *extra), mimetype=XLSX_TYPE)
    else:
        def chunks():
            yield from csv_chunks(table)
            if then is not None:
                then()

        response = Response(stream_with_context(chunks()), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
