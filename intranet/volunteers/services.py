"""Volunteers' rules and writes: profiles, leaving and coming back, qualifications, trainings and their sessions.

Every function flushes and never commits: the request, the job or the command commits once.
A refusal raises `VolunteerError(field, message)`.
"""

import re
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import select, update

from intranet.audit.services import record
from intranet.auth.models import User
from intranet.calendar.models import Appointment
from intranet.clock import local, utcnow
from intranet.dates import format_date
from intranet.extensions import db
from intranet.members import services as members
from intranet.members.models import ACTIVE, Membership
from intranet.network.models import Association
from intranet.notifications.services import queue_mail
from intranet.programs.models import Module
from intranet.rules import RuleError
from intranet.search import search_key
from intranet.tenancy import Role
from intranet.urls import external_url
from intranet.volunteers.models import (
    Attendance,
    EnrolmentStatus,
    Qualification,
    QualificationSource,
    Training,
    TrainingEnrolment,
    TrainingSession,
    TrainingSessionStatus,
    VolunteerProfile,
    VolunteerStatus,
)

CODE = re.compile(r"[a-z0-9_]{2,60}")
PROFILE_FIELDS = ("phone", "skills", "languages", "background", "joined_on", "staff_notes", "status",
                  "paused_from", "paused_until")


class VolunteerError(RuleError):
    """A change refused by a volunteers' rule, with the field it concerns."""


# --- profiles ---------------------------------------------------------------------------------


def profile_of(association_id: int, user_id: int) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(
        VolunteerProfile.association_id == association_id, VolunteerProfile.user_id == user_id))


def profile_for(membership: Membership) -> VolunteerProfile:
    """The membership's profile, made the first time something is written about the volunteer."""
    profile = profile_of(membership.association_id, membership.user_id)
    if profile is None:
        began = membership.accepted_at or membership.created_at or utcnow()
        profile = VolunteerProfile(association_id=membership.association_id, membership_id=membership.id,
                                   user_id=membership.user_id, status=VolunteerStatus.ACTIVE,
                                   joined_on=local(began, membership.association.timezone).date())
        profile.user = membership.user
        _refresh_search_key(profile)
        db.session.add(profile)
        db.session.flush()
    return profile


def _refresh_search_key(profile: VolunteerProfile) -> None:
    user = profile.user
    profile.search_key = search_key(user.name, user.email, profile.skills, profile.languages, profile.background,
                                    phone=profile.phone)


def update_profile(profile: VolunteerProfile, data: dict) -> list[str]:
    """Change what the association knows of a volunteer; the audit log names the fields changed.

    A pause needs its end after its start; "active" clears the pause. Leaving is `leave`.
    """
    data = {key: data[key] for key in PROFILE_FIELDS if key in data}
    status = data.get("status", profile.status)
    if status not in (VolunteerStatus.ACTIVE, VolunteerStatus.PAUSED):
        raise VolunteerError("status", _("Choisissez « actif·ve » ou « en pause » (un départ s’enregistre à part)."))
    if status == VolunteerStatus.ACTIVE:
        data["paused_from"] = data["paused_until"] = None
    elif data.get("paused_from") and data.get("paused_until") and data["paused_until"] < data["paused_from"]:
        raise VolunteerError("paused_until", _("La fin de la pause doit suivre son début."))
    if profile.status == VolunteerStatus.LEFT:
        data.pop("status", None)  # someone who left comes back through `come_back`
    changed = []
    for key, value in data.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(profile, key) != value:
            setattr(profile, key, value)
            changed.append(key)
    if changed:
        _refresh_search_key(profile)
        db.session.flush()
        record(profile, "update", changed)
        db.session.flush()
    return changed


def leave(profile: VolunteerProfile, by: User, on: date) -> None:
    """Record that a volunteer left: the membership is deactivated, places in coming trainings are given back,
    the history stays."""
    membership = profile.membership
    if membership.role != Role.VOLUNTEER:
        raise VolunteerError(None, _("Seul·e un·e bénévole part depuis l’annuaire ; retirez l’accès d’un membre de "
                                     "l’équipe depuis la page Membres."))
    if profile.status == VolunteerStatus.LEFT and not membership.active:
        raise VolunteerError(None, _("%(name)s a déjà quitté l’association.", name=membership.display_name))
    if membership.state != "deactivated":
        members.deactivate(membership, by)
    profile.status, profile.left_on, profile.paused_from, profile.paused_until = VolunteerStatus.LEFT, on, None, None
    for enrolment in db.session.scalars(
            select(TrainingEnrolment).join(TrainingSession)
            .where(TrainingEnrolment.profile_id == profile.id, TrainingSession.status == TrainingSessionStatus.OPEN,
                   TrainingSession.starts_at > utcnow(),
                   TrainingEnrolment.status.in_((EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITING)))).all():
        cancel_enrolment(enrolment)
    db.session.flush()
    record(profile, "left", ["status", "left_on"])
    db.session.flush()


def come_back(profile: VolunteerProfile, by: User) -> bool:
    """A volunteer who left comes back: access is given back (True), or a new invitation is sent (False)."""
    if profile.status != VolunteerStatus.LEFT and profile.membership.active:
        raise VolunteerError(None, _("Cette personne n’a pas quitté l’association."))
    restored = True
    if not profile.membership.active:
        restored = members.reactivate(profile.membership, by)
    profile.status, profile.left_on = VolunteerStatus.ACTIVE, None
    db.session.flush()
    record(profile, "came_back", ["status", "left_on"])
    db.session.flush()
    return restored


# --- qualification codes and the catalogue ---------------------------------------------------------


def qualification_codes(association_id: int | None = None) -> list[str]:
    """The codes one may grant or record: those modules require and those the catalogue grants."""
    codes = set(db.session.scalars(select(Module.qualification).where(Module.qualification != "")))
    query = select(Training.grants).where(Training.association_id.is_(None) | (Training.association_id == association_id))
    for grants in db.session.scalars(query):
        codes.update(grants.split())
    return sorted(codes)


def clean_codes(codes: list[str], *, known: list[str] | None = None) -> str:
    """The codes as stored (space-separated, each once); an unknown or badly formed code is refused."""
    cleaned = list(dict.fromkeys(c.strip().lower() for c in codes if c and c.strip()))
    for code in cleaned:
        if not CODE.fullmatch(code):
            raise VolunteerError("grants", _("Un code d’habilitation s’écrit en minuscules sans accent, chiffres et "
                                             "« _ » (par ex. coaching_rh)."))
        if known is not None and code not in known:
            raise VolunteerError("grants", _("Ce code d’habilitation n’existe pas : %(code)s.", code=code))
    if not cleaned:
        raise VolunteerError("grants", _("Choisissez au moins une habilitation que la formation donne."))
    if len(" ".join(cleaned)) > 255:
        raise VolunteerError("grants", _("Trop d’habilitations pour une seule formation."))
    return " ".join(cleaned)


def save_training(training: Training, *, name: str, description: str, duration_minutes: int,
                  validity_months: int | None, grants: str, active: bool = True) -> Training:
    """Create or change a training of the catalogue (the network's, or an association's own)."""
    if not name.strip():
        raise VolunteerError("name", _("Indiquez le nom de la formation."))
    if not 15 <= duration_minutes <= 24 * 60 * 5:
        raise VolunteerError("duration_minutes", _("Une durée entre 15 minutes et 5 jours."))
    if validity_months is not None and not 1 <= validity_months <= 120:
        raise VolunteerError("validity_months", _("Une validité entre 1 et 120 mois, ou vide pour sans limite."))
    training.name, training.description = name.strip(), description.strip()
    training.duration_minutes, training.validity_months = duration_minutes, validity_months
    training.grants, training.active = grants, active
    db.session.add(training)
    db.session.flush()
    return training


def trainings_for(association_id: int, *, active_only: bool = True) -> list[Training]:
    """The network's trainings, then the association's own, by name."""
    query = select(Training).where(Training.association_id.is_(None) | (Training.association_id == association_id))
    if active_only:
        query = query.where(Training.active.is_(True))
    return list(db.session.scalars(query.order_by(Training.association_id.is_not(None), Training.name, Training.id)))


def valid_until(obtained_on: date, months: int | None) -> date | None:
    """The last day a qualification obtained on `obtained_on` holds: the same day `months` later (None: no end)."""
    return None if months is None else obtained_on + relativedelta(months=months)


# --- qualifications ---------------------------------------------------------------------------------


def grant(profile: VolunteerProfile, code: str, *, obtained_on: date, until: date | None, source: str,
          session: TrainingSession | None = None, evidence: str = "") -> Qualification:
    """Give a volunteer a qualification in their association; the audit log keeps who did it."""
    qualification = Qualification(association_id=profile.association_id, profile_id=profile.id, code=code,
                                  obtained_on=obtained_on, valid_until=until, source=source,
                                  training_session_id=session.id if session else None, evidence=evidence.strip())
    db.session.add(qualification)
    db.session.flush()
    record(profile, "qualification_granted", [code])
    return qualification


def record_qualification(profile: VolunteerProfile, *, code: str, obtained_on: date, until: date | None,
                         evidence: str, today: date) -> Qualification:
    """Record by hand a qualification earned elsewhere, with what proves it."""
    if code not in qualification_codes(profile.association_id):
        raise VolunteerError("code", _("Choisissez une habilitation de la liste."))
    if obtained_on > today:
        raise VolunteerError("obtained_on", _("Une habilitation obtenue ne peut pas être datée dans le futur."))
    if until is not None and until < obtained_on:
        raise VolunteerError("valid_until", _("La fin de validité doit suivre la date d’obtention."))
    if not evidence.strip():
        raise VolunteerError("evidence", _("Indiquez ce qui atteste l’habilitation (formation suivie, attestation…)."))
    qualification = grant(profile, code, obtained_on=obtained_on, until=until, source=QualificationSource.MANUAL,
                          evidence=evidence)
    db.session.flush()
    return qualification


def withdraw(qualification: Qualification, reason: str, today: date) -> None:
    """Withdraw a qualification, with the reason; it stops counting at once and stays in the history."""
    if qualification.withdrawn_on is not None:
        raise VolunteerError("reason", _("Cette habilitation est déjà retirée."))
    if not reason.strip():
        raise VolunteerError("reason", _("Indiquez la raison du retrait."))
    qualification.withdrawn_on, qualification.withdrawn_reason = today, reason.strip()
    record(qualification.profile, "qualification_withdrawn", [qualification.code])
    db.session.flush()


# --- training sessions ---------------------------------------------------------------------------------


def _check_session(training: Training, association_id: int, *, place: str, video_link: str, capacity: int) -> None:
    if training.association_id not in (None, association_id) or not training.active:
        raise VolunteerError("training_id", _("Choisissez une formation du catalogue."))
    if not place.strip() and not video_link.strip():
        raise VolunteerError("place", _("Indiquez le lieu ou le lien de la visio."))
    if not 1 <= capacity <= 200:
        raise VolunteerError("capacity", _("Entre 1 et 200 places."))


def create_session(association: Association, training: Training, *, starts_at: datetime, duration_minutes: int,
                   place: str, video_link: str, trainer: str, capacity: int) -> TrainingSession:
    """Plan a date of a training in the association, open to enrolment."""
    _check_session(training, association.id, place=place, video_link=video_link, capacity=capacity)
    session = TrainingSession(association_id=association.id, training_id=training.id, starts_at=starts_at,
                              ends_at=starts_at + timedelta(minutes=duration_minutes), place=place.strip(),
                              video_link=video_link.strip(), trainer=trainer.strip(), capacity=capacity)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: TrainingSession, *, starts_at: datetime, duration_minutes: int, place: str,
                   video_link: str, trainer: str, capacity: int) -> list[TrainingEnrolment]:
    """Change a session still open; more places promote people from the waiting list (returned)."""
    if session.status != TrainingSessionStatus.OPEN:
        raise VolunteerError(None, _("Cette session est terminée ou annulée : elle ne change plus."))
    _check_session(session.training, session.association_id, place=place, video_link=video_link, capacity=capacity)
    if capacity < len(session.enrolled):
        raise VolunteerError("capacity", _("%(n)d personnes sont déjà inscrites : désinscrivez-en avant de réduire "
                                           "les places.", n=len(session.enrolled)))
    session.starts_at, session.ends_at = starts_at, starts_at + timedelta(minutes=duration_minutes)
    session.place, session.video_link = place.strip(), video_link.strip()
    session.trainer, session.capacity = trainer.strip(), capacity
    db.session.flush()
    return promote(session)


def cancel_session(session: TrainingSession) -> None:
    """Cancel a session that will not take place; the enrolments stay in its history."""
    if session.status != TrainingSessionStatus.OPEN:
        raise VolunteerError(None, _("Cette session est déjà terminée ou annulée."))
    session.status = TrainingSessionStatus.CANCELLED
    db.session.flush()


def _lock(session: TrainingSession) -> None:
    """Serialise the enrolments of one session, so two people never take its last place together."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(TrainingSession).where(TrainingSession.id == session.id)
                           .values(id=TrainingSession.id))
    else:
        db.session.execute(select(TrainingSession.id).where(TrainingSession.id == session.id).with_for_update())
    db.session.refresh(session)


def enrol(session: TrainingSession, profile: VolunteerProfile, *, by_staff: bool,
          now: datetime | None = None) -> TrainingEnrolment:
    """Give a volunteer a place in the session, or one on its waiting list when it is full.

    Volunteers enrol themselves until the session starts; staff until it is completed.
    """
    now = now or utcnow()
    if profile.association_id != session.association_id or not profile.membership.active:
        raise VolunteerError("profile_id", _("Cette personne ne fait pas partie de l’association."))
    if session.status != TrainingSessionStatus.OPEN or (not by_staff and session.starts_at <= now):
        raise VolunteerError("profile_id", _("Les inscriptions à cette session sont closes."))
    _lock(session)
    enrolment = db.session.scalar(select(TrainingEnrolment).where(
        TrainingEnrolment.training_session_id == session.id, TrainingEnrolment.profile_id == profile.id))
    if enrolment is not None and enrolment.status != EnrolmentStatus.CANCELLED:
        raise VolunteerError("profile_id", _("%(name)s est déjà inscrit·e à cette session.",
                                             name=profile.membership.display_name))
    if enrolment is None:
        enrolment = TrainingEnrolment(association_id=session.association_id, training_session_id=session.id,
                                      profile_id=profile.id)
        session.enrolments.append(enrolment)
    enrolment.enrolled_at, enrolment.attendance = now, ""
    enrolment.status = EnrolmentStatus.ENROLLED if session.places_left > 0 else EnrolmentStatus.WAITING
    db.session.flush()
    return enrolment


def cancel_enrolment(enrolment: TrainingEnrolment) -> list[TrainingEnrolment]:
    """Give a place (or a place on the waiting list) back; the first person waiting takes a freed place."""
    session = enrolment.session
    if session.status != TrainingSessionStatus.OPEN:
        raise VolunteerError(None, _("Cette session est terminée ou annulée."))
    if enrolment.status == EnrolmentStatus.CANCELLED:
        return []
    _lock(session)
    enrolment.status, enrolment.attendance = EnrolmentStatus.CANCELLED, ""
    db.session.flush()
    return promote(session)


def promote(session: TrainingSession) -> list[TrainingEnrolment]:
    """Move people from the waiting list into the places left, first come first served, and tell them by mail."""
    promoted = []
    for enrolment in session.waiting[:session.places_left]:
        enrolment.status = EnrolmentStatus.ENROLLED
        promoted.append(enrolment)
    db.session.flush()
    association = db.session.get(Association, session.association_id)
    for enrolment in promoted:
        user = enrolment.profile.user
        queue_mail(to=user.email, template="training_place", kind="training_place", locale=user.locale,
                   association_id=association.id, association=association, person=user, session=session,
                   training=session.training, timezone=association.timezone,
                   trainings_url=external_url("my_trainings.index"))
    return promoted


def set_attendance(enrolment: TrainingEnrolment, attendance: str, now: datetime | None = None) -> None:
    """Note whether an enrolled person came: present, absent or excused."""
    session = enrolment.session
    if attendance not in Attendance.values():
        raise VolunteerError("attendance", _("Choisissez présent·e, absent·e ou excusé·e."))
    _check_attendance_open(session, now)
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise VolunteerError("attendance", _("Seules les personnes inscrites ont une présence à noter."))
    enrolment.attendance = attendance
    db.session.flush()


def _check_attendance_open(session: TrainingSession, now: datetime | None) -> None:
    if session.status != TrainingSessionStatus.OPEN:
        raise VolunteerError("attendance", _("Cette session est terminée : les présences ne changent plus."))
    if session.starts_at > (now or utcnow()):
        raise VolunteerError("attendance", _("Les présences se notent à partir du début de la session, le %(day)s.",
                                             day=format_date(session.starts_at, "long")))


def all_present(session: TrainingSession, now: datetime | None = None) -> int:
    """Note every enrolled person present; return how many."""
    _check_attendance_open(session, now)
    for enrolment in session.enrolled:
        enrolment.attendance = Attendance.PRESENT
    db.session.flush()
    return len(session.enrolled)


def complete(session: TrainingSession, now: datetime | None = None) -> list[Qualification]:
    """Close the session: each person present gets the training's qualifications, valid from the session's day
    until that day plus the training's validity."""
    _check_attendance_open(session, now)
    unmarked = [e for e in session.enrolled if not e.attendance]
    if unmarked:
        raise VolunteerError(None, _("Notez d’abord la présence de chaque personne inscrite (%(n)d sans réponse).",
                                     n=len(unmarked)))
    association = db.session.get(Association, session.association_id)
    day = local(session.starts_at, association.timezone).date()
    training = session.training
    granted = []
    for enrolment in session.enrolled:
        if enrolment.attendance == Attendance.PRESENT:
            for code in training.codes:
                granted.append(grant(enrolment.profile, code, obtained_on=day,
                                     until=valid_until(day, training.validity_months),
                                     source=QualificationSource.TRAINING, session=session))
    session.status, session.completed_at = TrainingSessionStatus.COMPLETED, now or utcnow()
    db.session.flush()
    return granted


def coaching_minutes(association_id: int, user_id: int) -> int:
    """Minutes of coaching sessions given and done in this association (their planned length, for now)."""
    rows = db.session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.association_id == association_id, Appointment.volunteer_id == user_id,
        Appointment.status == "done"))
    return sum(int((end - start).total_seconds() // 60) for start, end in rows)


def training_minutes(profile_id: int) -> int:
    """Minutes of training sessions the volunteer attended."""
    rows = db.session.execute(
        select(TrainingSession.starts_at, TrainingSession.ends_at).join(TrainingEnrolment)
        .where(TrainingEnrolment.profile_id == profile_id, TrainingEnrolment.attendance == Attendance.PRESENT,
               TrainingSession.status == TrainingSessionStatus.COMPLETED))
    return sum(int((end - start).total_seconds() // 60) for start, end in rows)


def active_members(association_id: int) -> list[tuple[Membership, User]]:
    """The association's active members, by name (who may be enrolled in a training)."""
    return list(db.session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.association_id == association_id, Membership.state == ACTIVE, User.active.is_(True))
        .order_by(User.name, User.id)).all())
