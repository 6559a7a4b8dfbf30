"""Booking rules: overlaps, capacity, availability, time zones and daylight-saving changes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.calendar import booking
from intranet.calendar.availability import add_absence, add_availability, is_available
from intranet.calendar.models import Appointment
from intranet.calendar.slots import find_slots
from intranet.clock import local, to_utc
from intranet.extensions import db as _db
from intranet.programs.services import local_modules
from tests.factories import (
    make_association,
    make_beneficiary,
    make_journey,
    make_resource,
    make_volunteer,
    program,
)

PARIS = "Europe/Paris"
MONDAY = date(2027, 1, 4)


@pytest.fixture
def assoc(bordeaux):
    return bordeaux


def module(code="remote", index=0):
    return program(code).modules[index]


def request(assoc, volunteer, beneficiary, day=MONDAY, at=time(10, 0), mod=None, **fields):
    mod = mod or module()
    return booking.Request(module_id=mod.id, starts_at=to_utc(day, at, assoc.timezone), volunteer_id=volunteer.id,
                           beneficiary_id=beneficiary.id, call_details="06 12 34 56 78", **fields)


def test_a_booking_is_stored_in_utc_and_shown_in_local_time(assoc):
    v, b = make_volunteer(assoc), make_beneficiary(assoc)
    a = booking.book(assoc, request(assoc, v, b))
    assert a.starts_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # 10:00 in Paris in winter
    assert local(a.starts_at, PARIS).time() == time(10, 0)
    assert a.ends_at - a.starts_at == timedelta(minutes=module().duration_minutes)


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])  # last Sundays of March and October
def test_daylight_saving_days_do_not_shift_appointments(assoc, day):
    v, b = make_volunteer(assoc, weekdays=[6]), make_beneficiary(assoc)
    a = booking.book(assoc, request(assoc, v, b, day=day, at=time(10, 0)))
    assert local(a.starts_at, PARIS).time() == time(10, 0)
    assert local(a.ends_at, PARIS).time() == time(11, 0)
    before, after = to_utc(day - timedelta(days=7), time(10, 0), PARIS), to_utc(day + timedelta(days=7), time(10, 0), PARIS)
    assert {local(before, PARIS).time(), local(after, PARIS).time()} == {time(10, 0)}
    assert before.hour != after.hour  # the UTC hour changes, the local one does not


def test_weekly_availability_holds_across_the_daylight_saving_change(assoc):
    v = make_volunteer(assoc, weekdays=[1], starts=time(14, 0), ends=time(17, 0))  # Tuesdays 14:00–17:00
    for tuesday in (date(2027, 3, 23), date(2027, 3, 30), date(2027, 10, 26), date(2027, 11, 2)):
        start = to_utc(tuesday, time(14, 0), PARIS)
        assert is_available(assoc, v.id, start, start + timedelta(hours=3)) is None
        assert is_available(assoc, v.id, start - timedelta(hours=1), start) is not None


def test_an_overseas_association_books_in_its_own_time_zone(db):
    reunion = make_association("la-reunion", timezone="Indian/Reunion")
    v, b = make_volunteer(reunion), make_beneficiary(reunion)
    a = booking.book(reunion, request(reunion, v, b, at=time(10, 0)))
    assert a.starts_at == datetime(2027, 1, 4, 6, 0, tzinfo=UTC)


def test_a_volunteer_is_never_booked_twice_at_once(assoc):
    v = make_volunteer(assoc)
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(10, 0)))
    with pytest.raises(booking.Conflict, match="a déjà une séance"):
        booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(10, 30)))


def test_back_to_back_sessions_are_fine(assoc):
    v = make_volunteer(assoc)
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(10, 0)))  # 60 min
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(11, 0)))


def test_a_volunteer_in_two_associations_is_one_person(assoc):
    other = make_association("national")
    v = make_volunteer(assoc)
    from tests.factories import make_membership, qualify

    qualify(make_membership(other, "volunteer", v))  # each association records its own qualifications
    add_availability(other.id, v.id, weekday=0, starts=time(9, 0), ends=time(18, 0), valid_from=date(2026, 1, 1),
                     valid_until=None)
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc)))
    with pytest.raises(booking.Conflict):
        booking.book(other, request(other, v, make_beneficiary(other)))


def test_a_beneficiary_is_never_booked_twice_at_once(assoc):
    b = make_beneficiary(assoc)
    booking.book(assoc, request(assoc, make_volunteer(assoc), b))
    with pytest.raises(booking.Conflict, match="personne accompagnée"):
        booking.book(assoc, request(assoc, make_volunteer(assoc), b, at=time(10, 30)))


def test_a_resource_holds_as_many_sessions_as_its_capacity(assoc):
    studio = make_resource(assoc, kind="studio", capacity=2)
    photo = module("in_person", 3)
    for _ in range(2):
        booking.book(assoc, request(assoc, make_volunteer(assoc), make_beneficiary(assoc), mod=photo,
                                    resource_id=studio.id))
    with pytest.raises(booking.Conflict, match="déjà occupé"):
        booking.book(assoc, request(assoc, make_volunteer(assoc), make_beneficiary(assoc), mod=photo,
                                    resource_id=studio.id))


def test_a_module_needing_the_studio_needs_the_studio(assoc):
    with pytest.raises(booking.BookingError, match="« Studio photo »"):
        booking.book(assoc, request(assoc, make_volunteer(assoc), make_beneficiary(assoc), mod=module("in_person", 3)))


def test_a_closed_resource_cannot_be_booked(assoc):
    studio = make_resource(assoc, kind="studio", opens_at=time(14, 0), closes_at=time(18, 0))
    with pytest.raises(booking.BookingError, match="fermé"):
        booking.book(assoc, request(assoc, make_volunteer(assoc), make_beneficiary(assoc), mod=module("in_person", 3),
                                    resource_id=studio.id))


def test_remote_modules_need_call_details(assoc):
    req = request(assoc, make_volunteer(assoc), make_beneficiary(assoc))
    req.call_details = " "
    with pytest.raises(booking.BookingError, match="numéro à appeler"):
        booking.book(assoc, req)


def test_collective_sessions_count_seats_and_never_overbook(assoc, db):
    workshop = module("remote", 4)
    workshop.capacity = 3
    db.session.commit()
    v = make_volunteer(assoc)
    sessions = {booking.book(assoc, request(assoc, v, make_beneficiary(assoc), mod=workshop)).id for _ in range(3)}
    assert len(sessions) == 1
    appointment = db.session.get(Appointment, sessions.pop())
    assert len(appointment.booked_seats) == 3
    with pytest.raises(booking.Conflict, match="complète"):
        booking.book(assoc, request(assoc, v, make_beneficiary(assoc), mod=workshop))


def test_outside_availability_staff_must_override_knowingly(assoc):
    v, b = make_volunteer(assoc, weekdays=[2]), make_beneficiary(assoc)  # Wednesdays only
    with pytest.raises(booking.NeedsOverride):
        booking.book(assoc, request(assoc, v, b))
    a = booking.book(assoc, request(assoc, v, b), override=True)
    assert a.outside_availability


def test_self_booking_outside_availability_is_refused(assoc):
    v, b = make_volunteer(assoc, weekdays=[2]), make_beneficiary(assoc)
    with pytest.raises(booking.BookingError) as error:
        booking.book(assoc, request(assoc, v, b), override=True, self_service=True)
    assert not isinstance(error.value, booking.NeedsOverride)


def test_an_absence_makes_the_volunteer_unavailable(assoc):
    v, b = make_volunteer(assoc), make_beneficiary(assoc)
    add_absence(assoc, v.id, first_day=MONDAY, last_day=MONDAY, reason="Congés")
    with pytest.raises(booking.NeedsOverride, match="absent"):
        booking.book(assoc, request(assoc, v, b))


def test_the_journey_module_follows_the_appointment(assoc):
    b = make_beneficiary(assoc)
    journey = make_journey(assoc, b, modules=2)
    item = journey.modules[0]
    v = make_volunteer(assoc)
    a = booking.book(assoc, request(assoc, v, b, mod=module("remote", 0)))
    assert (item.status, item.happened_on, item.coach_id) == ("planned", MONDAY, v.id)
    booking.set_status(assoc, a, "done", now=a.ends_at)
    assert item.status == "done"
    booking.set_status(assoc, a, "cancelled", "Malade")
    assert (item.status, item.happened_on) == ("to_plan", None)


def test_cancelling_needs_a_reason_and_frees_the_time(assoc):
    v = make_volunteer(assoc)
    a = booking.book(assoc, request(assoc, v, make_beneficiary(assoc)))
    with pytest.raises(booking.BookingError):
        booking.set_status(assoc, a, "cancelled", "")
    booking.set_status(assoc, a, "cancelled", "Empêchement")
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc)))


def test_moving_checks_the_new_time_and_keeps_history(assoc):
    v, b = make_volunteer(assoc), make_beneficiary(assoc)
    first = booking.book(assoc, request(assoc, v, b, at=time(10, 0)))
    second = booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(14, 0)))
    with pytest.raises(booking.Conflict):
        booking.move(assoc, first, starts_at=second.starts_at, volunteer_id=v.id, resource_id=None)
    booking.move(assoc, first, starts_at=to_utc(MONDAY, time(16, 0), PARIS), volunteer_id=v.id, resource_id=None)
    assert local(first.starts_at, PARIS).time() == time(16, 0)
    assert [e.action for e in booking.history(first)] == ["booked", "moved"]


# --- finding slots ----------------------------------------------------------------------------------


def _local_module(assoc, mod):
    return next(m for m in local_modules(assoc.id) if m.id == mod.id)


def test_slots_follow_availability_and_skip_taken_times(assoc):
    v = make_volunteer(assoc, weekdays=[0], starts=time(9, 0), ends=time(12, 0))
    booking.book(assoc, request(assoc, v, make_beneficiary(assoc), at=time(9, 0)))
    start = to_utc(MONDAY, time(0, 0), PARIS)
    slots = find_slots(assoc, _local_module(assoc, module()), start=start, end=start + timedelta(days=1))
    assert [local(s.starts_at, PARIS).time() for s in slots] == [time(10, 0), time(10, 30), time(11, 0)]


def test_slots_need_the_resource_free(assoc):
    make_volunteer(assoc, weekdays=[0], starts=time(9, 0), ends=time(11, 0))
    studio = make_resource(assoc, kind="studio", opens_at=time(10, 0), closes_at=time(18, 0))
    start = to_utc(MONDAY, time(0, 0), PARIS)
    slots = find_slots(assoc, _local_module(assoc, module("in_person", 3)), start=start, end=start + timedelta(days=1))
    assert [(local(s.starts_at, PARIS).time(), s.resource_id) for s in slots] == [
        (time(10, 0), studio.id), (time(10, 30), studio.id)]


def test_no_studio_means_no_studio_slots(assoc):
    make_volunteer(assoc)
    start = to_utc(MONDAY, time(0, 0), PARIS)
    assert find_slots(assoc, _local_module(assoc, module("in_person", 3)), start=start,
                      end=start + timedelta(days=7)) == []


def test_slots_skip_the_beneficiary_s_own_appointments_and_absences(assoc):
    v = make_volunteer(assoc, weekdays=[0, 1], starts=time(9, 0), ends=time(10, 0))
    other = make_volunteer(assoc, weekdays=[0], starts=time(9, 0), ends=time(10, 0))
    b = make_beneficiary(assoc)
    booking.book(assoc, request(assoc, other, b, at=time(9, 0)))
    add_absence(assoc, v.id, first_day=MONDAY + timedelta(days=1), last_day=MONDAY + timedelta(days=1))
    start = to_utc(MONDAY, time(0, 0), PARIS)
    assert find_slots(assoc, _local_module(assoc, module()), start=start, end=start + timedelta(days=2),
                      beneficiary_id=b.id) == []


# --- one set of checks for booking, moving and self-service ------------------------------------------

NOW = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)  # three weeks before MONDAY


def _studio_session(assoc):
    """A portrait session booked in the studio on MONDAY at 10:00, with what a move could change."""
    studio = make_resource(assoc, kind="studio", name="Studio")
    v, b = make_volunteer(assoc), make_beneficiary(assoc)
    a = booking.book(assoc, request(assoc, v, b, mod=module("in_person", 3), resource_id=studio.id), now=NOW)
    _db.session.commit()  # booked by an earlier request
    return a, v


def _moves_and_mails(db, a):
    from intranet.calendar.models import AppointmentEvent
    from intranet.notifications.models import OutboxMessage

    moves = db.session.scalar(select(func.count()).select_from(AppointmentEvent).where(
        AppointmentEvent.appointment_id == a.id, AppointmentEvent.action == "moved"))
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind.in_(("appointment_moved", "coach_moved"))))
    return moves, mails


@pytest.mark.parametrize(("where", "at", "message"), [
    ("other_association", time(11, 0), "n’existe pas"),
    ("inactive", time(11, 0), "plus en service"),
    ("room", time(11, 0), "Studio photo"),
    ("afternoon_studio", time(11, 0), "fermé"),
    ("same", time(22, 0), "fermé"),
    ("none", time(11, 0), "Studio photo"),
])
def test_a_move_is_checked_like_a_booking(assoc, db, where, at, message):
    a, v = _studio_session(assoc)
    before = (a.starts_at, a.resource_id, a.volunteer_id)
    resources = {
        "other_association": lambda: make_resource(make_association("lille"), kind="studio").id,
        "inactive": lambda: make_resource(assoc, kind="studio", active=False).id,
        "room": lambda: make_resource(assoc, kind="room").id,
        "afternoon_studio": lambda: make_resource(assoc, kind="studio", opens_at=time(14, 0)).id,
        "same": lambda: a.resource_id,
        "none": lambda: None,
    }
    resource_id = resources[where]()
    with pytest.raises(booking.BookingError, match=message) as error:
        booking.move(assoc, a, starts_at=to_utc(MONDAY, at, PARIS), volunteer_id=v.id, resource_id=resource_id,
                     override=True, now=NOW)
    assert error.value.field == "resource_id"
    db.session.rollback()
    db.session.refresh(a)
    assert (a.starts_at, a.resource_id, a.volunteer_id) == before
    assert _moves_and_mails(db, a) == (0, 0)


def test_a_move_into_the_past_is_refused(assoc, db):
    a, v = _studio_session(assoc)
    later = MONDAY + timedelta(days=7)
    with pytest.raises(booking.BookingError, match="déjà passé") as error:
        booking.move(assoc, a, starts_at=to_utc(MONDAY, time(11, 0), PARIS), volunteer_id=v.id,
                     resource_id=a.resource_id, now=to_utc(later, time(9, 0), PARIS))
    assert error.value.field == "day"
    db.session.rollback()
    assert local(db.session.get(Appointment, a.id).starts_at, PARIS).time() == time(10, 0)
    assert _moves_and_mails(db, a) == (0, 0)


def test_a_move_to_someone_outside_the_association_is_refused(assoc, db):
    a, _v = _studio_session(assoc)
    outsider = make_volunteer(make_association("lille"))
    with pytest.raises(booking.BookingError, match="de l’association") as error:
        booking.move(assoc, a, starts_at=a.starts_at, volunteer_id=outsider.id, resource_id=a.resource_id,
                     override=True, now=NOW)
    assert error.value.field == "volunteer_id"
    db.session.rollback()
    assert db.session.get(Appointment, a.id).volunteer_id != outsider.id


def test_an_inactive_resource_cannot_be_booked(assoc, db):
    studio = make_resource(assoc, kind="studio", active=False)
    with pytest.raises(booking.BookingError, match="plus en service"):
        booking.book(assoc, request(assoc, make_volunteer(assoc), make_beneficiary(assoc), mod=module("in_person", 3),
                                    resource_id=studio.id), now=NOW)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def _mail_count(db) -> int:
    from intranet.notifications.models import OutboxMessage

    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_staff_cannot_book_far_in_the_past_and_nothing_is_sent(assoc, db):
    b = make_beneficiary(assoc, email="yasmine@exemple.test")
    long_ago = request(assoc, make_volunteer(assoc), b, day=date(2024, 1, 8))
    with pytest.raises(booking.BookingError, match="30 jours en arrière") as error:
        booking.book(assoc, long_ago, override=True, now=NOW)
    assert error.value.field == "day"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert _mail_count(db) == 0


def test_a_session_recorded_after_it_took_place_sends_no_confirmation_nor_reminder(assoc, db):
    b = make_beneficiary(assoc, email="yasmine@exemple.test")
    last_week = request(assoc, make_volunteer(assoc), b, day=MONDAY - timedelta(days=7))
    a = booking.book(assoc, last_week, now=to_utc(MONDAY, time(9, 0), PARIS))
    assert a.id is not None and [s.beneficiary_id for s in a.booked_seats] == [b.id]
    assert _mail_count(db) == 0


def test_self_service_never_books_in_the_past(assoc, db):
    v, b = make_volunteer(assoc), make_beneficiary(assoc)
    with pytest.raises(booking.BookingError, match="déjà passé"):
        booking.book(assoc, request(assoc, v, b), self_service=True, now=to_utc(MONDAY, time(10, 30), PARIS))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize("status", ["done", "no_show"])
def test_a_session_still_to_come_cannot_be_marked_done_or_missed(assoc, db, status):
    b = make_beneficiary(assoc)
    item = make_journey(assoc, b, modules=2).modules[0]
    a = booking.book(assoc, request(assoc, make_volunteer(assoc), b), now=NOW)
    db.session.commit()  # booked by an earlier request
    with pytest.raises(booking.BookingError, match="pas encore commencé") as error:
        booking.set_status(assoc, a, status, now=NOW)
    assert error.value.field == "status"
    db.session.rollback()
    assert db.session.get(Appointment, a.id).status == "planned"
    assert (item.status, item.happened_on) == ("planned", MONDAY)
    booking.set_status(assoc, a, status, now=a.starts_at + timedelta(minutes=5))  # once begun, it may
    assert item.status == booking.JOURNEY_STATUS[status]
