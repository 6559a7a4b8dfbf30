"""The personal self-booking links sent to beneficiaries."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.beneficiaries.models import Beneficiary
from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db
from intranet.tenancy import TenantScoped


class BookingLink(TenantScoped, db.Model):
    """A personal self-booking link sent to a beneficiary; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    beneficiary: Mapped[Beneficiary] = relationship()
