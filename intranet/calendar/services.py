"""Read-only helpers other features use: a beneficiary's appointments."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, Seat
from intranet.extensions import db


def appointments_of(beneficiary: Beneficiary) -> list[Appointment]:
    """The appointments a beneficiary has (or had) a seat in, newest first."""
    return list(db.session.scalars(
        select(Appointment).options(joinedload(Appointment.volunteer))
        .join(Seat, Seat.appointment_id == Appointment.id)
        .where(Seat.association_id == beneficiary.association_id, Seat.beneficiary_id == beneficiary.id)
        .order_by(Appointment.starts_at.desc()).limit(50)).unique())
