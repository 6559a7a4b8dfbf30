"""Who changed what, when: the audit log of personal files."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.clock import UTCDateTime, utcnow
from intranet.extensions import db
from intranet.tenancy import TenantScoped


class AuditEntry(TenantScoped, db.Model):
    """One change to a record: the fields' names are kept, never their (personal) values."""

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)
