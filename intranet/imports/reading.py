"""Reading an uploaded spreadsheet: checks before parsing, encoding, delimiter, sheet and header row, then rows.

A cell is what the file holds: text for a CSV; for a workbook the value openpyxl reads (dates as
datetime, numbers as int/float), or a `Formula` when a formula has no value saved with it.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _

from intranet.rules import RuleError

MAX_BYTES = 15 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNZIPPED = 200 * 1024 * 1024  # a 15 MB workbook of 20,000 rows unzips to far less
MAX_RATIO = 150  # text compresses about 10:1; a zip bomb, thousands to one
PREVIEW_ROWS = 12
PROGRESS_EVERY = 1000  # lines read between two reports of a reading's progress
DELIMITER_CHOICES = (";", ",", "\t", "|")
ENCODING_CHOICES = ("utf-8", "cp1252", "iso-8859-1", "utf-16")


class FileProblem(RuleError):
    """A file that cannot be read, with the reason in French."""

    def __init__(self, message: str):
        super().__init__("file", message)


@dataclass(frozen=True)
class Formula:
    """A formula cell saved without its value (the file was written by a program that did not compute it)."""

    text: str


@dataclass
class Table:
    """The rows of the chosen sheet below the header row, each with its number in the file."""

    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    epoch: datetime = datetime(1899, 12, 30)  # the day spreadsheet serial 0 stands for


def file_type(data: bytes) -> str:
    """'csv' or 'xlsx' from the first bytes (never from the name); anything else is refused."""
    if not data.strip():
        raise FileProblem(_("Le fichier est vide."))
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileProblem(_("C’est un ancien classeur Excel (.xls) : enregistrez-le au format .xlsx ou .csv "
                            "puis déposez-le à nouveau."))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "csv"  # UTF-16 text, which has zero bytes
    head = data[:65536]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 100:
        raise FileProblem(_("Ce fichier n’est ni un tableau CSV ni un classeur Excel (.xlsx) : il semble "
                            "binaire. Exportez la feuille en CSV ou en .xlsx."))
    return "csv"


def check_workbook(path: str) -> None:
    """Refuse a workbook that is not one, or that would unzip to far more than it weighs (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(_("Ce classeur est abîmé : ouvrez-le et enregistrez-le à nouveau au format .xlsx.")) from None
    if "xl/workbook.xml" not in names:
        raise FileProblem(_("Cette archive n’est pas un classeur Excel (.xlsx)."))
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNZIPPED or total / packed > MAX_RATIO:
        raise FileProblem(_("Ce classeur se décompresse en un volume anormal (%(size)s Mo) : il n’est pas lu. "
                            "Exportez la feuille utile en CSV.", size=total // (1024 * 1024)))


# --- CSV -----------------------------------------------------------------------------------------

def detect_encoding(data: bytes) -> str:
    """'utf-8-sig', 'utf-8', 'utf-16' or what charset-normalizer finds (Windows-1252 for Excel in French)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        return "cp1252"
    name = best.encoding.lower().replace("_", "-")
    # Latin text without UTF-8 is, in practice, Excel's Windows-1252 (a superset of Latin-1's letters).
    return "cp1252" if name in ("cp1252", "windows-1252", "latin-1", "iso-8859-1", "iso-8859-15", "cp1250") else name


def decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise FileProblem(_("Le fichier ne se lit pas avec l’encodage %(encoding)s : choisissez-en un autre.",
                            encoding=encoding)) from None
    return text.removeprefix("\ufeff")


def detect_delimiter(text: str) -> str:
    sample = "\n".join(text[:20_000].splitlines()[:30])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITER_CHOICES)).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITER_CHOICES, key=first.count)


def _csv_rows(text: str, delimiter: str) -> Iterator[list]:
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


# --- XLSX ----------------------------------------------------------------------------------------

def _workbook(path: str, formulas: bool = False):
    import openpyxl

    try:  # opened as a stream: the stored file has a generated name, without .xlsx
        return openpyxl.load_workbook(open(path, "rb"), read_only=True, data_only=not formulas)  # noqa: SIM115
    except Exception:
        raise FileProblem(_("Ce classeur ne s’ouvre pas : enregistrez-le à nouveau au format .xlsx.")) from None


def visible_sheets(path: str) -> list[tuple[str, int]]:
    """The sheets a person sees (hidden ones are not offered), with their number of rows."""
    workbook = _workbook(path)
    try:
        return [(ws.title, ws.max_row or 0) for ws in workbook.worksheets if ws.sheet_state == "visible"]
    finally:
        workbook.close()


def _has_formulas(path: str) -> bool:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as part:
                    while chunk := part.read(1 << 20):
                        if b"<f>" in chunk or b"<f " in chunk:
                            return True
    return False


def _xlsx_rows(path: str, sheet: str) -> tuple[Iterator[list], datetime]:
    workbook = _workbook(path)
    if sheet not in workbook.sheetnames or workbook[sheet].sheet_state != "visible":
        workbook.close()
        raise FileProblem(_("Cette feuille n’existe pas dans le classeur."))
    epoch = workbook.epoch

    def rows() -> Iterator[list]:
        values = workbook[sheet].iter_rows(values_only=True)
        formulas = None
        if _has_formulas(path):
            formulas = _workbook(path, formulas=True)[sheet].iter_rows(values_only=True)
        for row in values:
            cells = list(row)
            if formulas is not None:
                raw = next(formulas, ())
                for i, value in enumerate(cells):
                    if value is None and i < len(raw) and isinstance(raw[i], str) and raw[i].startswith("="):
                        cells[i] = Formula(raw[i])
            yield cells
        workbook.close()

    return rows(), epoch


# --- both ----------------------------------------------------------------------------------------

def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value) -> str:
    """A cell as a person reads it in the preview."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y") if value.time() == time(0) else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_NUMBERISH = re.compile(r"^[\d\s.,/:+\-h]+$")


def _header_score(row: list) -> int:
    return sum(1 for v in row if isinstance(v, str) and v.strip() and not _NUMBERISH.match(v.strip()))


def detect_header_row(rows: list[list]) -> int:
    """The 1-based row of the headers: the first one of mostly text labels (a title above them is common)."""
    scores = [_header_score(r) for r in rows[:30]]
    best = max(scores, default=0)
    for i, score in enumerate(scores):
        if score >= max(2, (best + 1) // 2) and sum(not is_blank(v) for v in rows[i]) >= 2:
            return i + 1
    return 1


def raw_rows(path: str, kind: str, options: dict) -> tuple[Iterator[list], datetime]:
    """Every row of the file (or the chosen sheet) as it is, from the first."""
    if kind == "xlsx":
        return _xlsx_rows(path, options["sheet"])
    with open(path, "rb") as handle:
        text = decode(handle.read(), options["encoding"])
    return _csv_rows(text, options["delimiter"]), datetime(1899, 12, 30)


def inspect(path: str, kind: str, chosen: dict | None = None) -> tuple[dict, dict]:
    """Detect (or take the chosen) encoding, delimiter, sheet and header row; return options and preview."""
    chosen = chosen or {}
    options: dict = {}
    detected: dict = {}
    if kind == "xlsx":
        check_workbook(path)
        sheets = visible_sheets(path)
        if not sheets:
            raise FileProblem(_("Ce classeur n’a aucune feuille visible."))
        detected["sheets"] = [name for name, _rows in sheets]
        detected["sheet"] = max(sheets, key=lambda s: s[1])[0]  # the data, not the "read me" sheet
        options["sheet"] = chosen.get("sheet") if chosen.get("sheet") in detected["sheets"] else detected["sheet"]
    else:
        with open(path, "rb") as handle:
            data = handle.read()
        detected["encoding"] = detect_encoding(data)
        options["encoding"] = chosen.get("encoding") or detected["encoding"]
        text = decode(data, options["encoding"])
        detected["delimiter"] = detect_delimiter(text)
        options["delimiter"] = chosen.get("delimiter") or detected["delimiter"]
    rows, _epoch = raw_rows(path, kind, options)
    head = []
    for row in rows:
        head.append(row)
        if len(head) >= 40:
            break
    detected["header_row"] = detect_header_row(head)
    header_row = chosen.get("header_row") or detected["header_row"]
    options["header_row"] = max(1, min(int(header_row), max(1, len(head))))
    options["detected"] = detected
    width = max((len(r) for r in head), default=0)
    preview = {"rows": [[as_text(v) for v in r] + [""] * (width - len(r)) for r in head[:PREVIEW_ROWS + 5]],
               "first": 1}
    return options, preview


def _headers(row: list) -> list[str]:
    headers, seen = [], {}
    for i, value in enumerate(row):
        name = " ".join(as_text(value).split()) or _("Colonne %(n)s", n=i + 1)
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    while headers and is_blank(row[len(headers) - 1]):
        headers.pop()
    return headers


def expected_rows(path: str, kind: str, options: dict) -> int:
    """About how many lines the file (or the chosen sheet) has, without reading it: for a progress bar."""
    if kind == "xlsx":
        return dict(visible_sheets(path)).get(options.get("sheet"), 0)
    count, chunk = 0, b"x"
    with open(path, "rb") as handle:
        while chunk:
            chunk = handle.read(1 << 20)
            count += chunk.count(b"\n")
    return count


def read_table(path: str, kind: str, options: dict, progress: Callable[[int, int], None] | None = None) -> Table:
    """The rows under the header row, blank ones left out, each with its row number in the file.

    `progress(rows read, rows expected)` is called every `PROGRESS_EVERY` lines read.
    """
    rows, epoch = raw_rows(path, kind, options)
    header_row = options.get("header_row", 1)
    table = Table(headers=[], epoch=epoch)
    expected = max(0, expected_rows(path, kind, options) - header_row) if progress is not None else 0
    for number, row in enumerate(rows, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(len(table.rows), max(expected, len(table.rows)))
        if number < header_row:
            continue
        if number == header_row:
            table.headers = _headers(row)
            continue
        if all(is_blank(v) for v in row):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise FileProblem(_("Le fichier a plus de %(max)s lignes : découpez-le en plusieurs fichiers.",
                                max=f"{MAX_ROWS:,}".replace(",", "\u202f")))
        table.rows.append((number, row))
    if not table.headers:
        raise FileProblem(_("La ligne d’en-tête choisie est vide ou au-delà de la fin du fichier."))
    return table
