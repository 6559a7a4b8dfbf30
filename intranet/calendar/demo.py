"""Demo calendar: availability for every volunteer, a studio per local association, past and coming sessions."""

import random
from datetime import date, time, timedelta

from sqlalchemy import select

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, AppointmentEvent, Availability, Resource, Seat
from intranet.clock import to_utc
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.services import local_modules

PAST_STATUS = ["done", "done", "done", "no_show", "excused", "cancelled"]


@demo_loader(order=20)
def load(associations: dict[str, Association]) -> None:
    """Give every association that has no calendar yet its demo calendar."""
    for slug, association in associations.items():
        if db.session.scalar(select(Availability.id).where(Availability.association_id == association.id).limit(1)):
            continue
        _load_association(association, random.Random(f"calendar-{slug}"))


def _load_association(association: Association, rng: random.Random) -> None:
    today = date.today()
    people = list(db.session.scalars(select(Membership.user_id).where(
        Membership.association_id == association.id, Membership.active.is_(True)).order_by(Membership.user_id)))
    for i, user_id in enumerate(people):
        for weekday in sorted({i % 5, (i + 2) % 5}):
            db.session.add(Availability(association_id=association.id, user_id=user_id, weekday=weekday,
                                        starts=time(9, 0) if i % 2 else time(13, 30),
                                        ends=time(12, 30) if i % 2 else time(17, 30),
                                        valid_from=today - timedelta(days=120)))
    team = list(db.session.scalars(select(Membership.user_id).where(
        Membership.association_id == association.id, Membership.role != "volunteer").order_by(Membership.id)))
    studio = None
    if association.kind == "local":
        studio = Resource(association_id=association.id, name="Studio photo", kind="studio", capacity=1,
                          opens_at=time(9, 0), closes_at=time(18, 0))
        db.session.add_all([studio, Resource(association_id=association.id, name="Salle de coaching", kind="room",
                                             capacity=2, opens_at=time(9, 0), closes_at=time(18, 0))])
    db.session.flush()
    modules = {m.id: m for m in local_modules(association.id)}
    items = db.session.execute(
        select(JourneyModule, Journey.beneficiary_id).join(Journey, Journey.id == JourneyModule.journey_id)
        .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
        .where(JourneyModule.association_id == association.id, JourneyModule.happened_on.is_not(None),
               JourneyModule.status.in_(("done", "missed", "planned")))
        .order_by(JourneyModule.happened_on, JourneyModule.id)).all()
    taken: set = set()
    for item, beneficiary_id in items:
        module = modules.get(item.module_id)
        if module is None or (module.resource_kind and studio is None):
            continue
        coach = item.coach_id or rng.choice(people)
        for hour in rng.sample((9, 10, 11, 14, 15, 16), 6):
            key = (item.happened_on, hour, coach)
            if key not in taken and (module.resource_kind != "studio" or (item.happened_on, hour, "studio") not in taken):
                break
        else:
            continue
        taken.add((item.happened_on, hour, coach))
        if module.resource_kind == "studio":
            taken.add((item.happened_on, hour, "studio"))
        starts_at = to_utc(item.happened_on, time(hour, 0), association.timezone)
        status = {"done": "done", "missed": "no_show", "planned": "planned"}[item.status]
        appointment = Appointment(
            association_id=association.id, module_id=module.id, name=module.name, starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=module.duration_minutes), volunteer_id=coach,
            resource_id=studio.id if module.resource_kind == "studio" else None, capacity=module.capacity,
            mode=module.mode, status=status,
            call_details="" if module.mode == "in_person" else "Visio : https://visio.exemple.test/tremplin")
        db.session.add(appointment)
        db.session.flush()
        item.coach_id = coach
        db.session.add(Seat(association_id=association.id, appointment_id=appointment.id,
                            beneficiary_id=beneficiary_id, journey_module_id=item.id))
        db.session.add(AppointmentEvent(association_id=association.id, appointment_id=appointment.id,
                                        action="booked", user_id=team[0] if team else None))
