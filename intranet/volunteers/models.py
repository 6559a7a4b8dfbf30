"""Volunteers: a profile per membership, the training catalogue, training sessions and qualifications.

A profile belongs to one membership: a person who volunteers for two associations has two, and
each association sees only its own. Qualifications belong to a profile too: what one association
recorded never opens another one's bookings. The catalogue holds the network's trainings (no
association) and each association's own; a training grants qualification codes, the codes
`Module.qualification` requires.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.tenancy import TenantScoped

if TYPE_CHECKING:
    from intranet.auth.models import User
    from intranet.members.models import Membership


class VolunteerStatus(LabelledEnum):
    """Where a volunteer stands: active, paused for a time (no booking offers them then), or gone."""

    ACTIVE = "active", _l("Actif·ve")
    PAUSED = "paused", _l("En pause")
    LEFT = "left", _l("Parti·e")


class QualificationSource(LabelledEnum):
    """How a qualification was obtained: a training session completed here, or recorded by hand."""

    TRAINING = "training", _l("Formation suivie")
    MANUAL = "manual", _l("Enregistrée à la main")


class TrainingSessionStatus(LabelledEnum):
    """A training session is open to enrolment until it is completed (qualifications granted) or cancelled."""

    OPEN = "open", _l("Ouverte")
    COMPLETED = "completed", _l("Terminée")
    CANCELLED = "cancelled", _l("Annulée")


class EnrolmentStatus(LabelledEnum):
    """A place in a training session, on its waiting list, or given back."""

    ENROLLED = "enrolled", _l("Inscrit·e")
    WAITING = "waiting", _l("Liste d’attente")
    CANCELLED = "cancelled", _l("Désinscrit·e")


class Attendance(LabelledEnum):
    """Whether an enrolled person came ("" until it is noted)."""

    PRESENT = "present", _l("Présent·e")
    ABSENT = "absent", _l("Absent·e")
    EXCUSED = "excused", _l("Excusé·e")


class ProfileAction(LabelledEnum):
    """What an entry of a volunteer's activity log (the audit log of their profile) records."""

    UPDATE = "update", _l("fiche modifiée")
    LEFT = "left", _l("départ enregistré")
    CAME_BACK = "came_back", _l("retour dans l’association")
    QUALIFICATION_GRANTED = "qualification_granted", _l("habilitation donnée")
    QUALIFICATION_WITHDRAWN = "qualification_withdrawn", _l("habilitation retirée")


class ProfileField(LabelledEnum):
    """The fields of a profile, as the activity log names them."""

    PHONE = "phone", _l("téléphone")
    SKILLS = "skills", _l("compétences")
    LANGUAGES = "languages", _l("langues")
    BACKGROUND = "background", _l("parcours professionnel")
    JOINED_ON = "joined_on", _l("date d’arrivée")
    STAFF_NOTES = "staff_notes", _l("notes de l’équipe")
    STATUS = "status", _l("statut")
    PAUSED_FROM = "paused_from", _l("début de pause")
    PAUSED_UNTIL = "paused_until", _l("fin de pause")
    LEFT_ON = "left_on", _l("date de départ")


class VolunteerProfile(TenantScoped, db.Model):
    """What an association knows of one of its volunteers, beside the membership (role, access).

    Made when first written (a member without one reads as an active volunteer who joined when the
    membership began). A pause runs from `paused_from` (None: already) to `paused_until` (None: until
    further notice); leaving records `left_on` and deactivates the membership, history stays.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    phone: Mapped[str] = mapped_column(String(20), default="")  # E.164 (intranet.phones)
    skills: Mapped[str] = mapped_column(String(500), default="")
    languages: Mapped[str] = mapped_column(String(255), default="")
    background: Mapped[str] = mapped_column(Text, default="")  # professional background
    status: Mapped[str] = mapped_column(String(10), default=VolunteerStatus.ACTIVE)
    paused_from: Mapped[date | None] = mapped_column(Date)
    paused_until: Mapped[date | None] = mapped_column(Date)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    staff_notes: Mapped[str] = mapped_column(Text, default="")  # never shown to the volunteer
    # Folded name, e-mail, skills, languages, background and phone digits (intranet.search), kept by the services.
    search_key: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    membership: Mapped["Membership"] = relationship()
    user: Mapped["User"] = relationship()

    __table_args__ = (
        UniqueConstraint("association_id", "user_id"),
        CheckConstraint(VolunteerStatus.check("status"), name="status"),
    )

    def paused_on(self, day: date) -> bool:
        """Whether the volunteer is on a pause that covers `day`."""
        return (self.status == VolunteerStatus.PAUSED and (self.paused_from is None or self.paused_from <= day)
                and (self.paused_until is None or day <= self.paused_until))


class Training(db.Model):
    """A training of the catalogue: the network's (no association) or one association's own."""

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(default=180)
    validity_months: Mapped[int | None] = mapped_column()  # None: the qualification never expires
    # The qualification codes it grants, space-separated (the codes modules require).
    grants: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def codes(self) -> list[str]:
        return self.grants.split()


class TrainingSession(TenantScoped, db.Model):
    """One date of a training in an association: where, who trains, how many places, who came."""

    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("training.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(255), default="")
    video_link: Mapped[str] = mapped_column(String(255), default="")
    trainer: Mapped[str] = mapped_column(String(120), default="")
    capacity: Mapped[int] = mapped_column(default=8)
    status: Mapped[str] = mapped_column(String(10), default=TrainingSessionStatus.OPEN)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    training: Mapped[Training] = relationship()
    enrolments: Mapped[list["TrainingEnrolment"]] = relationship(
        back_populates="session", order_by="TrainingEnrolment.enrolled_at, TrainingEnrolment.id")

    __table_args__ = (
        Index("ix_training_session_association_starts_at", "association_id", "starts_at"),
        CheckConstraint(TrainingSessionStatus.check("status"), name="status"),
    )

    @property
    def enrolled(self) -> list["TrainingEnrolment"]:
        return [e for e in self.enrolments if e.status == EnrolmentStatus.ENROLLED]

    @property
    def waiting(self) -> list["TrainingEnrolment"]:
        return [e for e in self.enrolments if e.status == EnrolmentStatus.WAITING]

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - len(self.enrolled))


class TrainingEnrolment(TenantScoped, db.Model):
    """A volunteer's place in a training session (or on its waiting list), and whether they came."""

    id: Mapped[int] = mapped_column(primary_key=True)
    training_session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=EnrolmentStatus.ENROLLED)
    attendance: Mapped[str] = mapped_column(String(10), default="")
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the waiting list's order

    session: Mapped[TrainingSession] = relationship(back_populates="enrolments")
    profile: Mapped[VolunteerProfile] = relationship()

    __table_args__ = (
        UniqueConstraint("training_session_id", "profile_id"),
        CheckConstraint(EnrolmentStatus.check("status"), name="status"),
        CheckConstraint(Attendance.check("attendance", blank=True), name="attendance"),
    )


class Qualification(TenantScoped, db.Model):
    """A qualification code a volunteer holds in one association, from a date until a date (None: no end).

    Withdrawn, it stays with its reason; a renewal is a new row, so the history reads in order.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.id"))
    code: Mapped[str] = mapped_column(String(60))
    obtained_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default=QualificationSource.MANUAL)
    training_session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id"))
    evidence: Mapped[str] = mapped_column(String(500), default="")
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str] = mapped_column(String(255), default="")
    # When the volunteer was told it expires soon (one e-mail, 30 days before).
    renewal_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[VolunteerProfile] = relationship()
    session: Mapped[TrainingSession | None] = relationship()

    __table_args__ = (
        Index("ix_qualification_profile_code", "profile_id", "code", "valid_until"),
        Index("ix_qualification_association_valid_until", "association_id", "valid_until"),
        # The network's figures: volunteers trained in a period, every association or a few.
        Index("ix_qualification_obtained_on", "obtained_on", "association_id"),
        CheckConstraint(QualificationSource.check("source"), name="source"),
    )

    def valid_on(self, day: date) -> bool:
        """Whether the qualification holds on `day` (both ends included)."""
        return (self.withdrawn_on is None and self.obtained_on <= day
                and (self.valid_until is None or day <= self.valid_until))


class SessionOutcome(LabelledEnum):
    """What a coach records about a session they gave (the appointment's statuses that say it took place or not)."""

    DONE = "done", _l("Réalisé")
    NO_SHOW = "no_show", _l("Absent·e")
    EXCUSED = "excused", _l("Excusé·e")


class ActivityCategory(LabelledEnum):
    """Volunteer time besides coaching and trainings."""

    CLOTHES = "clothes", _l("Tri du vestiaire")
    EVENT = "event", _l("Événement")
    WORKSHOP = "workshop", _l("Atelier animé")
    WELCOME = "welcome", _l("Accueil")
    ADMIN = "admin", _l("Administratif")
    OTHER = "other", _l("Autre")


class HourKind(LabelledEnum):
    """The kinds of volunteer hours a report adds up (not stored: each comes from its own table)."""

    COACHING = "coaching", _l("Séances d’accompagnement")
    TRAINING = "training", _l("Formations suivies")
    OTHER = "other", _l("Autres activités")


class SessionLog(TenantScoped, db.Model):
    """What the coach of a session recorded after it: what happened, how long it lasted, notes for the next coach.

    One per appointment. The appointment's status and the journey follow through the calendar's and the
    journeys' services; the actual duration counts in the volunteer's hours. Corrections are in the audit log.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # the coach who gave it
    outcome: Mapped[str] = mapped_column(String(10))
    minutes: Mapped[int] = mapped_column()  # the actual duration
    notes: Mapped[str] = mapped_column(Text, default="")  # for the next coach of the journey
    next_module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id"))  # suggested next module
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # first recorded: the window's start
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    volunteer: Mapped["User"] = relationship(foreign_keys=[volunteer_id])

    __table_args__ = (
        Index("ix_session_log_association_volunteer", "association_id", "volunteer_id"),
        CheckConstraint(SessionOutcome.check("outcome"), name="outcome"),
    )


class VolunteerActivity(TenantScoped, db.Model):
    """Other volunteer time: sorting donated clothes, an event, a workshop given."""

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.id"))
    done_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column()
    category: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[VolunteerProfile] = relationship()

    __table_args__ = (
        Index("ix_volunteer_activity_association_done_on", "association_id", "done_on"),
        Index("ix_volunteer_activity_profile_done_on", "profile_id", "done_on"),
        CheckConstraint(ActivityCategory.check("category"), name="category"),
    )


class HourlyRate(db.Model):
    """The value of an hour of volunteering from a date, set by the network office (in cents, gross).

    Each hour is valued at the rate in force on its day, so a past year keeps the rate it had.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    cents: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(String(255), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
