"""Volunteers from a spreadsheet: identity, contact, what the profile keeps, and qualifications with their dates.

A volunteer is an account (found by its e-mail, or made) with a membership in the association and a
profile there. The import sends no e-mail: a new membership waits, invited but without a link
(`members.services.add_uninvited`), until staff send the invitation from the import or the members
page. An account that exists elsewhere is linked as it is, and nothing of it shows here: the row reads
"to create" like any new person, under the name the file gives.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from intranet.auth.models import User
from intranet.calendar.models import Absence, Appointment, Availability
from intranet.extensions import db
from intranet.imports.planner import Row, merge_choices, merge_rows, shown
from intranet.journeys.models import JourneyModule
from intranet.members import services as members
from intranet.members.models import DEACTIVATED, Membership
from intranet.network.models import Association
from intranet.search import fold
from intranet.tenancy import Role
from intranet.volunteers import services as volunteers
from intranet.volunteers.models import (
    Qualification,
    QualificationSource,
    SessionLog,
    TrainingEnrolment,
    VolunteerActivity,
    VolunteerProfile,
    VolunteerStatus,
)

# What a row may set on the profile (the availability column is written into the team's notes).
PROFILE_FIELDS = ("phone", "skills", "languages", "background", "joined_on", "staff_notes")
MERGED_FIELDS = ("first_name", "last_name", "phone", "skills", "languages", "background", "staff_notes", "joined_on")


@dataclass(frozen=True)
class TrainingInfo:
    id: int
    name: str
    validity_months: int | None
    codes: tuple[str, ...]


def trainings_of(association_id: int) -> dict[int, TrainingInfo]:
    """The catalogue an association's file may name: the network's trainings and its own, active ones."""
    return {t.id: TrainingInfo(t.id, t.name, t.validity_months, tuple(t.codes))
            for t in volunteers.trainings_for(association_id)}


def _read_qualifications(row: Row, trainings: dict[int, TrainingInfo], today: date) -> None:
    """Turn the training columns of a row into {training id: (obtained on, valid until, dated)}."""
    data = row.data
    held: dict[int, list] = {}
    for key in [k for k in data if k.startswith("training:")]:
        value = data.pop(key)
        if value not in (None, ""):
            held[int(key.split(":")[1])] = [None if value is True else value, None]
    for training_id, day in data.pop("trainings", None) or []:
        held.setdefault(int(training_id), [day or data.get("trained_on"), data.get("valid_until")])
    data.pop("trained_on", None)
    data.pop("valid_until", None)
    for key in [k for k in data if k.startswith("until:")]:
        until = data.pop(key)
        training_id = int(key.split(":")[1])
        if until is None:
            continue
        if training_id not in held:
            row.errors.append(["", _("fin de validité de « %(name)s » sans date de formation ni « oui »",
                                     name=trainings[training_id].name)])
            continue
        held[training_id][1] = until
    for training_id, (obtained, until) in held.items():
        training = trainings.get(training_id)
        if training is None:
            continue
        dated = obtained is not None
        if not dated:
            obtained = today
            row.warnings.append(["", _("« %(name)s » sans date de formation : l’habilitation est datée du jour de "
                                       "l’import (corrigez-la sur la fiche si besoin)", name=training.name)])
        elif obtained > today:
            row.errors.append(["", _("formation « %(name)s » datée dans le futur (%(day)s)", name=training.name,
                                     day=shown(obtained))])
            continue
        if until is None:
            until = volunteers.valid_until(obtained, training.validity_months)
        elif until < obtained:
            row.errors.append(["", _("la fin de validité de « %(name)s » (%(until)s) précède la formation (%(on)s)",
                                     name=training.name, until=shown(until), on=shown(obtained))])
            continue
        if until is not None and until < today:
            row.warnings.append(["", _("habilitation « %(name)s » expirée le %(day)s : importée pour l’historique",
                                       name=training.name, day=shown(until))])
        row.qualifications[training_id] = (obtained, until, dated)


def _notes(data: dict) -> str:
    parts = [data.pop("staff_notes", "") or ""]
    availability = data.pop("availability", "") or ""
    if availability:
        parts.append(_("Disponibilités : %(when)s", when=availability))
    return "\n".join(p for p in parts if p)


class Known:
    """What the association (and only it) already knows of the people a file names, read once."""

    def __init__(self, association_id: int, emails: list[str]):
        self.users: dict[str, int] = {}
        for start in range(0, len(emails), 500):
            self.users.update({email: user_id for user_id, email in db.session.execute(
                select(User.id, User.email).where(User.email.in_(emails[start:start + 500])))})
        self.memberships: dict[int, Membership] = {}
        self.profiles: dict[int, VolunteerProfile] = {}
        self.held: dict[int, dict[str, list[date]]] = defaultdict(dict)
        self.names: dict[tuple, str] = {}  # folded name of a member here -> their e-mail
        for membership, user in db.session.execute(
                select(Membership, User).join(User, User.id == Membership.user_id)
                .where(Membership.association_id == association_id)):
            self.memberships[user.id] = membership
            self.names[_name_key(*_split(membership.display_name))] = user.email
        for profile in db.session.scalars(select(VolunteerProfile)
                                          .where(VolunteerProfile.association_id == association_id)):
            self.profiles[profile.user_id] = profile
        for profile_id, code, obtained_on in db.session.execute(
                select(Qualification.profile_id, Qualification.code, Qualification.obtained_on)
                .where(Qualification.association_id == association_id, Qualification.withdrawn_on.is_(None))):
            self.held[profile_id].setdefault(code, []).append(obtained_on)

    def member(self, email: str) -> Membership | None:
        user_id = self.users.get(email)
        return self.memberships.get(user_id) if user_id is not None else None

    def values(self, membership: Membership) -> dict:
        profile = self.profiles.get(membership.user_id)
        return {key: getattr(profile, key) if profile else None for key in PROFILE_FIELDS}

    def missing(self, membership: Membership, row: Row, trainings: dict[int, TrainingInfo]) -> dict:
        """The qualifications of the row the member does not hold yet (a later or same date counts as held)."""
        profile = self.profiles.get(membership.user_id)
        held = self.held.get(profile.id, {}) if profile else {}
        missing = {}
        for training_id, (obtained, until, dated) in row.qualifications.items():
            for code in trainings[training_id].codes:
                dates = held.get(code, [])
                if not dates or (dated and max(dates) < obtained):
                    missing[training_id] = (obtained, until, dated)
        return missing


def _split(name: str) -> tuple[str, str]:
    first, _sep, last = name.partition(" ")
    return first, last


def _name_key(first: str, last: str) -> tuple:
    return tuple(sorted((fold(first or ""), fold(last or ""))))


def _changes(row: Row, old: dict, trainings: dict[int, TrainingInfo]) -> dict:
    changes = {}
    for key in PROFILE_FIELDS:
        value = row.data.get(key)
        if value in ("", None) or old.get(key) == value:
            continue
        if key == "staff_notes" and value in (old.get(key) or ""):
            continue
        changes[key] = [shown(old.get(key)), shown(value)]
    for training_id, (obtained, until, _dated) in row.qualifications.items():
        changes[f"training:{training_id}"] = ["", _("obtenue le %(on)s", on=shown(obtained)) + (
            _(", valable jusqu’au %(until)s", until=shown(until)) if until else "")]
    return changes


def plan_volunteers(rows: list[Row], association_id: int, decisions: dict, today: date) -> dict:
    """Give each row its status (create, update, unchanged, error…), group rows of one e-mail, and count."""
    trainings = trainings_of(association_id)
    for row in rows:
        data = row.data
        _read_qualifications(row, trainings, today)
        data["staff_notes"] = _notes(data)
        if not data.get("last_name"):
            row.errors.append(["", _("nom manquant")])
        if not data.get("first_name"):
            row.errors.append(["", _("prénom manquant")])
        if not data.get("email"):
            row.errors.append(["", _("e-mail manquant : chaque bénévole reçoit son accès à cette adresse")])
        if row.errors:
            row.status = "error"
    valid = [r for r in rows if not r.errors]
    known = Known(association_id, sorted({r.data["email"] for r in valid}))
    by_email: dict[str, list[Row]] = defaultdict(list)
    for row in valid:
        by_email[row.data["email"]].append(row)
    names: dict[tuple, Row] = {}
    for row in valid:
        key = _name_key(row.data["first_name"], row.data["last_name"])
        other = names.setdefault(key, row)
        if other.data["email"] != row.data["email"]:
            row.warnings.append(["", _("même nom que la ligne %(n)s, avec un autre e-mail : deux personnes",
                                       n=other.n)])
        elif key in known.names and known.names[key] != row.data["email"]:
            row.warnings.append(["", _("un·e membre de l’association porte déjà ce nom, avec un autre e-mail : "
                                       "une autre personne sera ajoutée")])
    groups, units = [], []
    for email, group_rows in by_email.items():
        membership = known.member(email)
        existing = known.values(membership) if membership is not None else None
        if len(group_rows) == 1:
            units.append((group_rows[0], membership))
            continue
        gid = f"v{group_rows[0].n}"
        decision = decisions.get(gid, {})
        action = decision.get("action") if decision.get("action") in ("merge", "skip") else "merge"
        keep = decision.get("keep") or group_rows[0].n
        choices = merge_choices(group_rows, MERGED_FIELDS, existing, keep, decision.get("fields"))
        groups.append({"id": gid, "rows": [{"n": r.n, "label": r.label, "email": email,
                                            "phone": r.data.get("phone", ""), "birth_date": ""} for r in group_rows],
                       "existing": None, "existing_label": membership.display_name if membership else "",
                       "reason": _("même e-mail"), "action": action, "keep": keep, "fields": choices,
                       "actions": ["merge", "skip"]})
        for row in group_rows:
            row.group = gid
        if action == "skip":
            for row in group_rows:
                row.status = "skipped"
            continue
        merged = merge_rows(group_rows, keep, choices, existing)
        for row in group_rows:
            if row.n != merged.n:
                row.status = "merged"
        units.append((merged, membership))
    by_n = {r.n: r for r in rows}
    for unit, membership in units:
        target = by_n[unit.n]
        if membership is None:
            unit.status, unit.match = "create", None
        elif membership.state == DEACTIVATED or (
                known.profiles.get(membership.user_id) and
                known.profiles[membership.user_id].status == VolunteerStatus.LEFT):
            unit.status, unit.match = "unchanged", membership.id
            unit.warnings.append(["", _("%(name)s a quitté l’association : rien n’est modifié ; réintégrez cette "
                                        "personne depuis sa fiche, puis importez à nouveau",
                                        name=membership.display_name)])
        else:
            unit.match = membership.id
            unit.qualifications = known.missing(membership, unit, trainings)
            unit.changes = _changes(unit, known.values(membership), trainings)
            unit.status = "update" if unit.changes else "unchanged"
        target.status, target.match, target.changes = unit.status, unit.match, unit.changes
        target.data, target.qualifications, target.warnings = unit.data, unit.qualifications, unit.warnings
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    counts["warnings"] = sum(1 for r in rows if r.warnings)
    return {"rows": [r.as_dict() for r in rows], "groups": groups, "counts": dict(counts)}


def write_volunteers(batch, rows: list[Row], note) -> None:
    """Add the members-to-be (no e-mail sent), their profiles and qualifications; note each for undo."""
    association = db.session.get(Association, batch.association_id)
    trainings = trainings_of(batch.association_id)
    for row in rows:
        if row.status not in ("create", "update"):
            continue
        data = row.data
        if row.status == "create":
            name = f"{data['first_name']} {data['last_name']}".strip()
            membership, new_account = members.add_uninvited(association, email=data["email"], name=name,
                                                            role=Role.VOLUNTEER)
            if new_account:
                note(membership.user, created=True)
            note(membership, created=True)
        else:
            membership = db.session.get(Membership, row.match)
        profile = volunteers.profile_of(association.id, membership.user_id)
        created = profile is None
        if created:
            profile = volunteers.profile_for(membership)
        before = {key: _json(getattr(profile, key)) for key in (*PROFILE_FIELDS, "search_key")}
        values = {key: data[key] for key in PROFILE_FIELDS if data.get(key) not in ("", None)}
        if values.get("staff_notes") and profile.staff_notes and values["staff_notes"] not in profile.staff_notes:
            values["staff_notes"] = f"{profile.staff_notes}\n{values['staff_notes']}"
        changed = volunteers.update_profile(profile, values)
        for training_id, (obtained, until, dated) in row.qualifications.items():
            evidence = _("Import du fichier « %(file)s », ligne %(n)s", file=batch.file_name, n=row.n)
            if not dated:
                evidence += _(" (« oui » sans date)")
            for code in trainings[training_id].codes:
                granted = volunteers.grant(profile, code, obtained_on=obtained, until=until,
                                           source=QualificationSource.MANUAL, evidence=evidence[:500])
                note(granted, created=True)
        db.session.flush()
        if created:
            note(profile, created=True, stamp=profile.updated_at)
        else:
            note(profile, created=False, before={k: before[k] for k in (*changed, "search_key")} if changed else {},
                 stamp=profile.updated_at)


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


def undo_blockers(records) -> list[str]:
    """What was done since with the volunteers a batch added or changed, which its undo would destroy."""
    ids = defaultdict(set)
    for record in records:
        ids[(record.object_type, record.created)].add(record.object_id)
    problems = []
    created_members = list(db.session.scalars(select(Membership).where(
        Membership.id.in_(ids[("Membership", True)] or {0}))))
    for membership in created_members:
        if not membership.never_invited:
            problems.append(_("%(name)s a été invité·e (ou son accès a changé) depuis l’import",
                              name=membership.display_name))
    stamps = {r.object_id: r.stamp for r in records if r.object_type == "VolunteerProfile"}
    profiles = list(db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.id.in_(stamps or {0}))))
    for profile in profiles:
        if stamps[profile.id] is not None and profile.updated_at != stamps[profile.id]:
            problems.append(_("la fiche bénévole de %(name)s a été modifiée depuis l’import",
                              name=profile.membership.display_name))
    ours = ids[("Qualification", True)]
    for qualification in db.session.scalars(select(Qualification).where(
            Qualification.id.in_(ours or {0}), Qualification.withdrawn_on.is_not(None))):
        problems.append(_("une habilitation de %(name)s a été retirée depuis l’import",
                          name=qualification.profile.membership.display_name))
    created_profiles = {p.id: p for p in profiles if p.id in ids[("VolunteerProfile", True)]}
    if created_profiles:
        busy = set(db.session.scalars(select(Qualification.profile_id).where(
            Qualification.profile_id.in_(created_profiles), Qualification.id.not_in(ours or {0}))))
        for model in (TrainingEnrolment, VolunteerActivity):
            busy |= set(db.session.scalars(select(model.profile_id).where(model.profile_id.in_(created_profiles))))
        for profile_id in sorted(busy):
            problems.append(_("des habilitations, formations ou activités ont été enregistrées depuis pour %(name)s",
                              name=created_profiles[profile_id].membership.display_name))
    if created_members:
        users = {m.user_id: m for m in created_members}
        association_id = created_members[0].association_id
        busy = set()
        for column, scoped_to in ((Appointment.volunteer_id, Appointment.association_id),
                                  (JourneyModule.coach_id, JourneyModule.association_id),
                                  (Availability.user_id, Availability.association_id),
                                  (Absence.user_id, Absence.association_id),
                                  (SessionLog.volunteer_id, SessionLog.association_id)):
            busy |= set(db.session.scalars(select(column).where(column.in_(users), scoped_to == association_id)))
        for user_id in sorted(busy):
            problems.append(_("des séances, disponibilités ou absences ont été enregistrées depuis pour %(name)s",
                              name=users[user_id].display_name))
    return problems


def removable_account(user: User) -> bool:
    """An account the import made may go with its undo while nobody used it: no password, no other membership."""
    if user.password_hash:
        return False
    return not db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id))

