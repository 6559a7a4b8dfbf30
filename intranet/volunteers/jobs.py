"""The volunteers' part of the background work: one renewal e-mail per qualification, 30 days before it
ends, and the count of qualifications ending soon in the staff's daily digest."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.auth.models import User
from intranet.clock import local
from intranet.extensions import db
from intranet.jobs import commit_once, periodic
from intranet.members.models import ACTIVE, Membership
from intranet.network.models import Association
from intranet.notifications.digest import DigestSection, digest_section
from intranet.notifications.services import queue_mail
from intranet.urls import external_url
from intranet.volunteers import watch
from intranet.volunteers.directory import EXPIRY_WINDOW, expiring_between
from intranet.volunteers.gate import qualification_names
from intranet.volunteers.models import Qualification, Training, TrainingSession, TrainingSessionStatus, VolunteerProfile


def renewal_key(qualification_id: int) -> str:
    return f"qualification-renewal-{qualification_id}"


def next_session(association_id: int, code: str, now: datetime) -> TrainingSession | None:
    """The next open session in the association of a training that grants `code`."""
    sessions = db.session.scalars(
        select(TrainingSession).join(Training, Training.id == TrainingSession.training_id)
        .options(joinedload(TrainingSession.training))
        .where(TrainingSession.association_id == association_id, TrainingSession.status == TrainingSessionStatus.OPEN,
               TrainingSession.starts_at > now, Training.grants.contains(code))
        .order_by(TrainingSession.starts_at, TrainingSession.id).limit(10))
    return next((s for s in sessions if code in s.training.codes), None)


@periodic()
def send_renewal_notices(now: datetime) -> int:
    """Tell each volunteer once, by e-mail, that a qualification ends within 30 days, with the next open
    session that renews it; return how many were queued. Safe to run twice (a key per qualification)."""
    # Bounds in UTC days, a day wider than any time zone; each association's own date decides below.
    first, last = (now - timedelta(days=1)).date(), (now + EXPIRY_WINDOW + timedelta(days=1)).date()
    rows = db.session.execute(
        select(Qualification, User, Association)
        .join(VolunteerProfile, VolunteerProfile.id == Qualification.profile_id)
        .join(Membership, Membership.id == VolunteerProfile.membership_id)
        .join(User, User.id == VolunteerProfile.user_id)
        .join(Association, Association.id == Qualification.association_id)
        .where(Qualification.renewal_noticed_at.is_(None), Membership.state == ACTIVE, User.active.is_(True),
               Association.active.is_(True), expiring_between(first, last))
        .order_by(Qualification.id).limit(500)).all()
    queued = 0
    for qualification, user, association in rows:
        today = local(now, association.timezone).date()
        if not today <= qualification.valid_until <= today + EXPIRY_WINDOW:
            continue
        session = next_session(association.id, qualification.code, now)
        queue_mail(to=user.email, template="qualification_renewal", kind="qualification_renewal",
                   locale=user.locale, association_id=association.id, key=renewal_key(qualification.id),
                   association=association, person=user, qualification=qualification, session=session,
                   name=qualification_names(association.id).get(qualification.code, qualification.code),
                   timezone=association.timezone, trainings_url=external_url("my_trainings.index"))
        qualification.renewal_noticed_at = now
        queued += commit_once()
    return queued


@digest_section()
def expiring_qualifications(association: Association, user: User, membership: Membership, day,
                            now: datetime) -> DigestSection | None:
    """The digest's count of qualifications ending within 30 days, with the page listing them."""
    count = watch.expiring_count(association.id, day)
    if not count:
        return None
    return DigestSection(title=_("Habilitations"),
                         lines=[ngettext("%(num)d habilitation expire dans les 30 jours",
                                         "%(num)d habilitations expirent dans les 30 jours", count)],
                         url=external_url("volunteers.watch_list", slug=association.slug),
                         url_label=_("Voir les habilitations à renouveler"))


def log_reminder_key(appointment_id: int) -> str:
    return f"session-log-reminder-{appointment_id}"


@periodic()
def send_log_reminders(now: datetime) -> int:
    """Remind a coach once, by e-mail, of a session not logged the day after it (in the association's time
    zone), while they may still log it; return how many were queued. Safe to run twice (a key per session)."""
    from intranet.calendar.models import Appointment, AppointmentStatus
    from intranet.notifications.models import OutboxMessage
    from intranet.volunteers.logs import LOG_DAYS, session_day
    from intranet.volunteers.models import SessionLog

    rows = db.session.execute(
        select(Appointment, User, Association)
        .join(User, User.id == Appointment.volunteer_id)
        .join(Association, Association.id == Appointment.association_id)
        .join(Membership, (Membership.association_id == Appointment.association_id)
              & (Membership.user_id == Appointment.volunteer_id))
        .outerjoin(SessionLog, SessionLog.appointment_id == Appointment.id)
        .where(Appointment.status == AppointmentStatus.PLANNED, SessionLog.id.is_(None),
               Appointment.starts_at < now - timedelta(hours=12),
               Appointment.starts_at >= now - timedelta(days=LOG_DAYS),
               Membership.state == ACTIVE, User.active.is_(True), Association.active.is_(True))
        .order_by(Appointment.starts_at, Appointment.id).limit(500)).all()
    keys = {log_reminder_key(a.id) for a, _u, _s in rows}
    sent = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys)))) if keys else set()
    queued = 0
    for appointment, user, association in rows:
        key = log_reminder_key(appointment.id)
        if key in sent or local(now, association.timezone).date() <= session_day(appointment, association):
            continue
        queue_mail(to=user.email, template="session_log_reminder", kind="session_log_reminder",
                   locale=user.locale, association_id=association.id, key=key, appointment_id=appointment.id,
                   association=association, person=user, appointment=appointment, timezone=association.timezone,
                   url=external_url("my_logs.log", appointment_id=appointment.id))
        queued += commit_once()
    return queued
