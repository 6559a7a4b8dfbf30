"""What every message about an appointment says of it: the place, the day and hours, the invitation's sequence.

One module for the confirmations (`appointments`), the reminders (`reminders`) and the calendar
feed (`feed`), so they describe a session the same way and none of them imports another.
"""

from email.utils import parseaddr

from flask import current_app
from sqlalchemy import func, select

from intranet.calendar.models import Appointment, AppointmentEvent
from intranet.dates import format_date, format_hours, format_time
from intranet.extensions import db
from intranet.network.models import Association
from intranet.network.services import reply_address


def sequence(appointment: Appointment) -> int:
    """How many changes the appointment went through since it was booked (moves, statuses, places taken or freed).

    Every change writes one history entry under the appointment's lock, so the number only grows and
    names each change once: it is the invitations' SEQUENCE (a calendar keeps the highest) and it is in
    the keys of the mails a change sends, so a move back to an earlier time is a new change, told again.
    """
    return db.session.scalar(select(func.count(AppointmentEvent.id)).where(
        AppointmentEvent.appointment_id == appointment.id, AppointmentEvent.action != "booked")) or 0


def place(association: Association, appointment: Appointment) -> str:
    """Where the session happens: the association and its room, or how to call in for a remote one."""
    if appointment.mode != "in_person":
        return appointment.call_details
    where = f"{association.name}, {association.city}" if association.city else association.name
    return f"{where} — {appointment.resource.name}" if appointment.resource else where


def organizer(association: Association) -> tuple[str, str]:
    """Who invitations come from: the association's name, at its reply-to address (else the platform's sender)."""
    address = reply_address(association.mail_reply_to) or parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return association.name, address


def mail_context(association: Association, appointment: Appointment, locale: str = "fr") -> dict:
    """The template context every appointment mail shares: the day and hours in the recipient's language
    and the association's zone, and whether a reply to the mail reaches the association."""
    zone, start, end = association.timezone, appointment.starts_at, appointment.ends_at
    return {"association": association, "appointment": appointment, "place": place(association, appointment),
            "day": format_date(start, "full", timezone=zone, locale=locale),
            "at": format_time(start, timezone=zone, locale=locale),
            "hours": format_hours(start, end, timezone=zone, locale=locale), "remote": appointment.mode != "in_person",
            "replies": reply_address(association.mail_reply_to) is not None}
