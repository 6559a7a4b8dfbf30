"""Programs and their modules, defined by the network and adapted by each association."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.tenancy import TenantScoped


class Mode(LabelledEnum):
    """How a module, and so each of its sessions, is delivered."""

    IN_PERSON = "in_person", _l("En présentiel")
    PHONE = "phone", _l("Par téléphone")
    VIDEO = "video", _l("En visio")


class ResourceKind(LabelledEnum):
    """The kinds of resources an association books, and that a module may need."""

    ROOM = "room", _l("Salle")
    STUDIO = "studio", _l("Studio photo")


class Program(db.Model):
    """A program validated by the network: the in-person accompaniment or the remote one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    remote: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    modules: Mapped[list["Module"]] = relationship(back_populates="program", order_by="Module.position")


class Module(db.Model):
    """One step of a program: a talk, a coaching hour, a studio session, a remote module."""

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=60)
    mode: Mapped[str] = mapped_column(String(20), default=Mode.IN_PERSON)
    position: Mapped[int] = mapped_column(default=0)
    # The qualification a volunteer needs to lead it (enforced once volunteers have qualifications).
    qualification: Mapped[str] = mapped_column(String(60), default="")
    # The kind of resource it needs ("" for none).
    resource_kind: Mapped[str] = mapped_column(String(60), default="")
    # Seats per session: above 1 for a collective workshop.
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True)

    program: Mapped[Program] = relationship(back_populates="modules")

    __table_args__ = (
        CheckConstraint(Mode.check("mode"), name="mode"),
        CheckConstraint(ResourceKind.check("resource_kind", blank=True), name="resource_kind"),
    )


class ProgramOffer(TenantScoped, db.Model):
    """Whether an association offers a program (absent row: it does)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"))
    offered: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("association_id", "program_id"),)


class ModuleAdaptation(TenantScoped, db.Model):
    """An association's local version of a module: offered or not, its own name, duration, text."""

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    offered: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(120), default="")  # empty: the network's name
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int | None] = mapped_column()

    module: Mapped[Module] = relationship()

    __table_args__ = (UniqueConstraint("association_id", "module_id"),)
