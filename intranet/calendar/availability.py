"""When people can coach: weekly availability, absences, and the check of a given time.

A person may belong to several associations; what one association records about them stays
its own. The rule:

- Weekly availability and absences belong to the association that recorded them (by its staff,
  or by the person for that association in /me). Only that association lists, changes or
  deletes them, and only its own bookings and slot searches use them: another association's
  holidays or opening hours neither show nor count elsewhere.
- Appointments are the busy times that count everywhere: a coach is one person and is never
  booked twice at once, whichever association booked the first session. Another association
  learns only that the person already has a session then, nothing about it.
- Only active members have availability or absences recorded; a pending invitation gives none.
"""

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from intranet.calendar.models import Absence, Availability
from intranet.clock import local, to_utc
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.rules import RuleError


class AvailabilityError(RuleError):
    """A refused availability or absence, with the field it concerns."""


def add_availability(association_id: int, user_id: int, *, weekday: int, starts: time, ends: time,
                     valid_from: date, valid_until: date | None) -> Availability:
    """Declare a weekly time someone can coach."""
    if not 0 <= weekday <= 6:
        raise AvailabilityError("weekday", _("Choisissez un jour de la semaine."))
    if ends <= starts:
        raise AvailabilityError("ends", _("L’heure de fin doit suivre l’heure de début."))
    if valid_until is not None and valid_until < valid_from:
        raise AvailabilityError("valid_until", _("La date de fin doit suivre la date de début."))
    _check_member(association_id, user_id)
    row = Availability(association_id=association_id, user_id=user_id, weekday=weekday, starts=starts, ends=ends,
                       valid_from=valid_from, valid_until=valid_until)
    db.session.add(row)
    db.session.flush()
    return row


def add_absence(association: Association, user_id: int, *, first_day: date, last_day: date,
                reason: str = "") -> Absence:
    """Declare whole days off (holidays, a one-off absence), from the first to the last day included."""
    if last_day < first_day:
        raise AvailabilityError("last_day", _("Le dernier jour doit suivre le premier."))
    _check_member(association.id, user_id)
    row = Absence(association_id=association.id, user_id=user_id, reason=reason.strip(),
                  starts_at=to_utc(first_day, time(0, 0), association.timezone),
                  ends_at=to_utc(last_day + timedelta(days=1), time(0, 0), association.timezone))
    db.session.add(row)
    db.session.flush()
    return row


def _check_member(association_id: int, user_id: int) -> None:
    member = db.session.scalar(select(Membership.id).where(
        Membership.association_id == association_id, Membership.user_id == user_id, Membership.active.is_(True)))
    if member is None:
        raise AvailabilityError("user_id", _("Cette personne ne fait pas partie de l’association."))


def availabilities(association_id: int, user_ids: list[int] | None = None) -> list[Availability]:
    query = select(Availability).where(Availability.association_id == association_id)
    if user_ids is not None:
        query = query.where(Availability.user_id.in_(user_ids))
    return list(db.session.scalars(query.order_by(Availability.weekday, Availability.starts)))


def absences(association_id: int, user_ids: list[int], start: datetime, end: datetime) -> list[Absence]:
    """Absences of these people overlapping [start, end) recorded by this association (never another's)."""
    if not user_ids:
        return []
    return list(db.session.scalars(select(Absence).where(
        Absence.association_id == association_id, Absence.user_id.in_(user_ids), Absence.starts_at < end,
        Absence.ends_at > start)))


def covers(rows: list[Availability], user_id: int, starts_at: datetime, ends_at: datetime, timezone: str) -> bool:
    """Whether one of the weekly availabilities covers the whole appointment, in local time."""
    start, end = local(starts_at, timezone), local(ends_at, timezone)
    if start.date() != end.date() and end.time() != time(0, 0):
        return False
    for row in rows:
        if (row.user_id == user_id and row.weekday == start.weekday() and row.valid_from <= start.date()
                and (row.valid_until is None or start.date() <= row.valid_until)
                and row.starts <= start.time() and end.time() <= row.ends):
            return True
    return False


def is_available(association: Association, user_id: int, starts_at: datetime, ends_at: datetime) -> str | None:
    """None when the person declared they are free then; otherwise why not, in words."""
    if not covers(availabilities(association.id, [user_id]), user_id, starts_at, ends_at, association.timezone):
        return _("en dehors de ses disponibilités")
    if absences(association.id, [user_id], starts_at, ends_at):
        return _("absent·e ce jour-là")
    return None
