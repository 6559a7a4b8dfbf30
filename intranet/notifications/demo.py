"""Demo mail: the confirmations and the reminders of the demo's coming appointments, to read in the mailbox."""

from sqlalchemy import select

from intranet.calendar.models import Appointment
from intranet.clock import utcnow
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.network.models import Association
from intranet.network.services import clean_sender_name
from intranet.notifications import appointments, reminders
from intranet.notifications.models import OutboxMessage


@demo_loader(order=30)
def load(associations: dict[str, Association]) -> None:
    """Give every association a sender name and an address that receives replies (the reminders invite
    one), then queue, for every association whose outbox has no reminder yet, its coming appointments' mail."""
    for slug, association in associations.items():
        association.mail_sender_name = association.mail_sender_name or clean_sender_name(association.name)
        association.mail_reply_to = association.mail_reply_to or f"contact.{slug}@tremplin.test"
    for association in associations.values():
        if db.session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.association_id == association.id, OutboxMessage.kind.in_(reminders.KINDS)).limit(1)):
            continue
        coming = db.session.scalars(select(Appointment).where(
            Appointment.association_id == association.id, Appointment.status == "planned",
            Appointment.starts_at > utcnow()).order_by(Appointment.starts_at, Appointment.id))
        for appointment in coming:
            # No personal link in the demo: making one per booking would replace the beneficiaries' links.
            # Each confirmation also schedules the appointment's reminders.
            for seat in appointment.booked_seats:
                appointments.booked(association, appointment, seat.beneficiary, None)
