"""Write and read the audit log."""

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.audit.models import AuditEntry
from intranet.extensions import db


def record(obj, action: str, fields: list[str] | None = None) -> None:
    """Note that the current user did `action` on `obj` (changing `fields`), in the same transaction."""
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    db.session.add(AuditEntry(association_id=obj.association_id, object_type=type(obj).__name__,
                              object_id=obj.id, action=action, fields=sorted(fields or []), user_id=user_id))


def history(obj, limit: int = 50) -> list[AuditEntry]:
    """The latest entries about `obj`, newest first."""
    return list(db.session.scalars(
        select(AuditEntry).options(selectinload(AuditEntry.user))
        .where(AuditEntry.association_id == obj.association_id, AuditEntry.object_type == type(obj).__name__,
               AuditEntry.object_id == obj.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
