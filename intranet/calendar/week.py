"""The week (or day) calendar of an association: appointments by day and half-hour."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.calendar.models import Appointment, Seat
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
    cells: dict = field(default_factory=dict)  # (day, row time) -> appointments starting in that half-hour
    count: int = 0


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def appointments(association: Association, first_day: date, days: int, filters: Filters) -> list[Appointment]:
    """The appointments starting in these days (cancelled ones included), with what the view shows."""
    start = to_utc(first_day, time(0, 0), association.timezone)
    end = to_utc(first_day + timedelta(days=days), time(0, 0), association.timezone)
    query = (select(Appointment)
             .options(joinedload(Appointment.volunteer), joinedload(Appointment.resource),
                      selectinload(Appointment.seats).joinedload(Seat.beneficiary))
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
        cells.setdefault((start.date(), row), []).append(a)
        earliest = min(earliest, row)
        end = local(a.ends_at, association.timezone).time()
        latest = max(latest, end if end != time(0, 0) else time(23, 30))
    rows, at = [], datetime.combine(first_day, earliest)
    while at.time() < latest and at.date() == first_day:
        rows.append(at.time())
        at += timedelta(minutes=30)
    return Calendar(days=[first_day + timedelta(days=i) for i in range(days)], rows=rows, cells=cells,
                    count=len(items))
