"""Dates and times as people read them: Babel's formats in the reader's language and the association's time zone.

In an association space Flask-Babel's time zone is the association's (the app's timezone selector), so
`format_datetime(moment)` needs nothing more; a page about several associations (/me) and e-mails pass
`timezone` (and e-mails render under `force_locale`, which `get_locale` follows). Formats are Babel's
named ones ("short", "medium", "long", "full") or CLDR skeletons ("MMMMEEEEd": the weekday, day and
month in the reader's order). Machine formats (ISO dates in URLs and forms, .ics, slot keys) stay
`isoformat`/`strftime` and never come through here.
"""

import re
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask_babel import get_locale, get_timezone

TIME_FIELDS = set("HhKkmsaBbv")
FIELD_RUN = re.compile(r"'[^']*'|E+|c+|M+|L+")  # quoted literals are kept as they are


def _zone(timezone: str | None):
    return ZoneInfo(timezone) if timezone else get_timezone()


def _locale(locale) -> Locale:
    return Locale.parse(locale or get_locale() or "fr")


def _moment(value, timezone: str | None):
    """A datetime as wall-clock time in the zone; a date or a time of day is shown as it is."""
    if isinstance(value, datetime):
        return value.astimezone(_zone(timezone))
    return value


def format_datetime(moment: datetime | None, format: str = "medium", *, timezone: str | None = None,
                    locale=None) -> str:
    """'05/01/2027 10:00' (fr, short), '1/5/27, 10:00 AM' (en, short)."""
    if moment is None:
        return ""
    return babel_dates.format_datetime(_moment(moment, timezone), format, tzinfo=_zone(timezone),
                                       locale=_locale(locale))


def format_date(value: date | datetime | None, format: str = "medium", *, timezone: str | None = None,
                locale=None) -> str:
    """'5 janvier 2027' (fr, long), 'January 5, 2027' (en, long); a datetime gives its day in the zone."""
    if value is None:
        return ""
    return babel_dates.format_date(_moment(value, timezone), format, locale=_locale(locale))


def format_time(value: datetime | time | None, format: str = "short", *, timezone: str | None = None,
                locale=None) -> str:
    """'14:30' (fr), '2:30 PM' (en); a time of day (opening hours, availability) is shown as it is."""
    if value is None:
        return ""
    if isinstance(value, time):
        return _time_of_day(value, format, _locale(locale))
    return babel_dates.format_time(_moment(value, timezone), format, tzinfo=_zone(timezone), locale=_locale(locale))


@lru_cache(maxsize=2048)
def _time_of_day(value: time, format: str, locale: Locale) -> str:
    """A calendar shows the same half-hours on every row and day: each is formatted once per locale."""
    return babel_dates.format_time(value, format, locale=locale)


def skeleton_pattern(skeleton: str, locale=None) -> str:
    """The locale's pattern for a skeleton, fields widened as asked ('MMMMEEEEd' -> 'EEEE d MMMM' in French).

    Babel picks the closest skeleton the locale has but does not widen its fields as CLDR says to:
    'MMMMEEEEd' would otherwise give 'mar. 5 janvier'.
    """
    return _skeleton_pattern(skeleton, _locale(locale))


@lru_cache(maxsize=256)
def _skeleton_pattern(skeleton: str, locale: Locale) -> str:
    """skeleton_pattern, searched once per skeleton and locale (matching a skeleton is slow)."""
    available = locale.datetime_skeletons
    best = babel_dates.match_skeleton(skeleton, available) or skeleton
    pattern = available[best].pattern if best in available else skeleton

    def widen(match: re.Match) -> str:
        run = match.group(0)
        if run.startswith("'"):
            return run
        wanted = skeleton.count("E" if run[0] in "Ec" else "M")
        return run[0] * wanted if wanted > len(run) and (run[0] in "Ec" or len(run) >= 3) else run

    return FIELD_RUN.sub(widen, pattern)


def format_skeleton(value: date | datetime | None, skeleton: str, *, timezone: str | None = None,
                    locale=None) -> str:
    """A date or time by CLDR skeleton in the reader's locale: 'MMMMEEEEd' -> 'mardi 5 janvier', 'Tuesday, January 5'.

    'j' is the locale's own hour (14:30, 2:30 PM); a skeleton of a day and a time ('MMMEdjm') joins both
    the way the locale joins a short date and time.
    """
    if value is None:
        return ""
    loc = _locale(locale)
    hour = "h" if "h" in loc.time_formats["short"].pattern else "H"
    skeleton = skeleton.replace("j", hour)
    day_part = "".join(c for c in skeleton if c not in TIME_FIELDS)
    time_part = "".join(c for c in skeleton if c in TIME_FIELDS)
    if day_part and time_part:
        glue = str(loc.datetime_formats["short"]).replace("'", "")
        return (glue.replace("{1}", format_skeleton(value, day_part, timezone=timezone, locale=loc))
                .replace("{0}", format_skeleton(value, time_part, timezone=timezone, locale=loc)))
    pattern = skeleton_pattern(skeleton, loc)
    if isinstance(value, datetime):
        return babel_dates.format_datetime(_moment(value, timezone), pattern, tzinfo=_zone(timezone), locale=loc)
    return babel_dates.format_date(value, pattern, locale=loc)


def format_hours(start: datetime, end: datetime, *, timezone: str | None = None, locale=None) -> str:
    """'10:00–11:00' (fr), '10:00 AM–11:00 AM' (en), in the zone."""
    return (f"{format_time(start, timezone=timezone, locale=locale)}–"
            f"{format_time(end, timezone=timezone, locale=locale)}")


def register(app) -> None:
    """Jinja filters: Flask-Babel's `datetimeformat`, `dateformat`, `timeformat`, taking a `timezone=` too, and `skeleton`.

    They keep Flask-Babel's meaning (the reader's locale, the association's zone) and its named formats.
    """
    app.jinja_env.filters.update(datetimeformat=format_datetime, dateformat=format_date, timeformat=format_time,
                                 skeleton=format_skeleton)
