"""A person in two associations: each association sees, changes and uses only its own records of them,
while their sessions keep them from being booked twice anywhere."""

from datetime import date, time, timedelta

import pytest

from intranet.calendar import booking
from intranet.calendar.availability import AvailabilityError, add_absence, add_availability, is_available
from intranet.calendar.slots import find_slots
from intranet.clock import to_utc
from intranet.members import services
from intranet.programs.services import local_modules
from tests.factories import make_beneficiary, make_membership, make_user, make_volunteer, program, qualify

MONDAY = date(2027, 1, 4)


@pytest.fixture
def coach(lyon, bordeaux):
    """Available all week in Bordeaux; also a volunteer of Lyon, with Lyon's own records (qualifications too)."""
    person = make_volunteer(bordeaux, "Aïcha Diallo")
    qualify(make_membership(lyon, "volunteer", person))
    add_availability(lyon.id, person.id, weekday=MONDAY.weekday(), starts=time(14, 0), ends=time(15, 0),
                     valid_from=date(2026, 1, 1), valid_until=None)
    add_absence(lyon, person.id, first_day=MONDAY, last_day=MONDAY, reason="Vacances secrètes à Lyon")
    return person


def _module(association):
    first = program("remote").modules[0]
    return next(m for m in local_modules(association.id) if m.id == first.id)


def _at(association, hour=10):
    return to_utc(MONDAY, time(hour, 0), association.timezone)


def test_another_association_s_absence_does_not_count_here(bordeaux, coach):
    starts = _at(bordeaux)
    assert is_available(bordeaux, coach.id, starts, starts + timedelta(hours=1)) is None
    assert booking.coach_status(bordeaux, [coach.id], starts, starts + timedelta(hours=1)) == {coach.id: None}
    slots = find_slots(bordeaux, _module(bordeaux), start=_at(bordeaux, 0), end=_at(bordeaux, 23))
    assert slots and {s.volunteer_id for s in slots} == {coach.id}


def test_another_association_s_availability_does_not_count_here(lyon, bordeaux, coach):
    other = make_volunteer(bordeaux, weekdays=[])
    make_membership(lyon, "volunteer", other)
    add_availability(lyon.id, other.id, weekday=MONDAY.weekday(), starts=time(9, 0), ends=time(18, 0),
                     valid_from=date(2026, 1, 1), valid_until=None)
    starts = _at(bordeaux)
    assert is_available(bordeaux, other.id, starts, starts + timedelta(hours=1)) == "en dehors de ses disponibilités"


def test_a_session_elsewhere_still_keeps_the_coach_from_being_booked_twice(lyon, bordeaux, coach):
    add_availability(lyon.id, coach.id, weekday=MONDAY.weekday(), starts=time(9, 0), ends=time(12, 0),
                     valid_from=date(2026, 1, 1), valid_until=None)
    module = program("remote").modules[0]
    booking.book(lyon, booking.Request(module_id=module.id, starts_at=_at(lyon), volunteer_id=coach.id,
                                       beneficiary_id=make_beneficiary(lyon).id, call_details="06 12 34 56 78"),
                 override=True)
    status = booking.coach_status(bordeaux, [coach.id], _at(bordeaux), _at(bordeaux, 11))
    assert status == {coach.id: "la personne qui accompagne a déjà une séance à ce moment"}
    with pytest.raises(booking.Conflict, match="déjà une séance"):
        booking.book(bordeaux, booking.Request(module_id=module.id, starts_at=_at(bordeaux), volunteer_id=coach.id,
                                               beneficiary_id=make_beneficiary(bordeaux).id,
                                               call_details="06 12 34 56 78"))


def test_one_association_does_not_see_another_s_records_of_a_person(client, login_as, bordeaux, coach):
    login_as("staff", bordeaux)
    page = client.get("/a/bordeaux/availability").get_data(as_text=True)
    assert "Aïcha Diallo" in page  # a coach of Bordeaux too
    assert "Vacances secrètes à Lyon" not in page and "14:00" not in page


def test_a_pending_member_gets_no_records(lyon):
    person = make_user(name="Pas encore là")
    services.invite(lyon, email=person.email, name="Pas encore là", role="volunteer", invited_by=None)
    with pytest.raises(AvailabilityError, match="ne fait pas partie"):
        add_absence(lyon, person.id, first_day=MONDAY, last_day=MONDAY)
