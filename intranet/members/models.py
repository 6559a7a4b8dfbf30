"""Who belongs to which association, and with which role."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db
from intranet.tenancy import ROLES, TenantScoped

if TYPE_CHECKING:
    from intranet.auth.models import User
    from intranet.network.models import Association


class Membership(TenantScoped, db.Model):
    """A user's role in one association; deactivated, never deleted, so history stays."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[bool] = mapped_column(default=True, server_default=sa_true())  # staff's daily digest e-mail
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(back_populates="memberships")
    association: Mapped["Association"] = relationship()

    __table_args__ = (UniqueConstraint("association_id", "user_id"),)

    @property
    def role_rank(self) -> int:
        return ROLES.index(self.role)
