"""Journeys (parcours): the modules a beneficiary follows, their outcome at exit and six months on."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.programs.models import Module
from intranet.tenancy import TenantScoped


class ModuleStatus(LabelledEnum):
    """Where a module of a journey stands."""

    TO_PLAN = "to_plan", _l("À planifier")
    PLANNED = "planned", _l("Planifié")
    DONE = "done", _l("Réalisé")
    MISSED = "missed", _l("Absent·e")
    SKIPPED = "skipped", _l("Non suivi")


class ExitSituation(LabelledEnum):
    """ESF+ immediate result at exit ("" while the journey is open)."""

    JOB_SEARCHING = "job_searching", _l("En recherche d’emploi")
    EDUCATION_TRAINING = "education_training", _l("En études ou en formation")
    QUALIFICATION = "qualification", _l("A obtenu une qualification")
    EMPLOYMENT = "employment", _l("En emploi, y compris indépendant·e")


class FollowUpResult(LabelledEnum):
    """ESF+ longer-term result, six months after exit ("" until known)."""

    EMPLOYMENT = "employment", _l("En emploi, y compris indépendant·e")
    IMPROVED = "improved", _l("Situation améliorée sur le marché du travail")
    NO_CHANGE = "no_change", _l("Pas d’amélioration")


class FollowUpAnswer(LabelledEnum):
    """The beneficiary's one-click answer to a follow-up e-mail ("" until they answer)."""

    JOB = "job", _l("J’ai trouvé un emploi")
    TRAINING = "training", _l("Je suis en formation")
    SEARCHING = "searching", _l("Je cherche toujours")
    OTHER = "other", _l("Autre situation")


class FollowUpPeriod(LabelledEnum):
    """When a follow-up e-mail is sent after the exit; each has its answer column (answer_1m, answer_6m)."""

    ONE_MONTH = "1m", _l("À un mois")
    SIX_MONTHS = "6m", _l("À six mois")


class Journey(TenantScoped, db.Model):
    """One accompaniment of a beneficiary: in person, remote, or a mix of both programs' modules."""

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    exited_on: Mapped[date | None] = mapped_column(Date)
    exit_situation: Mapped[str] = mapped_column(String(24), default="")
    follow_up_result: Mapped[str] = mapped_column(String(24), default="")
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    # One-click answers to the follow-up e-mails a month and six months after the exit.
    answer_1m: Mapped[str] = mapped_column(String(20), default="", server_default="")
    answer_6m: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    beneficiary: Mapped[Beneficiary] = relationship()

    __table_args__ = (
        CheckConstraint(ExitSituation.check("exit_situation", blank=True), name="exit_situation"),
        CheckConstraint(FollowUpResult.check("follow_up_result", blank=True), name="follow_up_result"),
        CheckConstraint(FollowUpAnswer.check("answer_1m", blank=True), name="answer_1m"),
        CheckConstraint(FollowUpAnswer.check("answer_6m", blank=True), name="answer_6m"),
    )
    modules: Mapped[list["JourneyModule"]] = relationship(
        back_populates="journey", order_by="JourneyModule.position", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.exited_on is None


class JourneyModule(TenantScoped, db.Model):
    """A module within a journey, with its status, date, coach and notes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))  # the association's name for it when chosen
    status: Mapped[str] = mapped_column(String(10), default=ModuleStatus.TO_PLAN)
    happened_on: Mapped[date | None] = mapped_column(Date)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Each change bumps it (None for rows older than the column): an import's undo sees a module changed since.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    journey: Mapped[Journey] = relationship(back_populates="modules")
    module: Mapped[Module] = relationship()
    coach: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_journey_module_association_status", "association_id", "status"),
        # The ESF+ report starts from the modules done in its period (association by association).
        Index("ix_journey_module_association_happened_on", "association_id", "happened_on"),
        CheckConstraint(ModuleStatus.check("status"), name="status"),
    )
