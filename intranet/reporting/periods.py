"""The period a report covers (this month, last month, quarter, year, custom dates) and the filters beside it."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from intranet.args import arg_choice, arg_date, arg_ints, arg_str
from intranet.clock import to_utc, today_in
from intranet.enums import LabelledEnum


class PeriodKind(LabelledEnum):
    MONTH = "month", _l("Ce mois-ci")
    LAST_MONTH = "last_month", _l("Le mois dernier")
    QUARTER = "quarter", _l("Ce trimestre")
    YEAR = "year", _l("Cette année")
    CUSTOM = "custom", _l("Dates choisies")


class RuralChoice(LabelledEnum):
    YES = "yes", _l("Zone rurale")
    NO = "no", _l("Hors zone rurale")


MAX_CUSTOM_DAYS = 5 * 366  # a custom period spans at most five years
NETWORK_TIMEZONE = "Europe/Paris"  # a period's days begin and end at midnight there


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Dates from `start` to `end`, both included."""

    kind: str
    start: date
    end: date

    @classmethod
    def of(cls, kind: str, today: date, start: date | None = None, end: date | None = None) -> "Period":
        if kind == PeriodKind.LAST_MONTH:
            first = add_months(month_start(today), -1)
            return cls(kind, first, month_start(today) - timedelta(days=1))
        if kind == PeriodKind.QUARTER:
            first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
            return cls(kind, first, add_months(first, 3) - timedelta(days=1))
        if kind == PeriodKind.YEAR:
            return cls(kind, date(today.year, 1, 1), date(today.year, 12, 31))
        if kind == PeriodKind.CUSTOM and start and end:
            start, end = min(start, end), max(start, end)
            return cls(kind, start, min(end, start + timedelta(days=MAX_CUSTOM_DAYS)))
        first = month_start(today)
        return cls(PeriodKind.MONTH, first, add_months(first, 1) - timedelta(days=1))

    @property
    def since(self) -> datetime:
        """The first instant of the period, midnight in the network's time zone (as UTC): datetime columns are
        compared with it."""
        return to_utc(self.start, time(0), NETWORK_TIMEZONE)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return to_utc(self.end + timedelta(days=1), time(0), NETWORK_TIMEZONE)

    @property
    def label(self) -> str:
        return f"{format_date(self.start, 'd MMM y')} – {format_date(self.end, 'd MMM y')}"


@dataclass(frozen=True)
class Filters:
    """What a consolidated figure is computed over: a period, some associations, a program, a territory."""

    period: Period
    associations: tuple[int, ...] = ()
    program: str = ""  # a Program.code, "" for every program
    department: str = ""  # of the beneficiary's postcode ("33", "2A", "974"), "" for every one
    rural: str = ""  # RuralChoice value, "" for both
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def args(self, **changes) -> dict:
        """The query-string settings that rebuild these filters (links keep them)."""
        values = {"period": self.period.kind, "program": self.program, "department": self.department,
                  "rural": self.rural, "association": list(self.associations)}
        if self.period.kind == PeriodKind.CUSTOM:
            values.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", [], None)}


DEPARTMENT_TEXT = set("0123456789AB")


def filters_from_request(program_codes, today: date | None = None, *, associations: bool = True) -> Filters:
    """The filters a report page reads from its query string (anything unreadable falls back to its default).

    Changing a date in place (htmx names the field that changed) chooses custom dates.
    """
    today = today or today_in(NETWORK_TIMEZONE)
    kind = arg_choice("period", PeriodKind, PeriodKind.MONTH)
    if request.headers.get("HX-Trigger-Name") in ("from", "to"):
        kind = PeriodKind.CUSTOM
    period = Period.of(kind, today, arg_date("from"), arg_date("to"))
    department = arg_str("department", max_length=3).upper()
    if not set(department) <= DEPARTMENT_TEXT:
        department = ""
    return Filters(period=period, associations=tuple(arg_ints("association")[:50]) if associations else (),
                   program=arg_choice("program", program_codes), department=department,
                   rural=arg_choice("rural", RuralChoice))
