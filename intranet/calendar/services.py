"""Read-only helpers other features use: a beneficiary's appointments."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, Seat
from intranet.extensions import db


def planned_appointments(journey_module_ids: list[int]) -> dict[int, Appointment]:
    """The planned appointment each journey module has a booked seat in, by module id."""
    if not journey_module_ids:
        return {}
    rows = db.session.execute(
        select(Seat.journey_module_id, Appointment).join(Appointment, Appointment.id == Seat.appointment_id)
        .where(Seat.journey_module_id.in_(journey_module_ids), Seat.status == "booked",
               Appointment.status == "planned"))
    return {module_id: appointment for module_id, appointment in rows}


def appointments_of(beneficiary: Beneficiary) -> list[Appointment]:
    """The appointments a beneficiary has (or had) a seat in, newest first."""
    return list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.volunteer))
        .join(Seat, Seat.appointment_id == Appointment.id)
        .where(Seat.association_id == beneficiary.association_id, Seat.beneficiary_id == beneficiary.id)
        .order_by(Appointment.starts_at.desc()).limit(50)).unique())
