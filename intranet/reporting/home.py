"""An association's own dashboard: today's and this week's sessions, files waiting, figures beside the network's median."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload, load_only

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary, BeneficiaryStatus
from intranet.calendar.models import Appointment, AppointmentStatus, Seat, SeatStatus
from intranet.clock import to_utc, today_in
from intranet.extensions import db
from intranet.network.models import Association
from intranet.reporting import dashboard, esf, figures, medians
from intranet.reporting.periods import Filters, Period, PeriodKind

WAITING_SHOWN = 8


@dataclass(frozen=True)
class Comparison:
    figure: object
    own: float | None
    median: float | None


def sessions_from(association: Association, days: int, first_day=None) -> select:
    first_day = first_day or today_in(association.timezone)
    start = to_utc(first_day, time(0), association.timezone)
    end = to_utc(first_day + timedelta(days=days), time(0), association.timezone)
    return select(Appointment).where(Appointment.association_id == association.id, Appointment.starts_at >= start,
                                     Appointment.starts_at < end)


def today_sessions(association: Association) -> list[Appointment]:
    """Today's sessions, cancelled ones left out, with their coach."""
    query = (sessions_from(association, 1)
             .options(load_only(Appointment.name, Appointment.starts_at, Appointment.ends_at, Appointment.status,
                                Appointment.capacity, Appointment.mode),
                      joinedload(Appointment.volunteer).load_only(User.name))
             .where(Appointment.status.notin_(figures.CANCELLED)).order_by(Appointment.starts_at, Appointment.id))
    return list(db.session.scalars(query))


def week_counts(association: Association) -> dict[str, int]:
    """This week's sessions (Monday to Sunday): planned, done, missed."""
    today = today_in(association.timezone)
    week = sessions_from(association, 7, today - timedelta(days=today.weekday())).subquery()
    row = db.session.execute(select(
        func.count().filter(week.c.status.notin_(figures.CANCELLED)).label("all"),
        func.count().filter(week.c.status == AppointmentStatus.PLANNED).label("planned"),
        func.count().filter(week.c.status == AppointmentStatus.DONE).label("done"),
        func.count().filter(week.c.status == AppointmentStatus.NO_SHOW).label("no_show"))).one()
    return row._asdict()


def waiting_first_appointment(association: Association) -> tuple[int, list[Beneficiary]]:
    """Open files with no session booked yet (cancelled ones do not count), the oldest first."""
    booked = exists().where(Seat.beneficiary_id == Beneficiary.id, Seat.status == SeatStatus.BOOKED,
                            Appointment.id == Seat.appointment_id, Appointment.status.notin_(figures.CANCELLED))
    query = (select(Beneficiary).where(
        Beneficiary.association_id == association.id, Beneficiary.active.is_(True),
        Beneficiary.status.in_((BeneficiaryStatus.NEW, BeneficiaryStatus.IN_PROGRESS)), ~booked))
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    shown = db.session.scalars(query.options(load_only(Beneficiary.first_name, Beneficiary.last_name,
                                                       Beneficiary.created_at))
                               .order_by(Beneficiary.created_at, Beneficiary.id).limit(WAITING_SHOWN)).all()
    return count, list(shown)


def compared(association: Association, filters: Filters) -> tuple[list[Comparison], datetime | None]:
    """Each compared figure for this association beside the median of the network's associations (no names), and
    when those medians were computed (None: not yet). Only this association's figures are computed here; the
    medians are the periodic step's snapshot (`medians`), so the home costs the same whatever the network's size."""
    own_filters = Filters(filters.period, (association.id,), extra={"minutes": figures.DEFAULT_MINUTES_PER_MAIL})
    own = figures.compute(own_filters).get(association.id, {})
    snapshot = medians.read(filters.period)
    network = snapshot.values if snapshot else {}
    return ([Comparison(f, own.get(f.key, 0 if f.unit in ("count", "hours") else None), network.get(f.key))
             for f in dashboard.compare_figures()], snapshot.computed_at if snapshot else None)


def esf_completeness(association: Association, day) -> tuple[list[esf.Completeness], dict[int, str]]:
    """This year's ESF+ participants of the association by operation, and the names of the files to complete."""
    year = Period.of(PeriodKind.YEAR, day)
    operations = esf.completeness(esf.participants(Filters(year, (association.id,))))
    ids = {i for op in operations for i, _ in op.incomplete}
    names = dict(db.session.execute(
        select(Beneficiary.id, Beneficiary.first_name + " " + Beneficiary.last_name)
        .where(Beneficiary.association_id == association.id, Beneficiary.id.in_(ids))).all()) if ids else {}
    return operations, names
