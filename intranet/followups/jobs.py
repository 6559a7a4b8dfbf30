"""The follow-ups' step of the minute tick: queue the follow-up e-mails that have come due.

A job, so it commits: each e-mail on its own, and one another worker queued meanwhile is skipped.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from intranet.beneficiaries.models import Beneficiary
from intranet.extensions import db
from intranet.followups.services import LATE, PERIODS, follow_up_key, make_token
from intranet.jobs import commit_once, periodic
from intranet.journeys.models import FollowUpAnswer, FollowUpPeriod, Journey
from intranet.network.models import Association
from intranet.notifications.models import OutboxMessage
from intranet.notifications.services import queue_mail
from intranet.urls import external_url


@periodic()
def send_follow_ups(now: datetime) -> int:
    """Queue the follow-up e-mails that have come due; return how many were queued. Safe to run twice."""
    today = now.date()
    queued = 0
    for period, days in PERIODS.items():
        due_until = today - timedelta(days=days)
        query = (
            select(Journey, Beneficiary, Association)
            .join(Beneficiary, Beneficiary.id == Journey.beneficiary_id)
            .join(Association, Association.id == Journey.association_id)
            .where(Journey.exited_on <= due_until, Journey.exited_on >= due_until - LATE,
                   Beneficiary.email != "", Association.active.is_(True),
                   getattr(Journey, f"answer_{period}") == "",
                   ~select(OutboxMessage.id).where(OutboxMessage.journey_id == Journey.id,
                                                   OutboxMessage.kind == f"follow_up_{period}").exists())
            .order_by(Journey.id).limit(500)
        )
        if period == FollowUpPeriod.SIX_MONTHS:
            query = query.where(Journey.follow_up_result == "")  # staff already know the result
        for journey, beneficiary, association in db.session.execute(query).all():
            token = make_token(journey.id, period)
            links = {answer: external_url("followups_public.answer", token=token, answer=answer) for answer in FollowUpAnswer}
            queue_mail(to=beneficiary.email, template="follow_up", kind=f"follow_up_{period}",
                       association_id=association.id, beneficiary_id=beneficiary.id, journey_id=journey.id,
                       key=follow_up_key(period, journey.id),
                       person=beneficiary, association=association, period=period, links=links)
            queued += commit_once()
    return queued
