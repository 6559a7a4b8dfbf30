"""Volunteer hours and their value, summed in SQL.

Three kinds: coaching (done sessions, at the coach's logged duration, else the planned one), trainings
attended (completed sessions, present), other activities. Each is one grouped query whatever the
number of rows; the value is hours × the hourly rate in force on the day each hour was given (a CASE
over the few rates), so a past year keeps its rate.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, String, case, cast, exists, func, literal, select, union
from sqlalchemy.sql import ColumnElement

from intranet.audit.services import record
from intranet.auth.models import User
from intranet.calendar.models import Appointment, AppointmentStatus
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module, Program
from intranet.volunteers.models import (
    Attendance,
    HourKind,
    HourlyRate,
    SessionLog,
    Training,
    TrainingEnrolment,
    TrainingSession,
    TrainingSessionStatus,
    VolunteerActivity,
    VolunteerProfile,
)
from intranet.volunteers.services import VolunteerError

KINDS = tuple(kind.value for kind in HourKind)


# --- rates ------------------------------------------------------------------------------------


def rates() -> list[HourlyRate]:
    return list(db.session.scalars(select(HourlyRate).order_by(HourlyRate.effective_from)))


def rate_on(day: date, table: list[HourlyRate] | None = None) -> int:
    """The rate in cents in force on `day` (0 before the first one)."""
    cents = 0
    for rate in table if table is not None else rates():
        if rate.effective_from <= day:
            cents = rate.cents
    return cents


def set_rate(*, effective_from: date, cents: int, note: str, by: User) -> HourlyRate:
    """Set the hourly rate from a date (replacing the one set for that very date); hours before keep theirs."""
    if not 100 <= cents <= 100_000:
        raise VolunteerError("euros", _("Indiquez un taux horaire entre 1 € et 1 000 €."))
    rate = db.session.scalar(select(HourlyRate).where(HourlyRate.effective_from == effective_from))
    if rate is None:
        rate = HourlyRate(effective_from=effective_from, cents=cents)
        db.session.add(rate)
    rate.cents, rate.note, rate.set_by_id = cents, note.strip()[:255], by.id
    db.session.flush()
    return rate


# --- the sums ---------------------------------------------------------------------------------


def _minutes_between(starts, ends) -> ColumnElement:
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.round((func.julianday(ends) - func.julianday(starts)) * 1440), Integer)
    return cast(func.extract("epoch", ends - starts) / 60, Integer)


def _month(column) -> ColumnElement:
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%m", column), Integer)
    return cast(func.extract("month", column), Integer)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _bucket(column, table: list[HourlyRate], moments: bool) -> ColumnElement:
    """SQL: the index of the rate in force for `column` (-1 before the first)."""
    if not table:
        return cast(-1, Integer)
    whens = [(column >= (_moment(r.effective_from) if moments else r.effective_from), i)
             for i, r in reversed(list(enumerate(table)))]
    return case(*whens, else_=-1)


@dataclass
class Totals:
    """Minutes by kind and their value in cents."""

    minutes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    cents: int = 0

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    def hours(self, kind: str | None = None) -> float:
        return round((self.total_minutes if kind is None else self.minutes[kind]) / 60, 2)

    @property
    def euros(self) -> float:
        return round(self.cents / 100, 2)


@dataclass
class Scope:
    """Which hours: a period [first, last], one association or a few (None: the whole network), one person, one
    program (a `Program.code`: its modules' sessions and the trainings granting what they require; other
    activities belong to no program)."""

    first: date
    last: date
    association_ids: list[int] | None = None
    user_id: int | None = None
    program: str | None = None
    user_ids: list[int] | None = None  # a few people (a chunk of an export)


def period(year: int, month: int | None = None) -> tuple[date, date]:
    """The first and last days of a year, or of one of its months."""
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year, month, 1), date.fromordinal(date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1)


def program_codes(program: str):
    """SQL: the qualification codes the modules of a program require (a subquery)."""
    return (select(Module.qualification).join(Program, Program.id == Module.program_id)
            .where(Program.code == program, Module.qualification != "").scalar_subquery())


def trains_for(program: str) -> ColumnElement:
    """SQL: the training (joined) grants a code a module of the program requires (`grants`: codes and spaces)."""
    padded = literal(" ") + Training.grants + literal(" ")
    code = func.replace(Module.qualification, "_", "\\_", type_=String)
    return exists().where(Module.program_id == Program.id, Program.code == program, Module.qualification != "",
                          padded.like(literal("% ") + code + literal(" %"), escape="\\"))


@dataclass(frozen=True)
class Source:
    """One kind of volunteer time in a scope: its columns, and a statement holding its FROM and WHERE."""

    kind: str
    association: ColumnElement
    person: ColumnElement
    when: ColumnElement  # a timestamp (`moments`) or a date
    minutes: ColumnElement
    moments: bool
    rows: Select

    def select(self, *columns) -> Select:
        return self.rows.with_only_columns(*columns)


def sources(scope: Scope) -> list[Source]:
    """The kinds of volunteer time in the scope: sessions done (at the coach's logged duration, else the planned
    one), completed trainings attended (present), other activities. The one definition hours and figures share."""
    last = date.fromordinal(scope.last.toordinal() + 1)
    log_minutes = func.coalesce(SessionLog.minutes, _minutes_between(Appointment.starts_at, Appointment.ends_at))
    coaching = Source("coaching", Appointment.association_id, Appointment.volunteer_id, Appointment.starts_at,
                      log_minutes, True,
                      select(Appointment.id).select_from(Appointment)
                      .outerjoin(SessionLog, SessionLog.appointment_id == Appointment.id)
                      .where(Appointment.status == AppointmentStatus.DONE))
    training = Source("training", TrainingSession.association_id, VolunteerProfile.user_id, TrainingSession.starts_at,
                      _minutes_between(TrainingSession.starts_at, TrainingSession.ends_at), True,
                      select(TrainingEnrolment.id).select_from(TrainingEnrolment)
                      .join(TrainingSession, TrainingSession.id == TrainingEnrolment.training_session_id)
                      .join(VolunteerProfile, VolunteerProfile.id == TrainingEnrolment.profile_id)
                      .where(TrainingEnrolment.attendance == Attendance.PRESENT,
                             TrainingSession.status == TrainingSessionStatus.COMPLETED))
    other = Source("other", VolunteerActivity.association_id, VolunteerProfile.user_id, VolunteerActivity.done_on,
                   VolunteerActivity.minutes, False,
                   select(VolunteerActivity.id).select_from(VolunteerActivity)
                   .join(VolunteerProfile, VolunteerProfile.id == VolunteerActivity.profile_id))
    found = []
    for source in (coaching, training, other):
        rows = source.rows
        if scope.program:
            if source.kind == "coaching":
                rows = rows.where(Appointment.module_id.in_(
                    select(Module.id).join(Program, Program.id == Module.program_id)
                    .where(Program.code == scope.program).scalar_subquery()))
            elif source.kind == "training":
                rows = rows.join(Training, Training.id == TrainingSession.training_id).where(
                    trains_for(scope.program))
            else:
                continue
        low, high = (_moment(scope.first), _moment(last)) if source.moments else (scope.first, last)
        rows = rows.where(source.when >= low, source.when < high)
        if scope.association_ids is not None:
            rows = rows.where(source.association.in_(scope.association_ids))
        if scope.user_id is not None:
            rows = rows.where(source.person == scope.user_id)
        if scope.user_ids is not None:
            rows = rows.where(source.person.in_(scope.user_ids))
        found.append(replace(source, rows=rows))
    return found


def _queries(found: list[Source], by: str, table: list[HourlyRate]):
    """The grouped queries, one per kind; `by` is "user", "association", "month" or "user_month"."""
    for source in found:
        # Grouped by the labels of the selected expressions: PostgreSQL matches a CASE with parameters only so.
        keys = [expression.label(f"key{i}") for i, expression in enumerate(
            {"user": [source.person], "association": [source.association], "month": [_month(source.when)],
             "user_month": [source.person, _month(source.when)]}[by])]
        bucket = _bucket(source.when, table, source.moments).label("bucket")
        query = source.select(source.association, *keys, bucket, func.sum(source.minutes))
        yield source.kind, query.group_by(source.association, *keys, bucket)


def volunteers(found: list[Source]):
    """The (association_id, user_id) pairs who gave time in these `sources(scope)`, each once (a subquery)."""
    return union(*(source.select(source.association.label("association_id"), source.person.label("user_id"))
                   for source in found)).subquery()


def totals(scope: Scope, by: str = "user", found: list[Source] | None = None) -> dict[tuple, Totals]:
    """Hours and value in the scope, keyed by (association id, user id | association id | month | user id, month);
    `found`: the scope's `sources`, when the caller has built them already."""
    table = rates()
    result: dict[tuple, Totals] = {}
    for kind, query in _queries(sources(scope) if found is None else found, by, table):
        for association_id, *key, bucket, minutes in db.session.execute(query):
            row = result.setdefault((association_id, *key), Totals())
            minutes = int(minutes or 0)
            row.minutes[kind] += minutes
            if bucket is not None and bucket >= 0:
                row.cents += round(minutes * table[bucket].cents / 60)
    return result


def people(scope: Scope) -> Select:
    """SQL: the people with hours in the scope (id, name, e-mail), by name."""
    ids = union(*(select(query.subquery().c.key0) for _kind, query in _queries(sources(scope), "user", [])))
    return (select(User.id, User.name, User.email).where(User.id.in_(select(ids.subquery().c.key0)))
            .order_by(func.lower(User.name), User.id))


def sum_of(rows) -> Totals:
    total = Totals()
    for row in rows:
        for kind in KINDS:
            total.minutes[kind] += row.minutes[kind]
        total.cents += row.cents
    return total


@dataclass
class Line:
    """One line of an hours report: a volunteer (or an association) and their totals."""

    key: int
    name: str
    email: str
    totals: Totals
    membership_id: int | None = None


def _add(target: Totals, row: Totals) -> None:
    for kind in KINDS:
        target.minutes[kind] += row.minutes[kind]
    target.cents += row.cents


def report(association_id: int, year: int, month: int | None = None) -> tuple[list[Line], list[Totals]]:
    """The association's report in one pass over the year: its volunteers' lines (for `month` only, when
    given) and the twelve months' totals."""
    months = [Totals() for _ in range(12)]
    people: dict[int, Totals] = {}
    for (_a, user_id, number), row in totals(Scope(date(year, 1, 1), date(year, 12, 31), [association_id]),
                                             "user_month").items():
        _add(months[int(number) - 1], row)
        if month is None or int(number) == month:
            _add(people.setdefault(user_id, Totals()), row)
    return _lines(association_id, {(association_id, user_id): row for user_id, row in people.items()}), months


def by_volunteer(association_id: int, first: date, last: date) -> list[Line]:
    """The association's volunteers with hours in the period, by name (one query for the names)."""
    return _lines(association_id, totals(Scope(first, last, [association_id]), "user"))


def _lines(association_id: int, found: dict) -> list[Line]:
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([k for _a, k in found])))} \
        if found else {}
    memberships = dict(db.session.execute(select(Membership.user_id, Membership.id).where(
        Membership.association_id == association_id, Membership.user_id.in_(list(users)))).all()) if users else {}
    lines = [Line(user_id, users[user_id].name, users[user_id].email, row, memberships.get(user_id))
             for (_a, user_id), row in found.items() if user_id in users]
    return sorted(lines, key=lambda line: (line.name.lower(), line.key))


def by_association(first: date, last: date) -> list[Line]:
    """Every association's hours in the period (the network office's view)."""
    found = totals(Scope(first, last), "association")
    associations = {a.id: a for a in db.session.scalars(select(Association))}
    lines = [Line(key, associations[key].name, "", row) for (_a, key), row in found.items() if key in associations]
    return sorted(lines, key=lambda line: line.name.lower())


def by_month(association_ids: list[int] | None, first: date, last: date, user_id: int | None = None) -> list[Totals]:
    """Twelve months of the year of `first` (index 0 = January)."""
    months = [Totals() for _ in range(12)]
    for (_a, month), row in totals(Scope(first, last, association_ids, user_id), "month").items():
        target = months[int(month) - 1]
        for kind in KINDS:
            target.minutes[kind] += row.minutes[kind]
        target.cents += row.cents
    return months


def audit_correction(obj, fields: list[str]) -> None:
    record(obj, "staff_correction", fields)
