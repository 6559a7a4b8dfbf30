"""Demo volunteers: profiles, past and coming training sessions with attendance, and qualifications.

Every coach of a demo booking holds the qualification its module requires on its day, so the demo's
bookings stay valid; some qualifications end within 30 days (their holder gets the renewal e-mail at
the first tick) and one has expired (its holder is shown greyed out in the booking form). A refresher
training was held earlier this month (the remote program's in the national space), so this month's figures
count people trained.
"""

import random
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select

from intranet.auth.models import User
from intranet.calendar.models import Appointment
from intranet.clock import local, to_utc, today_in, utcnow
from intranet.demo import demo_loader
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module
from intranet.volunteers import services
from intranet.volunteers.models import Attendance, Qualification, Training, VolunteerProfile, VolunteerStatus

PROFILES = {
    "benevole.bordeaux@tremplin.test": ("+33612457890", "Recrutement, conduite d’entretien, bureautique",
                                        "français, anglais", "Vingt ans de ressources humaines dans la grande "
                                        "distribution, aujourd’hui retraitée."),
    "pierre.garnier@tremplin.test": ("+33645123478", "Conseil en image, retouches, accueil", "français, espagnol",
                                     "Ancien responsable de boutique de prêt-à-porter."),
    "coach.distance@tremplin.test": ("+33678451236", "Coaching à distance, CV, préparation aux entretiens",
                                     "français, anglais, wolof", "Consultante en recrutement indépendante."),
    "benevole.lille@tremplin.test": ("+33623568941", "Photographie, mise en confiance", "français, néerlandais",
                                     "Photographe de métier, bénévole depuis l’ouverture de l’association."),
    "benevole.le-mans@tremplin.test": ("+33687452136", "Bureautique, CV", "français",
                                       "Assistante de direction pendant trente ans."),
}
TRAINERS = ["Hélène Marchand, responsable RH bénévole", "Olivier Dumas, formateur du réseau",
            "Sandrine Petit, conseillère en image"]


@demo_loader(order=40)
def load(associations: dict[str, Association]) -> None:
    """Give every association that has no volunteer profile yet its demo volunteers and trainings."""
    for slug, association in associations.items():
        if db.session.scalar(select(VolunteerProfile.id).where(VolunteerProfile.association_id == association.id)
                             .limit(1)):
            continue
        _load_association(association, random.Random(f"volunteers-{slug}"))


def _network_training(code: str) -> Training | None:
    return next((t for t in db.session.scalars(select(Training).where(Training.association_id.is_(None))
                                               .order_by(Training.id)) if code in t.codes), None)


def _load_association(association: Association, rng: random.Random) -> None:
    today, now = today_in(association.timezone), utcnow()
    memberships = list(db.session.scalars(select(Membership).join(User).where(
        Membership.association_id == association.id, Membership.state == "active").order_by(Membership.id)))
    if not memberships:
        return
    # Who coaches which qualified module, and until when (the last coming booking of each pair).
    needed: dict[tuple[int, str], date] = {}
    for user_id, code, starts_at in db.session.execute(
            select(Appointment.volunteer_id, Module.qualification, Appointment.starts_at)
            .join(Module, Module.id == Appointment.module_id)
            .where(Appointment.association_id == association.id, Module.qualification != "")):
        day = local(starts_at, association.timezone).date()
        needed[user_id, code] = max(needed.get((user_id, code), day), day)
    by_user = {m.user_id: m for m in memberships}
    coaches = {user_id for user_id, _code in needed} | {m.user_id for m in memberships if m.role == "volunteer"}
    profiles = {user_id: _profile(by_user[user_id], rng, today) for user_id in sorted(coaches) if user_id in by_user}
    volunteers = [u for u in profiles if by_user[u].role == "volunteer"]

    # One qualification in each association ends within 30 days (recorded by hand, earned elsewhere).
    expiring = next((pair for pair in sorted(needed, key=lambda p: (p[0] not in volunteers, p))), None)
    for user_id, code in [expiring] if expiring else []:
        training = _network_training(code)
        months = training.validity_months if training and training.validity_months else 24
        until = max(today + timedelta(days=25), needed[user_id, code])
        services.grant(profiles[user_id], code, obtained_on=until - relativedelta(months=months), until=until,
                       source="manual", evidence="Attestation de formation de Tremplin Paris")

    # A past session per code, completed: the coaches present get their qualification.
    for n, code in enumerate(sorted({code for _user, code in needed})):
        training = _network_training(code)
        if training is None:
            continue
        people = [u for (u, c) in sorted(needed) if c == code and (u, c) != expiring and u in profiles]
        others = [u for u in volunteers if u not in people][:2]
        session = _session(association, training, today - timedelta(days=300 - 20 * n), time(9, 30),
                           capacity=max(len(people) + len(others), 4), rng=rng)
        for user_id in people + others:
            enrolment = services.enrol(session, profiles[user_id], by_staff=True, now=session.starts_at)
            enrolment.attendance = Attendance.PRESENT if user_id in people else rng.choice(
                [Attendance.ABSENT, Attendance.EXCUSED])
        services.complete(session, now=session.ends_at)

    # One has expired: a volunteer holds a code they coach nothing with any more.
    if association.slug == "bordeaux" and volunteers:
        holder, code = next(((u, c) for u in reversed(volunteers) for c in ("coaching_image", "coaching_rh", "coup_de_pouce")
                             if (u, c) not in needed), (volunteers[-1], "seance_photo"))
        services.grant(profiles[holder], code, obtained_on=today - relativedelta(months=26),
                       until=today - relativedelta(months=2), source="manual",
                       evidence="Formation suivie à Tremplin Lille")

    _refresher_this_month(association, profiles, volunteers, today, now, rng)
    _coming_sessions(association, profiles, volunteers, today, now, rng)
    _pause_someone(association, profiles, volunteers, needed, today)


def _profile(membership: Membership, rng: random.Random, today: date) -> VolunteerProfile:
    profile = services.profile_for(membership)
    user = db.session.get(User, membership.user_id)
    phone, skills, languages, background = PROFILES.get(user.email, (
        f"+3367{rng.randrange(10**7):07d}", rng.choice(["Accueil, écoute", "CV, lettres de motivation",
                                                       "Conseil en image", "Préparation aux entretiens"]),
        "français", ""))
    profile.phone, profile.skills, profile.languages, profile.background = phone, skills, languages, background
    profile.joined_on = today - timedelta(days=rng.randrange(200, 1500))
    services._refresh_search_key(profile)
    return profile


def _session(association: Association, training: Training, day: date, at: time, *, capacity: int,
             rng: random.Random, video: bool = False):
    return services.create_session(
        association, training, starts_at=to_utc(day, at, association.timezone),
        duration_minutes=training.duration_minutes,
        place="" if video else f"Salle de formation, {association.city or 'Paris'}",
        video_link="https://visio.exemple.test/formation" if video else "", trainer=rng.choice(TRAINERS),
        capacity=capacity)


def _refresher_this_month(association: Association, profiles: dict, volunteers: list[int], today: date,
                          now: datetime, rng: random.Random) -> None:
    """Yesterday (today on the 1st), a refresher training, completed (the remote program's in the national space,
    the HR coaching's elsewhere): two people whose qualification holds beyond the next 30 days renew it, so the
    expiring and the expired ones stay as they are."""
    code = "coup_de_pouce" if association.kind == "national" else "coaching_rh"
    training = _network_training(code)
    if training is None:
        return
    holding = set(db.session.scalars(
        select(VolunteerProfile.user_id).join(Qualification, Qualification.profile_id == VolunteerProfile.id)
        .where(Qualification.association_id == association.id, Qualification.code == code,
               Qualification.withdrawn_on.is_(None), Qualification.obtained_on <= today,
               or_(Qualification.valid_until.is_(None), Qualification.valid_until > today + timedelta(days=30)))))
    people = sorted((u for u in profiles if u in holding), key=lambda u: (u not in volunteers, u))[:2]
    if not people:
        return
    day = today - timedelta(days=1) if today.day > 1 else today
    session = _session(association, training, day, time(9, 30), capacity=6, rng=rng,
                       video=association.kind == "national")
    latest = now - timedelta(minutes=training.duration_minutes)
    if session.starts_at > latest:  # the 1st, early: it ended a moment ago
        session.starts_at, session.ends_at = latest, now
    for user_id in people:
        enrolment = services.enrol(session, profiles[user_id], by_staff=True, now=session.starts_at - timedelta(days=7))
        enrolment.attendance = Attendance.PRESENT
    services.complete(session, now=session.ends_at)


def _coming_sessions(association: Association, profiles: dict, volunteers: list[int], today: date,
                     now: datetime, rng: random.Random) -> None:
    remote = association.kind == "national"
    training = _network_training("coup_de_pouce" if remote else "coaching_rh")
    # Open, in 12 days: two places, and one person on the waiting list when there are enough volunteers.
    coming = _session(association, training, today + timedelta(days=12), time(14, 0), capacity=2, rng=rng,
                      video=remote)
    for user_id in volunteers[:3]:
        services.enrol(coming, profiles[user_id], by_staff=True, now=now)
    if association.kind == "local":
        # Held two days ago, its attendance still to note: the attendance screen has someone to mark.
        image = _network_training("coaching_image")
        held = _session(association, image, today - timedelta(days=2), time(9, 30), capacity=6, rng=rng)
        for user_id in volunteers[:2]:
            services.enrol(held, profiles[user_id], by_staff=True, now=held.starts_at - timedelta(days=7))


def _pause_someone(association: Association, profiles: dict, volunteers: list[int],
                   needed: dict[tuple[int, str], date], today: date) -> None:
    """Le Mans' volunteer takes a break, when no coming booking of theirs falls in it."""
    if association.slug != "le-mans":
        return
    for user_id in volunteers:
        busy = db.session.scalar(select(Appointment.id).where(
            Appointment.association_id == association.id, Appointment.volunteer_id == user_id,
            Appointment.status == "planned", Appointment.starts_at >= to_utc(today, time(0), association.timezone))
            .limit(1))
        if busy is None:
            profile = profiles[user_id]
            profile.status, profile.paused_from = VolunteerStatus.PAUSED, today
            profile.paused_until = today + timedelta(days=30)
            return
