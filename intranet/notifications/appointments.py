"""The messages an appointment sends: confirmation, change and cancellation, with a calendar invitation.

Each is queued in the same transaction as the change it reports, so a booking never exists
without its confirmation, nor a confirmation without its booking. A message's key names the change
it tells (the appointment's sequence, see `context.sequence`) and its recipient, never the time or the
place: a move back to an earlier time is a new change, and it is told.
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


def _key(kind: str, appointment: Appointment, recipient: str) -> str:
    """The change told (the appointment's sequence) and to whom: the same change is never told twice to anyone."""
    return f"{kind}-{appointment.id}-v{context.sequence(appointment)}-{recipient}"


def _to_beneficiary(kind: str, association: Association, appointment: Appointment, beneficiary: Beneficiary,
                    *, link: str | None, cancelled: bool = False, **extra) -> None:
    if not beneficiary.email:
        return  # staff call or text them; the file says how to reach them
    queue_mail(to=beneficiary.email, template=f"appointment_{kind}", kind=f"appointment_{kind}",
               association_id=association.id, beneficiary_id=beneficiary.id, appointment_id=appointment.id,
               key=_key(f"appointment-{kind}", appointment, f"b{beneficiary.id}"),
               ics=_invitation(association, appointment, (beneficiary.full_name, beneficiary.email),
                               cancelled=cancelled),
               person=beneficiary, link=link, **extra, **context.mail_context(association, appointment))


def _to_coach(event: str, association: Association, appointment: Appointment, *, coach_id: int | None = None,
              cancelled: bool = False, **extra) -> None:
    """Tell the coach (`coach_id`, the appointment's by default); `event` names the template's variant."""
    coach = db.session.get(User, coach_id or appointment.volunteer_id)
    kind = "cancelled" if cancelled else "moved" if event == "moved" else "confirmed"
    queue_mail(to=coach.email, template="coach_session", event=event, kind=f"coach_{kind}", locale=coach.locale,
               association_id=association.id, appointment_id=appointment.id,
               key=_key(f"coach-{event}", appointment, f"u{coach.id}"),
               ics=_invitation(association, appointment, (coach.name, coach.email), cancelled=cancelled),
               coach=coach, people=[s.beneficiary for s in appointment.booked_seats], **extra,
               **context.mail_context(association, appointment, coach.locale))


def booked(association: Association, appointment: Appointment, beneficiary: Beneficiary, link: str | None,
           *, tell_coach: bool = True) -> None:
    """Confirm a booking to the beneficiary (with the link to cancel or move) and to the coach."""
    _to_beneficiary("confirmed", association, appointment, beneficiary, link=link)
    if tell_coach:
        _to_coach("confirmed", association, appointment)
    reminders.schedule(association, appointment)


def moved(association: Association, appointment: Appointment, *, previous_starts_at, previous_volunteer_id: int,
          previous_resource_id: int | None) -> None:
    """Tell each person what changed for them; their calendars update the same event.

    The people booked hear of a new time or place (not of another coach: their mails do not name
    the coach). A coach who keeps the session hears of a new time or place; when the coach changes, the
    former one gets a cancellation and the new one an invitation.
    """
    changed = "time" if appointment.starts_at != previous_starts_at else (
        "place" if appointment.resource_id != previous_resource_id else None)
    if changed:
        for seat in appointment.booked_seats:
            _to_beneficiary("moved", association, appointment, seat.beneficiary, link=None, changed=changed)
    if appointment.volunteer_id != previous_volunteer_id:
        _to_coach("withdrawn", association, appointment, coach_id=previous_volunteer_id, cancelled=True)
        _to_coach("confirmed", association, appointment)
    elif changed:
        _to_coach("moved", association, appointment, changed=changed)
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
    reminders.schedule(association, appointment)


# --- what the calendar announces (calendar.signals), connected by `intranet.notifications.register` -----


def on_booked(association: Association, *, appointment: Appointment, beneficiary: Beneficiary,
              link_url: str | None, self_service: bool, now, new_session: bool = True, **extra) -> None:
    """Confirm a booking of a session still to come; one recorded after it began tells nobody to come.

    The coach is told of a new session; a person joining a collective session is named in the
    coach's reminder.
    """
    if appointment.starts_at <= now:
        return
    if not link_url and not self_service:
        # A booking by staff comes with a fresh personal link; a self-booking keeps the link in use
        # (a new one would replace it).
        link_url = selfbooking.confirmation_link(beneficiary)
    booked(association, appointment, beneficiary, link_url, tell_coach=new_session)


def on_moved(association: Association, *, appointment: Appointment, previous_starts_at, previous_volunteer_id,
             previous_resource_id=None, **extra) -> None:
    moved(association, appointment, previous_starts_at=previous_starts_at, previous_volunteer_id=previous_volunteer_id,
          previous_resource_id=previous_resource_id)


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
        reminders.schedule(association, appointment)
    else:
        seat_freed(association, appointment, seat.beneficiary)


def on_status_changed(association: Association, *, appointment: Appointment, **extra) -> None:
    """A session no longer planned (excused, cancelled, done, missed) has nothing left to remind anyone of."""
    reminders.schedule(association, appointment)


def connect() -> None:
    """Subscribe to the calendar's signals (idempotent: blinker keeps one connection per receiver)."""
    signals.appointment_booked.connect(on_booked)
    signals.appointment_moved.connect(on_moved)
    signals.appointment_cancelled.connect(on_cancelled)
    signals.seat_cancelled.connect(on_seat_cancelled)
    signals.appointment_status_changed.connect(on_status_changed)
