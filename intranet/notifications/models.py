"""The outbox: every e-mail is a row before it is a message on the wire."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from intranet.clock import UTCDateTime, utcnow
from intranet.enums import LabelledEnum
from intranet.extensions import db


class OutboxStatus(LabelledEnum):
    """Where a mail stands; cancelled: a reminder no longer needed."""

    PENDING = "pending", _l("En attente")
    SENT = "sent", _l("Envoyé")
    FAILED = "failed", _l("Échec")
    CANCELLED = "cancelled", _l("Annulé")


class OutboxMessage(db.Model):
    """One e-mail to send, sent or given up on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty for mail that concerns no association (a password reset, say).
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"))
    # The same logical message (e.g. "invitation of membership 42") exists once at most.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Open-ended: each feature names its own mails ("invitation", "appointment_booked", "follow_up_6m"…),
    # so no list of them lives here and no constraint limits it.
    kind: Mapped[str] = mapped_column(String(40))
    # What it concerns, so staff see it on the file and on the appointment.
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    # The journey a follow-up mail is about: the follow-ups join on it (indexed for those rows only).
    journey_id: Mapped[int | None] = mapped_column(ForeignKey("journey.id"))
    ics: Mapped[str] = mapped_column(Text, default="", server_default="")  # a calendar invitation to attach
    # The association's sender name and reply-to address, fixed when the mail is queued.
    sender: Mapped[str] = mapped_column(String(254), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(String(254), default="", server_default="")
    # For mail that must wait (a reminder): not sent before this time; gives up a day after it.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Subject and bodies are stored with their personal links (reset, invitation, booking…) masked, so
    # the mailbox proves what was sent without handing out the keys. The links themselves ({masked:
    # link}, JSON) are kept only while the message is pending, to put back when it is sent; then erased.
    secret_links: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Held because the SMTP server failed (delivery/breaker.py): the first message the server takes
    # again brings every held one forward, whatever its own next attempt said.
    waits_for_server: Mapped[bool] = mapped_column(default=False, server_default=false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the bodies were cleared after the retention period (notifications/retention.py).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        # The breaker's state and the messages it holds (few rows, only while the server fails).
        Index("ix_outbox_message_waiting", "next_attempt_at",
              sqlite_where=text("waits_for_server"), postgresql_where=text("waits_for_server")),
        CheckConstraint(OutboxStatus.check("status"), name="status"),
        # The mailboxes' order, newest first: the network's and each association's (which also serves
        # every lookup by association).
        Index("ix_outbox_message_created_at_id", "created_at", "id"),
        Index("ix_outbox_message_association_id_created_at_id", "association_id", "created_at", "id"),
        Index("ix_outbox_message_journey_id", "journey_id",
              sqlite_where=text("journey_id IS NOT NULL"), postgresql_where=text("journey_id IS NOT NULL")),
        # The follow-ups list, newest first, reads only follow-up mails (a few in a hundred).
        Index("ix_outbox_message_follow_ups", "association_id", "created_at", "id",
              sqlite_where=text("journey_id IS NOT NULL"), postgresql_where=text("journey_id IS NOT NULL")),
        # The retention job's queue: only the rows whose bodies are still kept.
        Index("ix_outbox_message_unpurged_created_at", "created_at",
              sqlite_where=text("purged_at IS NULL"), postgresql_where=text("purged_at IS NULL")),
    )
