"""Mail bodies are personal data kept for nothing once a mail has left: after the retention period
(MAIL_RETENTION_DAYS, six months by default) the outbox keeps who, what kind, when and the status,
and drops the text and HTML bodies, the calendar attachment and any personal link still kept.

Runs in the tick, a batch at a time, oldest first, through a partial index of the rows not yet
cleared, so each run reads only what it clears whatever the size of the outbox.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from intranet.extensions import db
from intranet.jobs import periodic
from intranet.notifications.models import OutboxMessage

BATCH = 500


@periodic()
def drop_old_bodies(now: datetime, batch: int = BATCH) -> int:
    """Clear the bodies of mails older than the retention period that are no longer pending; return how many."""
    cutoff = now - timedelta(days=current_app.config["MAIL_RETENTION_DAYS"])
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.purged_at.is_(None), OutboxMessage.created_at < cutoff,
               OutboxMessage.status != "pending")
        .order_by(OutboxMessage.created_at).limit(batch)
    ).all()
    if ids:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids))
            .values(text_body="", html_body="", ics="", secret_links="", purged_at=now)
        )
    return len(ids)  # the tick commits
