"""Demo session logs (with notes for the next coach), other activities for every volunteer, and a session that
`benevole.bordeaux@tremplin.test` gave this morning and still has to log."""

import random
from datetime import time, timedelta

from sqlalchemy import select

from intranet.auth.models import User
from intranet.calendar.models import Appointment, AppointmentEvent, Seat
from intranet.clock import local, to_utc, today_in, utcnow
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.services import local_modules
from intranet.volunteers import gate, services
from intranet.volunteers.models import ActivityCategory, SessionLog, VolunteerActivity

NOTES = [
    "CV repris ensemble : l’expérience de caissière est mise en avant. Reste à préparer la question des horaires.",
    "Très à l’aise à l’oral. À travailler : parler de ses qualités sans minimiser. Elle vise la logistique.",
    "Tenue choisie (tailleur bleu marine). Il a besoin d’être rassuré avant l’entretien de jeudi.",
    "Simulation d’entretien faite ; bonnes réponses, regard fuyant. Refaire un essai filmé au prochain module.",
    "Lettre de motivation commencée, à finir. Pense à lui demander la réponse de l’agence d’intérim.",
]
ACTIVITIES = [
    (ActivityCategory.CLOTHES, 180, "Tri des dons de la collecte de printemps"),
    (ActivityCategory.EVENT, 240, "Stand au forum de l’emploi"),
    (ActivityCategory.WORKSHOP, 120, "Atelier « réussir son entretien » à la mission locale"),
    (ActivityCategory.WELCOME, 150, "Permanence d’accueil du samedi"),
]
TODAY_SESSION_OWNER = "benevole.bordeaux@tremplin.test"


@demo_loader(order=45)
def load(associations: dict[str, Association]) -> None:
    """Logs, activities and the session to log today, for associations that have none yet."""
    for slug, association in associations.items():
        if db.session.scalar(select(SessionLog.id).where(SessionLog.association_id == association.id).limit(1)):
            continue
        _load_association(association, random.Random(f"volunteer-logs-{slug}"))


def _load_association(association: Association, rng: random.Random) -> None:
    now = utcnow()
    done = list(db.session.scalars(select(Appointment).where(
        Appointment.association_id == association.id, Appointment.status.in_(("done", "no_show")),
        Appointment.starts_at < now).order_by(Appointment.starts_at.desc()).limit(40)))
    for i, appointment in enumerate(done):
        planned = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
        db.session.add(SessionLog(
            association_id=association.id, appointment_id=appointment.id, volunteer_id=appointment.volunteer_id,
            outcome=appointment.status, minutes=planned + rng.choice((0, 0, 0, 15, -15, 30)) if appointment.status
            == "done" else 15, notes=NOTES[i % len(NOTES)] if appointment.status == "done" and i % 3 != 2 else "",
            logged_by_id=appointment.volunteer_id, logged_at=appointment.ends_at + timedelta(hours=2),
            updated_at=appointment.ends_at + timedelta(hours=2)))
    today = today_in(association.timezone)
    for membership in db.session.scalars(select(Membership).where(
            Membership.association_id == association.id, Membership.state == "active",
            Membership.role == "volunteer").order_by(Membership.id)):
        profile = services.profile_for(membership)
        for category, minutes, note in rng.sample(ACTIVITIES, 2):
            db.session.add(VolunteerActivity(association_id=association.id, profile_id=profile.id,
                                             done_on=today - timedelta(days=rng.randint(3, 120)), minutes=minutes,
                                             category=category, note=note, created_by_id=membership.user_id))
    _session_to_log_today(association, now)
    db.session.flush()


def _session_to_log_today(association: Association, now) -> None:
    """A session the Bordeaux demo volunteer began earlier today, on a quarter hour (or a minute after midnight),
    still planned."""
    user = db.session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        User.email == TODAY_SESSION_OWNER, Membership.association_id == association.id))
    if user is None:
        return
    today = today_in(association.timezone)
    modules = {m.id: m for m in local_modules(association.id) if m.mode != "collective" and not m.resource_kind
               and (not m.qualification or gate.refusal(association.id, user.id, m.qualification, today) is None)}
    item = db.session.scalar(
        select(JourneyModule).join(Journey, Journey.id == JourneyModule.journey_id)
        .where(JourneyModule.association_id == association.id, JourneyModule.status == "to_plan",
               Journey.exited_on.is_(None), JourneyModule.module_id.in_(list(modules)))
        .order_by(JourneyModule.id).limit(1)) if modules else None
    if item is None:
        return
    module = modules[item.module_id]
    midnight = to_utc(local(now, association.timezone).date(), time(0), association.timezone)
    earlier = now - timedelta(minutes=module.duration_minutes + 30)
    earlier = earlier.replace(minute=earlier.minute - earlier.minute % 15, second=0, microsecond=0)  # 9:15, not 9:16
    starts_at = max(earlier, midnight + timedelta(minutes=1))
    appointment = Appointment(association_id=association.id, module_id=module.id, name=module.name,
                              starts_at=starts_at, ends_at=starts_at + timedelta(minutes=module.duration_minutes),
                              volunteer_id=user.id, capacity=1, mode=module.mode, status="planned",
                              call_details="" if module.mode == "in_person" else "06 12 34 56 78")
    db.session.add(appointment)
    db.session.flush()
    db.session.add(Seat(association_id=association.id, appointment_id=appointment.id,
                        beneficiary_id=item.journey.beneficiary_id, journey_module_id=item.id))
    db.session.add(AppointmentEvent(association_id=association.id, appointment_id=appointment.id, action="booked"))
    item.status, item.coach_id, item.happened_on = "planned", user.id, local(starts_at, association.timezone).date()
