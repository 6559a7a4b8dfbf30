"""Resources, availability, absences and appointments (with their seats and history)."""

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.programs.models import Mode, Module, ResourceKind
from intranet.tenancy import TenantScoped


class AppointmentStatus(LabelledEnum):
    """Where a session stands: planned, then what happened (or cancelled)."""

    PLANNED = "planned", _l("Prévu")
    DONE = "done", _l("Réalisé")
    NO_SHOW = "no_show", _l("Absent·e")
    EXCUSED = "excused", _l("Excusé·e")
    CANCELLED = "cancelled", _l("Annulé")


class SeatStatus(LabelledEnum):
    """A beneficiary's place in a session: held, or given back."""

    BOOKED = "booked", _l("Réservée")
    CANCELLED = "cancelled", _l("Libérée")


class AppointmentAction(LabelledEnum):
    """What an entry of a session's history records: a booking, a move, a new status, a place given back."""

    BOOKED = "booked", _l("réservé")
    SEAT = "seat", _l("place réservée")
    MOVED = "moved", _l("déplacé")
    PLANNED = "planned", _l("prévu")
    DONE = "done", _l("réalisé")
    NO_SHOW = "no_show", _l("absent·e")
    EXCUSED = "excused", _l("excusé·e")
    CANCELLED = "cancelled", _l("annulé")
    SEAT_CANCELLED = "seat_cancelled", _l("place libérée")


class Resource(TenantScoped, db.Model):
    """A room or the photo studio: how many sessions it holds at once, and when it is open."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(60), default=ResourceKind.ROOM)  # matches Module.resource_kind
    capacity: Mapped[int] = mapped_column(default=1)
    open_days: Mapped[str] = mapped_column(String(7), default="01234")  # 0 = Monday
    opens_at: Mapped[time] = mapped_column(Time, default=time(9, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(18, 0))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint(ResourceKind.check("kind"), name="kind"),)


class Availability(TenantScoped, db.Model):
    """A weekly recurring time a person can coach, e.g. Tuesdays 14:00–17:00 from a date until a date."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_availability_association_user", "association_id", "user_id"),)


class Absence(TenantScoped, db.Model):
    """A time a person cannot coach: holidays, a one-off absence."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(160), default="")

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_absence_user_starts_at", "user_id", "starts_at"),)


class Appointment(TenantScoped, db.Model):
    """A session of a module at a time, led by a coach, maybe in a resource, for one or more seats."""

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"))
    name: Mapped[str] = mapped_column(String(120))  # the module's local name when booked
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    capacity: Mapped[int] = mapped_column(default=1)
    mode: Mapped[str] = mapped_column(String(20), default=Mode.IN_PERSON)
    call_details: Mapped[str] = mapped_column(String(255), default="")  # phone number or video link
    status: Mapped[str] = mapped_column(String(10), default=AppointmentStatus.PLANNED)
    cancel_reason: Mapped[str] = mapped_column(String(255), default="")
    outside_availability: Mapped[bool] = mapped_column(default=False)  # booked knowingly by staff
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    module: Mapped[Module] = relationship()
    volunteer: Mapped[User] = relationship()
    resource: Mapped[Resource | None] = relationship()
    seats: Mapped[list["Seat"]] = relationship(back_populates="appointment", order_by="Seat.id")

    __table_args__ = (
        Index("ix_appointment_association_starts_at", "association_id", "starts_at"),
        Index("ix_appointment_volunteer_starts_at", "volunteer_id", "starts_at"),
        Index("ix_appointment_resource_starts_at", "resource_id", "starts_at"),
        CheckConstraint(Mode.check("mode"), name="mode"),
        CheckConstraint(AppointmentStatus.check("status"), name="status"),
    )

    @property
    def booked_seats(self) -> list["Seat"]:
        return [s for s in self.seats if s.status == SeatStatus.BOOKED]


class Seat(TenantScoped, db.Model):
    """One beneficiary's place in an appointment, linked to the module of their journey."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    # Indexed: a volunteer's space finds the appointment of each module they coach through it.
    journey_module_id: Mapped[int | None] = mapped_column(ForeignKey("journey_module.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=SeatStatus.BOOKED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="seats")
    beneficiary: Mapped[Beneficiary] = relationship()

    __table_args__ = (CheckConstraint(SeatStatus.check("status"), name="status"),)


class AppointmentEvent(TenantScoped, db.Model):
    """Who changed what on an appointment: booked, moved, status, cancelled."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(40))  # an AppointmentAction (a status change names the status)
    detail: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (CheckConstraint(AppointmentAction.check("action"), name="action"),)

