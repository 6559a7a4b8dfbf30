"""The volunteer directory: one query for the list (filters, sort), and a constant few for what each row shows.

Listed: the association's volunteers (role "volunteer") and anyone else it keeps a profile for (a staff
member who coaches), pending invitations aside. A member without a profile yet reads as an active
volunteer, so the profile is an outer join and its status is read through COALESCE.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import aliased, contains_eager

from intranet.auth.models import User
from intranet.calendar.models import Appointment, AppointmentStatus, Availability
from intranet.extensions import db
from intranet.members.models import ACTIVE, DEACTIVATED, INVITED, Membership
from intranet.search import fold, matches
from intranet.tenancy import Role
from intranet.volunteers.models import Qualification, VolunteerProfile, VolunteerStatus

EXPIRY_WINDOW = timedelta(days=30)  # "expiring soon": staff see it, the volunteer gets one e-mail
IDLE = timedelta(days=60)  # "no session for 60 days"
STATUSES = {"": _l("Actuel·les"), "active": _l("Actif·ves"), "paused": _l("En pause"),
            "left": _l("Parti·es"), "all": _l("Tous")}
SORTS = {"name": _l("Nom"), "recent": _l("Arrivée la plus récente"), "last_session": _l("Dernière séance la plus ancienne")}

P = VolunteerProfile


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    qualification: str = ""  # a code held and valid today
    expiring: bool = False  # a qualification ending within EXPIRY_WINDOW
    weekday: int | None = None  # available that weekday (weekly availability valid today)
    idle: bool = False  # no session in the last IDLE days
    sort: str = "name"

    def args(self) -> dict:
        """The settings as query arguments (for the pager), the defaults left out."""
        values = {"q": self.q, "status": self.status, "qualification": self.qualification,
                  "expiring": "1" if self.expiring else "", "weekday": "" if self.weekday is None else self.weekday,
                  "idle": "1" if self.idle else "", "sort": "" if self.sort == "name" else self.sort}
        return {name: value for name, value in values.items() if value != ""}

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.status or self.qualification or self.expiring or self.weekday is not None
                    or self.idle)


def paused_on(day: date):
    """SQL: the profile's pause covers `day` (a member without a profile is never paused)."""
    return and_(func.coalesce(P.status, VolunteerStatus.ACTIVE.value) == VolunteerStatus.PAUSED,
                or_(P.paused_from.is_(None), P.paused_from <= day), or_(P.paused_until.is_(None), P.paused_until >= day))


def valid_on(day: date):
    """SQL: a qualification row holds on `day`."""
    return and_(Qualification.withdrawn_on.is_(None), Qualification.obtained_on <= day,
                or_(Qualification.valid_until.is_(None), Qualification.valid_until >= day))


def not_superseded():
    """SQL: no later row of the same code outlasts this one (a renewal already recorded)."""
    later = aliased(Qualification)
    return ~exists().where(later.profile_id == Qualification.profile_id, later.code == Qualification.code,
                           later.id != Qualification.id, later.withdrawn_on.is_(None),
                           or_(later.valid_until.is_(None), later.valid_until > Qualification.valid_until))


def expiring_between(first: date, last: date):
    """SQL: a qualification row still valid that ends between `first` and `last`, not renewed yet."""
    return and_(Qualification.withdrawn_on.is_(None), Qualification.valid_until.is_not(None),
                Qualification.valid_until >= first, Qualification.valid_until <= last, not_superseded())


def last_session(association_id: int, now: datetime):
    """SQL, per listed member: the start of their latest session given here (cancelled ones aside)."""
    return (select(func.max(Appointment.starts_at))
            .where(Appointment.volunteer_id == Membership.user_id, Appointment.association_id == association_id,
                   Appointment.status != AppointmentStatus.CANCELLED, Appointment.starts_at <= now)
            .correlate(Membership).scalar_subquery())


def search(association_id: int, filters: Filters, today: date, now: datetime) -> Select:
    """The directory's query: memberships with their user, filtered and sorted."""
    query = (select(Membership).join(User, User.id == Membership.user_id)
             .outerjoin(P, P.membership_id == Membership.id).options(contains_eager(Membership.user))
             .where(Membership.association_id == association_id, Membership.state != INVITED,
                    or_(Membership.role == Role.VOLUNTEER, P.id.is_not(None))))
    status = filters.status
    if status == "":
        query = query.where(Membership.state == ACTIVE)
    elif status == "active":
        query = query.where(Membership.state == ACTIVE, not_(paused_on(today)))
    elif status == "paused":
        query = query.where(Membership.state == ACTIVE, paused_on(today))
    elif status == "left":
        query = query.where(Membership.state == DEACTIVATED)
    if filters.q and (fold(filters.q) or any(c.isdigit() for c in filters.q)):
        pattern = f"%{filters.q}%"
        query = query.where(or_(matches(P.search_key, filters.q), User.name.ilike(pattern), User.email.ilike(pattern)))
    if filters.qualification:
        query = query.where(exists().where(Qualification.profile_id == P.id,
                                           Qualification.code == filters.qualification, valid_on(today)))
    if filters.expiring:
        query = query.where(exists().where(Qualification.profile_id == P.id,
                                           expiring_between(today, today + EXPIRY_WINDOW)))
    if filters.weekday is not None:
        query = query.where(exists().where(
            Availability.association_id == association_id, Availability.user_id == Membership.user_id,
            Availability.weekday == filters.weekday, Availability.valid_from <= today,
            or_(Availability.valid_until.is_(None), Availability.valid_until >= today)))
    if filters.idle:
        query = query.where(~exists().where(
            Appointment.volunteer_id == Membership.user_id, Appointment.association_id == association_id,
            Appointment.status != AppointmentStatus.CANCELLED, Appointment.starts_at <= now,
            Appointment.starts_at > now - IDLE))
    if filters.sort == "recent":
        order = (P.joined_on.is_(None), P.joined_on.desc(), User.name)
    elif filters.sort == "last_session":
        latest = last_session(association_id, now)
        order = (latest.is_not(None), latest, User.name)
    else:
        order = (User.name,)
    return query.order_by(*order, Membership.id)


@dataclass
class Row:
    """What one line of the directory shows beside the membership."""

    membership: Membership
    profile: VolunteerProfile | None
    qualifications: list[Qualification]  # the latest row of each code
    last_session: datetime | None
    status: str


def status_of(membership: Membership, profile: VolunteerProfile | None, today: date) -> str:
    """The status people read: left once the access is removed, paused while a pause covers today."""
    if membership.state == DEACTIVATED:
        return VolunteerStatus.LEFT
    if profile is not None and profile.paused_on(today):
        return VolunteerStatus.PAUSED
    return VolunteerStatus.ACTIVE


def rows(association_id: int, memberships: list[Membership], today: date, now: datetime) -> list[Row]:
    """The page's rows: profiles, qualifications and last sessions in three queries whatever the page's size."""
    ids = [m.id for m in memberships]
    profiles = {p.membership_id: p for p in db.session.scalars(
        select(P).where(P.association_id == association_id, P.membership_id.in_(ids)))} if ids else {}
    by_profile: dict[int, dict[str, Qualification]] = {}
    profile_ids = [p.id for p in profiles.values()]
    for q in db.session.scalars(select(Qualification).where(
            Qualification.association_id == association_id, Qualification.profile_id.in_(profile_ids),
            Qualification.withdrawn_on.is_(None)).order_by(Qualification.obtained_on, Qualification.id)) \
            if profile_ids else []:
        latest = by_profile.setdefault(q.profile_id, {})
        kept = latest.get(q.code)
        if kept is None or kept.valid_until is not None and (q.valid_until is None or q.valid_until >= kept.valid_until):
            latest[q.code] = q
    # One correlated MAX per member of the page, each read from the (volunteer, start) index.
    last = dict(db.session.execute(select(Membership.user_id, last_session(association_id, now))
                                   .where(Membership.id.in_(ids))).all()) if ids else {}
    result = []
    for membership in memberships:
        profile = profiles.get(membership.id)
        held = sorted(by_profile.get(profile.id, {}).values(), key=lambda q: q.code) if profile else []
        result.append(Row(membership, profile, held, last.get(membership.user_id),
                          status_of(membership, profile, today)))
    return result
