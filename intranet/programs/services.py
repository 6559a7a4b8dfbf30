"""Which modules an association offers, under which local name and duration."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from intranet.extensions import db
from intranet.programs.models import Module, ModuleAdaptation, Program, ProgramOffer


@dataclass(frozen=True)
class LocalModule:
    """A module as one association offers it: the network's module with the local adaptation applied."""

    id: int
    program_id: int
    program_name: str
    name: str
    description: str
    duration_minutes: int
    mode: str
    position: int
    qualification: str
    resource_kind: str
    capacity: int
    offered: bool  # by the association, whether or not it offers the program itself
    adapted: bool


def programs() -> list[Program]:
    """Every program with its modules, in order."""
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Program).options(selectinload(Program.modules)).order_by(Program.position)))


def local_modules(association_id: int, *, offered_only: bool = True) -> list[LocalModule]:
    """The modules of `association_id`, adapted locally, grouped by program order."""
    adaptations = {
        a.module_id: a for a in db.session.scalars(
            select(ModuleAdaptation).where(ModuleAdaptation.association_id == association_id))
    }
    closed = set(db.session.scalars(
        select(ProgramOffer.program_id).where(ProgramOffer.association_id == association_id,
                                              ProgramOffer.offered.is_(False))))
    result = []
    for program in programs():
        for module in program.modules:
            if not module.active:
                continue
            local = adaptations.get(module.id)
            offered = local is None or local.offered
            if offered_only and (program.id in closed or not offered):
                continue
            result.append(LocalModule(
                id=module.id, program_id=program.id, program_name=program.name,
                name=(local and local.name) or module.name,
                description=(local and local.description) or module.description,
                duration_minutes=(local and local.duration_minutes) or module.duration_minutes,
                mode=module.mode, position=module.position, qualification=module.qualification,
                resource_kind=module.resource_kind, capacity=module.capacity, offered=offered,
                adapted=bool(local and (local.name or local.description or local.duration_minutes)),
            ))
    return result


def offered_programs(association_id: int) -> set[int]:
    """Ids of the programs the association offers."""
    closed = set(db.session.scalars(
        select(ProgramOffer.program_id).where(ProgramOffer.association_id == association_id,
                                              ProgramOffer.offered.is_(False))))
    return {p.id for p in db.session.scalars(select(Program))} - closed


def set_program_offered(association_id: int, program_id: int, offered: bool) -> None:
    """Offer a program in an association, or stop offering it."""
    offer = db.session.scalar(select(ProgramOffer).where(ProgramOffer.association_id == association_id,
                                                         ProgramOffer.program_id == program_id))
    if offer is None:
        offer = ProgramOffer(association_id=association_id, program_id=program_id)
        db.session.add(offer)
    offer.offered = offered
    db.session.flush()


def adapt_module(association_id: int, module: Module, *, offered: bool, name: str = "", description: str = "",
                 duration_minutes: int | None = None) -> ModuleAdaptation:
    """Record an association's version of a module; empty values keep the network's."""
    if duration_minutes is not None and not 5 <= duration_minutes <= 480:
        raise ValueError(_("La durée doit être comprise entre 5 et 480 minutes."))
    adaptation = db.session.scalar(select(ModuleAdaptation).where(
        ModuleAdaptation.association_id == association_id, ModuleAdaptation.module_id == module.id))
    if adaptation is None:
        adaptation = ModuleAdaptation(association_id=association_id, module_id=module.id)
        db.session.add(adaptation)
    adaptation.offered = offered
    adaptation.name = name.strip() if name.strip() != module.name else ""
    adaptation.description = description.strip() if description.strip() != module.description else ""
    adaptation.duration_minutes = duration_minutes if duration_minutes != module.duration_minutes else None
    db.session.flush()
    return adaptation


def save_module(module: Module, **fields) -> Module:
    """Create or change a network module (network office)."""
    for key, value in fields.items():
        setattr(module, key, value)
    db.session.add(module)
    db.session.flush()
    return module
