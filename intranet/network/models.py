"""The associations of the network."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db


class AssociationKind(LabelledEnum):
    LOCAL = "local", _l("Association locale")
    NATIONAL = "national", _l("Programme à distance (tête de réseau)")


class Association(db.Model):
    """A local association, or the national space that runs the remote program."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=AssociationKind.LOCAL)
    city: Mapped[str] = mapped_column(String(120), default="")
    department_code: Mapped[str] = mapped_column(String(3), default="")
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # Self-booking: from how many hours ahead to how many days ahead, and until when a booking may change.
    booking_min_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    booking_max_days: Mapped[int] = mapped_column(default=42, server_default="42")
    change_min_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # Reminders before each appointment: so many days before (0: none), and the day before at this hour (none if null).
    reminder_days_before: Mapped[int] = mapped_column(default=2, server_default="2")
    reminder_eve_hour: Mapped[int | None] = mapped_column(default=8, server_default="8")
    # How the association's mails present themselves.
    mail_sender_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    mail_reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint(AssociationKind.check("kind"), name="kind"),)

    def __repr__(self) -> str:
        return f"<Association {self.slug}>"
