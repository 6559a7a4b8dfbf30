"""Queue e-mails in the outbox; they are handed to delivery (`notifications.delivery`) after the commit."""

import json
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.network.services import clean_sender_name
from intranet.notifications.models import OutboxMessage
from intranet.rendering import render_text_block
from intranet.urls import mask_secret_links, unmask

DELIVER_BATCH = "intranet.notifications.delivery.deliver_batch"
# A message handed to a worker is handed out again by the mail tick if still pending this long after
# (the worker died, or Redis lost the job or was down when it was queued): MAIL_LEASE_SECONDS, by
# default as long as one SMTP exchange may take (MAIL_TIMEOUT). Shorter costs nothing but jobs: a
# message handed out twice is sent once, delivery re-checking it under its lock.
LEASE = timedelta(seconds=30)
# Messages per job: one SMTP connection carries a whole batch.
BATCH_SIZE = 100


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
    journey_id: int | None = None,
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
            journey_id=journey_id,
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
            next_attempt_at=due_at or utcnow() + lease(),
        )
    if association_id is not None:
        from intranet.network.models import Association

        association = db.session.get(Association, association_id)
        message.sender, message.reply_to = clean_sender_name(association.mail_sender_name), association.mail_reply_to
    db.session.add(message)
    db.session.flush()
    if due_at is None or due_at <= utcnow():
        hand_out_after_commit([message.id])
    return message


def lease() -> timedelta:
    """How long a worker holds the mail handed to it (MAIL_LEASE_SECONDS)."""
    return timedelta(seconds=current_app.config.get("MAIL_LEASE_SECONDS", LEASE.total_seconds()))


def smtp_configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def as_sent(message) -> tuple[str, str, str]:
    """Subject, text and HTML of a message (or outbox row) as sent: personal links put back while they are kept."""
    links = json.loads(message.secret_links) if message.secret_links else {}
    return unmask(message.subject, links), unmask(message.text_body, links), unmask(message.html_body, links)


def shows_live_links() -> bool:
    """Whether the local mailbox shows personal links: only when it stands in for delivery, never in production."""
    return not smtp_configured() and current_app.config["APP_ENV"] != "production"


@event.listens_for(Session, "after_commit")
def _dispatch_new_messages(session: Session) -> None:
    ids = session.info.pop("outbox_new", [])
    if ids and smtp_configured():
        enqueue_batches(ids)


def hand_out_after_commit(ids: list[int]) -> None:
    """Hand these messages to delivery once the surrounding transaction commits (never if it rolls back)."""
    db.session.info.setdefault("outbox_new", []).extend(ids)


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
