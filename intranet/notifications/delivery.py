"""Deliver the outbox over SMTP: a job, committing each message as soon as the server took it.

`hand_out_due_mail` is the mail tick's step that hands due mail to delivery jobs; delivery itself
(`deliver_batch`) runs as a job and commits per message on purpose, so a message the server took
is never sent again, whatever happens to the next one. When the server itself fails, the breaker
(`breaker.py`) holds the mail until one message gets through, then hands it all out at once.

What is guaranteed: every message is sent at least once (or given up on, with its error, after a
day or a refusal); twice only when a fault strikes between the server taking it and the commit that
records it (a worker killed there, a server that answers after the timeout), and then both copies
carry the same Message-ID, derived from the row, so mail clients show one.
"""

import base64
import contextlib
import logging
import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import func, or_, select, update

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.jobs import periodic
from intranet.network.services import clean_sender_name, reply_address
from intranet.notifications import breaker
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import as_sent, hand_out_after_commit, lease, smtp_configured

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__
# Retry a temporary failure of one message after 1, 2, 4 … minutes; give up after about a day. (A failure
# of the server holds the mail behind the breaker instead, counted by the day only.)
MAX_ATTEMPTS = 11
GIVE_UP_AFTER = timedelta(days=1)
# Seconds an SMTP server may stay silent before delivery gives up (Flask-Mail sets no timeout): MAIL_TIMEOUT.
SMTP_TIMEOUT = 30


def deliver(message_id: int) -> str:
    """Send one pending message; a message already sent or taken by another worker is left alone."""
    return deliver_batch([message_id])[0]


def deliver_batch(message_ids: list[int]) -> list[str]:
    """Send pending messages over one SMTP connection, each committed as soon as the server took it.

    Returns each message's status, "skipped" for a message that was not pending, that another
    worker held, or that was left for later: held behind the breaker while the server fails.
    """
    results = dict.fromkeys(message_ids, "skipped")
    columns = (OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.text_body,
               OutboxMessage.html_body, OutboxMessage.ics, OutboxMessage.sender, OutboxMessage.reply_to,
               OutboxMessage.secret_links, OutboxMessage.created_at, OutboxMessage.waits_for_server)
    now = utcnow()
    pending = db.session.execute(
        select(*columns).where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending",
                               or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now))
        .order_by(OutboxMessage.id)
    ).all()
    if not pending:
        return [results[message_id] for message_id in message_ids]
    until = breaker.open_until()
    if until is not None and until > now:  # open: only a message held already (the probe) tries the server
        breaker.hold([row.id for row in pending if not row.waits_for_server], now)
        db.session.commit()
        pending = [row for row in pending if row.waits_for_server]
    released = False
    with _SMTPConnection() as connection:
        for index, row in enumerate(pending):
            results[row.id], retry_at = _deliver(row, connection)
            if retry_at is not None:  # the server failed: the rest of the batch waits behind the breaker
                breaker.hold([later.id for later in pending[index + 1:]], retry_at)
                db.session.commit()
                break
            if results[row.id] == "sent" and not released:
                released = True
                if breaker.open_until() is not None:
                    breaker.release(utcnow())
                    db.session.commit()
    return [results[message_id] for message_id in message_ids]


def message_id_for(outbox_id: int, created_at: datetime) -> str:
    """The Message-ID of an outbox message: the same at every attempt, in the site's domain (BASE_URL's)."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = host.encode("ascii", "ignore").decode() or "localhost"
    return f"<{created_at.astimezone(UTC):%Y%m%d%H%M%S}.{outbox_id}@{host}>"


@periodic(every="mail_tick")
def hand_out_due_mail(now: datetime) -> int:
    """Give up on mail pending for a day, hand due mail to workers in batches; return how many were handed out.

    Mail held behind the breaker is not due: once the breaker is half-open, one held message is
    handed out to try the server. Safe to run twice at once: rows are taken with SKIP LOCKED and
    leased until `now + lease()`, and delivery itself re-checks each row under its lock. The messages
    go to the queue once the caller (the tick) commits the lease, never before: a worker would find
    them still locked.
    """
    if not smtp_configured():
        return 0  # mail stays in the outbox, readable in the local mailbox
    pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending").with_for_update(skip_locked=True)
    too_old = pending.where(func.coalesce(OutboxMessage.due_at, OutboxMessage.created_at) <= now - GIVE_UP_AFTER)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(too_old.scalar_subquery()))
        .values(status="failed", next_attempt_at=None, secret_links="", waits_for_server=False,
                last_error=func.coalesce(func.nullif(OutboxMessage.last_error, ""), "non envoyé en 24 h"))
        .execution_options(synchronize_session=False)
    )
    due = pending.where(OutboxMessage.waits_for_server.is_(False),
                        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
    ids = sorted(db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + lease()).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all())
    hand_out_after_commit(ids)
    probe = breaker.probe(now)
    hand_out_after_commit(probe)
    return len(ids) + len(probe)


def _deliver(row, connection: "_SMTPConnection") -> tuple[str, datetime | None]:
    """Send one message; return its status, and when held mail may try again if the server failed."""
    # Rendered before locking, so the lock (the whole database, on SQLite) is held only while sending;
    # Core statements rather than ORM objects, as this runs for every message of a mass mailing.
    subject, text_body, html_body = as_sent(row)
    email = _Email(subject=subject, recipients=[row.to_address], body=text_body, html=html_body,
                   sender=_sender(row.sender), reply_to=_reply_to(row.reply_to))
    if row.ics:
        method = "CANCEL" if "METHOD:CANCEL" in row.ics else "REQUEST"
        email.attach("rendez-vous.ics", f"text/calendar; method={method}; charset=UTF-8", row.ics.encode())
    email.msgId = message_id_for(row.id, row.created_at)  # a resend is recognisably the same message
    email.render()
    outbox_id = row.id
    attempts = _lock_pending(outbox_id)
    if attempts is None:
        db.session.rollback()
        return "skipped", None
    attempts += 1
    retry_at = None
    try:
        connection.send(email)
    except OSError as error:  # every SMTPException is one, and so is a timeout
        reason = str(error) or error.__class__.__name__
        if _refused_for_good(error):
            changes = {"status": "failed", "last_error": f"adresse refusée : {error.recipients}"}
        elif breaker.server_failed(error):
            retry_at = breaker.cool_down(utcnow())
            log.warning("SMTP server failed sending outbox message %s (%s): mail held until it answers", outbox_id,
                        reason)
            changes = {"last_error": reason, "next_attempt_at": retry_at, "waits_for_server": True}
        elif attempts >= MAX_ATTEMPTS:
            changes = {"status": "failed", "last_error": reason}
        else:
            log.warning("SMTP server refused outbox message %s for now: %s", outbox_id, reason)
            changes = {"last_error": reason, "next_attempt_at": utcnow() + timedelta(minutes=2 ** (attempts - 1))}
    except Exception as error:  # the message itself is at fault (a header, an address): retrying cannot help
        log.warning("outbox message %s cannot be sent: %r", outbox_id, error)
        changes = {"status": "failed", "last_error": str(error) or error.__class__.__name__}
    else:
        changes = {"status": "sent", "sent_at": utcnow(), "last_error": ""}
    if changes.get("status") == "failed":
        changes["next_attempt_at"] = None
        log.warning("outbox message %s given up: %s", outbox_id, changes["last_error"])
    if "status" in changes:
        changes["secret_links"] = ""  # sent or given up: the personal links are of no more use here
        changes["waits_for_server"] = False
    db.session.execute(update(_outbox).where(_outbox.c.id == outbox_id).values(attempts=attempts, **changes))
    db.session.commit()
    return changes.get("status", "pending"), retry_at


def _sender(name: str) -> str | tuple[str, str]:
    """The platform's sender address, under the association's name when it has a usable one.

    Flask-Mail encodes the pair with `email.utils.formataddr`: the name is quoted or encoded, never
    read as an address, and the address is always the platform's.
    """
    default = current_app.config["MAIL_DEFAULT_SENDER"]
    name = clean_sender_name(name)
    if not name:
        return default
    return (name, parseaddr(default)[1])


def _reply_to(address: str) -> str | None:
    """The association's reply-to address when it is one plain address, else none (replies go to the sender)."""
    return reply_address(address)  # the rule the mails' texts follow when they invite a reply


def encoded_words(text: str) -> str:
    """A non-ASCII subject as RFC 2047 encoded words that decode to exactly `text`, one per folded line.

    The spaces stay inside the words: the email package's own folding may leave a space between two
    encoded words, where readers drop it ("mardi 8décembre"). Each word holds whole characters, 39
    bytes at most, so every line stays under 78 characters.
    """
    words, chunk = [], b""
    for character in text:
        encoded = character.encode()
        if len(chunk) + len(encoded) > 39:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


class _Email(Message):
    """A Flask-Mail message rendered once, ahead of sending; what prevents rendering it is raised when sent."""

    def _message(self):
        message = super()._message()
        if self.subject and (not self.subject.isascii() or "=?" in self.subject):
            del message["Subject"]
            message.set_raw("Subject", encoded_words(self.subject))  # raw: nothing folds it again
        return message

    def render(self) -> "_Email":
        self.date = time.time()
        try:
            self._rendered: bytes | Exception = super().as_bytes()
        except Exception as error:
            self._rendered = error
        return self

    def as_bytes(self) -> bytes:
        if isinstance(self._rendered, Exception):
            raise self._rendered
        return self._rendered


def _lock_pending(message_id: int) -> int | None:
    """Lock a pending message until the commit and return its attempts; None if not pending or held elsewhere."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: writing first takes the database's write lock, so a concurrent
        # delivery of the same message waits here, then finds it sent.
        db.session.execute(update(_outbox).where(_outbox.c.id == message_id).values(attempts=_outbox.c.attempts))
    query = select(_outbox.c.attempts).where(_outbox.c.id == message_id, _outbox.c.status == "pending")
    return db.session.scalar(query.with_for_update(skip_locked=True))


def _refused_for_good(error: OSError) -> bool:
    """Tell a permanent refusal of the address (5xx) from a temporary one (4xx: greylisting, full mailbox)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


class _SMTPConnection(Connection):
    """Flask-Mail's connection, opened at the first message, with a timeout so that a silent server
    cannot hang a worker; after an error it is dropped and the next message reconnects."""

    def __init__(self) -> None:
        super().__init__(current_app.extensions["mail"])

    def __enter__(self) -> "_SMTPConnection":
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        self._close(politely=exc_type is None)

    def configure_host(self) -> smtplib.SMTP:
        factory = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = factory(self.mail.server, self.mail.port, timeout=current_app.config.get("MAIL_TIMEOUT") or SMTP_TIMEOUT)
        try:
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def send(self, message: Message, envelope_from=None) -> None:
        if self.host is None and not self.mail.suppress:
            self.host = self.configure_host()
        try:
            super().send(message, envelope_from)
        except smtplib.SMTPRecipientsRefused:
            raise  # smtplib reset the SMTP transaction: the connection is still good
        except BaseException:
            self._close(politely=False)
            raise

    def _close(self, politely: bool) -> None:
        host, self.host = self.host, None
        if host is not None:
            with contextlib.suppress(OSError):
                host.quit() if politely else host.close()
