"""The staff's daily digest: one e-mail per association and person, on the evening before.

Once it is DIGEST_HOUR or later where the association is, every active staff member or admin who
has not opted out (Membership.digest) gets one digest for the day: tomorrow's planned sessions and
the association's e-mails given up on in the last two days (mail is retried for a day before it is
given up on, so a shorter look back would miss some). A day with nothing to say sends nothing.
The key `digest-<association>-<user>-<day>` makes a second run, or a second worker, send nothing twice.

Other features add sections of their own with `@digest_section()` (the partners' next steps, the
referrals waiting too long): a function of the association, the person and the day that returns a
`DigestSection`, or None when it has nothing to say. This module lists none of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.auth.models import User
from intranet.calendar.models import Appointment, Seat
from intranet.clock import local, to_utc
from intranet.dates import format_skeleton, format_time
from intranet.extensions import db
from intranet.jobs import commit_once, periodic
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import queue_mail
from intranet.urls import external_url


@dataclass
class DigestSection:
    """A part of the digest another feature adds: a title, one line per item, a link to the page."""

    title: str
    lines: list[str] = field(default_factory=list)
    url: str = ""
    url_label: str = ""


Section = Callable[[Association, User, Membership, date, datetime], DigestSection | None]
# The sections features register, by name, in the order they were registered.
SECTIONS: dict[str, Section] = {}


def digest_section(name: str | None = None) -> Callable[[Section], Section]:
    """Register a function (association, person, membership, day, now) giving a DigestSection or None."""

    def register(section: Section) -> Section:
        SECTIONS[name or f"{section.__module__}.{section.__name__}"] = section
        return section

    return register


def _sections(association: Association, user: User, membership: Membership, day: date,
              now: datetime) -> list[DigestSection]:
    found = []
    for section in SECTIONS.values():
        with force_locale(user.locale):  # its words in the reader's language, as the mail's
            result = section(association, user, membership, day, now)
        if result is not None and result.lines:
            found.append(result)
    return found


DIGEST_HOUR = time(18, 0)  # local time: the day's work is done, tomorrow's sessions are mostly known
FAILED_LOOK_BACK = timedelta(days=2)


def _key(association_id: int, user_id: int, day) -> str:
    return f"digest-{association_id}-{user_id}-{day.isoformat()}"


def _tomorrow(association: Association, day) -> list[Appointment]:
    start = to_utc(day + timedelta(days=1), time(0), association.timezone)
    end = to_utc(day + timedelta(days=2), time(0), association.timezone)
    return list(db.session.scalars(
        select(Appointment)
        .where(Appointment.association_id == association.id, Appointment.status == "planned",
               Appointment.starts_at >= start, Appointment.starts_at < end)
        .options(selectinload(Appointment.seats).selectinload(Seat.beneficiary), selectinload(Appointment.volunteer))
        .order_by(Appointment.starts_at, Appointment.id)))


def _failed(association: Association, now: datetime) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.association_id == association.id, OutboxMessage.status == "failed",
               OutboxMessage.kind != "daily_digest", OutboxMessage.created_at >= now - FAILED_LOOK_BACK)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)))


@periodic()
def send_digests(now: datetime) -> int:
    """Queue the digests that have come due; return how many were queued. Safe to run twice.

    A step of the tick, so a job: each digest is committed on its own, and a digest another
    worker queued meanwhile is skipped.
    """
    queued = 0
    for association in db.session.scalars(select(Association).where(Association.active.is_(True))
                                          .order_by(Association.id)).all():
        moment = local(now, association.timezone)
        if moment.time() < DIGEST_HOUR:
            continue
        day = moment.date()
        recipients = db.session.execute(
            select(Membership, User).join(User, User.id == Membership.user_id)
            .where(Membership.association_id == association.id, Membership.active.is_(True),
                   Membership.digest.is_(True), Membership.role.in_(("staff", "admin")), User.active.is_(True))
            .order_by(User.id)).all()
        keys = {_key(association.id, user.id, day) for _, user in recipients}
        done = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys)))) if keys else set()
        recipients = [(m, u) for m, u in recipients if _key(association.id, u.id, day) not in done]
        if not recipients:
            continue
        appointments, failed = _tomorrow(association, day), _failed(association, now)
        tz = association.timezone
        for membership, user in recipients:
            sections = _sections(association, user, membership, day, now)
            if not appointments and not failed and not sections:
                continue  # nothing to say: no mail rather than an empty one every evening
            sessions = [{"starts": format_time(a.starts_at, timezone=tz, locale=user.locale),
                         "ends": format_time(a.ends_at, timezone=tz, locale=user.locale),
                         "name": a.name, "coach": a.volunteer.name,
                         "people": [s.beneficiary.full_name for s in a.booked_seats]} for a in appointments]
            queue_mail(to=user.email, template="daily_digest", kind="daily_digest", locale=user.locale,
                       association_id=association.id, key=_key(association.id, user.id, day),
                       association=association, person=user, sessions=sessions, failed=failed, sections=sections,
                       tomorrow=format_skeleton(day + timedelta(days=1), "MMMMEEEEd", locale=user.locale),
                       calendar_url=external_url("calendar.week", slug=association.slug),
                       mailbox_url=external_url("mailbox.index", slug=association.slug)
                       if membership.role == "admin" else "",
                       account_url=external_url("auth.account"))
            queued += commit_once()
    return queued
