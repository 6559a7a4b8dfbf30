"""Referrals (orientations) partners send through their personal link, and the links themselves."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.partners.models import Partner
from intranet.tenancy import TenantScoped


class ReferralStatus(LabelledEnum):
    """Where a referral stands in the association's inbox."""

    PENDING = "pending", _l("À traiter")
    INFO_REQUESTED = "info_requested", _l("Précisions demandées")
    ACCEPTED = "accepted", _l("Acceptée")
    REFUSED = "refused", _l("Refusée")
    EXPIRED = "expired", _l("Expirée")


class RefusalReason(LabelledEnum):
    """Why a referral was refused (told to the referrer)."""

    OUT_OF_AREA = "out_of_area", _l("La personne habite hors de notre territoire")
    NOT_ELIGIBLE = "not_eligible", _l("Notre accompagnement ne correspond pas à sa situation")
    ALREADY_FOLLOWED = "already_followed", _l("La personne est déjà accompagnée")
    UNREACHABLE = "unreachable", _l("Nous n’avons pas réussi à joindre la personne")
    DECLINED = "declined", _l("La personne ne souhaite pas être accompagnée")
    FULL = "full", _l("Nous n’avons plus de place pour le moment")
    OTHER = "other", _l("Autre raison")


class CandidateSituation(LabelledEnum):
    """The candidate's situation as the referrer describes it ("" not said)."""

    JOB_SEEKER = "job_seeker", _l("Demandeur·se d’emploi")
    LONG_TERM = "long_term", _l("Demandeur·se d’emploi depuis plus d’un an")
    YOUNG = "young", _l("Jeune de moins de 26 ans sans emploi")
    MINIMUM_INCOME = "minimum_income", _l("Bénéficiaire du RSA")
    BACK_TO_WORK = "back_to_work", _l("Reprise d’activité après une longue pause")
    OTHER = "other", _l("Autre situation")


class ReferralLink(TenantScoped, db.Model):
    """A partner's personal referral link; the token is a signature of `nonce`, only its digest is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Referral(TenantScoped, db.Model):
    """A job seeker a partner sends to the association, waiting for staff to accept, refuse or ask more."""

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("referral_link.id"))
    status: Mapped[str] = mapped_column(String(16), default=ReferralStatus.PENDING)
    # The candidate, as the referrer wrote it.
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    postcode: Mapped[str] = mapped_column(String(5), default="")
    situation: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    availability: Mapped[str] = mapped_column(String(300), default="")
    interview_on: Mapped[date | None] = mapped_column(Date)
    # The referrer, told by e-mail of what becomes of the referral.
    referrer_name: Mapped[str] = mapped_column(String(120))
    referrer_email: Mapped[str] = mapped_column(String(254))
    referrer_phone: Mapped[str] = mapped_column(String(20), default="")
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The form's one-time key: a replayed or double-clicked submission finds the referral it made.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_on: Mapped[date] = mapped_column(Date)  # the association's local day, for the figures
    # Staff's handling.
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    refusal_reason: Mapped[str] = mapped_column(String(20), default="")
    refusal_note: Mapped[str] = mapped_column(Text, default="")
    info_request: Mapped[str] = mapped_column(Text, default="")
    info_requests: Mapped[int] = mapped_column(default=0)
    # The digest of the link that lets the referrer complete the referral (while staff wait for it).
    completion_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    first_appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()
    beneficiary: Mapped[Beneficiary | None] = relationship()
    handled_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_referral_inbox", "association_id", "status", "received_at", "id"),
        Index("ix_referral_partner", "partner_id", "received_on"),
        Index("ix_referral_association_received", "association_id", "received_on"),
        CheckConstraint(ReferralStatus.check("status"), name="status"),
        CheckConstraint(RefusalReason.check("refusal_reason", blank=True), name="refusal_reason"),
        CheckConstraint(CandidateSituation.check("situation", blank=True), name="situation"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def open(self) -> bool:
        return self.status in (ReferralStatus.PENDING, ReferralStatus.INFO_REQUESTED)


class ReferralSubmission(db.Model):
    """One submission of a referral form, kept a day to limit submissions per link and per address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("referral_link.id"))
    client: Mapped[str] = mapped_column(String(64))  # a digest of the address, not the address
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_referral_submission_link_at", "link_id", "at"),
        Index("ix_referral_submission_client_at", "client", "at"),
    )
