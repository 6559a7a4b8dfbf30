"""The beneficiary file: identity, contact, context, consent and ESF+ data at entry."""

from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db
from intranet.search import search_key
from intranet.tenancy import TenantScoped

STATUSES = ("new", "in_progress", "completed", "withdrawn")
CHANNELS = ("email", "phone", "sms")
GENDERS = ("woman", "man", "non_binary")
LABOUR_STATUSES = ("unemployed", "long_term_unemployed", "inactive", "employed")
EDUCATION_LEVELS = ("isced_0_2", "isced_3_4", "isced_5_8")
# Sensitive ESF+ items: "yes", "no", "undisclosed" (prefers not to say) or "" (not asked).
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
    contact_channel: Mapped[str] = mapped_column(String(10), default="email")

    # Kept only once consent is recorded.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_scope: Mapped[str] = mapped_column(String(40), default="")
    referrer: Mapped[str] = mapped_column(String(160), default="")
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
    rural: Mapped[str] = mapped_column(String(12), default="")  # "yes" / "no" / "" unknown
    # Folded names, commune, e-mail and phone digits (intranet.search.fold), kept by the events below.
    search_key: Mapped[str] = mapped_column(Text, default=_search_key_default, server_default="")

    status: Mapped[str] = mapped_column(String(12), default="new")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_beneficiary_association_status", "association_id", "status"),
        Index("ix_beneficiary_association_interview", "association_id", "interview_on"),
        Index("ix_beneficiary_association_name", "association_id", "last_name", "first_name"),
        Index("ix_beneficiary_association_referrer", "association_id", "referrer"),
        # SQLite scans this index (a LIKE '%…%' reads no table row); PostgreSQL makes it a trigram GIN index
        # (pg_trgm, with btree_gin for the association), which answers LIKE '%…%' without a scan.
        Index("ix_beneficiary_association_search", "association_id", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None


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
