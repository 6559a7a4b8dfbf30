"""What an association's team has to handle, on its home: referrals waiting, next steps with partners due,
qualifications ending soon, sessions waiting for their log. Each is a count and the first few, in two statements
whatever their number, and only the association's own rows (each query starts from its id)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.extensions import db
from intranet.network.models import Association
from intranet.partners import services as partners
from intranet.partners.referrals import services as referrals
from intranet.partners.referrals.models import Referral, ReferralStatus
from intranet.volunteers import logs, watch
from intranet.volunteers.gate import qualification_names

SHOWN = 5


@dataclass(frozen=True)
class Block:
    count: int
    items: list
    names: dict = field(default_factory=dict)  # qualification codes by the names people know them by


def referrals_to_handle(association: Association) -> Block:
    """Referrals waiting for a decision, the oldest first."""
    items = db.session.scalars(
        select(Referral).options(joinedload(Referral.partner))
        .where(Referral.association_id == association.id, Referral.status == ReferralStatus.PENDING)
        .order_by(Referral.received_at, Referral.id).limit(SHOWN)).all()
    return Block(referrals.waiting_count(association.id) if items else 0, list(items))


def next_steps_due(association: Association, today: date) -> Block:
    """Open next steps with partners due today or late, the oldest first."""
    items = db.session.scalars(partners.due_by(association.id, today).limit(SHOWN)).unique().all()
    return Block(partners.count_due_by(association.id, today) if items else 0, list(items))


def qualifications_expiring(association: Association, today: date) -> Block:
    """Qualifications of current members ending within 30 days and not renewed, the soonest first."""
    items = watch.expiring(association.id, today, SHOWN)
    if not items:
        return Block(0, [])
    return Block(watch.expiring_count(association.id, today), items, qualification_names(association.id))


def logs_missing(association: Association, now: datetime) -> Block:
    """Sessions of the last 30 days that are over and still wait for their log, the oldest first."""
    items = db.session.scalars(logs.missing_logs(association.id, now).limit(SHOWN)).unique().all()
    return Block(logs.missing_logs_count(association.id, now) if items else 0, list(items))


def blocks(association: Association, today: date, now: datetime) -> dict[str, Block]:
    return {"referrals": referrals_to_handle(association), "steps": next_steps_due(association, today),
            "qualifications": qualifications_expiring(association, today), "logs": logs_missing(association, now)}
