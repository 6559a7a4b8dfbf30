"""Partners of an association: the directory, their contacts, the relationship's stage and the contact log."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.beneficiaries.models import ContactChannel, YesNo
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.network.models import Association
from intranet.search import fold, search_key
from intranet.tenancy import TenantScoped


class PartnerKind(LabelledEnum):
    """What kind of organisation a partner is."""

    MISSION_LOCALE = "mission_locale", _l("Mission locale")
    FRANCE_TRAVAIL = "france_travail", _l("France Travail")
    PLIE = "plie", _l("PLIE")
    CCAS = "ccas", _l("CCAS")
    CAP_EMPLOI = "cap_emploi", _l("Cap emploi")
    SIAE = "siae", _l("Structure d’insertion (SIAE)")
    E2C = "e2c", _l("École de la 2e chance")
    EPIDE = "epide", _l("EPIDE")
    COMPANY = "company", _l("Entreprise")
    ASSOCIATION = "association", _l("Association")
    OTHER = "other", _l("Autre")


class PartnerStage(LabelledEnum):
    """Where the relationship stands, in the order it usually goes."""

    PROSPECT = "prospect", _l("Prospect")
    FIRST_CONTACT = "first_contact", _l("Premier contact")
    MEETINGS = "meetings", _l("Rencontres")
    AGREEMENT = "agreement", _l("Convention signée")
    ACTIVE = "active", _l("Prescripteur actif")
    DORMANT = "dormant", _l("En sommeil")


class InteractionKind(LabelledEnum):
    """What kind of exchange an interaction was (a "rendez-vous" is a meeting for the trust figures)."""

    MEETING = "meeting", _l("Rendez-vous")
    CALL = "call", _l("Appel")
    EMAIL = "email", _l("E-mail")
    EVENT = "event", _l("Événement")
    TRAINING = "training", _l("Formation donnée à l’équipe du partenaire")
    OTHER = "other", _l("Autre")


def partner_search_key(values: dict) -> str:
    return search_key(*(values.get(name) or "" for name in ("name", "commune", "postcode", "siret")))


def _search_key_default(context) -> str:
    return partner_search_key(context.get_current_parameters())


def _name_key_default(context) -> str:
    return fold(context.get_current_parameters().get("name") or "")


class Partner(TenantScoped, db.Model):
    """An organisation an association works with: it may send job seekers (a prescripteur)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20), default=PartnerKind.OTHER)
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    department_code: Mapped[str] = mapped_column(String(3), default="")  # from the postcode
    rural: Mapped[str] = mapped_column(String(12), default="")  # YesNo, "" unknown
    website: Mapped[str] = mapped_column(String(200), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    stage: Mapped[str] = mapped_column(String(16), default=PartnerStage.PROSPECT)
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The folded name (intranet.search.fold): the list's order and the network's duplicate finder.
    name_key: Mapped[str] = mapped_column(String(160), default=_name_key_default)
    search_key: Mapped[str] = mapped_column(Text, default=_search_key_default, server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    contacts: Mapped[list["PartnerContact"]] = relationship(
        back_populates="partner", order_by="(PartnerContact.active.desc(), PartnerContact.name, PartnerContact.id)")

    __table_args__ = (
        Index("ix_partner_list", "association_id", "active", "name_key", "id"),
        Index("ix_partner_stage", "association_id", "stage", "name_key"),
        Index("ix_partner_kind", "association_id", "kind", "name_key"),
        Index("ix_partner_rural", "association_id", "rural", "name_key"),
        Index("ix_partner_recent", "association_id", "created_at"),
        Index("ix_partner_search", "association_id", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
        # The network's view: the same organisation in several associations.
        Index("ix_partner_siret", "siret"),
        Index("ix_partner_name_postcode", "name_key", "postcode"),
        Index("ix_partner_department_kind", "department_code", "kind"),
        CheckConstraint(PartnerKind.check("kind"), name="kind"),
        CheckConstraint(PartnerStage.check("stage"), name="stage"),
        CheckConstraint(YesNo.check("rural", blank=True), name="rural"),
    )

    def __repr__(self) -> str:
        return f"<Partner {self.name}>"


@event.listens_for(Partner, "before_insert")
@event.listens_for(Partner, "before_update")
def _keep_keys(mapper, connection, partner: Partner) -> None:
    partner.name_key = fold(partner.name)[:160]
    partner.search_key = partner_search_key({name: getattr(partner, name) for name in
                                             ("name", "commune", "postcode", "siret")})


class PartnerContact(TenantScoped, db.Model):
    """A person at a partner; one who left is deactivated, so the history keeps their name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    channel: Mapped[str] = mapped_column(String(10), default=ContactChannel.EMAIL)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="contacts")

    __table_args__ = (
        Index("ix_partner_contact_partner", "partner_id", "active", "name"),
        CheckConstraint(ContactChannel.check("channel"), name="channel"),
    )


class StageChange(TenantScoped, db.Model):
    """One move of a partner from a stage to another: when and by whom."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    from_stage: Mapped[str] = mapped_column(String(16), default="")  # "" when the partner was created
    to_stage: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    author: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_stage_change_partner", "partner_id", "changed_at"),
        CheckConstraint(PartnerStage.check("from_stage", blank=True), name="from_stage"),
        CheckConstraint(PartnerStage.check("to_stage"), name="to_stage"),
    )


interaction_contact = Table(
    "interaction_contact", db.metadata,
    Column("interaction_id", ForeignKey("interaction.id"), primary_key=True),
    Column("contact_id", ForeignKey("partner_contact.id"), primary_key=True),
)


class Interaction(TenantScoped, db.Model):
    """One exchange with a partner (suivi des échanges), maybe with a next step someone owns."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    happened_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default=InteractionKind.CALL)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who from the association
    summary: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(String(300), default="")
    next_step_due: Mapped[date | None] = mapped_column(Date)
    next_step_owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    next_step_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[next_step_owner_id])
    contacts: Mapped[list[PartnerContact]] = relationship(secondary=interaction_contact, order_by=PartnerContact.name)

    __table_args__ = (
        # A partner's timeline, newest first.
        Index("ix_interaction_timeline", "partner_id", "happened_on", "id"),
        # "À relancer": the association's open next steps by due date, and each owner's for the digest.
        Index("ix_interaction_open_steps", "association_id", "next_step_due",
              sqlite_where=text("next_step_due IS NOT NULL AND next_step_done_at IS NULL"),
              postgresql_where=text("next_step_due IS NOT NULL AND next_step_done_at IS NULL")),
        Index("ix_interaction_owner_steps", "next_step_owner_id", "next_step_due",
              sqlite_where=text("next_step_due IS NOT NULL AND next_step_done_at IS NULL"),
              postgresql_where=text("next_step_due IS NOT NULL AND next_step_done_at IS NULL")),
        CheckConstraint(InteractionKind.check("kind"), name="kind"),
    )

    @property
    def has_open_step(self) -> bool:
        return bool(self.next_step_due and self.next_step_done_at is None)
