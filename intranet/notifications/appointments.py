"""The messages an appointment sends: confirmation, change and cancellation, with a calendar invitation.

Each is queued in the same transaction as the change it reports, so a booking never exists
without its confirmation, nor a confirmation without its booking.
"""

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar import signals
from intranet.calendar.models import Appointment
from intranet.extensions import db
from intranet.network.models import Association
from intranet.notifications import context, ics, reminders
from intranet.notifications.services import queue_mail
from intranet.selfbooking import services as selfbooking


def _invitation(association: Association, appointment: Appointment, attendee: tuple[str, str], *,
                cancelled: bool = False) -> str:
    name, address = context.organizer(association)
    return ics.invitation(
        uid=f"appointment-{appointment.id}@tremplin", starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        timezone=association.timezone, summary=f"{appointment.name} — {association.name}",
        location=context.place(association, appointment),
        description=appointment.call_details if appointment.mode != "in_person" else "",
        sequence=context.sequence(appointment), organizer=address, organizer_name=name, attendee=attendee,
        cancelled=cancelled)


def _to_beneficiary(kind: str, association: Association, appointment: Appointment, beneficiary: Beneficiary,
                    *, link: str | None, cancelled: bool = False) -> None:
    if not beneficiary.email:
        return  # staff call or text them; the file says how to reach them
    stamp = appointment.starts_at.strftime("%Y%m%d%H%M")
    queue_mail(to=beneficiary.email, template=f"appointment_{kind}", kind=f"appointment_{kind}",
               association_id=association.id, beneficiary_id=beneficiary.id, appointment_id=appointment.id,
               key=f"appointment-{kind}-{appointment.id}-{beneficiary.id}-{stamp}",
               ics=_invitation(association, appointment, (beneficiary.full_name, beneficiary.email),
                               cancelled=cancelled), person=beneficiary, link=link,
               **context.mail_context(association, appointment))


def _to_coach(kind: str, association: Association, appointment: Appointment, *, cancelled: bool = False) -> None:
    coach = db.session.get(User, appointment.volunteer_id)
    stamp = appointment.starts_at.strftime("%Y%m%d%H%M")
    queue_mail(to=coach.email, template="coach_session", event=kind, kind=f"coach_{kind}", locale=coach.locale,
               association_id=association.id, appointment_id=appointment.id,
               key=f"coach-{kind}-{appointment.id}-{coach.id}-{stamp}",
               ics=_invitation(association, appointment, (coach.name, coach.email), cancelled=cancelled), coach=coach,
               people=[s.beneficiary for s in appointment.booked_seats], **context.mail_context(association, appointment, coach.locale))


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


# --- what the calendar announces (calendar.signals), connected by `intranet.notifications.register` -----


def on_booked(association: Association, *, appointment: Appointment, beneficiary: Beneficiary,
              link_url: str | None, self_service: bool, now, **extra) -> None:
    """Confirm a booking of a session still to come; one recorded after it began tells nobody to come."""
    if appointment.starts_at <= now:
        return
    if not link_url and not self_service:
        # A booking by staff comes with a fresh personal link; a self-booking keeps the link in use
        # (a new one would replace it).
        link_url = selfbooking.confirmation_link(beneficiary)
    booked(association, appointment, beneficiary, link_url)


def on_moved(association: Association, *, appointment: Appointment, **extra) -> None:
    moved(association, appointment)


def on_cancelled(association: Association, *, appointment: Appointment, beneficiaries: list[Beneficiary],
                 moving: bool = False, **extra) -> None:
    """Tell who is concerned; a person who freed their place to move it is told by the new confirmation."""
    if moving:
        _to_coach("cancelled", association, appointment, cancelled=True)
        reminders.cancel(appointment)
    else:
        cancelled(association, appointment, beneficiaries)


def on_seat_cancelled(association: Association, *, appointment: Appointment, seat, moving: bool = False,
                      **extra) -> None:
    if moving:
        reminders.cancel(appointment, beneficiary_id=seat.beneficiary_id)
    else:
        seat_freed(association, appointment, seat.beneficiary)


def connect() -> None:
    """Subscribe to the calendar's signals (idempotent: blinker keeps one connection per receiver)."""
    signals.appointment_booked.connect(on_booked)
    signals.appointment_moved.connect(on_moved)
    signals.appointment_cancelled.connect(on_cancelled)
    signals.seat_cancelled.connect(on_seat_cancelled)
