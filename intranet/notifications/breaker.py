"""The SMTP server's circuit breaker, kept in the outbox itself.

When the server fails (refuses the connection, stays silent, hangs up, answers 421), the message
being sent and the rest of its batch are held (`waits_for_server`) until MAIL_BREAKER_SECONDS after
the failure. While the latest of those times lies ahead the breaker is open: delivery holds the
messages it is given without calling the server. Once it has passed (half-open), the mail tick hands
out one held message to try the server. The first message the server takes, that one or any other,
closes the breaker: every held message is handed out again at once, instead of each waiting out a
backoff of its own. A failure of one message (an address refused, greylisting) holds nothing else.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from intranet.extensions import db
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import hand_out_after_commit, lease

log = logging.getLogger(__name__)
_held = (OutboxMessage.waits_for_server.is_(True), OutboxMessage.status == "pending")


def server_failed(error: OSError) -> bool:
    """Tell a failure of the server (unreachable, silent, gone, closing, refusing us) from one of the message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):  # the server answered about this message
        return error.smtp_code == 421
    return True  # refused, timed out, reset, disconnected


def cool_down(now: datetime) -> datetime:
    """When a message held now may try the server again."""
    return now + timedelta(seconds=current_app.config["MAIL_BREAKER_SECONDS"])


def open_until() -> datetime | None:
    """When the breaker lets a message try the server again (None: closed, nothing is held)."""
    return db.session.scalar(select(func.max(OutboxMessage.next_attempt_at)).where(*_held))


def hold(message_ids: list[int], until: datetime) -> None:
    """Hold these pending messages (those not held already, nor being sent elsewhere). Flushes.

    `until` is the end of the cool-down after a failure, or `now` for messages held while the breaker
    is open: holding them must not keep it open any longer.
    """
    if not message_ids:
        return
    free = (select(OutboxMessage.id).where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending",
                                           OutboxMessage.waits_for_server.is_(False))
            .with_for_update(skip_locked=True))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(free.scalar_subquery()))
                       .values(waits_for_server=True, next_attempt_at=until)
                       .execution_options(synchronize_session=False))


def release(now: datetime) -> list[int]:
    """Close the breaker: hand out every held message after the caller's commit; return their ids."""
    held = select(OutboxMessage.id).where(*_held).with_for_update(skip_locked=True)
    ids = sorted(db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(held.scalar_subquery()))
        .values(waits_for_server=False, next_attempt_at=now + lease()).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all())
    if ids:
        log.warning("the SMTP server takes mail again: %d held message(s) handed out", len(ids))
        hand_out_after_commit(ids)
    return ids


def probe(now: datetime) -> list[int]:
    """Once the breaker is half-open, lease the message held longest, to try the server (the tick's part)."""
    until = open_until()
    if until is None or until > now:
        return []
    oldest = (select(OutboxMessage.id).where(*_held).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
              .limit(1).with_for_update(skip_locked=True))
    # Leased, it keeps the breaker open until it is sent, fails again, or its lease ends.
    return list(db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(oldest.scalar_subquery()))
        .values(next_attempt_at=now + lease()).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all())
