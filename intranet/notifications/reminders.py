"""Reminders before an appointment: outbox rows that wait for their due time.

Each reminder is queued with `due_at` when the appointment is booked, and queued again after
every change of it (a move, a place taken or freed, a new status), in the same transaction; the
minute tick hands it out once due, so losing Redis loses nothing, and a unique key per reminder
(the change it follows, the seat or the coach) means it is never sent twice. The reminders of an
earlier state, and all of them once the appointment is no longer planned, are marked "cancelled".

Times are computed on the association's wall clock (`to_utc`), so a reminder "2 days before
at 10:00" stays at 10:00 when the clocks change in between. Beneficiaries get the
association's reminders (so many days before at the appointment's time, and the day before at
`reminder_eve_hour`); the coach gets one the day before at `reminder_eve_hour`, or at
COACH_EVE_HOUR when the association sends no eve reminder, in the coach's own language.
Changing the settings applies to appointments booked or moved afterwards.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import update

from intranet.auth.models import User
from intranet.calendar.models import Appointment
from intranet.clock import local, to_utc, utcnow
from intranet.extensions import db
from intranet.network.models import Association
from intranet.notifications import context
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import queue_mail

BENEFICIARY_KIND = "appointment_reminder"
COACH_KIND = "coach_reminder"
KINDS = (BENEFICIARY_KIND, COACH_KIND)
COACH_EVE_HOUR = 18  # the coach is reminded the evening before when the association chose no eve hour


def due_times(association: Association, starts_at: datetime) -> dict[str, datetime]:
    """The UTC due times of a beneficiary's reminders for an appointment, by kind ("days", "eve")."""
    start = local(starts_at, association.timezone)
    times = {}
    if association.reminder_days_before:
        day = start.date() - timedelta(days=association.reminder_days_before)
        times["days"] = to_utc(day, start.time(), association.timezone)
    if association.reminder_eve_hour is not None:
        times["eve"] = to_utc(start.date() - timedelta(days=1), time(association.reminder_eve_hour),
                              association.timezone)
    return times


def coach_due_time(association: Association, starts_at: datetime) -> datetime:
    """When the coach is reminded: the day before, at the association's eve hour or COACH_EVE_HOUR."""
    hour = association.reminder_eve_hour if association.reminder_eve_hour is not None else COACH_EVE_HOUR
    day = local(starts_at, association.timezone).date() - timedelta(days=1)
    return to_utc(day, time(hour), association.timezone)


def schedule(association: Association, appointment: Appointment) -> None:
    """Queue the reminders still to come of the appointment as it stands, for each booked seat and for its
    coach, and cancel those queued for an earlier state (all of them once it is no longer planned)."""
    cancel(appointment, keep=[message.id for message in _queue(association, appointment)])


def _queue(association: Association, appointment: Appointment) -> list[OutboxMessage]:
    seats = appointment.booked_seats
    if appointment.status != "planned" or not seats:
        return []
    now = utcnow()
    queued = []
    # The change in the key: after any change (another time, coach, room, person) the reminders are new
    # rows that say what is now true; the same change scheduling twice finds its own rows.
    stamp = f"v{context.sequence(appointment)}"
    shared = context.mail_context(association, appointment)
    for seat in seats:
        beneficiary = seat.beneficiary
        if not beneficiary.email:
            continue  # staff call or text them
        for name, due_at in due_times(association, appointment.starts_at).items():
            if due_at <= now:
                continue
            queued.append(queue_mail(
                to=beneficiary.email, template=BENEFICIARY_KIND, kind=BENEFICIARY_KIND, association_id=association.id,
                beneficiary_id=beneficiary.id, appointment_id=appointment.id, due_at=due_at,
                key=f"reminder-{name}-{appointment.id}-{stamp}-s{seat.id}", person=beneficiary, **shared))
    due_at = coach_due_time(association, appointment.starts_at)
    if due_at > now:
        coach = db.session.get(User, appointment.volunteer_id)
        queued.append(queue_mail(
            to=coach.email, template="coach_session", event="reminder", kind=COACH_KIND, locale=coach.locale,
            association_id=association.id, appointment_id=appointment.id, due_at=due_at,
            key=f"reminder-coach-{appointment.id}-{stamp}-u{coach.id}", coach=coach,
            people=[s.beneficiary for s in seats], **context.mail_context(association, appointment, coach.locale)))
    return queued


def cancel(appointment: Appointment, keep: list[int] = ()) -> None:
    """Mark the appointment's reminders not sent yet as cancelled, but those in `keep`."""
    query = update(OutboxMessage).where(OutboxMessage.appointment_id == appointment.id,
                                        OutboxMessage.kind.in_(KINDS), OutboxMessage.status == "pending")
    if keep:
        query = query.where(OutboxMessage.id.not_in(list(keep)))
    db.session.execute(query.values(status="cancelled", next_attempt_at=None, secret_links="")
                       .execution_options(synchronize_session="fetch"))
