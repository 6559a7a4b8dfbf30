"""What staff keep an eye on: qualifications ending soon, and coming sessions whose coach will not be
qualified (or will be on a pause) on the day."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet.calendar.models import Appointment, AppointmentStatus
from intranet.clock import local
from intranet.extensions import db
from intranet.members.models import ACTIVE, Membership
from intranet.programs.models import Module
from intranet.volunteers import gate
from intranet.volunteers.directory import EXPIRY_WINDOW, expiring_between
from intranet.volunteers.models import Qualification, VolunteerProfile

ALERT_HORIZON = timedelta(days=180)  # coming sessions looked at for alerts


def _expiring(association_id: int, today: date):
    return (select(Qualification).join(VolunteerProfile, VolunteerProfile.id == Qualification.profile_id)
            .join(Membership, Membership.id == VolunteerProfile.membership_id)
            .where(Qualification.association_id == association_id, Membership.state == ACTIVE,
                   expiring_between(today, today + EXPIRY_WINDOW)))


def expiring(association_id: int, today: date, limit: int | None = None) -> list[Qualification]:
    """Qualifications of active members ending within 30 days and not renewed yet, soonest first (the first
    `limit` of them)."""
    query = (_expiring(association_id, today)
             .options(joinedload(Qualification.profile).joinedload(VolunteerProfile.membership)
                      .joinedload(Membership.user))
             .order_by(Qualification.valid_until, Qualification.id))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def expiring_count(association_id: int, today: date) -> int:
    return db.session.scalar(select(func.count()).select_from(_expiring(association_id, today).subquery()))


@dataclass
class Alert:
    appointment: Appointment
    reason: str


def alerts(association, now: datetime) -> list[Alert]:
    """Coming planned sessions whose coach may not lead them on their day: a qualification that will have
    expired (or was withdrawn), or a pause; in two queries per qualification code, whatever their number."""
    upcoming = list(db.session.scalars(
        select(Appointment).join(Module, Module.id == Appointment.module_id)
        .options(joinedload(Appointment.volunteer), joinedload(Appointment.module))
        .where(Appointment.association_id == association.id, Appointment.status == AppointmentStatus.PLANNED,
               Appointment.starts_at >= now, Appointment.starts_at < now + ALERT_HORIZON)
        .order_by(Appointment.starts_at, Appointment.id)))
    by_code: dict[str, list[Appointment]] = {}
    for appointment in upcoming:
        by_code.setdefault(appointment.module.qualification, []).append(appointment)
    found = []
    for code, appointments in by_code.items():
        rules = gate.eligibility(association.id, {a.volunteer_id for a in appointments}, code)
        for appointment in appointments:
            why = rules.refusal(appointment.volunteer_id, local(appointment.starts_at, association.timezone).date())
            if why:
                found.append(Alert(appointment, why))
    return sorted(found, key=lambda alert: (alert.appointment.starts_at, alert.appointment.id))
