"""Booking rules: no person, resource or beneficiary is ever double-booked, even at the same instant.

Each write takes locks first, then checks, then writes, in one transaction: on PostgreSQL
row locks (SELECT … FOR UPDATE) on the coach, the resource and the beneficiary; on SQLite a
write at the start of the transaction, which makes SQLite serialise the bookings. The check
therefore always sees the booking that won a race, and the loser gets a Conflict with free
alternatives. Every change of an existing appointment (a move, a new status, a place taken or
freed) also takes the appointment's own lock, always after the people's and the resource's, and
re-reads the appointment once it holds it: what it decides follows the change that came first,
never a copy read before it (a cancel and a move at the same instant cannot bring a cancelled
appointment back).

The functions flush and never commit: the caller (a request, a job) commits once, or rolls back
when one of them raised, so they compose ("move" is "free" plus "book" in one transaction). Each
change is announced through `calendar.signals` before the commit, for the features that react.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar import signals
from intranet.calendar.availability import absences, availabilities, covers, is_available
from intranet.calendar.models import Appointment, AppointmentEvent, AppointmentStatus, Resource, Seat
from intranet.clock import local, utcnow
from intranet.dates import format_datetime
from intranet.extensions import db
from intranet.journeys.models import Journey, JourneyModule, ModuleStatus
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.programs.models import Module, ResourceKind
from intranet.programs.services import LocalModule, local_modules
from intranet.rules import RuleError
from intranet.volunteers import gate

LONGEST = timedelta(hours=8)  # no session lasts longer: bounds the overlap searches
# Staff may record a session held without a booking (a walk-in) up to this far back, and no further;
# a beneficiary booking online, or anyone moving a session, chooses a time to come.
STAFF_PAST = timedelta(days=30)
# Statuses that hold the time. An excused appointment, as a cancelled one, frees it: the person said
# beforehand they would not come, so the coach, the room and the person are free again.
ACTIVE = (AppointmentStatus.PLANNED, AppointmentStatus.DONE, AppointmentStatus.NO_SHOW)
FREES_TIME = (AppointmentStatus.EXCUSED, AppointmentStatus.CANCELLED)
# Journey module status that follows each appointment status.
JOURNEY_STATUS = {AppointmentStatus.PLANNED: ModuleStatus.PLANNED, AppointmentStatus.DONE: ModuleStatus.DONE,
                  AppointmentStatus.NO_SHOW: ModuleStatus.MISSED, AppointmentStatus.EXCUSED: ModuleStatus.TO_PLAN,
                  AppointmentStatus.CANCELLED: ModuleStatus.TO_PLAN}


class BookingError(RuleError):
    """A booking refused by a rule, with the field it concerns."""


class NeedsOverride(BookingError):
    """Staff may book anyway, knowingly: the coach is not declared free then (shown at the "override" box)."""


class Conflict(RuleError):
    """The time is taken (maybe by someone who booked a moment earlier); here are free alternatives."""

    def __init__(self, message: str, alternatives: list | None = None):
        super().__init__(None, message)
        self.alternatives = list(alternatives or [])


@dataclass
class Request:
    module_id: int
    starts_at: datetime
    volunteer_id: int
    beneficiary_id: int
    resource_id: int | None = None
    call_details: str = ""


def local_module(association_id: int, module_id: int) -> LocalModule:
    for module in local_modules(association_id):
        if module.id == module_id:
            return module
    raise BookingError("module_id", _("Ce module n’est pas proposé par votre association."))


def _lock(association: Association, *, volunteer_id: int | None = None, resource_id: int | None = None,
          beneficiary_id: int | None = None, appointment_id: int | None = None) -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite allows one writer at a time: writing first makes this transaction that writer.
        db.session.execute(update(Association).where(Association.id == association.id).values(id=Association.id))
        return
    for model, object_id in ((User, volunteer_id), (Resource, resource_id), (Beneficiary, beneficiary_id),
                             (Appointment, appointment_id)):
        if object_id is not None:
            db.session.execute(select(model.id).where(model.id == object_id).with_for_update())


def _reread(appointment: Appointment) -> None:
    """Once its lock is held: the appointment and its seats as the last committed change left them."""
    db.session.refresh(appointment)
    db.session.scalars(select(Seat).where(Seat.appointment_id == appointment.id)
                       .execution_options(populate_existing=True)).all()
    db.session.expire(appointment, ["seats"])


def _overlap(query, starts_at: datetime, ends_at: datetime):
    return query.where(Appointment.status.in_(ACTIVE), Appointment.starts_at < ends_at,
                       Appointment.ends_at > starts_at, Appointment.starts_at > starts_at - LONGEST)


def busy_reasons(association: Association, *, starts_at: datetime, ends_at: datetime, volunteer_id: int | None,
                 resource_id: int | None, beneficiary_id: int | None, ignore_appointment: int | None = None,
                 joining: Appointment | None = None) -> list[str]:
    """Why this time cannot be booked: the coach, the resource or the beneficiary is taken."""
    reasons = []
    others = Appointment.id != (ignore_appointment or 0)
    if volunteer_id is not None:
        taken = db.session.scalars(_overlap(select(Appointment), starts_at, ends_at).where(
            Appointment.volunteer_id == volunteer_id, others)).all()
        if any(a is not joining for a in taken):
            reasons.append(_("la personne qui accompagne a déjà une séance à ce moment"))
    if resource_id is not None:
        resource = db.session.get(Resource, resource_id)
        used = db.session.scalar(_overlap(select(func.count(Appointment.id)), starts_at, ends_at).where(
            Appointment.resource_id == resource_id, others, Appointment.id != (joining.id if joining else 0)))
        if used >= resource.capacity:
            reasons.append(_("« %(name)s » est déjà occupé à ce moment", name=resource.name))
    if beneficiary_id is not None:
        seat = db.session.scalar(_overlap(select(Seat.id).join(Appointment), starts_at, ends_at).where(
            Seat.beneficiary_id == beneficiary_id, Seat.status == "booked", others))
        if seat is not None:
            reasons.append(_("la personne accompagnée a déjà un rendez-vous à ce moment"))
    return reasons


def coach_status(association: Association, user_ids: list[int], starts_at: datetime,
                 ends_at: datetime) -> dict[int, str | None]:
    """For each coach, why they cannot take this time (None: free), in three queries whatever their number."""
    weekly = availabilities(association.id, user_ids)
    away = {a.user_id for a in absences(association.id, user_ids, starts_at, ends_at)}
    busy = set(db.session.scalars(_overlap(select(Appointment.volunteer_id), starts_at, ends_at).where(
        Appointment.volunteer_id.in_(user_ids)))) if user_ids else set()
    status = {}
    for user_id in user_ids:
        if user_id in busy:
            status[user_id] = _("la personne qui accompagne a déjà une séance à ce moment")
        elif not covers(weekly, user_id, starts_at, ends_at, association.timezone):
            status[user_id] = _("en dehors de ses disponibilités")
        elif user_id in away:
            status[user_id] = _("absent·e ce jour-là")
        else:
            status[user_id] = None
    return status


def coach_refusals(association: Association, user_ids: list[int], starts_at: datetime,
                   qualification: str) -> dict[int, str]:
    """The coaches who may not lead this session at all, with why: a pause, the module's qualification
    missing or not valid on that day (`volunteers.gate`). Staff cannot book them, even knowingly."""
    day = local(starts_at, association.timezone).date()
    rules = gate.eligibility(association.id, user_ids, qualification)
    return {user_id: why for user_id in user_ids if (why := rules.refusal(user_id, day))}


def check_slot(association: Association, *, starts_at: datetime, ends_at: datetime, volunteer_id: int,
               resource_id: int | None, resource_kind: str, qualification: str = "", past: timedelta = timedelta(0),
               now: datetime | None = None) -> Resource | None:
    """Check where and when a session may take place; the one set of rules for booking, moving,
    self-service and imports.

    The coach is an active member, not on a pause that day, holding the module's `qualification`
    (if any) valid on the day of the session (`volunteers.gate`); the resource belongs to the
    association, is active, of the kind the module needs and open for the whole session; the
    session starts no earlier than
    `past` before now (nothing in the past by default). Capacity and overlaps are checked under
    the locks by `busy_reasons`. Raises BookingError naming the field at fault; writes nothing.
    """
    now = now or utcnow()
    if starts_at < now - past:
        if past:
            raise BookingError("day", _("Une séance passée ne s’enregistre que jusqu’à %(days)d jours en arrière.",
                                        days=past.days))
        raise BookingError("day", _("Ce moment est déjà passé : choisissez une date et une heure à venir."))
    member = db.session.scalar(select(Membership.id).where(
        Membership.association_id == association.id, Membership.user_id == volunteer_id,
        Membership.active.is_(True)))
    if member is None:
        raise BookingError("volunteer_id", _("Choisissez une personne de l’association pour accompagner."))
    why = gate.refusal(association.id, volunteer_id, qualification, local(starts_at, association.timezone).date())
    if why:
        raise BookingError("volunteer_id", _("%(name)s ne peut pas accompagner cette séance : %(why)s.",
                                             name=db.session.get(User, volunteer_id).name, why=why))
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource_id and (resource is None or resource.association_id != association.id):
        raise BookingError("resource_id", _("Cette ressource n’existe pas."))
    if resource is not None and not resource.active:
        raise BookingError("resource_id", _("« %(name)s » n’est plus en service.", name=resource.name))
    if resource_kind and (resource is None or resource.kind != resource_kind):
        raise BookingError("resource_id", _("Ce module a besoin d’une ressource « %(kind)s ».", kind=ResourceKind.label_of(resource_kind)))
    if resource is not None:
        start, end = local(starts_at, association.timezone), local(ends_at, association.timezone)
        if (str(start.weekday()) not in resource.open_days or start.time() < resource.opens_at
                or end.time() > resource.closes_at or end.date() != start.date()):
            raise BookingError("resource_id", _("« %(name)s » est fermé à ce moment.", name=resource.name))
    return resource


def _check_parties(association: Association, req: Request, module: LocalModule, *, past: timedelta,
                   now: datetime | None) -> Resource | None:
    resource = check_slot(association, starts_at=req.starts_at,
                          ends_at=req.starts_at + timedelta(minutes=module.duration_minutes),
                          volunteer_id=req.volunteer_id, resource_id=req.resource_id,
                          resource_kind=module.resource_kind, qualification=module.qualification, past=past,
                          now=now)
    beneficiary = db.session.get(Beneficiary, req.beneficiary_id)
    if beneficiary is None or beneficiary.association_id != association.id or not beneficiary.active:
        raise BookingError("beneficiary_id", _("Choisissez une personne accompagnée par l’association."))
    if module.mode != "in_person" and not req.call_details.strip():
        raise BookingError("call_details", _("Indiquez le numéro à appeler ou le lien de la visio."))
    return resource


def _journey_module(association: Association, beneficiary_id: int, module_id: int) -> JourneyModule | None:
    """The beneficiary's open journey module for this module still to plan, if any."""
    return db.session.scalar(
        select(JourneyModule).join(Journey, Journey.id == JourneyModule.journey_id)
        .where(JourneyModule.association_id == association.id, Journey.beneficiary_id == beneficiary_id,
               Journey.exited_on.is_(None), JourneyModule.module_id == module_id,
               JourneyModule.status.in_(("to_plan", "missed")))
        .order_by(JourneyModule.id).limit(1))


def _note(appointment: Appointment, action: str, detail: str = "") -> AppointmentEvent:
    """Write the change into the appointment's history; the entry names the change for those who tell it."""
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    event = AppointmentEvent(association_id=appointment.association_id, appointment_id=appointment.id,
                             user_id=user_id, action=action, detail=detail[:255])
    db.session.add(event)
    return event


def _follow_journey(appointment: Appointment, timezone: str) -> None:
    """Keep the linked journey modules in step with the appointment."""
    ids = [s.journey_module_id for s in appointment.seats if s.journey_module_id and s.status == "booked"]
    for item in db.session.scalars(select(JourneyModule).where(JourneyModule.id.in_(ids))) if ids else []:
        item.status = JOURNEY_STATUS[appointment.status]
        if item.status == "to_plan":
            item.happened_on = None
        else:
            item.happened_on = local(appointment.starts_at, timezone).date()
            item.coach_id = appointment.volunteer_id


def book(association: Association, req: Request, *, override: bool = False, self_service: bool = False,
         alternatives=None, link_url: str | None = None, now: datetime | None = None) -> Appointment:
    """Book a session for a beneficiary, or a seat in a collective one already there at that time.

    The confirmation goes out with `link_url`, the beneficiary's personal link to cancel or move;
    for a booking by staff a new link is made. A session recorded after it started (staff, up to
    STAFF_PAST back) sends no confirmation and no reminder.
    """
    now = now or utcnow()
    module = local_module(association.id, req.module_id)
    ends_at = req.starts_at + timedelta(minutes=module.duration_minutes)
    _check_parties(association, req, module, past=timedelta(0) if self_service else STAFF_PAST, now=now)
    _lock(association, volunteer_id=req.volunteer_id, resource_id=req.resource_id,
          beneficiary_id=req.beneficiary_id)
    unavailable = is_available(association, req.volunteer_id, req.starts_at, ends_at)
    if unavailable and (self_service or not override):
        if self_service:
            raise BookingError("starts_at", _("La personne qui accompagne est %(why)s.", why=unavailable))
        raise NeedsOverride("override", _("La personne qui accompagne est %(why)s.", why=unavailable))
    joining = _collective_session(association, req, module)
    if joining is not None:
        # A move or a status change of that session holds its lock: wait for it, then see what it left.
        _lock(association, appointment_id=joining.id)
        _reread(joining)
        if (joining.status != AppointmentStatus.PLANNED or joining.starts_at != req.starts_at
                or joining.volunteer_id != req.volunteer_id):
            joining = None  # moved or cancelled meanwhile: book a session of one's own, if the time is free
        elif len(joining.booked_seats) >= joining.capacity:
            raise Conflict(_("Cette séance collective est complète (%(n)d places).", n=joining.capacity), [])
    reasons = busy_reasons(association, starts_at=req.starts_at, ends_at=ends_at, volunteer_id=req.volunteer_id,
                           resource_id=req.resource_id, beneficiary_id=req.beneficiary_id, joining=joining)
    if reasons:
        raise Conflict(_("Ce créneau n’est plus libre : %(why)s.", why=", ".join(reasons)),
                       alternatives(module) if alternatives else [])
    appointment = joining or Appointment(
        association_id=association.id, module_id=module.id, name=module.name, starts_at=req.starts_at,
        ends_at=ends_at, volunteer_id=req.volunteer_id, resource_id=req.resource_id, capacity=module.capacity,
        mode=module.mode, call_details=req.call_details.strip(), outside_availability=bool(unavailable))
    if joining is None:
        db.session.add(appointment)
        db.session.flush()
    item = _journey_module(association, req.beneficiary_id, module.id)
    seat = Seat(association_id=association.id, appointment_id=appointment.id, beneficiary_id=req.beneficiary_id,
                journey_module_id=item.id if item else None, status="booked")
    # Appended through the collection only: adding it to the session first would let the collection's
    # lazy load flush it and then list it a second time (a name twice in the coach's mail).
    appointment.seats.append(seat)
    db.session.flush()
    _follow_journey(appointment, association.timezone)
    change = _note(appointment, "seat" if joining else "booked",
                   _("réservé en dehors des disponibilités") if unavailable else "")
    db.session.flush()
    signals.appointment_booked.send(association, appointment=appointment,
                                    beneficiary=db.session.get(Beneficiary, req.beneficiary_id),
                                    link_url=link_url, self_service=self_service, now=now, change=change,
                                    new_session=joining is None)
    return appointment


def _collective_session(association: Association, req: Request, module: LocalModule) -> Appointment | None:
    """The collective session of this module, coach and time that still has a free seat, if any."""
    if module.capacity <= 1:
        return None
    session = db.session.scalar(select(Appointment).where(
        Appointment.association_id == association.id, Appointment.module_id == module.id,
        Appointment.volunteer_id == req.volunteer_id, Appointment.starts_at == req.starts_at,
        Appointment.status == "planned"))
    if session is None:
        return None
    if len(session.booked_seats) >= session.capacity:
        raise Conflict(_("Cette séance collective est complète (%(n)d places).", n=session.capacity), [])
    return session


def move(association: Association, appointment: Appointment, *, starts_at: datetime, volunteer_id: int,
         resource_id: int | None, override: bool = False, now: datetime | None = None) -> None:
    """Move a planned appointment to a time to come, another coach or resource; the journey follows."""
    if appointment.status != "planned":
        raise BookingError("starts_at", _("Seul un rendez-vous prévu peut être déplacé."))
    ends_at = starts_at + (appointment.ends_at - appointment.starts_at)
    module = db.session.get(Module, appointment.module_id)
    check_slot(association, starts_at=starts_at, ends_at=ends_at, volunteer_id=volunteer_id, resource_id=resource_id,
               resource_kind=module.resource_kind, qualification=module.qualification, now=now)
    _lock(association, volunteer_id=volunteer_id, resource_id=resource_id, appointment_id=appointment.id)
    _reread(appointment)  # cancelled or moved meanwhile? what was read before the lock may be gone
    if appointment.status != "planned":
        raise BookingError("starts_at", _("Seul un rendez-vous prévu peut être déplacé."))
    ends_at = starts_at + (appointment.ends_at - appointment.starts_at)
    before = (appointment.starts_at, appointment.volunteer_id, appointment.resource_id)
    if before == (starts_at, volunteer_id, resource_id):
        return  # nothing changes, nothing to tell
    beneficiaries = [s.beneficiary_id for s in appointment.booked_seats]
    unavailable = is_available(association, volunteer_id, starts_at, ends_at)
    if unavailable and not override:
        raise NeedsOverride("override", _("La personne qui accompagne est %(why)s.", why=unavailable))
    reasons = busy_reasons(association, starts_at=starts_at, ends_at=ends_at, volunteer_id=volunteer_id,
                           resource_id=resource_id, beneficiary_id=None, ignore_appointment=appointment.id)
    for beneficiary_id in beneficiaries:
        reasons += busy_reasons(association, starts_at=starts_at, ends_at=ends_at, volunteer_id=None,
                                resource_id=None, beneficiary_id=beneficiary_id, ignore_appointment=appointment.id)
    if reasons:
        raise Conflict(_("Impossible de déplacer : %(why)s.", why=", ".join(dict.fromkeys(reasons))), [])
    previous_starts_at, previous_volunteer_id, previous_resource_id = before
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.volunteer_id, appointment.resource_id = volunteer_id, resource_id
    appointment.outside_availability = bool(unavailable)
    _follow_journey(appointment, association.timezone)
    if starts_at != previous_starts_at:
        detail = _("déplacé du %(d)s", d=format_datetime(previous_starts_at, "short", timezone=association.timezone))
    elif volunteer_id != previous_volunteer_id:
        detail = _("confié à %(name)s", name=db.session.get(User, volunteer_id).name)
    else:
        detail = _("changé de ressource")
    change = _note(appointment, "moved", detail)
    db.session.flush()
    signals.appointment_moved.send(association, appointment=appointment, change=change,
                                   previous_starts_at=previous_starts_at, previous_volunteer_id=previous_volunteer_id,
                                   previous_resource_id=previous_resource_id)


def set_status(association: Association, appointment: Appointment, status: str, reason: str = "",
               now: datetime | None = None) -> None:
    """Record what happened (done, no-show, excused) or cancel with a reason; the journey follows.

    A planned session cancelled, or excused before it begins, will not take place: the time is free
    again and the people concerned are told. Setting the status it already has changes nothing.
    """
    now = now or utcnow()
    if status not in JOURNEY_STATUS:
        raise BookingError("status", _("Statut inconnu."))
    if status == "cancelled" and not reason.strip():
        raise BookingError("reason", _("Indiquez la raison de l’annulation."))
    _lock(association, appointment_id=appointment.id)
    _reread(appointment)  # moved or changed meanwhile: decide on what the last change left
    previous = appointment.status
    if status == previous:
        return
    if status == "planned" and previous in FREES_TIME:
        raise BookingError("status", _("Un rendez-vous annulé ou excusé ne redevient pas prévu : réservez-en un "
                                       "nouveau."))
    if status in ("done", "no_show") and appointment.starts_at > now:
        raise BookingError("status", _("Cette séance n’a pas encore commencé : elle ne peut être notée réalisée ou "
                                       "absente qu’à partir du %(when)s.", when=format_datetime(
                                           appointment.starts_at, "short", timezone=association.timezone)))
    appointment.status = status
    if status == "cancelled":
        appointment.cancel_reason = reason.strip()
    _follow_journey(appointment, association.timezone)
    change = _note(appointment, status, reason.strip())
    db.session.flush()
    signals.appointment_status_changed.send(association, appointment=appointment, status=status, previous=previous,
                                            reason=reason.strip(), change=change)
    if previous == "planned" and (status == "cancelled" or status == "excused" and appointment.starts_at > now):
        signals.appointment_cancelled.send(association, appointment=appointment,
                                           beneficiaries=[s.beneficiary for s in appointment.booked_seats],
                                           moving=False, change=change)


def cancel_seat(seat: Seat, reason: str, *, moving: bool = False) -> None:
    """Free one beneficiary's place; a session left with nobody is cancelled.

    `moving`: the person frees it to book another time in the same transaction (self-service move),
    so the receivers need not announce a cancellation, the new booking's confirmation follows.
    """
    appointment = seat.appointment
    association = db.session.get(Association, appointment.association_id)
    _lock(association, appointment_id=appointment.id)
    _reread(appointment)  # the seat with it
    if seat.status != "booked":
        return  # freed meanwhile
    was_planned = appointment.status == "planned"
    seat.status = "cancelled"
    if seat.journey_module_id:
        item = db.session.get(JourneyModule, seat.journey_module_id)
        item.status, item.happened_on = "to_plan", None
    if was_planned and not appointment.booked_seats:
        appointment.status, appointment.cancel_reason = "cancelled", reason.strip()
    change = _note(appointment, "seat_cancelled", reason.strip())
    db.session.flush()
    if not was_planned:
        return  # a session already cancelled or past: nobody expects it any more
    if appointment.status == "cancelled":
        signals.appointment_cancelled.send(association, appointment=appointment, beneficiaries=[seat.beneficiary],
                                           moving=moving, change=change)
    else:  # the collective session goes on without this person
        signals.seat_cancelled.send(association, appointment=appointment, seat=seat, moving=moving, change=change)


def history(appointment: Appointment) -> list[AppointmentEvent]:
    return list(db.session.scalars(select(AppointmentEvent).where(
        AppointmentEvent.appointment_id == appointment.id).order_by(AppointmentEvent.at, AppointmentEvent.id)))
