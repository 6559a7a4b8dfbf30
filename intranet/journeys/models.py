"""Journeys (parcours): the modules a beneficiary follows, their outcome at exit and six months on."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db
from intranet.programs.models import Module
from intranet.tenancy import TenantScoped

MODULE_STATUSES = ("to_plan", "planned", "done", "missed", "skipped")
# ESF+ immediate results at exit.
EXIT_SITUATIONS = ("job_searching", "education_training", "qualification", "employment")
# ESF+ longer-term result, six months after exit.
FOLLOW_UP_RESULTS = ("employment", "improved", "no_change")


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
    status: Mapped[str] = mapped_column(String(10), default="to_plan")
    happened_on: Mapped[date | None] = mapped_column(Date)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    journey: Mapped[Journey] = relationship(back_populates="modules")
    module: Mapped[Module] = relationship()
    coach: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_journey_module_association_status", "association_id", "status"),)
