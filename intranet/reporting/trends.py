"""Twelve months of the main figures, and people accompanied by department: for the charts and the map."""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_date
from sqlalchemy import and_, case, func, literal, select, union_all

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, AppointmentStatus
from intranet.extensions import db
from intranet.journeys.models import Journey
from intranet.reporting.figures import (
    appointment_conditions,
    association_conditions,
    department_of,
    journey_in_program,
    people_by_mode,
    person_conditions,
)
from intranet.reporting.periods import Filters, Period, add_months, month_start
from intranet.volunteers import hours

MONTHS = 12


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    points: list  # (month label, value)

    @property
    def peak(self) -> int:
        return max([v for _, v in self.points] + [1])


def months_to(last_day) -> list[Period]:
    """The twelve calendar months ending with the month of `last_day`."""
    first = add_months(month_start(last_day), 1 - MONTHS)
    return [Period("custom", add_months(first, i), add_months(first, i + 1) - timedelta(days=1)) for i in range(MONTHS)]


def trends(filters: Filters, titles: dict[str, str]) -> list[Series]:
    """People accompanied, sessions delivered, no-shows and volunteer hours (whole hours) in each of the twelve
    months up to the period's end."""
    return series(numbers(filters), filters.period.end, titles)


def series(values: dict[str, list[int]], last_day, titles: dict[str, str]) -> list[Series]:
    """The charts of `numbers()`, their months named in the reader's language."""
    labels = [format_date(m.start, "MMM yy") for m in months_to(last_day)]
    return [Series(key, titles[key], list(zip(labels, values[key], strict=True)))
            for key in ("people", "sessions", "no_shows", "volunteer_hours")]


def numbers(filters: Filters) -> dict[str, list[int]]:
    """The twelve monthly values of each chart, oldest first."""
    return numbers_by_association(filters)[None]


def numbers_by_association(filters: Filters) -> dict[int | None, dict[str, list[int]]]:
    """The twelve monthly values of each chart, oldest first, for each association and for all (key None): a
    file is one association's, so the network's people are the sum of the associations'."""
    months = months_to(filters.period.end)
    span = Filters(Period("custom", months[0].start, months[-1].end), filters.associations, filters.program,
                   filters.department, filters.rural)
    table = union_all(*(select(literal(i).label("i"), literal(m.start, db.Date).label("first"),
                               literal(m.end, db.Date).label("last")) for i, m in enumerate(months))).subquery()
    found: dict[int | None, dict[str, dict]] = {None: {"people": {}, "sessions": {}, "no_shows": {}, "hours": {}}}

    def add(association_id: int, chart: str, key, value: int) -> None:
        for each in (association_id, None):
            charts = found.setdefault(each, {"people": {}, "sessions": {}, "no_shows": {}, "hours": {}})
            charts[chart][key] = charts[chart].get(key, 0) + value

    for i, association_id, n in db.session.execute(
            select(table.c.i, Journey.association_id, func.count(func.distinct(Journey.beneficiary_id)))
            .join(Journey, (Journey.started_on <= table.c.last)
                  & ((Journey.exited_on.is_(None)) | (Journey.exited_on >= table.c.first)))
            .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
            .where(*association_conditions(Journey.association_id, filters), *person_conditions(filters),
                   *journey_in_program(filters))
            .group_by(table.c.i, Journey.association_id)):
        add(association_id, "people", i, n)
    # The month of a session, from midnight to midnight in the network's time zone (as the period's figures).
    month = case(*((and_(Appointment.starts_at >= m.since, Appointment.starts_at < m.until), i)
                   for i, m in enumerate(months))).label("month")
    for row in db.session.execute(
            select(Appointment.association_id, month,
                   func.count().filter(Appointment.status == AppointmentStatus.DONE).label("done"),
                   func.count().filter(Appointment.status == AppointmentStatus.NO_SHOW).label("no_show"))
            .where(*appointment_conditions(span)).group_by(Appointment.association_id, month)):
        add(row.association_id, "sessions", row.month, row.done)
        add(row.association_id, "no_shows", row.month, row.no_show)
    scope = hours.Scope(months[0].start, months[-1].end, list(filters.associations) or None,
                        program=filters.program or None)
    for (association_id, month_number), row in hours.totals(scope, "month").items():
        # Twelve consecutive months have twelve different numbers.
        add(association_id, "hours", int(month_number), row.total_minutes)
    return {association_id: {"people": [charts["people"].get(i, 0) for i in range(len(months))],
                             "sessions": [charts["sessions"].get(i, 0) for i in range(len(months))],
                             "no_shows": [charts["no_shows"].get(i, 0) for i in range(len(months))],
                             "volunteer_hours": [round(charts["hours"].get(m.start.month, 0) / 60) for m in months]}
            for association_id, charts in found.items()}


def people_by_department(filters: Filters) -> dict[str, int]:
    """How many people were accompanied in the period, by the department of their postcode."""
    return people_by_department_and_association(filters)[None]


def people_by_department_and_association(filters: Filters) -> dict[int | None, dict[str, int]]:
    """How many people each association (and all, key None) accompanied in the period, by department."""
    department = department_of(Beneficiary.postcode).label("department")
    people = people_by_mode(filters, department).subquery()
    counts: dict[int | None, dict[str, int]] = {None: {}}
    for association_id, code, n in db.session.execute(
            select(people.c.association_id, people.c.department, func.count())
            .group_by(people.c.association_id, people.c.department)):
        if code:
            for each in (association_id, None):
                place = counts.setdefault(each, {})
                place[code] = place.get(code, 0) + n
    return counts
