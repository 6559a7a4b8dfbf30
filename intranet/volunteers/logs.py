"""A coach's log of a session they gave, other volunteer activities, and a volunteer's own pause.

The log goes through the services staff use: the calendar's `set_status` records what happened (the
journey module follows), the journeys' `update_module` takes the notes (audited on the file). The
window: a volunteer logs a session from its start until 14 days after its day, and corrects their own
log for 7 days after first recording it; after that, only staff. Functions flush, never commit.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.audit.services import record
from intranet.auth.models import User
from intranet.calendar import booking
from intranet.calendar.models import Appointment, AppointmentStatus, Seat, SeatStatus
from intranet.clock import local, utcnow
from intranet.extensions import db
from intranet.journeys import services as journeys
from intranet.journeys.models import Journey, JourneyModule
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module
from intranet.volunteers.models import (
    ActivityCategory,
    SessionLog,
    SessionOutcome,
    VolunteerActivity,
    VolunteerProfile,
    VolunteerStatus,
)
from intranet.volunteers.services import VolunteerError, profile_for, update_profile

LOG_DAYS = 14  # a volunteer logs a session until 14 days after its day
CORRECT_DAYS = 7  # and corrects their own log for 7 days after first recording it
MISSING_DAYS = 30  # staff see the sessions of the last 30 days still without a log
MAX_MINUTES = 12 * 60


def planned_minutes(appointment: Appointment) -> int:
    return max(1, int((appointment.ends_at - appointment.starts_at).total_seconds() // 60))


def session_day(appointment: Appointment, association: Association) -> date:
    return local(appointment.starts_at, association.timezone).date()


def log_of(appointment: Appointment) -> SessionLog | None:
    return db.session.scalar(select(SessionLog).where(SessionLog.association_id == appointment.association_id,
                                                      SessionLog.appointment_id == appointment.id))


def volunteer_may_log(appointment: Appointment, association: Association, log: SessionLog | None,
                      now: datetime) -> str | None:
    """Why the coach may not log or correct this session themself now (None: they may)."""
    if appointment.starts_at > now:
        return _("Cette séance n’a pas encore commencé.")
    if appointment.status == AppointmentStatus.CANCELLED:
        return _("Cette séance a été annulée.")
    if log is None:
        if local(now, association.timezone).date() > session_day(appointment, association) + timedelta(days=LOG_DAYS):
            return _("Plus de %(days)d jours ont passé : seule l’équipe de l’association peut encore compléter cette "
                     "séance.", days=LOG_DAYS)
        return None
    if now > log.logged_at + timedelta(days=CORRECT_DAYS):
        return _("Votre compte rendu date de plus de %(days)d jours : demandez à l’équipe de l’association de le "
                 "corriger.", days=CORRECT_DAYS)
    return None


def _notes_on_module(current: str, previous: str, notes: str) -> str:
    """The journey module's notes once the log's notes are in: they replace the log's former notes, or follow."""
    current, previous, notes = current.strip(), previous.strip(), notes.strip()
    if previous and previous in current:
        return current.replace(previous, notes).strip()
    if not notes or notes in current:
        return current
    return f"{current}\n\n{notes}" if current else notes


def log_session(association: Association, appointment: Appointment, *, by: User, outcome: str, minutes: int,
                notes: str, next_module_id: int | None, staff: bool, now: datetime | None = None) -> SessionLog:
    """Record (or correct) what happened at a session, its actual duration and notes for the next coach.

    The appointment's status changes through the calendar (the journey follows, the people concerned are
    told as when staff change it); the notes reach the journey through `update_module`. A volunteer may
    only log their own session within the window; staff may always.
    """
    now = now or utcnow()
    if outcome not in SessionOutcome.values():
        raise VolunteerError("outcome", _("Choisissez ce qui s’est passé."))
    if not 1 <= minutes <= MAX_MINUTES:
        raise VolunteerError("minutes", _("Indiquez une durée entre 1 minute et 12 heures."))
    if next_module_id is not None and db.session.get(Module, next_module_id) is None:
        raise VolunteerError("next_module_id", _("Module inconnu."))
    log = log_of(appointment)
    if not staff:
        if appointment.volunteer_id != by.id:
            raise VolunteerError(None, _("Seul·e le ou la bénévole de la séance peut la compléter."))
        refusal = volunteer_may_log(appointment, association, log, now)
        if refusal:
            raise VolunteerError(None, refusal)
    elif appointment.starts_at > now:
        raise VolunteerError(None, _("Cette séance n’a pas encore commencé."))
    if appointment.status == AppointmentStatus.CANCELLED:
        raise VolunteerError(None, _("Cette séance a été annulée."))
    previous_notes = log.notes if log is not None else ""
    if appointment.status != outcome:
        booking.set_status(association, appointment, outcome, now=now)
    if log is None:
        log = SessionLog(association_id=association.id, appointment_id=appointment.id,
                         volunteer_id=appointment.volunteer_id, outcome=outcome, minutes=minutes, notes=notes.strip(),
                         next_module_id=next_module_id, logged_by_id=by.id, logged_at=now, updated_at=now)
        db.session.add(log)
        db.session.flush()
        record(log, "create", ["outcome", "minutes", "notes", "next_module_id"])
    else:
        changed = []
        for field, value in (("outcome", outcome), ("minutes", minutes), ("notes", notes.strip()),
                             ("next_module_id", next_module_id)):
            if getattr(log, field) != value:
                setattr(log, field, value)
                changed.append(field)
        if changed:
            log.updated_at, log.logged_by_id = now, by.id
            record(log, "staff_correction" if staff else "update", changed)
    today = local(now, association.timezone).date()
    for item in _journey_modules(appointment):
        journeys.update_module(item, status=item.status, happened_on=item.happened_on, coach_id=item.coach_id,
                               notes=_notes_on_module(item.notes, previous_notes, notes), today=today)
    db.session.flush()
    return log


def _journey_modules(appointment: Appointment) -> list[JourneyModule]:
    ids = [s.journey_module_id for s in appointment.seats if s.journey_module_id and s.status == SeatStatus.BOOKED]
    return list(db.session.scalars(select(JourneyModule).where(JourneyModule.id.in_(ids)))) if ids else []


@dataclass
class ToLog:
    """A session of the coach's that has begun and waits for their log (or still accepts a correction)."""

    appointment: Appointment
    association: Association
    log: SessionLog | None
    beneficiaries: list[str]


def to_complete(user: User, now: datetime | None = None) -> list[ToLog]:
    """The sessions this person gave in the last 14 days (and a day) not logged yet, oldest first."""
    now = now or utcnow()
    memberships = {m.association_id: m.association for m in user.memberships if m.active and m.association.active}
    if not memberships:
        return []
    rows = db.session.execute(
        select(Appointment, SessionLog).outerjoin(SessionLog, SessionLog.appointment_id == Appointment.id)
        .options(selectinload(Appointment.seats).selectinload(Seat.beneficiary))
        .where(Appointment.volunteer_id == user.id, Appointment.association_id.in_(list(memberships)),
               Appointment.starts_at <= now, Appointment.starts_at >= now - timedelta(days=LOG_DAYS + 1),
               Appointment.status.in_((AppointmentStatus.PLANNED, AppointmentStatus.DONE,
                                       AppointmentStatus.NO_SHOW, AppointmentStatus.EXCUSED)),
               SessionLog.id.is_(None))
        .order_by(Appointment.starts_at, Appointment.id).limit(50)).all()
    result = []
    for appointment, log in rows:
        association = memberships[appointment.association_id]
        if volunteer_may_log(appointment, association, log, now) is None:
            result.append(ToLog(appointment, association, log,
                                [s.beneficiary.first_name for s in appointment.booked_seats]))
    return result


def recent_logs(user: User, now: datetime | None = None) -> list[tuple[SessionLog, Appointment]]:
    """The person's own logs they may still correct (the last 7 days)."""
    now = now or utcnow()
    ids = [m.association_id for m in user.memberships if m.active]
    if not ids:
        return []
    return list(db.session.execute(
        select(SessionLog, Appointment).join(Appointment, Appointment.id == SessionLog.appointment_id)
        .where(SessionLog.volunteer_id == user.id, SessionLog.association_id.in_(ids),
               SessionLog.logged_at >= now - timedelta(days=CORRECT_DAYS))
        .order_by(Appointment.starts_at.desc()).limit(20)).all())


def _missing(association_id: int, now: datetime):
    return (select(Appointment).outerjoin(SessionLog, SessionLog.appointment_id == Appointment.id)
            .where(Appointment.association_id == association_id, Appointment.ends_at <= now,
                   Appointment.starts_at >= now - timedelta(days=MISSING_DAYS),
                   Appointment.status != AppointmentStatus.CANCELLED, SessionLog.id.is_(None)))


def missing_logs(association_id: int, now: datetime):
    """The select statement of the association's sessions of the last 30 days that are over and have no log
    (whatever their status, cancelled ones aside), with their coach, the oldest first."""
    return (_missing(association_id, now).options(joinedload(Appointment.volunteer))
            .order_by(Appointment.starts_at, Appointment.id))


def missing_logs_count(association_id: int, now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(
        _missing(association_id, now).with_only_columns(Appointment.id).subquery()))


@dataclass
class Handover:
    """What the previous coach of a journey left for the next one."""

    coach: str
    module: str
    day: datetime
    notes: str
    next_module: str


def handovers(user: User, journey_module_ids: list[int]) -> dict[int, list[Handover]]:
    """For each of this coach's coming journey modules, the notes the journey's earlier coaches left.

    Only the coach of a coming session of the same journey sees them: the query starts from modules
    this person coaches.
    """
    if not journey_module_ids:
        return {}
    mine = db.session.execute(select(JourneyModule.id, JourneyModule.journey_id).where(
        JourneyModule.id.in_(journey_module_ids), JourneyModule.coach_id == user.id)).all()
    journey_ids = {journey_id for _id, journey_id in mine}
    if not journey_ids:
        return {}
    rows = db.session.execute(
        select(JourneyModule.journey_id, SessionLog, Appointment.name, Appointment.starts_at, User.name, Module.name)
        .join(Seat, Seat.journey_module_id == JourneyModule.id)
        .join(Appointment, Appointment.id == Seat.appointment_id)
        .join(SessionLog, SessionLog.appointment_id == Appointment.id)
        .join(User, User.id == SessionLog.volunteer_id)
        .outerjoin(Module, Module.id == SessionLog.next_module_id)
        .join(Journey, Journey.id == JourneyModule.journey_id)
        .where(JourneyModule.journey_id.in_(journey_ids), Seat.status == SeatStatus.BOOKED,
               Journey.association_id == JourneyModule.association_id, SessionLog.notes != "")
        .order_by(Appointment.starts_at.desc())).all()
    by_journey: dict[int, list[Handover]] = {}
    for journey_id, log, module, starts_at, coach, next_module in rows:
        by_journey.setdefault(journey_id, []).append(Handover(coach, module, starts_at, log.notes, next_module or ""))
    return {item_id: by_journey.get(journey_id, []) for item_id, journey_id in mine}


# --- other activities -------------------------------------------------------------------------


def add_activity(profile: VolunteerProfile, *, by: User, done_on: date, minutes: int, category: str, note: str,
                 today: date) -> VolunteerActivity:
    """Record volunteer time besides coaching: sorting clothes, an event, a workshop."""
    _check_activity(done_on=done_on, minutes=minutes, category=category, today=today)
    activity = VolunteerActivity(association_id=profile.association_id, profile_id=profile.id, done_on=done_on,
                                 minutes=minutes, category=category, note=note.strip()[:500], created_by_id=by.id)
    db.session.add(activity)
    db.session.flush()
    record(activity, "create", ["done_on", "minutes", "category", "note"])
    return activity


def _check_activity(*, done_on: date, minutes: int, category: str, today: date) -> None:
    if category not in ActivityCategory.values():
        raise VolunteerError("category", _("Choisissez une catégorie."))
    if not 1 <= minutes <= MAX_MINUTES:
        raise VolunteerError("minutes", _("Indiquez une durée entre 1 minute et 12 heures."))
    if done_on > today:
        raise VolunteerError("done_on", _("Une activité se note une fois faite : la date ne peut pas être future."))


def correct_activity(activity: VolunteerActivity, *, done_on: date, minutes: int, category: str, note: str,
                     today: date) -> list[str]:
    """Staff correct an activity; the audit log names the fields changed."""
    _check_activity(done_on=done_on, minutes=minutes, category=category, today=today)
    changed = []
    for field, value in (("done_on", done_on), ("minutes", minutes), ("category", category),
                         ("note", note.strip()[:500])):
        if getattr(activity, field) != value:
            setattr(activity, field, value)
            changed.append(field)
    if changed:
        record(activity, "staff_correction", changed)
        db.session.flush()
    return changed


# --- a volunteer's own pause ------------------------------------------------------------------------


def pause_myself(membership: Membership, *, starts: date, until: date | None, today: date) -> VolunteerProfile:
    """Pause oneself (holidays): no booking offers the volunteer from `starts` to `until` (the gate reads it)."""
    if starts < today:
        raise VolunteerError("paused_from", _("La pause commence aujourd’hui ou plus tard."))
    if until is not None and until < starts:
        raise VolunteerError("paused_until", _("La fin de la pause doit suivre son début."))
    profile = profile_for(membership)
    if profile.status == VolunteerStatus.LEFT:
        raise VolunteerError(None, _("Vous avez quitté cette association."))
    update_profile(profile, {"status": VolunteerStatus.PAUSED, "paused_from": starts, "paused_until": until})
    return profile


def resume_myself(membership: Membership) -> VolunteerProfile:
    """End one's pause now."""
    profile = profile_for(membership)
    if profile.status == VolunteerStatus.PAUSED:
        update_profile(profile, {"status": VolunteerStatus.ACTIVE})
    return profile
