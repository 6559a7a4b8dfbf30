"""Send the follow-up e-mails after an exit, read their signed answers, list who did not answer.

A month (30 days) and six months (182 days) after the exit, the beneficiary gets one short e-mail
with four links. Journeys exited long before (more than LATE past the date) are never mailed, so an
old import or demo data does not write to everyone at once. Each link is signed (no row to keep)
and valid for LINK_MAX_AGE; the six-month answer also gives the ESF+ longer-term result.
"""

from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload

from intranet.args import capped_count
from intranet.audit.services import record
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.journeys.models import FollowUpAnswer, FollowUpPeriod, FollowUpResult, Journey
from intranet.notifications.models import OutboxMessage, OutboxStatus

PERIODS = {FollowUpPeriod.ONE_MONTH: 30, FollowUpPeriod.SIX_MONTHS: 182}  # days after the exit
LATE = timedelta(days=60)  # a follow-up not sent by then is not sent at all
LINK_MAX_AGE = timedelta(days=90)
SALT = "journey-follow-up"
# What a six-month answer means as the ESF+ longer-term result; "other" is left for staff to qualify.
RESULT_OF_ANSWER = {FollowUpAnswer.JOB: FollowUpResult.EMPLOYMENT, FollowUpAnswer.TRAINING: FollowUpResult.IMPROVED,
                    FollowUpAnswer.SEARCHING: FollowUpResult.NO_CHANGE}


class LinkProblem(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "unknown" or "expired"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(journey_id: int, period: str) -> str:
    return _serializer().dumps({"j": journey_id, "p": period})


def read_token(token: str) -> tuple[Journey, str]:
    """The journey and period a link is about; LinkProblem if it is forged, expired or its journey is gone."""
    try:
        data = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except SignatureExpired as error:
        raise LinkProblem("expired") from error
    except BadSignature as error:
        raise LinkProblem("unknown") from error
    if not isinstance(data, dict) or data.get("p") not in PERIODS or not isinstance(data.get("j"), int):
        raise LinkProblem("unknown")
    journey = db.session.get(Journey, data["j"])
    if journey is None or journey.exited_on is None:
        raise LinkProblem("unknown")
    return journey, data["p"]


def record_answer(journey: Journey, period: str, answer: str, today: date) -> None:
    """Keep the person's answer, once; at six months it is also the ESF+ result, unless staff recorded one."""
    if answer not in FollowUpAnswer.values() or period not in PERIODS:
        raise ValueError(answer)
    previous = getattr(journey, f"answer_{period}")
    if previous == answer:
        return  # the same answer sent again (a second click, a reload): nothing changes
    setattr(journey, f"answer_{period}", answer)
    if period == FollowUpPeriod.SIX_MONTHS:
        # A result the person's previous answer gave may follow their new answer; one staff recorded stays.
        from_answer = previous in RESULT_OF_ANSWER and journey.follow_up_result == RESULT_OF_ANSWER[previous]
        if not journey.follow_up_result or from_answer:
            journey.follow_up_result = RESULT_OF_ANSWER.get(answer, "")
            journey.follow_up_on = today if answer in RESULT_OF_ANSWER else None
    record(journey.beneficiary, "follow_up_answer", [f"journey:{journey.id}", f"answer_{period}"])
    db.session.flush()


def follow_up_key(period: str, journey_id: int) -> str:
    """The outbox key of a follow-up mail: one per journey and period."""
    return f"follow-up-{period}-{journey_id}"


def _unanswered(association_id: int, now: datetime):
    """Follow-up mails of the association, sent or waiting, whose journey has no answer for that period."""
    matches = and_(Journey.id == OutboxMessage.journey_id, or_(*(
        and_(OutboxMessage.kind == f"follow_up_{period}", getattr(Journey, f"answer_{period}") == "")
        for period in PERIODS)))
    # Past the links' validity nobody can answer any more: those are staff's to call, listed no longer.
    return (select(OutboxMessage, Journey)
            .join(Journey, and_(Journey.association_id == association_id, matches))
            .where(OutboxMessage.association_id == association_id, OutboxMessage.kind.in_(
                [f"follow_up_{p}" for p in PERIODS]), OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
                OutboxMessage.created_at >= now - LINK_MAX_AGE))


def unanswered(association_id: int, now: datetime | None = None) -> Select:
    """The follow-ups sent and not answered, newest first, with the journey and its beneficiary
    (read backwards along ix_outbox_message_follow_ups)."""
    return (_unanswered(association_id, now or utcnow()).options(joinedload(Journey.beneficiary))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


COUNT_CAP = 99  # the beneficiaries' header says "plus de 99" rather than count every unanswered follow-up


def count_unanswered(association_id: int, now: datetime | None = None) -> tuple[int, bool]:
    """How many follow-ups wait for an answer, at most COUNT_CAP: (number, whether there are more)."""
    return capped_count(_unanswered(association_id, now or utcnow()), COUNT_CAP)
