"""The periodic tick: every minute, each step hands the work that has come due to the job queue.

A step is a function of `now` that finds due rows, marks them, commits, then queues jobs.
It must be safe to run twice at once, on several workers: take rows with SKIP LOCKED,
and let the job re-check each row under its own lock, so that nothing is done twice.
Reminders, follow-ups and expiries add their step to STEPS.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.followups.services import send_follow_ups
from intranet.notifications.digest import send_digests
from intranet.notifications.retention import drop_old_bodies
from intranet.notifications.services import hand_out_due_mail

log = logging.getLogger(__name__)

STEPS: tuple[Callable[[datetime], object], ...] = (hand_out_due_mail, send_digests, send_follow_ups, drop_old_bodies)


def tick(now: datetime | None = None) -> dict[str, object]:
    """Run every step once; a failing step is logged and does not stop the others."""
    now = now or utcnow()
    results: dict[str, object] = {}
    for step in STEPS:
        try:
            results[step.__name__] = step(now)
        except Exception:
            db.session.rollback()
            log.exception("tick step %s failed", step.__name__)
    return results
