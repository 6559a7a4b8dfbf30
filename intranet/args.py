"""Values that come from the URL, read and bounded in one place: path ids, query arguments, pages.

The rule, the same on every page:

- A query argument is an optional setting of the page: a filter, a sort, a page number, the day
  shown, a pre-filled choice. A value that cannot be read or lies outside its bounds is ignored,
  and the page uses the default, exactly as if the argument were absent. The page always shows
  what it applied (the day, the filters, the page number), so ignoring it misleads nobody.
- An argument that names the object the page is about (``?seat=`` on a personal link) is not a
  setting: when it cannot name an existing object, the page answers 404, like an id in the path.
- An id in a path (``<int:beneficiary_id>``) is at most what an INTEGER column holds (the app's "int"
  converter): anything larger is 404 before any query.
- Dates are bounded to years 1900–2200 (`intranet.clock.FIRST_DAY` … `LAST_DAY`) before any
  time-zone arithmetic.
- Form input is never ignored: a bad value gets a message next to its field and the answer is 422
  (see `intranet.forms`).
- A NUL character, which no text of ours contains and which PostgreSQL refuses, makes any request
  a 400.

Links that keep a page's settings (the pager) are built from the values the view parsed, never
from the raw query string, so ``?endpoint=…`` or ``?_external=…`` cannot reach ``url_for``.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain

from flask import abort, request
from sqlalchemy import Select, func, select
from werkzeug.routing import IntegerConverter

from intranet.clock import FIRST_DAY, LAST_DAY, in_window
from intranet.extensions import db

MAX_ID = 2**31 - 1  # ids are INTEGER columns (PostgreSQL int4): anything larger names nothing
MAX_PAGE = 100_000  # far beyond any list, small enough that the offset stays a sane number
PER_PAGE = 25
_INTEGER = re.compile(r"-?[0-9]{1,20}")


class BoundedIntegerConverter(IntegerConverter):
    """``<int:…>`` for ids: a number too large for the database matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _int(value: str | None, min: int, max: int) -> int | None:
    value = (value or "").strip()
    if not _INTEGER.fullmatch(value):
        return None
    number = int(value)
    return number if min <= number <= max else None


def arg_int(name: str, default: int | None = None, *, min: int = 0, max: int = MAX_ID) -> int | None:
    """An integer setting from the query string, or `default` when absent, unreadable or out of bounds."""
    number = _int(request.args.get(name), min, max)
    return default if number is None else number


def arg_ints(name: str, values=None, *, min: int = 1, max: int = MAX_ID) -> list[int]:
    """Every readable id given under `name` (repeated argument), the others dropped."""
    values = request.args if values is None else values
    return [n for n in (_int(v, min, max) for v in values.getlist(name)) if n is not None]


def arg_id(name: str) -> int | None:
    """The id of the object a page is about: None when absent, 404 when it cannot be an id."""
    value = request.args.get(name, "")
    if not value:
        return None
    number = _int(value, 1, MAX_ID)
    if number is None:
        abort(404)
    return number


def parse_date(value: str | None) -> date | None:
    """An ISO date between FIRST_DAY and LAST_DAY, or None."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if in_window(day) else None


def arg_date(name: str, default: date | None = None, *, min: date = FIRST_DAY, max: date = LAST_DAY) -> date | None:
    """A date setting from the query string, or `default` when absent, unreadable or out of bounds."""
    day = parse_date(request.args.get(name))
    return day if day is not None and min <= day <= max else default


def arg_datetime(name: str) -> datetime | None:
    """A date and time (ISO, wall-clock) from the query string, or None when unreadable or out of bounds."""
    try:
        moment = datetime.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None
    return moment if in_window(moment.date()) else None


def arg_choice(name: str, choices: Iterable[str], default: str = "") -> str:
    """One of `choices` (strings, or a LabelledEnum's values) from the query string, or `default`."""
    value = request.args.get(name, "")
    return value if value in {str(choice) for choice in choices} else default


def arg_str(name: str, default: str = "", *, max_length: int = 100) -> str:
    """A free text setting (a search), trimmed and cut to `max_length`."""
    return request.args.get(name, default).strip()[:max_length]


COUNT_CAP = 1000  # lists say "more than 1,000" rather than count a large table on every request


@dataclass
class Page:
    """One page of a list, found by reading one row more than it shows: no count of the whole list."""

    query: Select
    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def count(self, cap: int | None = None) -> tuple[int, bool]:
        """How many rows the list holds, counting at most `cap` of them: (number, whether there are more)."""
        return capped_count(self.query, cap)


def capped_count(query: Select, cap: int | None = None) -> tuple[int, bool]:
    """How many rows `query` gives, reading at most `cap` + 1 of them: (number, whether there are more)."""
    cap = cap or COUNT_CAP
    limited = query.order_by(None).limit(cap + 1).subquery()
    number = db.session.scalar(select(func.count()).select_from(limited))
    return min(number, cap), number > cap


def paginate(query: Select, per_page: int | None = None) -> Page:
    """One page of `query`, its number read from ``?page=`` (1 when unreadable)."""
    page, size = arg_int("page", 1, min=1, max=MAX_PAGE), per_page or PER_PAGE
    result = db.session.execute(query.limit(size + 1).offset((page - 1) * size))
    # One entity per row gives the entities; a query of several (a mail and its journey) gives the rows.
    rows = (result.scalars() if len(query.column_descriptions) == 1 else result).unique().all()
    return Page(query=query, items=rows[:size], page=page, per_page=size, has_next=len(rows) > size)


def refuse_nul_characters():
    """Answer 400 to a request carrying a NUL character anywhere in its path, query or form."""
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    texts = chain([request.path], *(chain(source.keys(), chain.from_iterable(source.listvalues()))
                                    for source in sources))
    if any("\x00" in text for text in texts):
        abort(400)
