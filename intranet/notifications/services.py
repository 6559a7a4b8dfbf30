"""Queue e-mails in the outbox and deliver them over SMTP."""

import logging
import smtplib
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from jinja2_fragments.flask import render_block
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from intranet.clock import utcnow
from intranet.extensions import db, mail
from intranet.notifications.models import OutboxMessage

log = logging.getLogger(__name__)
DELIVER = "intranet.notifications.services.deliver"
# Retry a temporary failure after 1, 2, 4 … minutes; give up after about a day.
MAX_ATTEMPTS = 11


def queue_mail(
    *,
    to: str,
    template: str,
    kind: str,
    association_id: int | None = None,
    key: str | None = None,
    locale: str = "fr",
    **context,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent once the surrounding transaction commits.

    `template` names `templates/emails/<template>.html`, whose blocks `subject`, `text`
    and `html` give the three parts. A message whose `key` already exists is not added twice.
    """
    if key is not None:
        existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing
    name = f"emails/{template}.html"
    with force_locale(locale):
        message = OutboxMessage(
            association_id=association_id,
            key=key,
            kind=kind,
            to_address=to,
            subject=render_block(name, "subject", **context).strip(),
            text_body=render_block(name, "text", **context).strip() + "\n",
            html_body=render_template(name, **context),
            next_attempt_at=utcnow(),
        )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault("outbox_new", []).append(message.id)
    return message


def smtp_configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def deliver(message_id: int) -> str:
    """Send one pending message; a message already sent or taken by another worker is left alone."""
    query = select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
    message = db.session.scalar(query.with_for_update(skip_locked=True))
    if message is None:
        db.session.rollback()
        return "skipped"
    message.attempts += 1
    try:
        mail.send(
            Message(
                subject=message.subject,
                recipients=[message.to_address],
                body=message.text_body,
                html=message.html_body,
            )
        )
    except smtplib.SMTPRecipientsRefused as error:
        _fail(message, f"adresse refusée : {error.recipients}")
    except (smtplib.SMTPException, OSError) as error:
        if message.attempts >= MAX_ATTEMPTS:
            _fail(message, str(error) or error.__class__.__name__)
        else:
            message.last_error = str(error) or error.__class__.__name__
            message.next_attempt_at = utcnow() + timedelta(minutes=2 ** (message.attempts - 1))
    else:
        message.status = "sent"
        message.sent_at = utcnow()
        message.last_error = ""
    result = message.status
    db.session.commit()
    return result


def _fail(message: OutboxMessage, error: str) -> None:
    message.status = "failed"
    message.last_error = error
    message.next_attempt_at = None


@event.listens_for(Session, "after_commit")
def _dispatch_new_messages(session: Session) -> None:
    ids = session.info.pop("outbox_new", [])
    if ids and smtp_configured():
        from intranet import jobs

        for message_id in ids:
            jobs.enqueue(DELIVER, message_id)


@event.listens_for(Session, "after_rollback")
def _forget_new_messages(session: Session) -> None:
    session.info.pop("outbox_new", None)
