"""The messages an appointment sends: confirmation, change and cancellation, with a calendar invitation.

Each is queued in the same transaction as the change it reports, so a booking never exists
without its confirmation, nor a confirmation without its booking.
"""

from flask import current_app

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, AppointmentEvent
from intranet.dates import format_date, format_hours, format_time
from intranet.extensions import db
from intranet.network.models import Association
from intranet.notifications import ics, reminders
from intranet.notifications.services import queue_mail


def _sequence(appointment: Appointment) -> int:
    """How many times the appointment moved: calendars replace an invitation by a higher sequence."""
    return db.session.query(AppointmentEvent).filter_by(appointment_id=appointment.id, action="moved").count()


def _place(association: Association, appointment: Appointment) -> str:
    if appointment.mode != "in_person":
        return appointment.call_details
    where = f"{association.name}, {association.city}" if association.city else association.name
    return f"{where} — {appointment.resource.name}" if appointment.resource else where


def _invitation(association: Association, appointment: Appointment, *, cancelled: bool = False) -> str:
    return ics.invitation(
        uid=f"appointment-{appointment.id}@tremplin", starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        summary=f"{appointment.name} — {association.name}", location=_place(association, appointment),
        description=appointment.call_details if appointment.mode != "in_person" else "",
        sequence=_sequence(appointment), organizer=current_app.config["MAIL_DEFAULT_SENDER"].split("<")[-1].rstrip(">"),
        cancelled=cancelled)


def _context(association: Association, appointment: Appointment, locale: str = "fr") -> dict:
    """The day and hours in the recipient's language and the association's zone."""
    zone, start, end = association.timezone, appointment.starts_at, appointment.ends_at
    return {"association": association, "appointment": appointment, "place": _place(association, appointment),
            "day": format_date(start, "full", timezone=zone, locale=locale),
            "at": format_time(start, timezone=zone, locale=locale),
            "hours": format_hours(start, end, timezone=zone, locale=locale), "remote": appointment.mode != "in_person"}


def _to_beneficiary(kind: str, association: Association, appointment: Appointment, beneficiary: Beneficiary,
                    *, link: str | None, cancelled: bool = False) -> None:
    if not beneficiary.email:
        return  # staff call or text them; the file says how to reach them
    stamp = appointment.starts_at.strftime("%Y%m%d%H%M")
    queue_mail(to=beneficiary.email, template=f"appointment_{kind}", kind=f"appointment_{kind}",
               association_id=association.id, beneficiary_id=beneficiary.id, appointment_id=appointment.id,
               key=f"appointment-{kind}-{appointment.id}-{beneficiary.id}-{stamp}",
               ics=_invitation(association, appointment, cancelled=cancelled), person=beneficiary, link=link,
               **_context(association, appointment))


def _to_coach(kind: str, association: Association, appointment: Appointment, *, cancelled: bool = False) -> None:
    coach = db.session.get(User, appointment.volunteer_id)
    stamp = appointment.starts_at.strftime("%Y%m%d%H%M")
    queue_mail(to=coach.email, template="coach_session", event=kind, kind=f"coach_{kind}", locale=coach.locale,
               association_id=association.id, appointment_id=appointment.id,
               key=f"coach-{kind}-{appointment.id}-{coach.id}-{stamp}",
               ics=_invitation(association, appointment, cancelled=cancelled), coach=coach,
               people=[s.beneficiary for s in appointment.booked_seats], **_context(association, appointment, coach.locale))


def booked(association: Association, appointment: Appointment, beneficiary: Beneficiary, link: str | None) -> None:
    """Confirm a booking to the beneficiary (with the link to cancel or move) and to the coach."""
    _to_beneficiary("confirmed", association, appointment, beneficiary, link=link)
    _to_coach("confirmed", association, appointment)
    reminders.schedule(association, appointment)


def moved(association: Association, appointment: Appointment) -> None:
    """Tell everyone booked, and the coach, the new time; their calendars update the same event."""
    for seat in appointment.booked_seats:
        _to_beneficiary("moved", association, appointment, seat.beneficiary, link=None)
    _to_coach("moved", association, appointment)
    reminders.cancel(appointment)
    reminders.schedule(association, appointment)


def cancelled(association: Association, appointment: Appointment, beneficiaries: list[Beneficiary]) -> None:
    """Tell the beneficiaries concerned and the coach that the session will not take place."""
    for beneficiary in beneficiaries:
        _to_beneficiary("cancelled", association, appointment, beneficiary, link=None, cancelled=True)
    _to_coach("cancelled", association, appointment, cancelled=True)
    reminders.cancel(appointment)


def seat_freed(association: Association, appointment: Appointment, beneficiary: Beneficiary) -> None:
    """Tell one beneficiary their place in a collective session is cancelled (the session goes on)."""
    _to_beneficiary("cancelled", association, appointment, beneficiary, link=None, cancelled=True)
    reminders.cancel(appointment, beneficiary_id=beneficiary.id)
