"""Twenty people book the same coach at the same instant: exactly one booking wins.

Runs on both databases: row locks on PostgreSQL, serialised writes on SQLite.
"""

import threading
from datetime import date, time

import pytest
from sqlalchemy import func, select

from intranet.calendar import booking
from intranet.calendar.models import Appointment
from intranet.clock import to_utc
from intranet.extensions import db as _db
from intranet.network.models import Association
from tests.factories import make_association, make_beneficiary, make_volunteer, program

THREADS = 20
pytestmark = pytest.mark.commits  # each thread books on its own connection


def test_twenty_simultaneous_bookings_of_one_coach_give_exactly_one_appointment(app, db):
    association = make_association("bordeaux")
    volunteer = make_volunteer(association)
    beneficiaries = [make_beneficiary(association).id for _ in range(THREADS)]
    module_id = program("remote").modules[0].id
    starts_at = to_utc(date(2027, 1, 4), time(10, 0), association.timezone)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(beneficiary_id: int) -> None:
        with app.app_context():
            assoc = _db.session.get(Association, association.id)
            _db.session.expunge(assoc)
            _db.session.close()  # hold no pooled connection while waiting for the others
            barrier.wait(timeout=30)
            try:
                booking.book(assoc, booking.Request(module_id=module_id, starts_at=starts_at,
                                                    volunteer_id=volunteer.id, beneficiary_id=beneficiary_id,
                                                    call_details="06 12 34 56 78"))
                _db.session.commit()  # the caller commits: the locks are held until then
                result = "booked"
            except booking.Conflict as conflict:
                result = "conflict: " + str(conflict)
            except Exception as error:  # anything else is a failure of the rule
                result = f"error: {error!r}"
            finally:
                _db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(b,)) for b in beneficiaries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(o.split(":")[0] for o in outcomes) == ["booked"] + ["conflict"] * (THREADS - 1), outcomes
    assert all("a déjà une séance" in o for o in outcomes if o.startswith("conflict"))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
