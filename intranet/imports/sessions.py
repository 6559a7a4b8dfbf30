"""Past sessions (Coup de Pouce à la Maison's sheet): each row is matched to its person and module, and
becomes a journey module done or missed, with its appointment when the coach is a member.

Re-importing the same sessions creates nothing: a session is known by its person, module and start.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.calendar.models import Appointment, AppointmentStatus, Seat
from intranet.clock import to_utc, utcnow
from intranet.extensions import db
from intranet.imports.planner import Row
from intranet.journeys.models import Journey, JourneyModule, ModuleStatus
from intranet.members.models import ACTIVE, INVITED, Membership
from intranet.search import fold

MODULE_STATUS = {"done": ModuleStatus.DONE, "no_show": ModuleStatus.MISSED}
APPOINTMENT_STATUS = {"done": AppointmentStatus.DONE, "no_show": AppointmentStatus.NO_SHOW,
                      "excused": AppointmentStatus.EXCUSED, "": AppointmentStatus.PLANNED}


class People:
    """The association's files and members, by the keys a session row carries."""

    def __init__(self, association_id: int):
        self.by_phone: dict[tuple, list[int]] = defaultdict(list)
        self.by_name: dict[tuple, list[int]] = defaultdict(list)
        self.by_email: dict[str, int] = {}
        for b_id, first, last, phone, email in db.session.execute(
                select(Beneficiary.id, Beneficiary.first_name, Beneficiary.last_name, Beneficiary.phone,
                       Beneficiary.email).where(Beneficiary.association_id == association_id)):
            if phone:
                self.by_phone[(phone, fold(first))].append(b_id)
            self.by_name[(fold(first), fold(last))].append(b_id)
            if email:
                self.by_email[email.lower()] = b_id
        # Active members first, then people invited (or added by a volunteers import) who have not accepted yet,
        # known by the name the association gave them: past sessions count in their hours all the same.
        self.coaches = {}
        for user_id, name, invited_name, accepted_at in db.session.execute(
                select(User.id, User.name, Membership.invited_name, Membership.accepted_at)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.association_id == association_id,
                       Membership.state.in_((ACTIVE, INVITED)))
                .order_by(Membership.state != ACTIVE)):
            shown = invited_name if accepted_at is None and invited_name else name
            self.coaches.setdefault(fold(shown), user_id)
        self.done: dict[tuple, tuple] = {}  # (beneficiary, module, day) -> (journey module id, status)
        for jm_id, b_id, module_id, day, status in db.session.execute(
                select(JourneyModule.id, Journey.beneficiary_id, JourneyModule.module_id, JourneyModule.happened_on,
                       JourneyModule.status).join(Journey, Journey.id == JourneyModule.journey_id)
                .where(JourneyModule.association_id == association_id)):
            self.done[(b_id, module_id, day)] = (jm_id, status)
        self.appointments = set(db.session.execute(
            select(Seat.beneficiary_id, Appointment.module_id, Appointment.starts_at)
            .join(Appointment, Appointment.id == Seat.appointment_id)
            .where(Seat.association_id == association_id)).all())

    def person(self, data: dict) -> int | None:
        first, last = fold(data.get("first_name", "")), fold(data.get("last_name", ""))
        if data.get("email") and data["email"].lower() in self.by_email:
            return self.by_email[data["email"].lower()]
        if data.get("phone") and len(self.by_phone.get((data["phone"], first), [])) == 1:
            return self.by_phone[(data["phone"], first)][0]
        for key in ((first, last), (last, first)):  # "Hélène Diallo" or "Diallo Hélène"
            if len(self.by_name.get(key, [])) == 1:
                return self.by_name[key][0]
        return None


def plan_sessions(rows: list[Row], association_id: int, timezone: str) -> dict:
    people = People(association_id)
    seen = set()
    for row in rows:
        data = row.data
        if not data.get("date"):
            row.errors.append(["", _("date de la séance manquante")])
        if not data.get("module"):
            row.errors.append(["", _("module manquant")])
        if not row.errors:
            beneficiary_id = people.person(data)
            if beneficiary_id is None:
                row.errors.append(["", _("personne introuvable parmi les fiches (%(name)s) : importez d’abord le "
                                         "fichier des candidats, ou vérifiez le nom", name=row.label or "?")])
            row.match = beneficiary_id
        if row.errors:
            row.status = "error"
            continue
        module_id = int(data["module"])
        starts_at = to_utc(data["date"], data.get("time") or time(9, 0), timezone)
        data["starts_at"] = starts_at
        if not data.get("time"):
            row.warnings.append(["", _("heure non indiquée : 9h retenue")])
        if not data.get("attendance"):
            row.warnings.append(["", _("présence non indiquée : la séance est notée prévue")])
        coach = people.coaches.get(fold(data.get("coach", "")))
        data["coach_id"] = coach
        if data.get("coach") and coach is None:
            row.warnings.append(["", _("bénévole « %(name)s » inconnu dans l’association : la séance est notée sur "
                                       "le parcours, sans rendez-vous", name=data["coach"])])
        key = (row.match, module_id, starts_at)
        known = (row.match, module_id, data["date"]) in people.done or key in people.appointments
        if key in seen:
            row.status = "skipped"
            row.warnings.append(["", _("même séance que plus haut dans le fichier")])
        elif known:
            row.status = "unchanged"
        else:
            row.status = "create"
            row.changes = {"module": ["", str(module_id)], "date": ["", data["date"].strftime("%d/%m/%Y")]}
        seen.add(key)
    counts = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    counts["warnings"] = sum(1 for r in rows if r.warnings)
    return {"rows": [r.as_dict() for r in rows], "groups": [], "counts": dict(counts)}


def write_sessions(rows: list[Row], association_id: int, modules: dict, note, report=None) -> None:
    """Create the journey modules and appointments of the rows to create (`note` records what was made).

    `report(done, total)` is told how many of the sessions' modules are written.

    The rows are taken in the file's order against the journeys as they stand, the new journeys, modules,
    appointments and seats being kept aside as plain rows, then written in bulk (a statement per kind).
    """
    from intranet.imports.bulk import insert_rows

    todo = [r for r in rows if r.status == "create"]
    if not todo:
        return
    now = utcnow()
    journeys: dict[int, Journey] = {}
    people = sorted({r.match for r in todo})
    for start in range(0, len(people), 500):
        for journey in db.session.scalars(
                select(Journey).options(selectinload(Journey.modules))
                .where(Journey.association_id == association_id, Journey.exited_on.is_(None),
                       Journey.beneficiary_id.in_(people[start:start + 500])).order_by(Journey.started_on.desc())):
            journeys.setdefault(journey.beneficiary_id, journey)
    new_journeys: dict[int, dict] = {}  # person -> the journey to create
    present: dict[int, list] = {}  # person -> the modules of their journey: loaded ones, and dicts of new ones
    new_items: list[tuple[int, dict]] = []
    changed: set[tuple[str, int]] = set()  # what was noted as changed (its first values are what undo puts back)
    bookings: list[tuple[dict, dict]] = []  # (appointment, seat) to create, the seat's module in "item"
    for row in todo:
        data = row.data
        module = modules[int(data["module"])]
        attendance = data.get("attendance", "")
        journey = journeys.get(row.match)
        if journey is None:
            new = new_journeys.setdefault(row.match, {"association_id": association_id, "beneficiary_id": row.match,
                                                      "started_on": data["date"], "created_at": now})
            new["started_on"] = min(new["started_on"], data["date"])
            items = present.setdefault(row.match, [])
        else:
            if journey.started_on > data["date"]:
                if ("Journey", journey.id) not in changed:
                    changed.add(("Journey", journey.id))
                    note(journey, created=False, before={"started_on": journey.started_on.isoformat()})
                journey.started_on = data["date"]
            items = present.setdefault(row.match, list(journey.modules))
        item = next((m for m in items if _get(m, "module_id") == module.id
                     and _get(m, "status") in (ModuleStatus.TO_PLAN, ModuleStatus.PLANNED)), None)
        status = MODULE_STATUS.get(attendance, ModuleStatus.PLANNED if not attendance else ModuleStatus.TO_PLAN)
        if item is None:
            item = {"association_id": association_id, "journey_id": journey.id if journey else None,
                    "module_id": module.id, "name": module.name, "position": len(items) + 1, "status": status,
                    "happened_on": data["date"], "coach_id": data.get("coach_id"), "notes": data.get("notes", "")}
            items.append(item)
            new_items.append((row.match, item))
        elif isinstance(item, dict):  # made by this import a few rows above
            item["status"], item["happened_on"] = status, data["date"]
            item["coach_id"] = data.get("coach_id") or item["coach_id"]
        else:
            if ("JourneyModule", item.id) not in changed:
                changed.add(("JourneyModule", item.id))
                note(item, created=False, before={"status": item.status, "happened_on": _iso(item.happened_on),
                                                  "coach_id": item.coach_id})
            item.status, item.happened_on = status, data["date"]
            item.coach_id = data.get("coach_id") or item.coach_id
        if data.get("coach_id"):
            starts_at: datetime = data["starts_at"]
            bookings.append(({"association_id": association_id, "module_id": module.id, "name": module.name,
                              "starts_at": starts_at,
                              "ends_at": starts_at + timedelta(minutes=module.duration_minutes),
                              "volunteer_id": data["coach_id"], "mode": module.mode, "outside_availability": True,
                              "status": APPOINTMENT_STATUS[attendance]},
                             {"association_id": association_id, "beneficiary_id": row.match, "item": item}))
    db.session.flush()
    journey_ids = dict(zip(new_journeys, insert_rows(Journey, list(new_journeys.values())), strict=True))
    for journey_id in journey_ids.values():
        note(None, created=True, object_type="Journey", object_id=journey_id)
    for person, item in new_items:
        item["journey_id"] = item["journey_id"] or journey_ids[person]
    written = insert_rows(JourneyModule, [i for _p, i in new_items],
                          progress=report and (lambda done: report(done, len(new_items))))
    for (_person, item), item_id in zip(new_items, written, strict=True):
        item["id"] = item_id
        note(None, created=True, object_type="JourneyModule", object_id=item_id)
    if bookings:
        appointment_ids = insert_rows(Appointment, [a for a, _seat in bookings])
        seats = [{"association_id": seat["association_id"], "appointment_id": appointment_id,
                  "beneficiary_id": seat["beneficiary_id"], "journey_module_id": _get(seat["item"], "id")}
                 for (_a, seat), appointment_id in zip(bookings, appointment_ids, strict=True)]
        for appointment_id, seat_id in zip(appointment_ids, insert_rows(Seat, seats), strict=True):
            note(None, created=True, object_type="Appointment", object_id=appointment_id)
            note(None, created=True, object_type="Seat", object_id=seat_id)
    for person, _item in new_items:
        if person in journeys:  # its list of modules, loaded above, misses those just written
            db.session.expire(journeys[person], ["modules"])


def _get(item, key: str):
    """A value of a journey module, loaded (an object) or about to be created (a dict)."""
    return item[key] if isinstance(item, dict) else getattr(item, key)


def _iso(day) -> str | None:
    return day.isoformat() if day else None
