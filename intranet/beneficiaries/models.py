"""The beneficiary file: identity, contact, context, consent and ESF+ data at entry."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.search import search_key
from intranet.tenancy import TenantScoped


class BeneficiaryStatus(LabelledEnum):
    """Where a file stands (which status may follow which: `services.TRANSITIONS`)."""

    NEW = "new", _l("Nouveau")
    IN_PROGRESS = "in_progress", _l("En cours")
    COMPLETED = "completed", _l("Terminé")
    WITHDRAWN = "withdrawn", _l("Abandon")


class ContactChannel(LabelledEnum):
    EMAIL = "email", _l("E-mail")
    PHONE = "phone", _l("Téléphone")
    SMS = "sms", _l("SMS")


class ConsentScope(LabelledEnum):
    """What the person agreed to ("" until consent is recorded)."""

    ACCOMPANIMENT = "accompaniment", _l("Accompagnement")
    ACCOMPANIMENT_ESF = "accompaniment_esf", _l("Accompagnement et suivi FSE+")


class ConsentSource(LabelledEnum):
    """How the consent was obtained ("" for files older than this distinction)."""

    PERSON = "person", _l("recueilli auprès de la personne")
    REFERRER = "referrer", _l("attesté par le prescripteur")


# ESF+ data at entry: each answer may be "" (not asked).
class Gender(LabelledEnum):
    WOMAN = "woman", _l("Femme")
    MAN = "man", _l("Homme")
    NON_BINARY = "non_binary", _l("Non binaire")


class LabourStatus(LabelledEnum):
    UNEMPLOYED = "unemployed", _l("Demandeur·se d’emploi")
    LONG_TERM_UNEMPLOYED = "long_term_unemployed", _l("Demandeur·se d’emploi de longue durée (12 mois et plus)")
    INACTIVE = "inactive", _l("Inactif·ve (ni en emploi, ni en recherche)")
    EMPLOYED = "employed", _l("En emploi, y compris indépendant·e")


class EducationLevel(LabelledEnum):
    ISCED_0_2 = "isced_0_2", _l("Jusqu’au collège (CITE 0 à 2)")
    ISCED_3_4 = "isced_3_4", _l("Lycée, CAP, BEP, bac (CITE 3 et 4)")
    ISCED_5_8 = "isced_5_8", _l("Études supérieures (CITE 5 à 8)")


class SensitiveAnswer(LabelledEnum):
    """The answer to a sensitive ESF+ item, which the person may decline to give."""

    YES = "yes", _l("Oui")
    NO = "no", _l("Non")
    UNDISCLOSED = "undisclosed", _l("Ne souhaite pas répondre")


class YesNo(LabelledEnum):
    YES = "yes", _l("Oui")
    NO = "no", _l("Non")


class AgeBand(LabelledEnum):
    """The ESF+ age band, derived from the birth date (not stored)."""

    UNDER_18 = "under_18", _l("moins de 18 ans")
    FROM_18_TO_29 = "18_29", _l("18 à 29 ans")
    FROM_30_TO_54 = "30_54", _l("30 à 54 ans")
    FROM_55 = "55_plus", _l("55 ans et plus")


class FileEvent(LabelledEnum):
    """What an audit entry of a file records (the audit log is shared by every kind of object: no CHECK)."""

    CREATE = "create", _l("création de la fiche")
    UPDATE = "update", _l("modification de la fiche")
    STATUS = "status", _l("changement de statut")
    DEACTIVATE = "deactivate", _l("fiche désactivée")
    REACTIVATE = "reactivate", _l("fiche réactivée")
    JOURNEY_START = "journey_start", _l("début d’un parcours")
    JOURNEY_MODULE = "journey_module", _l("suivi d’un module")
    JOURNEY_EXIT = "journey_exit", _l("sortie de parcours")
    FOLLOW_UP = "follow_up", _l("suivi à six mois")
    FOLLOW_UP_ANSWER = "follow_up_answer", _l("réponse à un e-mail de suivi")


# The sensitive ESF+ items, each a SensitiveAnswer or "" (not asked).
SENSITIVE_ITEMS = ("disability", "third_country_national", "foreign_background", "minority", "homeless")
SEARCHED = ("first_name", "last_name", "commune", "email")  # with the phone, what the list's search finds


def beneficiary_search_key(values: dict) -> str:
    """The folded key of a file from its column values: names, commune, e-mail, then the phone's digits."""
    return search_key(*(values.get(name) or "" for name in SEARCHED), phone=values.get("phone") or "")


def _search_key_default(context) -> str:
    # Inserts that bypass the ORM's events (bulk imports, the scale generator) still get their key.
    return beneficiary_search_key(context.get_current_parameters())


class Beneficiary(TenantScoped, db.Model):
    """A person an association accompanies towards a job."""

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)  # normalised: +33612345678
    postcode: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(120), default="")
    contact_channel: Mapped[str] = mapped_column(String(10), default=ContactChannel.EMAIL)

    # Kept only once consent is recorded.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_scope: Mapped[str] = mapped_column(String(40), default="")
    consent_source: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # Who sent the person: a partner of the directory (and a contact there), or a free text ("other");
    # files from before the directory keep their original text beside the partner it was matched to.
    referrer: Mapped[str] = mapped_column(String(160), default="")
    referrer_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    referrer_contact_id: Mapped[int | None] = mapped_column(ForeignKey("partner_contact.id"))
    target_job: Mapped[str] = mapped_column(String(160), default="")
    interview_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")

    gender: Mapped[str] = mapped_column(String(12), default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    labour_status: Mapped[str] = mapped_column(String(24), default="")
    education_level: Mapped[str] = mapped_column(String(12), default="")
    disability: Mapped[str] = mapped_column(String(12), default="")
    third_country_national: Mapped[str] = mapped_column(String(12), default="")
    foreign_background: Mapped[str] = mapped_column(String(12), default="")
    minority: Mapped[str] = mapped_column(String(12), default="")
    homeless: Mapped[str] = mapped_column(String(12), default="")
    rural: Mapped[str] = mapped_column(String(12), default="")  # YesNo, "" unknown
    # Folded names, commune, e-mail and phone digits (intranet.search.fold), kept by the events below.
    search_key: Mapped[str] = mapped_column(Text, default=_search_key_default, server_default="")

    status: Mapped[str] = mapped_column(String(12), default=BeneficiaryStatus.NEW)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # The partners feature's directory (named, not imported: partners is a feature above this one).
    referrer_partner = relationship("Partner", foreign_keys=[referrer_partner_id])
    referrer_contact = relationship("PartnerContact", foreign_keys=[referrer_contact_id])

    __table_args__ = (
        Index("ix_beneficiary_association_status", "association_id", "status"),
        # The list's default order (closest interview first) read straight from the index; the counters'
        # "interview this week" range too.
        Index("ix_beneficiary_list_interview", "association_id", "active", "interview_on", "last_name", "id"),
        Index("ix_beneficiary_association_name", "association_id", "last_name", "first_name"),
        Index("ix_beneficiary_referrer_partner", "association_id", "referrer_partner_id"),
        # SQLite scans this index (a LIKE '%…%' reads no table row); PostgreSQL makes it a trigram GIN index
        # (pg_trgm, with btree_gin for the association), which answers LIKE '%…%' without a scan.
        Index("ix_beneficiary_association_search", "association_id", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
        CheckConstraint(BeneficiaryStatus.check("status"), name="status"),
        CheckConstraint(ContactChannel.check("contact_channel"), name="contact_channel"),
        CheckConstraint(ConsentScope.check("consent_scope", blank=True), name="consent_scope"),
        CheckConstraint(ConsentSource.check("consent_source", blank=True), name="consent_source"),
        CheckConstraint(Gender.check("gender", blank=True), name="gender"),
        CheckConstraint(LabourStatus.check("labour_status", blank=True), name="labour_status"),
        CheckConstraint(EducationLevel.check("education_level", blank=True), name="education_level"),
        *(CheckConstraint(SensitiveAnswer.check(item, blank=True), name=item) for item in SENSITIVE_ITEMS),
        CheckConstraint(YesNo.check("rural", blank=True), name="rural"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None

    @property
    def referrer_label(self) -> str:
        """Who sent the person, as the file shows it: the partner's name, else the text typed."""
        if self.referrer_partner_id is not None and self.referrer_partner is not None:
            return self.referrer_partner.name
        return self.referrer


@event.listens_for(Beneficiary, "before_insert")
@event.listens_for(Beneficiary, "before_update")
def _keep_search_key(mapper, connection, beneficiary: Beneficiary) -> None:
    """Every write through the ORM refreshes the key from the values being written."""
    beneficiary.search_key = beneficiary_search_key({name: getattr(beneficiary, name) for name in (*SEARCHED, "phone")})


class Commune(db.Model):
    """Reference list of communes with their rural classification (INSEE density grid, imported)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    postcode: Mapped[str] = mapped_column(String(5))
    name_key: Mapped[str] = mapped_column(String(120))  # lower case, no accents, dashes as spaces
    name: Mapped[str] = mapped_column(String(120))
    rural: Mapped[bool] = mapped_column()

    __table_args__ = (Index("ix_commune_postcode_name_key", "postcode", "name_key", unique=True),)
