"""Demo history for the figures: mail the demo's past sessions and exits would have sent, workshops, cancellations."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, select

from intranet.calendar.models import Appointment, AppointmentStatus, Seat
from intranet.clock import to_utc, today_in, utcnow
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.journeys.models import Journey
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage, OutboxStatus

DEMO_BODY = "Message de démonstration : l’historique des envois de l’association."


@demo_loader(order=40)
def load(associations: dict[str, Association]) -> None:
    """For each association with no sent mail yet: the mail of its past sessions and exits, marked sent."""
    for association in associations.values():
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.association_id == association.id,
                                                            OutboxMessage.status == OutboxStatus.SENT).limit(1)):
            continue
        _workshops_and_cancellations(association)
        _past_mail(association)


def _mail(association, kind: str, created: datetime, sent: datetime, **about) -> dict:
    return dict(association_id=association.id, kind=kind, to_address="historique@exemple.test",
                subject="Historique de démonstration", text_body=DEMO_BODY, html_body=f"<p>{DEMO_BODY}</p>",
                status=OutboxStatus.SENT, created_at=created, sent_at=sent, attempts=1, **about)


def _past_mail(association: Association) -> None:
    now = utcnow()
    rows = []
    past = db.session.execute(
        select(Appointment.id, Appointment.starts_at).join(Seat, Seat.appointment_id == Appointment.id)
        .where(Appointment.association_id == association.id, Appointment.starts_at < now,
               Appointment.status != AppointmentStatus.CANCELLED)).all()
    for appointment_id, starts_at in past:
        booked = starts_at - timedelta(days=8)
        rows.append(_mail(association, "appointment_booked", booked, booked, appointment_id=appointment_id))
        rows.append(_mail(association, "coach_booked", booked, booked, appointment_id=appointment_id))
        rows.append(_mail(association, "appointment_reminder", booked, starts_at - timedelta(days=2),
                          appointment_id=appointment_id))
    exits = db.session.scalars(select(Journey).where(Journey.association_id == association.id,
                                                     Journey.exited_on.is_not(None)))
    for journey in exits:
        for period, days in (("1m", 30), ("6m", 182)):
            due = datetime.combine(journey.exited_on + timedelta(days=days), time(8), tzinfo=UTC)
            if due < now:
                rows.append(_mail(association, f"follow_up_{period}", due, due, journey_id=journey.id,
                                  beneficiary_id=journey.beneficiary_id))
                if period == "1m" and journey.id % 5 < 2 and not journey.answer_1m:
                    journey.answer_1m = "job" if journey.exit_situation == "employment" else "searching"
    if rows:
        db.session.execute(insert(OutboxMessage), rows)


def _workshops_and_cancellations(association: Association) -> None:
    """One collective workshop a month over the last five months (three people each) and one cancelled session."""
    if association.kind != "local":
        return
    today = today_in(association.timezone)
    people = list(db.session.execute(
        select(Seat.beneficiary_id, Appointment.module_id, Appointment.volunteer_id)
        .join(Appointment, Appointment.id == Seat.appointment_id)
        .where(Seat.association_id == association.id, Appointment.status == AppointmentStatus.DONE)
        .order_by(Seat.id).limit(15)))
    if len(people) < 3:
        return
    for month in range(1, 6):
        day = today - timedelta(days=30 * month)
        day -= timedelta(days=day.weekday())
        starts = to_utc(day + timedelta(days=3), time(17, 30), association.timezone)
        seats = people[(month - 1) * 3 % len(people):][:3]
        workshop = Appointment(association_id=association.id, module_id=seats[0].module_id,
                               name="Atelier collectif : réussir son entretien", starts_at=starts,
                               ends_at=starts + timedelta(minutes=90), volunteer_id=seats[0].volunteer_id,
                               capacity=8, status=AppointmentStatus.DONE)
        cancelled = Appointment(association_id=association.id, module_id=seats[0].module_id,
                                name="Coaching RH", starts_at=starts - timedelta(days=1, hours=3),
                                ends_at=starts - timedelta(days=1, hours=2), volunteer_id=seats[0].volunteer_id,
                                capacity=1, status=AppointmentStatus.CANCELLED, cancel_reason="Empêchement")
        db.session.add_all([workshop, cancelled])
        db.session.flush()
        db.session.add_all(Seat(association_id=association.id, appointment_id=workshop.id,
                                beneficiary_id=row.beneficiary_id) for row in seats)
        db.session.add(Seat(association_id=association.id, appointment_id=cancelled.id,
                            beneficiary_id=seats[0].beneficiary_id, status="cancelled"))
