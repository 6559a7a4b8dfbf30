"""Spreadsheet downloads: CSV as French spreadsheet software opens it (UTF-8 with BOM, ";") and XLSX (openpyxl)."""

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(value):
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start of a text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def download(fmt: str, filename: str, headers: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """The rows as `filename`.csv or .xlsx, headers first."""
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet(filename[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append([_safe(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        body, mimetype = out.getvalue(), XLSX
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(headers)
        for row in rows:
            # French spreadsheets read "1,5" as a number; a float is written so.
            writer.writerow([str(v).replace(".", ",") if isinstance(v, float) else _safe(v) for v in row])
        body, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})
