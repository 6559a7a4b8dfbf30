"""Personal self-booking links: a beneficiary books, cancels or moves a session without an account.

A link is a random token sent to the person; only its SHA-256 is stored, so a copy of the
database opens nothing. A newer link replaces the older ones of the same person. What the
link can do is bounded by the association's settings: book from `booking_min_hours` to
`booking_max_days` ahead, change or cancel until `change_min_hours` before the session.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from intranet.beneficiaries.models import Beneficiary
from intranet.calendar import booking
from intranet.calendar.models import Appointment, Seat
from intranet.calendar.slots import Slot, find_slots
from intranet.clock import in_window, local, to_utc, utcnow
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule
from intranet.network.models import Association
from intranet.notifications.services import queue_mail
from intranet.programs.services import LocalModule
from intranet.rules import RuleError
from intranet.selfbooking.models import BookingLink
from intranet.urls import external_url

TO_BOOK = ("to_plan", "missed")
SLOT_KEY = "%Y%m%dT%H%MZ"  # a slot in a URL: its start in UTC, e.g. 20260310T1300Z
MAX_TOKEN_LENGTH = 100


class LinkProblem(Exception):
    """A token that opens nothing; `reason` is "expired", "replaced" or "unknown".

    `association` is known for an expired or replaced link, so the page can say whom to ask.
    """

    def __init__(self, reason: str, association: Association | None = None):
        super().__init__(reason)
        self.reason = reason
        self.association = association


class SelfBookingError(RuleError):
    """A refused self-service action, in words for the person, maybe with other free slots."""

    def __init__(self, message: str, alternatives: list[Slot] | None = None):
        super().__init__(None, message)
        self.alternatives = list(alternatives or [])


@dataclass
class SentLink:
    link: BookingLink
    url: str
    mailed: bool


@dataclass
class Step:
    """The module of the journey to book next; `module` is None when the association does not offer it."""

    item: JourneyModule
    module: LocalModule | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- links ---------------------------------------------------------------------------------


def create_link(beneficiary: Beneficiary, *, now: datetime | None = None) -> tuple[BookingLink, str]:
    """Make a new link for a beneficiary, replacing the earlier ones; return it with its clear token."""
    if not beneficiary.active:
        raise SelfBookingError(_("Cette fiche est désactivée : réactivez-la avant d’envoyer un lien."))
    now = now or utcnow()
    association = db.session.get(Association, beneficiary.association_id)
    db.session.execute(
        update(BookingLink)
        .where(BookingLink.beneficiary_id == beneficiary.id, BookingLink.revoked.is_(False))
        .values(revoked=True).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    link = BookingLink(association_id=beneficiary.association_id, beneficiary_id=beneficiary.id,
                       token_hash=hash_token(token), expires_at=now + timedelta(days=association.booking_max_days))
    db.session.add(link)
    db.session.flush()
    return link, token


def send_link(beneficiary: Beneficiary) -> SentLink:
    """Create a link and mail it when the beneficiary has an address; staff get the address either way."""
    link, token = create_link(beneficiary)
    association = db.session.get(Association, beneficiary.association_id)
    url = external_url("selfbooking.home", token=token)
    if beneficiary.email:
        queue_mail(to=beneficiary.email, template="booking_link", kind="booking_link",
                   association_id=association.id, key=f"booking-link-{link.id}", beneficiary=beneficiary,
                   association=association, link=url,
                   expires_on=local(link.expires_at, association.timezone).date())
    return SentLink(link=link, url=url, mailed=bool(beneficiary.email))


def confirmation_link(beneficiary: Beneficiary) -> str | None:
    """A fresh personal link for the confirmation of a booking made by staff (none without an e-mail address)."""
    if not beneficiary.email:
        return None
    _link, token = create_link(beneficiary)
    return external_url("selfbooking.home", token=token)


def resolve(token: str, *, now: datetime | None = None) -> BookingLink:
    """The link a token opens, or LinkProblem saying why it opens nothing."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkProblem("unknown")
    link = db.session.scalar(select(BookingLink).where(BookingLink.token_hash == hash_token(token)).options(
        joinedload(BookingLink.beneficiary)))
    if link is None or not link.beneficiary.active:
        raise LinkProblem("unknown")
    association = db.session.get(Association, link.association_id)
    if association is None or not association.active:
        raise LinkProblem("unknown")
    if link.revoked:
        raise LinkProblem("replaced", association)
    if link.expires_at <= (now or utcnow()):
        raise LinkProblem("expired", association)
    return link


def association_of(link: BookingLink) -> Association:
    return db.session.get(Association, link.association_id)


# --- what the link shows ---------------------------------------------------------------------


def next_step(link: BookingLink) -> Step | None:
    """The first module still to plan (or missed) of the beneficiary's open journey, in order."""
    item = db.session.scalar(
        select(JourneyModule).join(Journey, Journey.id == JourneyModule.journey_id)
        .where(Journey.association_id == link.association_id, Journey.beneficiary_id == link.beneficiary_id,
               Journey.exited_on.is_(None), JourneyModule.status.in_(TO_BOOK))
        .order_by(Journey.started_on, Journey.id, JourneyModule.position, JourneyModule.id).limit(1))
    if item is None:
        return None
    try:
        module = booking.local_module(link.association_id, item.module_id)
    except booking.BookingError:
        module = None
    return Step(item=item, module=module)


def upcoming(link: BookingLink, *, now: datetime | None = None) -> list[Seat]:
    """The beneficiary's own booked places in sessions still to come, earliest first."""
    return list(db.session.scalars(
        select(Seat).join(Appointment, Appointment.id == Seat.appointment_id)
        .where(Seat.association_id == link.association_id, Seat.beneficiary_id == link.beneficiary_id,
               Seat.status == "booked", Appointment.status == "planned", Appointment.starts_at > (now or utcnow()))
        .options(joinedload(Seat.appointment).joinedload(Appointment.volunteer),
                 joinedload(Seat.appointment).joinedload(Appointment.resource))
        .order_by(Appointment.starts_at)))


def own_seat(link: BookingLink, seat_id: int) -> Seat | None:
    """One of the beneficiary's own places, or None: a link never reaches anybody else's."""
    return db.session.scalar(select(Seat).where(
        Seat.id == seat_id, Seat.association_id == link.association_id, Seat.beneficiary_id == link.beneficiary_id
    ).options(joinedload(Seat.appointment)))


def window(link: BookingLink, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """From when to when the link may book, in UTC.

    It never reaches past the link's own life plus the change delay, so whatever the link books
    it can still cancel or move.
    """
    now = now or utcnow()
    association = association_of(link)
    start = now + timedelta(hours=association.booking_min_hours)
    end = min(now + timedelta(days=association.booking_max_days),
              link.expires_at + timedelta(hours=association.change_min_hours))
    return start, end


def change_deadline(link: BookingLink, seat: Seat) -> datetime:
    """Until when the person may cancel or move this place."""
    return seat.appointment.starts_at - timedelta(hours=association_of(link).change_min_hours)


def why_not_change(link: BookingLink, seat: Seat, *, now: datetime | None = None) -> str | None:
    """Why the person can no longer cancel or move this place themselves (None: they still can)."""
    if seat.status != "booked" or seat.appointment.status != "planned":
        return _("Ce rendez-vous n’est plus prévu : il a déjà été annulé ou déplacé.")
    if (now or utcnow()) > change_deadline(link, seat):
        return _("Il est trop tard pour changer ou annuler ce rendez-vous en ligne : c’est possible jusqu’à "
                 "%(hours)d heures avant. Appelez l’association.", hours=association_of(link).change_min_hours)
    return None


def can_change(link: BookingLink, seat: Seat, *, now: datetime | None = None) -> bool:
    return why_not_change(link, seat, now=now) is None


def _earliest_for_next(link: BookingLink, now: datetime) -> datetime:
    """Modules follow each other: the next one starts after the last session already booked."""
    start, _end = window(link, now=now)
    booked = [s.appointment.ends_at for s in upcoming(link, now=now)]
    return max([start, *booked])


def free_slots(link: BookingLink, module: LocalModule, *, first_day=None, moving: Seat | None = None,
               now: datetime | None = None, limit: int = 200) -> list[Slot]:
    """Free slots of `module` for this beneficiary within the link's window, from `first_day` (local) on."""
    now = now or utcnow()
    association = association_of(link)
    start, end = window(link, now=now)
    if moving is None:
        start = _earliest_for_next(link, now)
    if first_day is not None:
        start = max(start, to_utc(first_day, time(0, 0), association.timezone))
    if start >= end:
        return []
    return find_slots(association, module, start=start, end=end, beneficiary_id=link.beneficiary_id, limit=limit)


def slot_key(slot: Slot) -> str:
    return slot.starts_at.strftime(SLOT_KEY)


def parse_slot_key(value: str) -> datetime | None:
    try:
        moment = datetime.strptime(value or "", SLOT_KEY).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment if in_window(moment.date()) else None


# --- booking, cancelling, moving ----------------------------------------------------------------


def _call_details(beneficiary: Beneficiary, module: LocalModule) -> str:
    """What the coach needs to reach the person: the number to call, or a reminder to send the video link."""
    if module.mode == "phone":
        return beneficiary.phone or _("numéro à demander à la personne (réservé en ligne)")
    if module.mode == "video":
        return _("lien de visio à envoyer à la personne (réservé en ligne)")
    return ""


def _near(link: BookingLink, module: LocalModule, starts_at: datetime | None, moving: Seat | None,
          now: datetime) -> list[Slot]:
    """A few free slots close to the one the person wanted."""
    association = association_of(link)
    first_day = local(starts_at, association.timezone).date() if starts_at else None
    slots = free_slots(link, module, first_day=first_day, moving=moving, now=now, limit=6)
    return slots or free_slots(link, module, moving=moving, now=now, limit=6)


def _slot_at(link: BookingLink, module: LocalModule, starts_at: datetime | None, moving: Seat | None,
             now: datetime) -> Slot:
    """The free slot starting at `starts_at`, with a coach free then, or SelfBookingError."""
    if starts_at is None:
        raise SelfBookingError(_("Ce créneau n’existe pas. Choisissez un horaire dans la liste."),
                               _near(link, module, None, moving, now))
    start, end = window(link, now=now)
    if moving is None:
        start = _earliest_for_next(link, now)
    finish = starts_at + timedelta(minutes=module.duration_minutes)
    found = [] if starts_at < start or finish > end else find_slots(
        association_of(link), module, start=starts_at, end=finish, beneficiary_id=link.beneficiary_id, limit=1)
    if not found or found[0].starts_at != starts_at:
        raise SelfBookingError(_("Cet horaire n’est plus libre. Voici d’autres horaires libres :"),
                               _near(link, module, starts_at, moving, now))
    return found[0]


def _book(link: BookingLink, module: LocalModule, slot: Slot, moving: Seat | None, now: datetime) -> Seat:
    association = association_of(link)
    beneficiary = db.session.get(Beneficiary, link.beneficiary_id)
    request = booking.Request(module_id=module.id, starts_at=slot.starts_at, volunteer_id=slot.volunteer_id,
                              beneficiary_id=beneficiary.id, resource_id=slot.resource_id,
                              call_details=_call_details(beneficiary, module))
    try:
        # The confirmation carries the link in use, which must stay valid (a new one would replace it).
        appointment = booking.book(association, request, self_service=True,
                                   link_url=external_url("selfbooking.home") if has_request_context() else None)
    except booking.Conflict:
        raise SelfBookingError(_("Cet horaire vient d’être pris par quelqu’un d’autre. Voici d’autres horaires "
                                 "libres :"), _near(link, module, slot.starts_at, moving, now)) from None
    except booking.BookingError:
        raise SelfBookingError(_("Cet horaire n’est plus possible. Voici d’autres horaires libres :"),
                               _near(link, module, slot.starts_at, moving, now)) from None
    return next(s for s in reversed(appointment.seats) if s.beneficiary_id == beneficiary.id and s.status == "booked")


def book_next(link: BookingLink, key: str, *, now: datetime | None = None) -> Seat:
    """Book the next module of the journey at the chosen time; return the person's new place."""
    now = now or utcnow()
    step = next_step(link)
    if step is None or step.module is None:
        raise SelfBookingError(_("Il n’y a pas de rendez-vous à réserver en ligne pour le moment."))
    slot = _slot_at(link, step.module, parse_slot_key(key), None, now)
    return _book(link, step.module, slot, None, now)


def _lock_and_check(link: BookingLink, seat: Seat, now: datetime) -> Seat:
    """Take the person's lock, then re-read and check the place: two clicks never both cancel or move it."""
    booking._lock(association_of(link), beneficiary_id=link.beneficiary_id)
    seat = db.session.scalar(select(Seat).where(Seat.id == seat.id).options(joinedload(Seat.appointment))
                             .execution_options(populate_existing=True))
    refusal = why_not_change(link, seat, now=now)
    if refusal:
        raise SelfBookingError(refusal)
    return seat


def cancel(link: BookingLink, seat: Seat, *, now: datetime | None = None) -> None:
    """Cancel the person's own place, up to the change delay before the session."""
    seat = _lock_and_check(link, seat, now or utcnow())
    booking.cancel_seat(seat, _("annulé en ligne par la personne accompagnée"))


def move(link: BookingLink, seat: Seat, key: str, *, now: datetime | None = None) -> Seat:
    """Move the person's own place to another time: the old place is freed and the new one booked, together.

    Both are the calendar's own services in one transaction: if the booking is refused, the caller
    rolls back and the old place was never freed.
    """
    now = now or utcnow()
    try:
        module = booking.local_module(link.association_id, seat.appointment.module_id)
    except booking.BookingError:
        raise SelfBookingError(_("Ce rendez-vous ne peut pas être déplacé en ligne. Appelez l’association.")) from None
    starts_at = parse_slot_key(key)
    seat = _lock_and_check(link, seat, now)
    booking.cancel_seat(seat, _("déplacé en ligne par la personne accompagnée"), moving=True)
    slot = _slot_at(link, module, starts_at, seat, now)
    return _book(link, module, slot, seat, now)
