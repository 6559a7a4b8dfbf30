"""The week (or day) calendar of an association: appointments by day and half-hour."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only, selectinload

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, Resource, Seat
from intranet.clock import local, to_utc
from intranet.extensions import db
from intranet.network.models import Association

DAY_START, DAY_END = time(8, 0), time(20, 0)


@dataclass
class Filters:
    volunteer_id: int | None = None
    resource_id: int | None = None
    module_id: int | None = None


@dataclass
class Calendar:
    days: list[date]
    rows: list[time]
    # (day, row time) -> (appointment, local start time, local end time) for those starting in that half-hour
    cells: dict = field(default_factory=dict)
    count: int = 0


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def appointments(association: Association, first_day: date, days: int, filters: Filters) -> list[Appointment]:
    """The appointments starting in these days (cancelled ones included), with only what the grid shows:
    a week of a large association is some 250 appointments, and each column loaded costs."""
    start = to_utc(first_day, time(0, 0), association.timezone)
    end = to_utc(first_day + timedelta(days=days), time(0, 0), association.timezone)
    query = (select(Appointment)
             .options(load_only(Appointment.name, Appointment.status, Appointment.starts_at, Appointment.ends_at,
                                Appointment.capacity, Appointment.volunteer_id, Appointment.resource_id),
                      joinedload(Appointment.volunteer).load_only(User.name),
                      joinedload(Appointment.resource).load_only(Resource.name),
                      selectinload(Appointment.seats).load_only(Seat.status, Seat.appointment_id)
                      .joinedload(Seat.beneficiary).load_only(Beneficiary.first_name, Beneficiary.last_name))
             .where(Appointment.association_id == association.id, Appointment.starts_at >= start,
                    Appointment.starts_at < end))
    if filters.volunteer_id:
        query = query.where(Appointment.volunteer_id == filters.volunteer_id)
    if filters.resource_id:
        query = query.where(Appointment.resource_id == filters.resource_id)
    if filters.module_id:
        query = query.where(Appointment.module_id == filters.module_id)
    return list(db.session.scalars(query.order_by(Appointment.starts_at, Appointment.id)))


def calendar(association: Association, first_day: date, days: int, filters: Filters) -> Calendar:
    """Lay the appointments out by day and half-hour, from 8:00 to 20:00 (wider if needed)."""
    items = appointments(association, first_day, days, filters)
    cells: dict = {}
    earliest, latest = DAY_START, DAY_END
    for a in items:
        start = local(a.starts_at, association.timezone)
        row = start.time().replace(minute=0 if start.minute < 30 else 30, second=0, microsecond=0)
        end = local(a.ends_at, association.timezone).time()
        # Wall-clock times of day: the template formats each distinct one once (intranet.dates).
        cells.setdefault((start.date(), row), []).append((a, start.time(), end))
        earliest = min(earliest, row)
        latest = max(latest, end if end != time(0, 0) else time(23, 30))
    rows, at = [], datetime.combine(first_day, earliest)
    while at.time() < latest and at.date() == first_day:
        rows.append(at.time())
        at += timedelta(minutes=30)
    return Calendar(days=[first_day + timedelta(days=i) for i in range(days)], rows=rows, cells=cells,
                    count=len(items))
