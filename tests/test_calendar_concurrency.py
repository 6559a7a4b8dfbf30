"""Races: twenty people book the same coach at the same instant, exactly one booking wins; a cancel and
a move of one appointment at once leave it cancelled, with nothing left to remind anyone of.

Runs on both databases: row locks on PostgreSQL, serialised writes on SQLite.
"""

import threading
from datetime import date, time, timedelta

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



def _act(app, association_id: int, appointment_id: int, action: str, outcomes: dict, *, loaded=None, go=None,
         done=None) -> None:
    """Load the appointment as a request does, then (once `go` says so) cancel or move it and commit."""
    with app.app_context():
        assoc = _db.session.get(Association, association_id)
        appointment = _db.session.get(Appointment, appointment_id)
        appointment.volunteer, appointment.seats  # what the page loads before it acts  # noqa: B018
        if loaded is not None:
            loaded.set()
        try:
            if go is not None:
                go.wait(timeout=30)
            if action == "cancel":
                booking.set_status(assoc, appointment, "cancelled", "Empêchement")
            else:
                booking.move(assoc, appointment, starts_at=appointment.starts_at + timedelta(hours=5),
                             volunteer_id=appointment.volunteer_id, resource_id=None)
            _db.session.commit()
            outcomes[action] = "done"
        except booking.BookingError as refusal:
            _db.session.rollback()
            outcomes[action] = f"refused: {refusal}"
        except Exception as error:  # anything else is a failure of the rule
            _db.session.rollback()
            outcomes[action] = f"error: {error!r}"
        finally:
            _db.session.remove()
            if done is not None:
                done.set()


@pytest.mark.parametrize("order", ["move_then_stale_cancel", "cancel_then_stale_move", "same_instant"])
def test_a_cancel_and_a_move_at_once_leave_it_cancelled_with_no_reminder_and_a_last_word_of_cancel(app, db, order):
    """Both read the appointment before either acts; whichever acts second must see what the first did."""
    from icalendar import Calendar

    from intranet.notifications.models import OutboxMessage

    association = make_association("bordeaux")
    volunteer = make_volunteer(association)
    beneficiary = make_beneficiary(association, email="amina@exemple.test")
    appointment = booking.book(association, booking.Request(
        module_id=program("remote").modules[0].id, starts_at=to_utc(date(2027, 1, 5), time(10, 0), association.timezone),
        volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78"))
    _db.session.commit()
    booked_at = appointment.starts_at
    outcomes: dict[str, str] = {}
    ids = (app, association.id, appointment.id)
    if order == "same_instant":
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_act, args=(*ids, action, outcomes), kwargs={"go": barrier})
                   for action in ("cancel", "move")]
    else:
        first, second = ("move", "cancel") if order == "move_then_stale_cancel" else ("cancel", "move")
        loaded, done = threading.Event(), threading.Event()
        # the second loads the appointment; then the first acts and commits; then the second acts on what it read
        threads = [threading.Thread(target=_act, args=(*ids, second, outcomes), kwargs={"loaded": loaded, "go": done}),
                   threading.Thread(target=_act, args=(*ids, first, outcomes), kwargs={"go": loaded, "done": done})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.get("cancel") == "done" and not outcomes.get("move", "").startswith("error"), outcomes
    db.session.expire_all()
    final = db.session.get(Appointment, appointment.id)
    assert final.status == "cancelled"
    if order == "cancel_then_stale_move":
        assert outcomes["move"].startswith("refused: Seul un rendez-vous prévu"), outcomes
    if order == "move_then_stale_cancel":
        assert final.starts_at == booked_at + timedelta(hours=5)  # cancelled where the move put it
    assert db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment.id, OutboxMessage.status == "pending",
        OutboxMessage.kind.in_(("appointment_reminder", "coach_reminder")))).all() == []
    for address in (beneficiary.email, volunteer.email):
        invitations = [Calendar.from_ical(m.ics) for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == address, OutboxMessage.ics != "").order_by(OutboxMessage.id))]
        events = [next(iter(c.walk("VEVENT"))) for c in invitations]
        assert invitations[-1]["method"] == "CANCEL", [c["method"] for c in invitations]
        assert int(events[-1]["sequence"]) > max(int(e["sequence"]) for e in events[:-1])
        assert events[-1].decoded("dtstart") == final.starts_at  # the cancellation names the time it cancels
