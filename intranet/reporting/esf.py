"""The ESF+ participant report (Regulation (EU) 2021/1057, Annex I): participants, common indicators, completeness.

An operation is one association's delivery of one program. A participant of an operation is a person whose
done modules of that program make an accompaniment, by the network office's rule (`Rule`; by default any done
module of the remote program, or in-person modules done on more than one day; a person seen once, or only at
collective sessions, is not one). Each participant counts once per operation, whatever the number of their journeys (a re-entry
included): entry is the first done module of the program, exit the last one once every journey of the person
with that program's modules is closed, and the situations at exit and six months on are those of the last of them.
Participants are those who entered during the period.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from intranet.beneficiaries.models import (
    SENSITIVE_ITEMS,
    AgeBand,
    Beneficiary,
    EducationLevel,
    Gender,
    LabourStatus,
    SensitiveAnswer,
    YesNo,
)
from intranet.beneficiaries.rules import age_band
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.journeys.models import ExitSituation, FollowUpResult, Journey, JourneyModule, ModuleStatus
from intranet.network.models import Association
from intranet.programs.models import Module, Program
from intranet.reporting.models import ParticipantRule
from intranet.reporting.periods import Filters
from intranet.rules import RuleError

WARN_FROM, CORRECTION_ABOVE = 0.20, 0.35
MAX_DAYS = 30  # the participant rule's days, at most
UNDISCLOSED = SensitiveAnswer.UNDISCLOSED.value


@dataclass
class Participant:
    association_id: int
    association: str
    program: str
    remote: bool
    beneficiary_id: int
    gender: str
    birth_date: date | None
    labour_status: str
    education_level: str
    answers: dict  # sensitive items and rural: "yes", "no", "undisclosed" or ""
    email: str
    phone: str
    entry: date
    exit: date | None
    exit_situation: str
    follow_up_result: str

    @property
    def age_band(self) -> str:
        return age_band(self.birth_date, self.entry)

    @property
    def missing(self) -> list[str]:
        """What the funder needs and the file lacks ("prefers not to say" is an answer)."""
        lacking = [name for name, value in (("gender", self.gender), ("birth_date", self.birth_date),
                                            ("labour_status", self.labour_status),
                                            ("education_level", self.education_level)) if not value]
        lacking += [item for item, value in self.answers.items() if not value]
        if not self.email and not self.phone:
            lacking.append("contact")
        return lacking


MISSING_ITEMS = {
    "gender": _l("genre"), "birth_date": _l("date de naissance"), "labour_status": _l("situation sur le marché du travail"),
    "education_level": _l("niveau d’études"), "disability": _l("handicap"),
    "third_country_national": _l("nationalité d’un pays tiers"), "foreign_background": _l("origine étrangère"),
    "minority": _l("minorité"), "homeless": _l("sans-abri ou exclusion du logement"), "rural": _l("zone rurale"),
    "contact": _l("téléphone ou e-mail"),
}


# --- who counts as a participant -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who counts as a participant: done modules on at least so many different days, remote or in person, and
    whether a person seen only at collective sessions (modules of more than one seat) counts."""

    remote_min_days: int = 1
    in_person_min_days: int = 2
    collective_only_counts: bool = False

    @property
    def text(self) -> str:
        """The rule in words, as the report and its files show it."""
        remote = (_("une personne du programme à distance ayant suivi au moins un module") if self.remote_min_days == 1
                  else _("une personne du programme à distance ayant suivi des modules sur au moins %(num)d jours "
                         "différents", num=self.remote_min_days))
        in_person = (_("une personne ayant suivi au moins un module en présentiel") if self.in_person_min_days == 1
                     else _("une personne accompagnée en présentiel sur plus d’un jour") if self.in_person_min_days == 2
                     else _("une personne accompagnée en présentiel sur au moins %(num)d jours différents",
                            num=self.in_person_min_days))
        collective = (_("une personne venue seulement à des séances collectives compte aussi")
                      if self.collective_only_counts else
                      _("une personne venue seulement à une séance collective de sensibilisation n’en est pas une"))
        return _("Participant·e : %(remote)s, ou %(in_person)s ; %(collective)s. Chaque personne compte une fois par "
                 "opération (une association et un programme), même si elle est sortie puis revenue.",
                 remote=remote, in_person=in_person, collective=collective)


DEFAULT_RULE = Rule()


def rule() -> Rule:
    """The network office's rule (the default until it sets one)."""
    row = db.session.scalar(select(ParticipantRule).order_by(ParticipantRule.id).limit(1))
    if row is None:
        return DEFAULT_RULE
    return Rule(row.remote_min_days, row.in_person_min_days, row.collective_only_counts)


def set_rule(new: Rule, *, by) -> bool:
    """Change the participant rule (a row of its own, made the first time); False when it was so already."""
    for days in (new.remote_min_days, new.in_person_min_days):
        if not 1 <= days <= MAX_DAYS:
            raise RuleError("remote_min_days" if days == new.remote_min_days else "in_person_min_days",
                            _("Indiquez un nombre de jours entre 1 et %(max)d.", max=MAX_DAYS))
    if new == rule():
        return False
    row = db.session.scalar(select(ParticipantRule).order_by(ParticipantRule.id).limit(1))
    if row is None:
        row = ParticipantRule()
        db.session.add(row)
    row.remote_min_days, row.in_person_min_days = new.remote_min_days, new.in_person_min_days
    row.collective_only_counts, row.updated_at, row.updated_by_id = new.collective_only_counts, utcnow(), by.id
    db.session.flush()
    return True


# --- the participants ------------------------------------------------------------------------------------------


def _statement(filters: Filters, chosen: Rule):
    """The participants' query: the people with a done module in the period first (an index range on the
    association and the day), then everything about those people only."""
    start, end = filters.period.start, filters.period.end
    done_module = and_(JourneyModule.status == ModuleStatus.DONE, JourneyModule.happened_on.is_not(None))
    seen = (select(Journey.beneficiary_id).join(JourneyModule, JourneyModule.journey_id == Journey.id)
            .where(done_module, JourneyModule.happened_on >= start, JourneyModule.happened_on <= end))
    if filters.associations:
        seen = seen.where(JourneyModule.association_id.in_(filters.associations))
    if filters.program:
        seen = seen.where(JourneyModule.module_id.in_(
            select(Module.id).join(Program, Program.id == Module.program_id).where(Program.code == filters.program)))
    seen = seen.distinct().cte("seen")
    people = select(seen.c.beneficiary_id)
    # Each of those people's operations: entry (first done module ever), last done module, days, individual days.
    individual = case((Module.capacity <= 1, JourneyModule.happened_on))
    done = (select(JourneyModule.association_id, Module.program_id, Journey.beneficiary_id,
                   func.min(JourneyModule.happened_on).label("entry"), func.max(JourneyModule.happened_on).label("last"),
                   func.count(func.distinct(JourneyModule.happened_on)).label("days"),
                   func.count(individual).label("individual"))
            .join(Journey, Journey.id == JourneyModule.journey_id).join(Module, Module.id == JourneyModule.module_id)
            .where(done_module, Journey.beneficiary_id.in_(people))
            .group_by(JourneyModule.association_id, Module.program_id, Journey.beneficiary_id)
            .having(func.min(JourneyModule.happened_on) >= start, func.min(JourneyModule.happened_on) <= end))
    if filters.associations:
        done = done.where(JourneyModule.association_id.in_(filters.associations))
    done = done.subquery()
    # The person's journeys with done modules of the operation's program: is one still open, which one left last.
    # Correlated to each operation's row (a person has a journey or two: index lookups, whatever the history).
    with_program = (select(JourneyModule.id).join(Module, Module.id == JourneyModule.module_id)
                    .where(JourneyModule.journey_id == Journey.id, JourneyModule.status == ModuleStatus.DONE,
                           Module.program_id == done.c.program_id).correlate_except(JourneyModule, Module).exists())
    theirs = and_(Journey.beneficiary_id == done.c.beneficiary_id, with_program)
    still_open = select(Journey.id).where(theirs, Journey.exited_on.is_(None)).correlate_except(Journey).exists()

    def at_last_exit(column):
        return (select(column).where(theirs, Journey.exited_on.is_not(None))
                .order_by(Journey.exited_on.desc(), Journey.id.desc()).limit(1).correlate_except(Journey).scalar_subquery())

    counts = or_(and_(Program.remote, done.c.days >= chosen.remote_min_days),
                 and_(~Program.remote, done.c.days >= chosen.in_person_min_days))
    if not chosen.collective_only_counts:
        counts = and_(counts, done.c.individual > 0)
    statement = (
        select(done, still_open.label("open"), at_last_exit(Journey.exit_situation).label("exit_situation"),
               at_last_exit(Journey.follow_up_result).label("follow_up_result"),
               Association.name.label("association"), Program.name.label("program"), Program.remote,
               Beneficiary.gender, Beneficiary.birth_date, Beneficiary.labour_status, Beneficiary.education_level,
               Beneficiary.email, Beneficiary.phone, *(getattr(Beneficiary, item) for item in SENSITIVE_ITEMS),
               Beneficiary.rural)
        .join(Beneficiary, Beneficiary.id == done.c.beneficiary_id)
        .join(Association, Association.id == done.c.association_id).join(Program, Program.id == done.c.program_id)
        .where(counts)
        .order_by(Association.name, Program.position, done.c.beneficiary_id))
    if filters.program:
        statement = statement.where(Program.code == filters.program)
    return statement


def count(filters: Filters, chosen: Rule) -> int:
    """How many participants `iter_participants` gives (the same query, counted)."""
    return db.session.scalar(select(func.count()).select_from(_statement(filters, chosen).order_by(None).subquery()))


def iter_participants(filters: Filters, chosen: Rule | None = None) -> Iterator[Participant]:
    """Every participant who entered an operation in the period, one per person and operation, read as they come."""
    statement = _statement(filters, chosen or rule()).execution_options(yield_per=1000)
    for row in db.session.execute(statement):
        closed = not row.open
        yield Participant(
            association_id=row.association_id, association=row.association, program=row.program, remote=row.remote,
            beneficiary_id=row.beneficiary_id, gender=row.gender, birth_date=row.birth_date,
            labour_status=row.labour_status, education_level=row.education_level,
            answers={**{item: getattr(row, item) for item in SENSITIVE_ITEMS}, "rural": row.rural},
            email=row.email, phone=row.phone, entry=row.entry, exit=row.last if closed else None,
            exit_situation=(row.exit_situation or "") if closed else "",
            follow_up_result=(row.follow_up_result or "") if closed else "")


def participants(filters: Filters, chosen: Rule | None = None) -> list[Participant]:
    """Every participant who entered an operation in the period, one row per person and operation."""
    return list(iter_participants(filters, chosen))


# --- the per-participant file ----------------------------------------------------------------------------

def _yes(value: bool) -> str:
    return "Oui" if value else "Non"


def _known(value: str, test) -> str:
    return "" if not value else _yes(test(value))


def participant_table(rows: Iterable[Participant], notes: tuple[str, ...] = ()):
    """The per-participant file's table; its rows are written as `rows` yields them."""
    from intranet.exports.files import Table

    headers = ["Association", "Programme", "N° de fiche", "Genre", "Tranche d’âge à l’entrée",
               "Chômeur·se (y compris longue durée)", "Chômeur·se de longue durée", "Inactif·ve",
               "En emploi (y compris indépendant·e)", "Niveau d’études (CITE)", "Handicap",
               "Ressortissant·e d’un pays tiers", "Origine étrangère", "Minorité",
               "Sans-abri ou exclusion du logement", "Zone rurale", "Date d’entrée (première action)",
               "Date de sortie (dernière action)", "Situation à la sortie (4 semaines)", "Situation six mois après",
               "Fiche complète", "Manque"]

    def line(p: Participant) -> list:
        labour = p.labour_status
        return [p.association, p.program, p.beneficiary_id, Gender.label_of(p.gender, ""),
                AgeBand.label_of(p.age_band, ""),
                _known(labour, lambda v: v in (LabourStatus.UNEMPLOYED, LabourStatus.LONG_TERM_UNEMPLOYED)),
                _known(labour, lambda v: v == LabourStatus.LONG_TERM_UNEMPLOYED),
                _known(labour, lambda v: v == LabourStatus.INACTIVE), _known(labour, lambda v: v == LabourStatus.EMPLOYED),
                EducationLevel.label_of(p.education_level, ""),
                *(SensitiveAnswer.label_of(p.answers[item], "") for item in SENSITIVE_ITEMS),
                YesNo.label_of(p.answers["rural"], ""), p.entry, p.exit,
                ExitSituation.label_of(p.exit_situation, ""), FollowUpResult.label_of(p.follow_up_result, ""),
                _yes(not p.missing), ", ".join(str(MISSING_ITEMS[m]) for m in p.missing)]

    return Table("Participants FSE+", headers, ([v if v is None or isinstance(v, int | date) else str(v)
                                                 for v in line(p)] for p in rows), notes)


# --- the common indicators ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    test: object  # Participant -> True / False / None (unknown) / "undisclosed"
    sensitive: bool = False


def _labour(*values):
    return lambda p: None if not p.labour_status else p.labour_status in values


def _band(band):
    return lambda p: None if not p.birth_date else p.age_band == band


def _education(level):
    return lambda p: None if not p.education_level else p.education_level == level


def _answer(item):
    def test(p):
        value = p.answers[item]
        return None if not value else UNDISCLOSED if value == UNDISCLOSED else value == "yes"
    return test


def _left(situation):
    return lambda p: None if p.exit is None else p.exit_situation == situation


def _six_months(result):
    return lambda p: None if p.exit is None or not p.follow_up_result else p.follow_up_result == result


INDICATORS = [
    Indicator("EECO01", _l("Chômeurs, y compris de longue durée"), _labour("unemployed", "long_term_unemployed")),
    Indicator("EECO02", _l("Chômeurs de longue durée"), _labour("long_term_unemployed")),
    Indicator("EECO03", _l("Personnes inactives"), _labour("inactive")),
    Indicator("EECO04", _l("Personnes exerçant un emploi, y compris les indépendants"), _labour("employed")),
    Indicator("EECO05", _l("Moins de 18 ans"), _band(AgeBand.UNDER_18)),
    Indicator("EECO06", _l("18 à 29 ans"), _band(AgeBand.FROM_18_TO_29)),
    Indicator("EECO07", _l("55 ans et plus"), _band(AgeBand.FROM_55)),
    Indicator("EECO08", _l("Enseignement primaire ou secondaire inférieur (CITE 0 à 2)"), _education("isced_0_2")),
    Indicator("EECO09", _l("Enseignement secondaire supérieur ou post-secondaire (CITE 3 et 4)"), _education("isced_3_4")),
    Indicator("EECO10", _l("Enseignement supérieur (CITE 5 à 8)"), _education("isced_5_8")),
    Indicator("EECO11", _l("Nombre total de participants"), lambda p: True),
    Indicator("EECO12", _l("Participants handicapés"), _answer("disability"), True),
    Indicator("EECO13", _l("Ressortissants de pays tiers"), _answer("third_country_national"), True),
    Indicator("EECO14", _l("Participants d’origine étrangère"), _answer("foreign_background"), True),
    Indicator("EECO15", _l("Minorités (y compris les communautés marginalisées telles que les Roms)"), _answer("minority"), True),
    Indicator("EECO16", _l("Sans-abri ou personnes touchées par l’exclusion du logement"), _answer("homeless"), True),
    Indicator("EECO17", _l("Participants issus de zones rurales"), _answer("rural")),
    Indicator("EECR01", _l("À la recherche d’un emploi au terme de leur participation"), _left(ExitSituation.JOB_SEARCHING)),
    Indicator("EECR02", _l("Suivant un enseignement ou une formation au terme de leur participation"),
              _left(ExitSituation.EDUCATION_TRAINING)),
    Indicator("EECR03", _l("Obtenant une qualification au terme de leur participation"), _left(ExitSituation.QUALIFICATION)),
    Indicator("EECR04", _l("Exerçant un emploi, y compris indépendant, au terme de leur participation"),
              _left(ExitSituation.EMPLOYMENT)),
    Indicator("EECR05", _l("Exerçant un emploi, y compris indépendant, six mois après la fin de leur participation"),
              _six_months(FollowUpResult.EMPLOYMENT)),
    Indicator("EECR06", _l("Dont la situation sur le marché du travail s’est améliorée six mois après"),
              _six_months(FollowUpResult.IMPROVED)),
]
GENDER_COLUMNS = ("woman", "man", "non_binary", "")


@dataclass
class IndicatorRow:
    indicator: Indicator
    by_gender: Counter = field(default_factory=Counter)  # yes counts by gender ("" unknown)
    undisclosed: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_gender.values())


class Tally:
    """The common indicators and the number of participants, added up as the participants go by (read once)."""

    def __init__(self) -> None:
        self.rows = [IndicatorRow(i) for i in INDICATORS]
        self.count = 0

    def add(self, p: Participant) -> None:
        self.count += 1
        for line in self.rows:
            value = line.indicator.test(p)
            if value is None:
                line.unknown += 1
            elif value == UNDISCLOSED:
                line.undisclosed += 1
            elif value:
                line.by_gender[p.gender] += 1

    def through(self, participants: Iterable[Participant]) -> Iterator[Participant]:
        """The participants, each counted as it passes."""
        for p in participants:
            self.add(p)
            yield p


def indicators(rows: Iterable[Participant]) -> list[IndicatorRow]:
    """Each common indicator over the participants, by gender; "prefers not to say" and unknown apart."""
    tally = Tally()
    for p in rows:
        tally.add(p)
    return tally.rows


def indicator_table(rows: list[IndicatorRow], notes: tuple[str, ...] = ()):
    """The indicators' table; its cells are read when it is written (after a tally's participants, in a workbook)."""
    from intranet.exports.files import Table

    headers = ["Code", "Indicateur", "Total", "Femmes", "Hommes", "Non binaires", "Genre non renseigné",
               "Ne souhaite pas répondre", "Non renseigné"]
    return Table("Indicateurs communs", headers, (
        [r.indicator.code, str(r.indicator.label), r.total, *(r.by_gender[g] for g in GENDER_COLUMNS),
         r.undisclosed if r.indicator.sensitive else "", r.unknown] for r in rows), notes)


# --- completeness ---------------------------------------------------------------------------------------------

@dataclass
class Completeness:
    association_id: int
    association: str
    program: str
    participants: int = 0
    incomplete: list = field(default_factory=list)  # (beneficiary id, [missing])
    missing: Counter = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return len(self.incomplete) / self.participants if self.participants else 0.0

    @property
    def level(self) -> str:
        return "error" if self.share > CORRECTION_ABOVE else "warn" if self.share >= WARN_FROM else "ok"


def completeness(rows: list[Participant]) -> list[Completeness]:
    """Per operation: how many records are incomplete, what they miss, which files."""
    operations: dict = defaultdict(lambda: None)
    for p in rows:
        key = (p.association_id, p.program)
        if operations[key] is None:
            operations[key] = Completeness(p.association_id, p.association, p.program)
        operation = operations[key]
        operation.participants += 1
        if p.missing:
            operation.incomplete.append((p.beneficiary_id, p.missing))
            operation.missing.update(p.missing)
    return list(operations.values())
