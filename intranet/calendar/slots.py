"""Find the next free slots for a module: a free coach, the needed resource and the beneficiary all free."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from intranet.auth.models import User
from intranet.calendar.availability import absences, availabilities
from intranet.calendar.booking import ACTIVE, LONGEST
from intranet.calendar.models import Appointment, Resource, Seat
from intranet.clock import local, to_utc
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.services import LocalModule
from intranet.volunteers import gate

STEP = timedelta(minutes=30)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    volunteer_id: int
    volunteer_name: str
    resource_id: int | None


def _busy(rows, start, end) -> bool:
    return any(s < end and e > start for s, e in rows)


def find_slots(association: Association, module: LocalModule, *, start: datetime, end: datetime,
               beneficiary_id: int | None = None, volunteer_id: int | None = None, limit: int = 10,
               one_per_time: bool = True) -> list[Slot]:
    """The first free slots between `start` and `end` (UTC), earliest first."""
    duration = timedelta(minutes=module.duration_minutes)
    members = {u.id: u for u in db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association.id, Membership.active.is_(True), User.active.is_(True)))}
    if volunteer_id is not None:
        members = {k: v for k, v in members.items() if k == volunteer_id}
    # Who may coach this module on a given day: the qualification it needs, a pause (volunteers.gate).
    rules = gate.eligibility(association.id, list(members), module.qualification)
    weekly = [a for a in availabilities(association.id, list(members)) if a.user_id in members]
    people = sorted({a.user_id for a in weekly})
    busy = {uid: [] for uid in people}
    for a in db.session.scalars(select(Appointment).where(
            Appointment.volunteer_id.in_(people), Appointment.status.in_(ACTIVE),
            Appointment.starts_at < end, Appointment.starts_at > start - LONGEST)) if people else []:
        busy[a.volunteer_id].append((a.starts_at, a.ends_at))
    for a in absences(association.id, people, start, end):
        busy[a.user_id].append((a.starts_at, a.ends_at))
    own = [(a.starts_at, a.ends_at) for a in db.session.scalars(
        select(Appointment).join(Seat, Seat.appointment_id == Appointment.id).where(
            Seat.beneficiary_id == beneficiary_id, Seat.status == "booked", Appointment.status.in_(ACTIVE),
            Appointment.starts_at < end, Appointment.starts_at > start - LONGEST))] if beneficiary_id else []
    resources, used = [], {}
    if module.resource_kind:
        resources = list(db.session.scalars(select(Resource).where(
            Resource.association_id == association.id, Resource.kind == module.resource_kind,
            Resource.active.is_(True)).order_by(Resource.id)))
        for a in db.session.scalars(select(Appointment).where(
                Appointment.resource_id.in_([r.id for r in resources]), Appointment.status.in_(ACTIVE),
                Appointment.starts_at < end, Appointment.starts_at > start - LONGEST)) if resources else []:
            used.setdefault(a.resource_id, []).append((a.starts_at, a.ends_at))
        if not resources:
            return []

    slots, seen = [], set()
    day = local(start, association.timezone).date()
    last_day = local(end, association.timezone).date()
    while day <= last_day and len(slots) < limit:
        windows = sorted((a for a in weekly if a.weekday == day.weekday() and a.valid_from <= day
                          and (a.valid_until is None or day <= a.valid_until)), key=lambda a: (a.starts, a.user_id))
        candidates = []
        for window in windows:
            at = to_utc(day, window.starts, association.timezone)
            window_end = to_utc(day, window.ends, association.timezone)
            while at + duration <= window_end:
                candidates.append((at, window.user_id))
                at += STEP
        for at, user_id in sorted(candidates, key=lambda c: (c[0], members[c[1]].name)):
            finish = at + duration
            if at < start or finish > end or (one_per_time and at in seen):
                continue
            if _busy(busy[user_id], at, finish) or _busy(own, at, finish) or rules.refusal(user_id, day):
                continue
            resource_id = _free_resource(resources, used, at, finish, association.timezone) if resources else None
            if resources and resource_id is None:
                continue
            slots.append(Slot(at, finish, user_id, members[user_id].name, resource_id))
            seen.add(at)
            if len(slots) >= limit:
                break
        day += timedelta(days=1)
    return slots


def _free_resource(resources, used, at, finish, timezone) -> int | None:
    start, end = local(at, timezone), local(finish, timezone)
    for resource in resources:
        if (str(start.weekday()) in resource.open_days and resource.opens_at <= start.time()
                and end.time() <= resource.closes_at and end.date() == start.date()
                and sum(1 for s, e in used.get(resource.id, []) if s < finish and e > at) < resource.capacity):
            return resource.id
    return None
