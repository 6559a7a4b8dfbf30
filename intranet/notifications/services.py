"""Queue e-mails in the outbox and deliver them over SMTP."""

import contextlib
import json
import logging
import re
import smtplib
import time
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Connection, Message
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.notifications.models import OutboxMessage
from intranet.rendering import render_text_block
from intranet.urls import mask_secret_links, unmask

log = logging.getLogger(__name__)
_outbox = OutboxMessage.__table__
DELIVER_BATCH = "intranet.notifications.services.deliver_batch"
# Retry a temporary failure after 1, 2, 4 … minutes; give up after about a day.
MAX_ATTEMPTS = 11
GIVE_UP_AFTER = timedelta(days=1)
# A message handed to a worker is handed out again by the tick if still pending this long after
# (the worker died, or Redis was down when it was queued).
LEASE = timedelta(minutes=2)
# Messages per job: one SMTP connection carries a whole batch.
BATCH_SIZE = 100
# Seconds an SMTP server may stay silent before delivery gives up (Flask-Mail sets no timeout).
SMTP_TIMEOUT = 30


def queue_mail(
    *,
    to: str,
    template: str,
    kind: str,
    association_id: int | None = None,
    key: str | None = None,
    locale: str = "fr",
    beneficiary_id: int | None = None,
    appointment_id: int | None = None,
    ics: str = "",
    due_at: datetime | None = None,
    **context,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent once the surrounding transaction commits.

    `template` names `templates/emails/<template>.html`, whose blocks `subject`, `text`
    and `html` give the three parts (subject and text as plain text, not HTML-escaped). Personal
    links are stored masked, the links themselves only until the message is sent. A message whose
    `key` already exists is not added twice.
    """
    if key is not None:
        existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing
    name = f"emails/{template}.html"
    with force_locale(locale):
        (subject, text_body, html_body), secret_links = mask_secret_links([
            " ".join(render_text_block(name, "subject", **context).split()),
            render_text_block(name, "text", **context).strip() + "\n",
            render_template(name, **context)])
        message = OutboxMessage(
            association_id=association_id,
            beneficiary_id=beneficiary_id,
            appointment_id=appointment_id,
            ics=ics,
            due_at=due_at,
            key=key,
            kind=kind,
            to_address=to,
            subject=subject[:255],
            text_body=text_body,
            html_body=html_body,
            secret_links=json.dumps(secret_links) if secret_links else "",
            # the commit hands it to a worker, the tick if that failed; a reminder waits for its time
            next_attempt_at=due_at or utcnow() + LEASE,
        )
    if association_id is not None:
        from intranet.network.models import Association

        association = db.session.get(Association, association_id)
        message.sender, message.reply_to = clean_sender_name(association.mail_sender_name), association.mail_reply_to
    db.session.add(message)
    db.session.flush()
    if due_at is None or due_at <= utcnow():
        db.session.info.setdefault("outbox_new", []).append(message.id)
    return message


def smtp_configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def deliver(message_id: int) -> str:
    """Send one pending message; a message already sent or taken by another worker is left alone."""
    return deliver_batch([message_id])[0]


def deliver_batch(message_ids: list[int]) -> list[str]:
    """Send pending messages over one SMTP connection, each committed as soon as the server took it.

    Returns each message's status, "skipped" for a message that was not pending, that another
    worker held, or that was left for the tick: after a temporary failure the server is unwell.
    """
    results = dict.fromkeys(message_ids, "skipped")
    columns = (OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.text_body,
               OutboxMessage.html_body, OutboxMessage.ics, OutboxMessage.sender, OutboxMessage.reply_to,
               OutboxMessage.secret_links)
    now = utcnow()
    pending = db.session.execute(
        select(*columns).where(OutboxMessage.id.in_(message_ids), OutboxMessage.status == "pending",
                               or_(OutboxMessage.due_at.is_(None), OutboxMessage.due_at <= now))
        .order_by(OutboxMessage.id)
    ).all()
    with _SMTPConnection() as connection:
        for row in pending:
            results[row.id] = _deliver(row, connection)
            if results[row.id] == "pending":
                break
    return [results[message_id] for message_id in message_ids]


def hand_out_due_mail(now: datetime) -> int:
    """Give up on mail pending for a day, hand due mail to workers in batches; return how many were handed out.

    Safe to run twice at once: rows are taken with SKIP LOCKED and leased until `now + LEASE`,
    and delivery itself re-checks each row under its lock.
    """
    if not smtp_configured():
        return 0  # mail stays in the outbox, readable in the local mailbox
    pending = select(OutboxMessage.id).where(OutboxMessage.status == "pending").with_for_update(skip_locked=True)
    too_old = pending.where(func.coalesce(OutboxMessage.due_at, OutboxMessage.created_at) <= now - GIVE_UP_AFTER)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(too_old.scalar_subquery()))
        .values(status="failed", next_attempt_at=None, secret_links="",
                last_error=func.coalesce(func.nullif(OutboxMessage.last_error, ""), "non envoyé en 24 h"))
        .execution_options(synchronize_session=False)
    )
    due = pending.where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
    ids = sorted(db.session.scalars(
        update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(next_attempt_at=now + LEASE).returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all())
    db.session.commit()
    enqueue_batches(ids)
    return len(ids)


def _deliver(row, connection: "_SMTPConnection") -> str:
    # Rendered before locking, so the lock (the whole database, on SQLite) is held only while sending;
    # Core statements rather than ORM objects, as this runs for every message of a mass mailing.
    subject, text_body, html_body = as_sent(row)
    email = _Email(subject=subject, recipients=[row.to_address], body=text_body, html=html_body,
                   sender=_sender(row.sender), reply_to=_reply_to(row.reply_to))
    if row.ics:
        method = "CANCEL" if "METHOD:CANCEL" in row.ics else "REQUEST"
        email.attach("rendez-vous.ics", f"text/calendar; method={method}; charset=UTF-8", row.ics.encode())
    email.render()
    message_id = row.id
    attempts = _lock_pending(message_id)
    if attempts is None:
        db.session.rollback()
        return "skipped"
    attempts += 1
    try:
        connection.send(email)
    except OSError as error:  # every SMTPException is one, and so is a timeout
        reason = str(error) or error.__class__.__name__
        if _refused_for_good(error):
            changes = {"status": "failed", "last_error": f"adresse refusée : {error.recipients}"}
        elif attempts >= MAX_ATTEMPTS:
            changes = {"status": "failed", "last_error": reason}
        else:
            changes = {"last_error": reason, "next_attempt_at": utcnow() + timedelta(minutes=2 ** (attempts - 1))}
    except Exception as error:  # the message itself is at fault (a header, an address): retrying cannot help
        log.warning("outbox message %s cannot be sent: %r", message_id, error)
        changes = {"status": "failed", "last_error": str(error) or error.__class__.__name__}
    else:
        changes = {"status": "sent", "sent_at": utcnow(), "last_error": ""}
    if changes.get("status") == "failed":
        changes["next_attempt_at"] = None
    if "status" in changes:
        changes["secret_links"] = ""  # sent or given up: the personal links are of no more use here
    db.session.execute(update(_outbox).where(_outbox.c.id == message_id).values(attempts=attempts, **changes))
    db.session.commit()
    return changes.get("status", "pending")


def as_sent(message) -> tuple[str, str, str]:
    """Subject, text and HTML of a message (or outbox row) as sent: personal links put back while they are kept."""
    links = json.loads(message.secret_links) if message.secret_links else {}
    return unmask(message.subject, links), unmask(message.text_body, links), unmask(message.html_body, links)


def shows_live_links() -> bool:
    """Whether the local mailbox shows personal links: only when it stands in for delivery, never in production."""
    return not smtp_configured() and current_app.config["APP_ENV"] != "production"


# What an association's sender name may hold: letters, digits, spaces and . ' ’ - &
_SENDER_NAME_CHARACTER = re.compile(r"[^\W_]|[ .'’&-]")
SENDER_NAME_MAX = 80


def clean_sender_name(name: str) -> str:
    """A plain display name made of `name`'s allowed characters; never an address, quotes or a new line."""
    kept = "".join(c if _SENDER_NAME_CHARACTER.fullmatch(c) else " " if c.isspace() else "" for c in name or "")
    return " ".join(kept.split())[:SENDER_NAME_MAX].strip()


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
    address = (address or "").strip()
    if not address or any(c in address for c in "\r\n,;<>\"") or parseaddr(address)[1] != address:
        return None
    return address


class _Email(Message):
    """A Flask-Mail message rendered once, ahead of sending; what prevents rendering it is raised when sent."""

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
        host = factory(self.mail.server, self.mail.port, timeout=current_app.config.get("MAIL_TIMEOUT", SMTP_TIMEOUT))
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


@event.listens_for(Session, "after_commit")
def _dispatch_new_messages(session: Session) -> None:
    ids = session.info.pop("outbox_new", [])
    if ids and smtp_configured():
        enqueue_batches(ids)


def enqueue_batches(ids: list[int]) -> None:
    """Queue the delivery of these messages, BATCH_SIZE to a job."""
    from intranet import jobs

    for start in range(0, len(ids), BATCH_SIZE):
        jobs.enqueue(DELIVER_BATCH, ids[start:start + BATCH_SIZE])


@event.listens_for(Session, "after_rollback")
def _forget_new_messages(session: Session) -> None:
    session.info.pop("outbox_new", None)


def messages_about(*, association_id: int, beneficiary_id: int | None = None,
                   appointment_id: int | None = None, limit: int = 20) -> list[OutboxMessage]:
    """The latest mails about a beneficiary or an appointment of one association, newest first."""
    query = select(OutboxMessage).where(OutboxMessage.association_id == association_id)
    if beneficiary_id is not None:
        query = query.where(OutboxMessage.beneficiary_id == beneficiary_id)
    if appointment_id is not None:
        query = query.where(OutboxMessage.appointment_id == appointment_id)
    return list(db.session.scalars(query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                                   .limit(limit)))
