"""The network's figures on what exists in every association: files, journeys, sessions, outcomes, mail.

Each section is one or two aggregate statements grouped by association (GROUP BY on indexed columns,
bounded by the period wherever a date index allows); the network's totals are sums of those rows, except
for the medians, which have a statement of their own. Filters: the period, associations, a program (the
modules of its journeys and sessions) and a territory (the department of the beneficiary's postcode, the
ESF+ rural answer), which apply to what concerns people; e-mails are counted by association only.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, cast, exists, func, literal, null, or_, select, union_all

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, AppointmentStatus, Seat, SeatStatus
from intranet.extensions import db
from intranet.journeys.models import ExitSituation, FollowUpResult, Journey, JourneyModule
from intranet.notifications.models import OutboxMessage, OutboxStatus
from intranet.programs.models import Module, Program
from intranet.reporting.periods import Filters
from intranet.reporting.registry import Figure, Values, figure_section, sections

POSITIVE = (ExitSituation.EMPLOYMENT, ExitSituation.EDUCATION_TRAINING)
SIX_MONTHS = timedelta(days=182)
DEFAULT_MINUTES_PER_MAIL = 3
CANCELLED = (AppointmentStatus.CANCELLED, AppointmentStatus.EXCUSED)


# --- pieces of SQL -------------------------------------------------------------------------------------


def department_of(postcode):
    """The department of a French postcode: 33000 -> 33, 97410 -> 974, 20000 -> 2A, 20200 -> 2B."""
    return case(
        (postcode.like("97%"), func.substr(postcode, 1, 3)),
        (or_(postcode.like("200%"), postcode.like("201%")), literal("2A")),
        (postcode.like("20%"), literal("2B")),
        else_=func.substr(postcode, 1, 2))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def days_between(later, earlier):
    """Whole days from the date of `earlier` to the date of `later` (both UTC timestamps)."""
    if _dialect() == "postgresql":
        return func.date(func.timezone("UTC", later)) - func.date(func.timezone("UTC", earlier))
    return func.cast(func.julianday(func.date(later)) - func.julianday(func.date(earlier)), db.Integer)


def person_conditions(filters: Filters) -> list:
    """What the territory filters ask of a beneficiary."""
    conditions = []
    if filters.department:
        conditions.append(department_of(Beneficiary.postcode) == filters.department)
    if filters.rural:
        conditions.append(Beneficiary.rural == filters.rural)
    return conditions


def association_conditions(column, filters: Filters) -> list:
    return [column.in_(filters.associations)] if filters.associations else []


def program_modules(filters: Filters):
    """The ids of the modules of the chosen program (a subquery), or None for every program."""
    if not filters.program:
        return None
    return select(Module.id).join(Program).where(Program.code == filters.program).scalar_subquery()


def journey_in_program(filters: Filters):
    modules = program_modules(filters)
    if modules is None:
        return []
    return [exists().where(JourneyModule.journey_id == Journey.id, JourneyModule.module_id.in_(modules))]


def open_during(filters: Filters, start=None, end=None):
    """Journeys open at some time between `start` and `end` (the period by default)."""
    start, end = start or filters.period.start, end or filters.period.end
    return and_(Journey.started_on <= end, or_(Journey.exited_on.is_(None), Journey.exited_on >= start))


def ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def _rows(statement) -> dict[int, dict]:
    return {row.association_id: row._asdict() for row in db.session.execute(statement)}


def _totals(values: dict[int, dict], keys) -> dict:
    return {k: sum(v.get(k) or 0 for v in values.values()) for k in keys}


# --- people accompanied and files ----------------------------------------------------------------------

PEOPLE_FIGURES = [
    Figure("people", _l("Personnes accompagnées"), headline=True),
    Figure("people_in_person", _l("… en présentiel seulement"), compare=False),
    Figure("people_remote", _l("… à distance seulement"), compare=False),
    Figure("people_both", _l("… en présentiel et à distance"), compare=False),
    Figure("new_files", _l("Nouvelles fiches")),
    Figure("journeys_completed", _l("Parcours terminés (sorties)"), headline=True),
]


def people_by_mode(filters: Filters, *group) -> select:
    """One row per person accompanied in the period: whether their journeys had remote, in-person modules."""
    modules = program_modules(filters)
    conditions = [open_during(filters), *association_conditions(Journey.association_id, filters),
                  *person_conditions(filters)]
    if modules is not None:
        conditions.append(JourneyModule.module_id.in_(modules))
    return (
        select(Journey.association_id, Journey.beneficiary_id, *group,
               func.max(case((Program.remote, 1), else_=0)).label("remote"),
               func.max(case((Program.remote, 0), else_=1)).label("in_person"))
        .join(JourneyModule, JourneyModule.journey_id == Journey.id)
        .join(Module, Module.id == JourneyModule.module_id).join(Program, Program.id == Module.program_id)
        .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
        .where(*conditions)
        .group_by(Journey.association_id, Journey.beneficiary_id, *group)
    )


@figure_section("people", _l("Personnes accompagnées"), 10, PEOPLE_FIGURES, remote_headline=True,
                notes=(_l("Une personne est accompagnée dans la période quand l’un de ses parcours y est ouvert ; "
                          "à distance quand ses modules sont ceux du programme à distance."),))
def people_figures(filters: Filters) -> Values:
    people = people_by_mode(filters).subquery()
    values = _rows(
        select(people.c.association_id, func.count().label("people"),
               func.count().filter(people.c.remote == 0).label("people_in_person"),
               func.count().filter(people.c.in_person == 0).label("people_remote"),
               func.count().filter(people.c.remote == 1, people.c.in_person == 1).label("people_both"))
        .group_by(people.c.association_id))
    new_conditions = [Beneficiary.created_at >= filters.period.since, Beneficiary.created_at < filters.period.until,
                      *association_conditions(Beneficiary.association_id, filters), *person_conditions(filters)]
    if filters.program:
        new_conditions.append(exists().where(Journey.beneficiary_id == Beneficiary.id, *journey_in_program(filters)))
    for row in db.session.execute(select(Beneficiary.association_id, func.count().label("n"))
                                  .where(*new_conditions).group_by(Beneficiary.association_id)):
        values.setdefault(row.association_id, {})["new_files"] = row.n
    for row in db.session.execute(
            select(Journey.association_id, func.count().label("n"))
            .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
            .where(*exits_in(filters)).group_by(Journey.association_id)):
        values.setdefault(row.association_id, {})["journeys_completed"] = row.n
    values[None] = _totals(values, [f.key for f in PEOPLE_FIGURES])
    return values


def exits_in(filters: Filters, shift: timedelta = timedelta(0)) -> list:
    return [Journey.exited_on >= filters.period.start - shift, Journey.exited_on <= filters.period.end - shift,
            *association_conditions(Journey.association_id, filters), *person_conditions(filters),
            *journey_in_program(filters)]


# --- sessions ----------------------------------------------------------------------------------------------

SESSION_FIGURES = [
    Figure("sessions_individual", _l("Séances individuelles réalisées"), headline=True),
    Figure("sessions_collective", _l("Séances collectives réalisées")),
    Figure("no_show_rate", _l("Taux d’absence"), unit="percent", higher_is_better=False,
           note=_l("absent·es sur les séances réalisées ou manquées")),
    Figure("cancellation_rate", _l("Taux d’annulation"), unit="percent", higher_is_better=False,
           note=_l("séances annulées ou excusées sur toutes les séances prévues dans la période")),
    Figure("first_appointment_days", _l("Délai médian premier contact → premier rendez-vous"), unit="days",
           higher_is_better=False, note=_l("en jours, pour les personnes dont le premier rendez-vous est dans la période")),
]


def appointment_conditions(filters: Filters) -> list:
    conditions = [Appointment.starts_at >= filters.period.since, Appointment.starts_at < filters.period.until,
                  *association_conditions(Appointment.association_id, filters)]
    modules = program_modules(filters)
    if modules is not None:
        conditions.append(Appointment.module_id.in_(modules))
    if filters.department or filters.rural:
        conditions.append(exists().where(Seat.appointment_id == Appointment.id, Seat.status == SeatStatus.BOOKED,
                                         Seat.beneficiary_id == Beneficiary.id, *person_conditions(filters)))
    return conditions


@figure_section("sessions", _l("Séances"), 20, SESSION_FIGURES, remote_headline=True)
def session_figures(filters: Filters) -> Values:
    status = Appointment.status
    values = _rows(
        select(Appointment.association_id,
               func.count().filter(status == AppointmentStatus.DONE, Appointment.capacity <= 1)
               .label("sessions_individual"),
               func.count().filter(status == AppointmentStatus.DONE, Appointment.capacity > 1)
               .label("sessions_collective"),
               func.count().filter(status == AppointmentStatus.NO_SHOW).label("no_shows"),
               func.count().filter(status.in_((AppointmentStatus.DONE, AppointmentStatus.NO_SHOW))).label("held"),
               func.count().filter(status.in_(CANCELLED)).label("cancelled"),
               func.count().label("appointments"))
        .where(*appointment_conditions(filters)).group_by(Appointment.association_id))
    values[None] = _totals(values, ["sessions_individual", "sessions_collective", "no_shows", "held", "cancelled",
                                    "appointments"])
    for v in values.values():
        v["no_show_rate"] = ratio(v.get("no_shows") or 0, v.get("held") or 0)
        v["cancellation_rate"] = ratio(v.get("cancelled") or 0, v.get("appointments") or 0)
    for association_id, median in first_appointment_medians(filters).items():
        values.setdefault(association_id, {})["first_appointment_days"] = median
    return values


def first_appointments(filters: Filters):
    """Each person whose first appointment (not cancelled) falls in the period, with the days it took."""
    earlier_seat, earlier = Seat.__table__.alias("earlier_seat"), Appointment.__table__.alias("earlier")
    held = Appointment.status.notin_(CANCELLED)
    conditions = [Seat.status == SeatStatus.BOOKED, held,
                  Appointment.starts_at >= filters.period.since, Appointment.starts_at < filters.period.until,
                  *association_conditions(Appointment.association_id, filters), *person_conditions(filters),
                  ~exists().where(earlier_seat.c.beneficiary_id == Seat.beneficiary_id,
                                  earlier_seat.c.status == SeatStatus.BOOKED,
                                  earlier.c.id == earlier_seat.c.appointment_id,
                                  earlier.c.status.notin_(CANCELLED),
                                  earlier.c.starts_at < filters.period.since)]
    modules = program_modules(filters)
    if modules is not None:
        conditions.append(Appointment.module_id.in_(modules))
    first = (select(Seat.association_id, Seat.beneficiary_id, func.min(Appointment.starts_at).label("first_at"))
             .join(Appointment, Appointment.id == Seat.appointment_id)
             .join(Beneficiary, Beneficiary.id == Seat.beneficiary_id)
             .where(*conditions).group_by(Seat.association_id, Seat.beneficiary_id).subquery())
    return (select(first.c.association_id, days_between(first.c.first_at, Beneficiary.created_at).label("days"))
            .join(Beneficiary, Beneficiary.id == first.c.beneficiary_id))


def medians_of(rows, value: str, partition: str) -> dict:
    """The median of `value` in `rows` per `partition` column, and for all rows (key None), in one statement: `rows`
    is a CTE, read once."""
    column = rows.c[value]

    def ranked(shown, key):
        return select(shown.label("k"), column.label("v"), func.row_number().over(partition_by=key, order_by=column)
                      .label("rn"), func.count().over(partition_by=key).label("n"))

    by_partition = ranked(rows.c[partition], rows.c[partition])
    both = union_all(by_partition, ranked(cast(null(), rows.c[partition].type), literal(0))).subquery()
    statement = (select(both.c.k, func.avg(both.c.v))
                 .where(both.c.rn.in_([(both.c.n + 1) // 2, (both.c.n + 2) // 2])).group_by(both.c.k))
    return {k: float(v) for k, v in db.session.execute(statement)}


def first_appointment_medians(filters: Filters) -> dict:
    return medians_of(first_appointments(filters).cte("first_appointments"), "days", "association_id")


# --- outcomes ------------------------------------------------------------------------------------------------

OUTCOME_FIGURES = [
    *(Figure(f"exit_{s.value}", _l("Sortie : %(label)s", label=s.label), compare=False) for s in ExitSituation),
    Figure("exit_unknown", _l("Sortie : situation non renseignée"), compare=False),
    Figure("positive_share", _l("Sorties positives (emploi ou formation)"), unit="percent", headline=True),
    *(Figure(f"six_months_{r.value}", _l("À six mois : %(label)s", label=r.label), compare=False)
      for r in FollowUpResult),
    Figure("six_months_unknown", _l("À six mois : non connu"), compare=False),
    Figure("follow_up_answer_rate", _l("Taux de réponse aux e-mails de suivi"), unit="percent"),
]


@figure_section("outcomes", _l("Sorties et suivi"), 30, OUTCOME_FIGURES,
                notes=(_l("À six mois : la situation des personnes sorties six mois (182 jours) avant la période."),))
def outcome_figures(filters: Filters) -> Values:
    values: dict = {}
    join = select(Journey.association_id).join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
    for row in db.session.execute(join.add_columns(Journey.exit_situation, func.count().label("n"))
                                  .where(*exits_in(filters))
                                  .group_by(Journey.association_id, Journey.exit_situation)):
        v = values.setdefault(row.association_id, {})
        key = f"exit_{row.exit_situation or 'unknown'}"
        v[key] = v.get(key, 0) + row.n
    for row in db.session.execute(join.add_columns(Journey.follow_up_result, func.count().label("n"))
                                  .where(*exits_in(filters, SIX_MONTHS))
                                  .group_by(Journey.association_id, Journey.follow_up_result)):
        v = values.setdefault(row.association_id, {})
        key = f"six_months_{row.follow_up_result or 'unknown'}"
        v[key] = v.get(key, 0) + row.n
    # The follow-up mails alone, by the index of follow-ups (association, day); their journey is looked up per mail.
    theirs = Journey.id == OutboxMessage.journey_id
    answered = exists().where(theirs, or_(and_(OutboxMessage.kind == "follow_up_1m", Journey.answer_1m != ""),
                                          and_(OutboxMessage.kind == "follow_up_6m", Journey.answer_6m != "")))
    concerned = []
    if person_conditions(filters) or journey_in_program(filters):
        concerned.append(exists().where(theirs, Beneficiary.id == Journey.beneficiary_id, *person_conditions(filters),
                                        *journey_in_program(filters)))
    for row in db.session.execute(
            select(OutboxMessage.association_id, func.count().label("sent"),
                   func.count().filter(answered).label("answered"))
            .where(OutboxMessage.journey_id.is_not(None), OutboxMessage.kind.in_(("follow_up_1m", "follow_up_6m")),
                   OutboxMessage.status == OutboxStatus.SENT,
                   OutboxMessage.created_at >= filters.period.since, OutboxMessage.created_at < filters.period.until,
                   *association_conditions(OutboxMessage.association_id, filters), *concerned)
            .group_by(OutboxMessage.association_id)):
        values.setdefault(row.association_id, {}).update(follow_ups_sent=row.sent, follow_ups_answered=row.answered)
    keys = [f.key for f in OUTCOME_FIGURES if f.unit == "count"] + ["follow_ups_sent", "follow_ups_answered"]
    values[None] = _totals(values, keys)
    for v in values.values():
        exits = sum(v.get(f"exit_{s}", 0) for s in [*ExitSituation.values(), "unknown"])
        v["exits"] = exits
        v["positive_share"] = ratio(sum(v.get(f"exit_{s.value}", 0) for s in POSITIVE), exits)
        v["follow_up_answer_rate"] = ratio(v.get("follow_ups_answered") or 0, v.get("follow_ups_sent") or 0)
    return values


# --- automation ------------------------------------------------------------------------------------------------

AUTOMATION_FIGURES = [
    Figure("emails_sent", _l("E-mails envoyés automatiquement"), headline=True),
    Figure("emails_confirmations", _l("… confirmations et changements"), compare=False),
    Figure("emails_reminders", _l("… rappels"), compare=False),
    Figure("emails_follow_ups", _l("… suivis après la sortie"), compare=False),
    Figure("emails_digests", _l("… récapitulatifs quotidiens"), compare=False),
    Figure("emails_other", _l("… autres (liens de réservation)"), compare=False),
    Figure("hours_saved", _l("Temps gagné (estimation)"), unit="hours", headline=True),
]
MAIL_KINDS = {  # the automatic mails by family; invitations and password resets are not counted
    "emails_reminders": ("appointment_reminder", "coach_reminder"),
    "emails_follow_ups": ("follow_up_1m", "follow_up_6m"),
    "emails_digests": ("daily_digest",),
    "emails_other": ("booking_link",),
}


@figure_section("automation", _l("Automatisation"), 40, AUTOMATION_FIGURES,
                notes=(_l("E-mails envoyés, comptés au mois où ils ont été créés ; le temps gagné est une estimation : "
                          "le nombre d’e-mails multiplié par les minutes qu’aurait pris chacun à la main."),))
def automation_figures(filters: Filters) -> Values:
    minutes = filters.extra.get("minutes", DEFAULT_MINUTES_PER_MAIL)
    kind = OutboxMessage.kind
    listed = [k for kinds in MAIL_KINDS.values() for k in kinds]
    confirmations = and_(or_(kind.like("appointment\\_%", escape="\\"), kind.like("coach\\_%", escape="\\")),
                         kind.notin_(listed))
    columns = [func.count().filter(kind.in_(kinds)).label(key) for key, kinds in MAIL_KINDS.items()]
    values = _rows(
        select(OutboxMessage.association_id, func.count().filter(confirmations).label("emails_confirmations"),
               *columns)
        .where(OutboxMessage.association_id.is_not(None), OutboxMessage.status == OutboxStatus.SENT,
               OutboxMessage.created_at >= filters.period.since, OutboxMessage.created_at < filters.period.until,
               or_(confirmations, kind.in_(listed)),
               *association_conditions(OutboxMessage.association_id, filters))
        .group_by(OutboxMessage.association_id))
    keys = ["emails_confirmations", *MAIL_KINDS]
    values[None] = _totals(values, keys)
    for v in values.values():
        v["emails_sent"] = sum(v.get(k) or 0 for k in keys)
        v["hours_saved"] = v["emails_sent"] * minutes / 60
    return values


def at_minutes(values: Values, minutes: int) -> Values:
    """The figures with the time saved at another rate of minutes per e-mail (it is the only figure that uses it)."""
    if minutes == DEFAULT_MINUTES_PER_MAIL:
        return values
    return {key: {**row, "hours_saved": row["emails_sent"] * minutes / 60} if "emails_sent" in row else row
            for key, row in values.items()}


# --- all of them ---------------------------------------------------------------------------------------------


def compute(filters: Filters) -> Values:
    """Every registered section's figures, merged: {association_id or None: {key: value}}."""
    merged: Values = {None: {}}
    for section in sections():
        for association_id, values in section.compute(filters).items():
            merged.setdefault(association_id, {}).update(values)
    return merged
