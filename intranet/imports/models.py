"""Import batches from the old spreadsheets, the column mapping each association keeps, and what a batch wrote."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.auth.models import User
from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db
from intranet.tenancy import TenantScoped


class ImportKind(LabelledEnum):
    """What a spreadsheet holds."""

    BENEFICIARIES = "beneficiaries", _l("Bénéficiaires (candidats)")
    SESSIONS = "sessions", _l("Séances passées")
    VOLUNTEERS = "volunteers", _l("Bénévoles et leurs habilitations")


class BatchStatus(LabelledEnum):
    """Where an import stands; the -ing steps run as background jobs."""

    READING = "reading", _l("Lecture du fichier")
    READ = "read", _l("Colonnes à associer")
    CHECKING = "checking", _l("Vérification en cours")
    CHECKED = "checked", _l("Vérifié, prêt à importer")
    COMMITTING = "committing", _l("Import en cours")
    COMMITTED = "committed", _l("Importé")
    UNDONE = "undone", _l("Import annulé")
    CANCELLED = "cancelled", _l("Abandonné")
    FAILED = "failed", _l("Échec")


class RowStatus(LabelledEnum):
    """What the dry run says of one row of the file (kept in the batch's report, not in a column)."""

    CREATE = "create", _l("à créer")
    UPDATE = "update", _l("à mettre à jour")
    UNCHANGED = "unchanged", _l("inchangée")
    ERROR = "error", _l("erreur")
    MERGED = "merged", _l("fusionnée avec une autre ligne")
    SKIPPED = "skipped", _l("écartée")


class Delimiter(LabelledEnum):
    """The delimiters a CSV file may use (detected, and offered to change)."""

    SEMICOLON = ";", _l("point-virgule ( ; )")
    COMMA = ",", _l("virgule ( , )")
    TAB = "\t", _l("tabulation")
    PIPE = "|", _l("barre verticale ( | )")


RUNNING = (BatchStatus.READING, BatchStatus.CHECKING, BatchStatus.COMMITTING)
OPEN = (BatchStatus.READING, BatchStatus.READ, BatchStatus.CHECKING, BatchStatus.CHECKED, BatchStatus.FAILED)


class ImportBatch(TenantScoped, db.Model):
    """One uploaded file, from its reading to its commit (or undo): who, when, which file, what it did."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=ImportKind.BENEFICIARIES)
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.READING)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), default="")  # "" once the file is deleted
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file's bytes
    size: Mapped[int] = mapped_column(default=0)
    file_type: Mapped[str] = mapped_column(String(8))  # csv or xlsx
    # How the file is read: encoding, delimiter, sheet, header_row (1-based), and what was detected.
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    # Columns and the first rows as the file has them, the headers' positions, the distinct values.
    preview: Mapped[dict] = mapped_column(JSON, default=dict)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # {"columns": {header: field}, "values": {...}}
    decisions: Mapped[dict] = mapped_column(JSON, default=dict)  # duplicate groups: {group: {action, keep}}
    report: Mapped[dict] = mapped_column(JSON, default=dict)  # the dry run (or the commit's own)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_import_batch_association_created", "association_id", "created_at"),
        CheckConstraint(ImportKind.check("kind"), name="kind"),
        CheckConstraint(BatchStatus.check("status"), name="status"),
    )

    @property
    def running(self) -> bool:
        return self.status in RUNNING


class ImportMapping(TenantScoped, db.Model):
    """The mapping an association last used for a kind of file, proposed again next time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    headers: Mapped[list] = mapped_column(JSON, default=list)
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("association_id", "kind"),
        CheckConstraint(ImportKind.check("kind"), name="kind"),
    )


class ImportRecord(TenantScoped, db.Model):
    """A row a batch created or changed: where a file or journey came from, and what undo puts back."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column()
    created: Mapped[bool] = mapped_column(default=True)
    before: Mapped[dict] = mapped_column(JSON, default=dict)  # the values an update replaced
    stamp: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the object's updated_at after the import

    __table_args__ = (Index("ix_import_record_object", "association_id", "object_type", "object_id"),)
