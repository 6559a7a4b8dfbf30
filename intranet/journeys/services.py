"""Journeys: start one with chosen modules, follow each module, record the exit and the follow-up."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.audit.services import record
from intranet.auth.models import User
from intranet.beneficiaries import services as files
from intranet.beneficiaries.models import Beneficiary
from intranet.dates import format_date
from intranet.extensions import db
from intranet.journeys.models import ExitSituation, FollowUpResult, Journey, JourneyModule, ModuleStatus
from intranet.members.models import Membership
from intranet.programs.services import LocalModule, local_modules
from intranet.rules import RuleError


class JourneyError(RuleError):
    """A change refused by a rule, with the field it concerns."""


def chosen_modules(association_id: int, module_ids: list[int]) -> list[LocalModule]:
    """The offered modules among `module_ids`, in program order."""
    wanted = set(module_ids)
    return [m for m in local_modules(association_id) if m.id in wanted]


def start(beneficiary: Beneficiary, module_ids: list[int], started_on: date) -> Journey:
    """Open a journey with the chosen modules, all to plan; the file moves to 'in progress'."""
    modules = chosen_modules(beneficiary.association_id, module_ids)
    if not modules or len(modules) != len(set(module_ids)):
        raise JourneyError("modules", _("Choisissez au moins un module proposé par votre association."))
    journey = Journey(association_id=beneficiary.association_id, beneficiary_id=beneficiary.id, started_on=started_on)
    journey.modules = [
        JourneyModule(association_id=beneficiary.association_id, module_id=m.id, position=i, name=m.name)
        for i, m in enumerate(modules, start=1)
    ]
    db.session.add(journey)
    if beneficiary.status in ("new", "completed", "withdrawn"):
        files.set_status(beneficiary, "in_progress")
    db.session.flush()
    record(beneficiary, "journey_start", [f"journey:{journey.id}"])
    db.session.flush()
    return journey


def coaches(association_id: int) -> list[User]:
    """People who may coach a module: the association's active members."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.association_id == association_id, Membership.active.is_(True), User.active.is_(True))
        .order_by(User.name)))


def update_module(item: JourneyModule, *, status: str, happened_on: date | None, coach_id: int | None,
                  notes: str, today: date) -> list[str]:
    """Change a module's status, date, coach or notes; 'done' without a date means today."""
    if status not in ModuleStatus.values():
        raise JourneyError("status", _("Statut inconnu."))
    if coach_id is not None and coach_id not in {u.id for u in coaches(item.association_id)}:
        raise JourneyError("coach_id", _("Cette personne ne fait pas partie de l’association."))
    if status == "done" and happened_on is None:
        happened_on = today
    if status == "done" and happened_on > today:
        raise JourneyError("happened_on", _("Un module réalisé ne peut pas être daté dans le futur."))
    if status == "missed" and happened_on is not None and happened_on > today:
        raise JourneyError("happened_on", _("Une absence ne peut pas être datée dans le futur."))
    changed = []
    for field, value in (("status", status), ("happened_on", happened_on), ("coach_id", coach_id),
                         ("notes", notes.strip())):
        if getattr(item, field) != value:
            setattr(item, field, value)
            changed.append(field)
    if changed:
        record(item.journey.beneficiary, "journey_module", [f"module:{item.id}:{f}" for f in changed])
    db.session.flush()
    return changed


def exit_journey(journey: Journey, *, exited_on: date, situation: str, today: date) -> None:
    """Close a journey with the ESF+ situation at exit; the file is completed when nothing stays open.

    Closing it again corrects the situation; once a follow-up is recorded (an answer to the follow-up
    e-mails or the six-month result) the exit date stays, so the exit never comes after its follow-up.
    """
    if situation not in ExitSituation.values():
        raise JourneyError("situation", _("Choisissez la situation à la sortie."))
    if exited_on < journey.started_on:
        raise JourneyError("exited_on", _("La sortie ne peut pas précéder le début du parcours (%(d)s).",
                                          d=format_date(journey.started_on, "long")))
    if exited_on > today:
        raise JourneyError("exited_on", _("La date de sortie ne peut pas être dans le futur."))
    followed_up = journey.answer_1m or journey.answer_6m or journey.follow_up_result or journey.follow_up_on
    if journey.exited_on is not None and followed_up and exited_on != journey.exited_on:
        raise JourneyError("exited_on", _("Le suivi après la sortie est déjà enregistré : la date de sortie reste "
                                          "le %(d)s.", d=format_date(journey.exited_on, "long")))
    journey.exited_on, journey.exit_situation = exited_on, situation
    beneficiary = journey.beneficiary
    others_open = db.session.scalar(select(Journey.id).where(
        Journey.beneficiary_id == beneficiary.id, Journey.id != journey.id, Journey.exited_on.is_(None)))
    if others_open is None and beneficiary.status == "in_progress":
        files.set_status(beneficiary, "completed")
    record(beneficiary, "journey_exit", [f"journey:{journey.id}"])
    db.session.flush()


def record_follow_up(journey: Journey, *, result: str, on: date, today: date) -> None:
    """Store the six-month result (ESF+ longer-term result) of an exited journey."""
    if journey.exited_on is None:
        raise JourneyError("result", _("Le suivi se note après la sortie du parcours."))
    if result not in FollowUpResult.values():
        raise JourneyError("result", _("Choisissez la situation six mois après la sortie."))
    if on < journey.exited_on or on > today:
        raise JourneyError("on", _("La date du suivi doit être entre la sortie et aujourd’hui."))
    journey.follow_up_result, journey.follow_up_on = result, on
    record(journey.beneficiary, "follow_up", [f"journey:{journey.id}"])
    db.session.flush()


def journeys_of(beneficiary: Beneficiary) -> list[Journey]:
    """A beneficiary's journeys, newest first, with modules and coaches loaded."""
    return list(db.session.scalars(
        select(Journey).options(selectinload(Journey.modules).selectinload(JourneyModule.coach))
        .where(Journey.association_id == beneficiary.association_id, Journey.beneficiary_id == beneficiary.id)
        .order_by(Journey.started_on.desc(), Journey.id.desc())))


def sessions_of(user: User) -> list[JourneyModule]:
    """The modules a person coaches that are still ahead (planned or to plan), for their own space."""
    return list(db.session.scalars(
        select(JourneyModule).options(selectinload(JourneyModule.journey).selectinload(Journey.beneficiary))
        .join(Journey, Journey.id == JourneyModule.journey_id)
        .join(Membership, (Membership.association_id == JourneyModule.association_id)
              & (Membership.user_id == user.id) & Membership.active.is_(True))
        .where(JourneyModule.coach_id == user.id, JourneyModule.status.in_(("to_plan", "planned")),
               Journey.exited_on.is_(None))
        .order_by(JourneyModule.happened_on.is_(None), JourneyModule.happened_on, JourneyModule.id)))
