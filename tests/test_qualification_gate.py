"""Qualifications gate booking: valid on the session's day, in every path a coach is chosen, on the server."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.calendar import booking
from intranet.calendar.models import Appointment
from intranet.calendar.slots import find_slots
from intranet.clock import to_utc, utcnow
from intranet.extensions import db as _db
from intranet.programs.services import local_modules
from intranet.selfbooking import services as selfbooking
from intranet.volunteers import gate, services, watch
from intranet.volunteers.models import VolunteerStatus
from tests.factories import (
    free_slot,
    make_appointment,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_membership,
    make_module,
    make_user,
    make_volunteer,
    profile_of,
    program,
    qualify,
)

MONDAY = date(2027, 1, 4)


@pytest.fixture
def rh(bordeaux):
    """The network's HR coaching module (it requires "coaching_rh"), as Bordeaux offers it."""
    module = next(m for m in program("in_person").modules if m.qualification == "coaching_rh")
    return next(m for m in local_modules(bordeaux.id) if m.id == module.id)


@pytest.fixture
def qualified(bordeaux):
    return make_volunteer(bordeaux, "Claire Habilitée")


@pytest.fixture
def expired(bordeaux):
    """Qualified for HR coaching until Sunday 3 January 2027, the day before MONDAY."""
    person = make_volunteer(bordeaux, "Bruno Expiré", qualified=False)
    qualify(person.memberships[0], ["coaching_rh"], obtained_on=date(2025, 1, 3), valid_until=MONDAY - timedelta(days=1))
    return person


@pytest.fixture
def lapsed(bordeaux):
    """Qualified for HR coaching until yesterday."""
    person = make_volunteer(bordeaux, "Bruno Expiré", qualified=False)
    qualify(person.memberships[0], ["coaching_rh"], obtained_on=date(2024, 1, 3),
            valid_until=date.today() - timedelta(days=1))
    return person


def _request(bordeaux, module, volunteer, day=MONDAY, at=time(10, 0), beneficiary=None):
    return booking.Request(module_id=module.id, starts_at=to_utc(day, at, bordeaux.timezone), volunteer_id=volunteer.id,
                           beneficiary_id=(beneficiary or make_beneficiary(bordeaux)).id)


# --- validity on the day ---------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "valid"), [
    (date(2026, 6, 14), False),  # the day before it was obtained
    (date(2026, 6, 15), True),  # the day obtained
    (date(2027, 6, 15), True),  # its last day
    (date(2027, 6, 16), False),  # the day after
])
def test_a_qualification_holds_from_the_day_obtained_to_its_last_day_included(bordeaux, day, valid):
    person = make_volunteer(bordeaux, qualified=False)
    qualify(person.memberships[0], ["coaching_rh"], obtained_on=date(2026, 6, 15), valid_until=date(2027, 6, 15))
    refusal = gate.refusal(bordeaux.id, person.id, "coaching_rh", day)
    assert (refusal is None) is valid


def test_the_reason_names_the_qualification_and_the_day_it_expired(bordeaux, expired):
    assert gate.refusal(bordeaux.id, expired.id, "coaching_rh", MONDAY) == \
        "habilitation Coach RH expirée le 3 janvier 2027"
    assert gate.refusal(bordeaux.id, expired.id, "coaching_rh", MONDAY - timedelta(days=1)) is None


def test_a_qualification_without_end_never_expires_and_a_withdrawn_one_no_longer_counts(bordeaux, qualified):
    assert gate.refusal(bordeaux.id, qualified.id, "coaching_rh", date(2150, 1, 1)) is None
    row = next(q for q in _qualifications(qualified) if q.code == "coaching_rh")
    services.withdraw(row, "Comportement inadapté signalé", date(2026, 12, 1))
    assert gate.refusal(bordeaux.id, qualified.id, "coaching_rh", MONDAY) == \
        "habilitation Coach RH retirée le 1 décembre 2026"


def _qualifications(user):
    from intranet.volunteers.models import Qualification

    return list(_db.session.scalars(select(Qualification).where(
        Qualification.profile_id == profile_of(user.memberships[0]).id)))


def test_someone_who_never_held_it_is_told_so_and_another_code_does_not_count(bordeaux):
    person = make_volunteer(bordeaux, qualified=False)
    qualify(person.memberships[0], ["coaching_image"])
    assert gate.refusal(bordeaux.id, person.id, "coaching_rh", MONDAY) == "sans habilitation Coach RH"
    assert gate.refusal(bordeaux.id, person.id, "coaching_image", MONDAY) is None


def test_a_qualification_recorded_in_another_association_does_not_count_here(bordeaux, lyon):
    person = make_volunteer(lyon)
    make_membership(bordeaux, "volunteer", person)
    assert gate.refusal(lyon.id, person.id, "coaching_rh", MONDAY) is None
    assert gate.refusal(bordeaux.id, person.id, "coaching_rh", MONDAY) == "sans habilitation Coach RH"


def test_a_module_without_qualification_takes_any_active_member(bordeaux):
    staff = make_membership(bordeaux, "staff", make_user(name="Sam Salarié")).user
    assert gate.refusal(bordeaux.id, staff.id, "", MONDAY) is None


def test_a_pause_covering_the_day_keeps_anyone_from_being_offered(bordeaux, qualified):
    profile = profile_of(qualified.memberships[0])
    profile.status, profile.paused_from, profile.paused_until = VolunteerStatus.PAUSED, MONDAY, MONDAY + timedelta(days=6)
    _db.session.commit()
    assert gate.refusal(bordeaux.id, qualified.id, "", MONDAY) == "en pause jusqu’au 10 janvier 2027"
    assert gate.refusal(bordeaux.id, qualified.id, "coaching_rh", MONDAY + timedelta(days=6)) is not None
    assert gate.refusal(bordeaux.id, qualified.id, "coaching_rh", MONDAY + timedelta(days=7)) is None
    assert gate.refusal(bordeaux.id, qualified.id, "coaching_rh", MONDAY - timedelta(days=1)) is None


# --- every path that chooses a coach ---------------------------------------------------------------


def test_booking_refuses_a_coach_whose_qualification_has_expired_by_the_day(bordeaux, rh, expired):
    with pytest.raises(booking.BookingError) as refused:
        booking.book(bordeaux, _request(bordeaux, rh, expired), override=True)
    assert refused.value.field == "volunteer_id"
    assert "habilitation Coach RH expirée le 3 janvier 2027" in refused.value.message
    assert booking.book(bordeaux, _request(bordeaux, rh, expired, day=MONDAY - timedelta(days=1))).id


def test_moving_to_a_day_past_the_expiry_or_to_an_unqualified_coach_is_refused(bordeaux, rh, expired, qualified):
    appointment = booking.book(bordeaux, _request(bordeaux, rh, expired, day=MONDAY - timedelta(days=1)))
    with pytest.raises(booking.BookingError, match="expirée le 3 janvier 2027"):
        booking.move(bordeaux, appointment, starts_at=to_utc(MONDAY, time(10, 0), bordeaux.timezone),
                     volunteer_id=expired.id, resource_id=None)
    unqualified = make_volunteer(bordeaux, qualified=False)
    with pytest.raises(booking.BookingError, match="sans habilitation Coach RH"):
        booking.move(bordeaux, appointment, starts_at=appointment.starts_at, volunteer_id=unqualified.id,
                     resource_id=None)
    booking.move(bordeaux, appointment, starts_at=to_utc(MONDAY, time(10, 0), bordeaux.timezone),
                 volunteer_id=qualified.id, resource_id=None)
    assert appointment.volunteer_id == qualified.id


def test_find_a_slot_offers_only_qualified_coaches_on_each_day(bordeaux, rh, expired, qualified):
    start = to_utc(MONDAY - timedelta(days=1), time(0, 0), bordeaux.timezone)
    slots = find_slots(bordeaux, rh, start=start, end=start + timedelta(days=2), one_per_time=False, limit=200)
    sunday = [s for s in slots if s.starts_at < to_utc(MONDAY, time(0, 0), bordeaux.timezone)]
    monday = [s for s in slots if s not in sunday]
    assert {s.volunteer_id for s in sunday} == {expired.id, qualified.id}
    assert {s.volunteer_id for s in monday} == {qualified.id}


def test_self_booking_offers_and_books_only_a_qualified_coach(bordeaux, rh, lapsed):
    beneficiary = make_beneficiary(bordeaux, status="in_progress")
    journey = make_journey(bordeaux, beneficiary, modules=0)
    from intranet.journeys.models import JourneyModule

    journey.modules.append(JourneyModule(association_id=bordeaux.id, module_id=rh.id, position=1, name=rh.name))
    _db.session.commit()
    link = make_booking_link(bordeaux, beneficiary)
    step = selfbooking.next_step(link)
    assert step.module.id == rh.id
    assert selfbooking.free_slots(link, step.module) == []  # only Bruno, whose qualification has expired
    qualified = make_volunteer(bordeaux, "Claire Habilitée")
    slots = selfbooking.free_slots(link, step.module)
    assert slots and {s.volunteer_id for s in slots} == {qualified.id}
    seat = selfbooking.book_next(link, selfbooking.slot_key(slots[0]))
    assert seat.appointment.volunteer_id == qualified.id


def test_self_booking_cannot_take_a_coach_who_lost_the_qualification_meanwhile(bordeaux, rh):
    beneficiary = make_beneficiary(bordeaux, status="in_progress")
    journey = make_journey(bordeaux, beneficiary, modules=0)
    from intranet.journeys.models import JourneyModule

    journey.modules.append(JourneyModule(association_id=bordeaux.id, module_id=rh.id, position=1, name=rh.name))
    coach = make_volunteer(bordeaux, "Claire Habilitée")
    link = make_booking_link(bordeaux, beneficiary)
    slot = free_slot(link)
    for row in _qualifications(coach):
        services.withdraw(row, "Erreur de saisie", date.today())
    with pytest.raises(selfbooking.SelfBookingError):
        selfbooking.book_next(link, selfbooking.slot_key(slot))
    assert _db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_module_without_qualification_is_booked_with_anyone_active_as_before(bordeaux):
    welcome = next(m for m in local_modules(bordeaux.id) if not m.qualification and not m.resource_kind)
    person = make_volunteer(bordeaux, qualified=False)
    assert booking.book(bordeaux, _request(bordeaux, welcome, person)).volunteer_id == person.id


# --- the booking form ---------------------------------------------------------------------------------


def _form(rh, volunteer, beneficiary, day=MONDAY, **extra):
    return {"module_id": rh.id, "day": day.isoformat(), "at": "10:00", "volunteer_id": volunteer.id,
            "beneficiary_id": beneficiary.id, **extra}


def test_the_booking_form_greys_out_who_may_not_coach_with_the_reason(client, staff, bordeaux, rh, expired,
                                                                          qualified):
    html = client.get(f"/a/bordeaux/calendar/book?at={MONDAY.isoformat()}T10:00&module={rh.id}").get_data(as_text=True)
    assert f'<option value="{qualified.id}">Claire Habilitée</option>' in html
    assert (f'<option class="refused" disabled value="{expired.id}">Bruno Expiré — habilitation Coach RH expirée '
            f'le 3 janvier 2027</option>') in html
    assert html.index("Claire Habilitée") < html.index("Bruno Expiré")


def test_a_tampered_form_is_refused_next_to_the_coach_field(client, staff, bordeaux, rh, expired):
    beneficiary = make_beneficiary(bordeaux)
    response = client.post("/a/bordeaux/calendar/book", data=_form(rh, expired, beneficiary, override="y"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="volunteer_id-error"' in html
    assert "Bruno Expiré ne peut pas accompagner cette séance : habilitation Coach RH expirée le 3 janvier 2027." in html
    assert _db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_the_move_form_greys_out_unqualified_coaches_and_refuses_them(client, staff, bordeaux, rh, qualified):
    appointment = booking.book(bordeaux, _request(bordeaux, rh, qualified))
    other = make_volunteer(bordeaux, "Denis Sanshabilitation", qualified=False)
    html = client.get(f"/a/bordeaux/appointments/{appointment.id}").get_data(as_text=True)
    assert f'disabled value="{other.id}">Denis Sanshabilitation — sans habilitation Coach RH</option>' in html
    response = client.post(f"/a/bordeaux/appointments/{appointment.id}/move", data={
        "day": MONDAY.isoformat(), "at": "11:00", "volunteer_id": other.id, "override": "y"})
    assert response.status_code == 422
    assert "sans habilitation Coach RH" in response.get_data(as_text=True)
    _db.session.refresh(appointment)
    assert appointment.volunteer_id == qualified.id


def test_find_a_slot_page_lists_only_qualified_coaches(client, staff, bordeaux, rh, lapsed, qualified):
    beneficiary = make_beneficiary(bordeaux)
    html = client.get(f"/a/bordeaux/beneficiaries/{beneficiary.id}/slots?module={rh.id}").get_data(as_text=True)
    assert "Claire Habilitée" in html
    assert "Bruno Expiré" not in html


# --- alerts ---------------------------------------------------------------------------------------------


def test_sessions_booked_with_a_coach_no_longer_qualified_on_the_day_are_alerts(bordeaux, rh, qualified):
    soon = utcnow() + timedelta(days=10)
    person = make_volunteer(bordeaux, "Bruno Bientôt", qualified=False)
    rows = qualify(person.memberships[0], ["coaching_rh"], obtained_on=date(2025, 1, 1),
                   valid_until=(soon + timedelta(days=5)).date())
    before = make_appointment(bordeaux, starts_at=soon, volunteer=person, module_code="in_person", name="Avant")
    before.module_id = rh.id
    after = make_appointment(bordeaux, starts_at=soon + timedelta(days=7), volunteer=person, name="Après")
    after.module_id = rh.id
    fine = make_appointment(bordeaux, starts_at=soon + timedelta(days=7), volunteer=qualified, name="Bien")
    fine.module_id = rh.id
    _db.session.commit()
    found = watch.alerts(bordeaux, utcnow())
    assert [(a.appointment.id, a.reason) for a in found] == [
        (after.id, f"habilitation Coach RH expirée le {_long(rows[0].valid_until)}")]


def _long(day):
    from intranet.dates import format_date

    return format_date(day, "long", locale="fr")


def test_a_new_module_requiring_a_new_code_is_offered_to_nobody_until_someone_holds_it(bordeaux, qualified):
    module = make_module(qualification="atelier_numerique")
    local = next(m for m in local_modules(bordeaux.id) if m.id == module.id)
    assert gate.refusal(bordeaux.id, qualified.id, local.qualification, MONDAY) == \
        "sans habilitation atelier_numerique"


# --- layers ----------------------------------------------------------------------------------------------


def test_the_gate_reads_only_the_volunteers_models_so_the_calendar_has_no_import_cycle():
    import ast
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in ("gate.py", "models.py", "__init__.py"):
        tree = ast.parse((root / "intranet" / "volunteers" / name).read_text())
        top = tree.body  # what loading the module imports (register() imports the pages later, once the app is built)
        modules = {node.module for node in top if isinstance(node, ast.ImportFrom) and node.module}
        modules |= {alias.name for node in top if isinstance(node, ast.Import) for alias in node.names}
        higher = {m for m in modules if m.startswith(("intranet.calendar", "intranet.selfbooking",
                                                      "intranet.notifications", "intranet.volunteers.services",
                                                      "intranet.volunteers.views"))}
        assert higher == set(), name
    # Imported first, on its own, the calendar loads the gate without going round in a circle.
    subprocess.run([sys.executable, "-c", "import intranet.calendar.booking, intranet.calendar.slots"], cwd=root,
                   check=True)
