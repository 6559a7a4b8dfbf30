"""An export someone asked for: its progress, its file while it is kept, and who asked what when (the log)."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db


class ExportStatus(LabelledEnum):
    PENDING = "pending", _l("En attente")
    RUNNING = "running", _l("En cours")
    DONE = "done", _l("Prêt")
    FAILED = "failed", _l("Échec")
    PURGED = "purged", _l("Supprimé après 24 heures")


class ExportFormat(LabelledEnum):
    CSV = "csv", _l("CSV (Excel, point-virgule)")
    XLSX = "xlsx", _l("Classeur Excel (XLSX)")


class ExportJob(db.Model):
    """One export; an association's (association_id) or the network office's (none). The row stays as the log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    source: Mapped[str] = mapped_column(String(40))  # a registered source: "beneficiaries", "appointments"…
    fmt: Mapped[str] = mapped_column(String(4), default=ExportFormat.CSV)
    args: Mapped[str] = mapped_column(Text, default="{}")  # the list's filters, JSON
    status: Mapped[str] = mapped_column(String(10), default=ExportStatus.PENDING)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(120), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_export_job_association_user", "association_id", "user_id", "created_at"),
        Index("ix_export_job_status_created_at", "status", "created_at"),
        CheckConstraint(ExportStatus.check("status"), name="status"),
        CheckConstraint(ExportFormat.check("fmt"), name="fmt"),
    )

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def working(self) -> bool:
        return self.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
