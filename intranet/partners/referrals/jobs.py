"""The referrals' step of the minute tick: a referral nobody handled within 30 days expires.

A job, so it commits: each referral on its own, with its mail to the referrer (sent once: its key);
rows another worker is expiring are skipped.
"""

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.jobs import periodic
from intranet.partners.referrals import services


@periodic()
def expire_referrals(now: datetime) -> int:
    """Expire the referrals left unhandled for 30 days; return how many. Safe to run twice."""
    expired = 0
    query = services.due_to_expire(now).with_for_update(skip_locked=True)
    for referral in db.session.scalars(query).all():
        try:
            if services.expire(referral, now=now):
                db.session.commit()
                expired += 1
        except IntegrityError:  # another worker told the referrer meanwhile
            db.session.rollback()
    return expired
