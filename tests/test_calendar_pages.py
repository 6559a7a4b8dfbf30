"""Calendar pages: week view, booking in place, appointments, availability, resources."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.calendar.models import Absence, Appointment, Availability, Resource
from intranet.clock import to_utc
from tests.factories import (
    make_appointment,
    make_association,
    make_beneficiary,
    make_journey,
    make_volunteer,
    program,
)

DAY = date(2027, 1, 5)  # a Tuesday


@pytest.fixture
def assoc(bordeaux):
    return bordeaux


def book_data(volunteer, beneficiary, at="10:00", **fields):
    return {"beneficiary_id": beneficiary.id, "module_id": program("remote").modules[0].id, "day": DAY.isoformat(),
            "at": at, "volunteer_id": volunteer.id, "resource_id": "", "call_details": "06 12 34 56 78", **fields}


def test_the_week_shows_appointments_at_their_local_time(client, staff, assoc):
    make_appointment(assoc, starts_at=to_utc(DAY, time(14, 30), "Europe/Paris"), name="Bilan du mardi")
    html = client.get("/a/bordeaux/calendar", query_string={"day": DAY.isoformat()}).get_data(as_text=True)
    assert "Bilan du mardi" in html and "14:30–15:30" in html and "Semaine du 4 janvier 2027" in html


def test_navigation_returns_the_calendar_fragment_and_keeps_filters(client, staff, assoc):
    volunteer = make_volunteer(assoc, "Aïcha Diallo")
    make_appointment(assoc, starts_at=to_utc(DAY, time(9, 0), "Europe/Paris"), volunteer=volunteer, name="La sienne")
    make_appointment(assoc, starts_at=to_utc(DAY, time(9, 0), "Europe/Paris"), name="Une autre")
    html = client.get("/a/bordeaux/calendar", query_string={"day": DAY.isoformat(), "volunteer": volunteer.id},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="calendar"') and "La sienne" in html and "Une autre" not in html
    assert f"volunteer={volunteer.id}" in html.split("Suivant")[0]  # next/previous keep the filter


def test_the_day_view_shows_one_day(client, staff, assoc):
    make_appointment(assoc, starts_at=to_utc(DAY, time(9, 0), "Europe/Paris"), name="Mardi")
    make_appointment(assoc, starts_at=to_utc(DAY + timedelta(days=1), time(9, 0), "Europe/Paris"), name="Mercredi")
    html = client.get("/a/bordeaux/calendar", query_string={"day": DAY.isoformat(), "view": "day"}).get_data(as_text=True)
    assert "Mardi" in html and "Mercredi" not in html


def test_a_bad_day_in_the_url_falls_back_to_today(client, staff):
    assert client.get("/a/bordeaux/calendar?day=not-a-date&volunteer=x").status_code == 200


def test_the_week_view_runs_a_constant_number_of_queries(client, staff, assoc, count_queries):
    def queries():
        with count_queries() as statements:
            client.get("/a/bordeaux/calendar", query_string={"day": DAY.isoformat()}, headers={"HX-Request": "true"})
        return len(statements)

    make_appointment(assoc, starts_at=to_utc(DAY, time(9, 0), "Europe/Paris"))
    few = queries()
    for hour in range(9, 17):
        make_appointment(assoc, starts_at=to_utc(DAY + timedelta(days=1), time(hour, 0), "Europe/Paris"))
    assert queries() == few


def test_clicking_a_free_time_opens_the_booking_form_in_place(client, staff, assoc):
    response = client.get("/a/bordeaux/calendar/book", query_string={"at": f"{DAY.isoformat()}T10:00"},
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<article class="booking-form"')
    assert f'value="{DAY.isoformat()}"' in html and 'value="10:00"' in html


def test_the_booking_form_puts_free_people_first(client, staff, assoc):
    busy = make_volunteer(assoc, "Bernard Occupé")
    make_volunteer(assoc, "Alice Libre")
    make_appointment(assoc, starts_at=to_utc(DAY, time(10, 0), "Europe/Paris"), volunteer=busy)
    html = client.post("/a/bordeaux/calendar/book", data={**book_data(busy, make_beneficiary(assoc)),
                                                          "refresh": "1"}).get_data(as_text=True)
    assert html.index("Alice Libre") < html.index("Bernard Occupé — la personne qui accompagne a déjà une séance")


def test_booking_from_the_form(client, staff, assoc, db):
    volunteer, beneficiary = make_volunteer(assoc), make_beneficiary(assoc)
    item = make_journey(assoc, beneficiary).modules[0]
    response = client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, beneficiary),
                           headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/a/bordeaux/calendar?day=")
    appointment = db.session.scalar(select(Appointment))
    assert appointment.starts_at == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    db.session.refresh(item)
    assert item.status == "planned"


def test_a_taken_time_gets_a_clear_message_and_alternatives(client, staff, assoc, db):
    volunteer = make_volunteer(assoc)
    client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, make_beneficiary(assoc)))
    response = client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, make_beneficiary(assoc)))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Ce créneau n’est plus libre" in html and "Créneaux encore libres" in html
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1


def test_outside_availability_asks_staff_to_confirm(client, staff, assoc, db):
    volunteer = make_volunteer(assoc, weekdays=[4])  # Fridays only
    beneficiary = make_beneficiary(assoc)
    first = client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, beneficiary))
    assert first.status_code == 422 and "en dehors de ses disponibilités" in first.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    second = client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, beneficiary, override="y"))
    assert second.status_code == 302
    assert db.session.scalar(select(Appointment.outside_availability)) is True


@pytest.mark.parametrize("fields,message", [
    ({"beneficiary_id": ""}, "Choisissez la personne accompagnée."),
    ({"at": ""}, "Indiquez l’heure."),
    ({"call_details": ""}, "Indiquez le numéro à appeler"),
])
def test_bad_booking_input_is_explained(client, staff, assoc, fields, message):
    response = client.post("/a/bordeaux/calendar/book",
                           data=book_data(make_volunteer(assoc), make_beneficiary(assoc), **fields))
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_beneficiary_of_another_association_cannot_be_booked(client, staff, assoc, db):
    outsider = make_beneficiary(make_association())
    response = client.post("/a/bordeaux/calendar/book", data=book_data(make_volunteer(assoc), outsider))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_searching_a_beneficiary_as_you_type(client, staff, assoc):
    make_beneficiary(assoc, first_name="Yasmine", last_name="Belkacem")
    make_beneficiary(make_association(), first_name="Yasmine", last_name="Ailleurs")
    html = client.get("/a/bordeaux/calendar/people?q=yasm").get_data(as_text=True)
    assert "BELKACEM Yasmine" in html and "Ailleurs" not in html


def test_cancelling_needs_a_reason_then_frees_the_slot(client, staff, assoc, db):
    volunteer = make_volunteer(assoc)
    appointment = make_appointment(assoc, starts_at=to_utc(DAY, time(10, 0), "Europe/Paris"), volunteer=volunteer)
    refused = client.post(f"/a/bordeaux/appointments/{appointment.id}/status", data={"status": "cancelled", "reason": ""})
    assert refused.status_code == 422 and "Indiquez la raison" in refused.get_data(as_text=True)
    client.post(f"/a/bordeaux/appointments/{appointment.id}/status", data={"status": "cancelled", "reason": "Malade"})
    db.session.refresh(appointment)
    assert appointment.status == "cancelled"
    again = client.post("/a/bordeaux/calendar/book", data=book_data(volunteer, make_beneficiary(assoc)))
    assert again.status_code == 302


def test_moving_an_appointment(client, staff, assoc, db):
    volunteer = make_volunteer(assoc)
    appointment = make_appointment(assoc, starts_at=to_utc(DAY, time(10, 0), "Europe/Paris"), volunteer=volunteer)
    response = client.post(f"/a/bordeaux/appointments/{appointment.id}/move",
                           data={"day": DAY.isoformat(), "at": "15:00", "volunteer_id": volunteer.id, "resource_id": ""})
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.starts_at == datetime(2027, 1, 5, 14, 0, tzinfo=UTC)
    page = client.get(f"/a/bordeaux/appointments/{appointment.id}").get_data(as_text=True)
    assert "déplacé" in page and "Julien Moreau" in page


def test_find_a_slot_lists_free_times(client, staff, assoc):
    make_volunteer(assoc, "Aïcha Diallo")
    b = make_beneficiary(assoc)
    html = client.get(f"/a/bordeaux/beneficiaries/{b.id}/slots", query_string={"module": program("remote").modules[0].id},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="slots"') and "Aïcha Diallo" in html and "/calendar/book?at=" in html



def test_a_slot_found_for_someone_opens_the_booking_form_with_that_person_chosen(client, staff, assoc):
    make_volunteer(assoc, "Aïcha Diallo")
    b = make_beneficiary(assoc, first_name="Amina", last_name="Traoré")
    html = client.get(f"/a/bordeaux/beneficiaries/{b.id}/slots",
                      query_string={"module": program("remote").modules[0].id}).get_data(as_text=True)
    link = re.search(r'href="(/a/bordeaux/calendar/book\?[^"]+)"', html).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    chosen = re.search(r'<select[^>]*name="beneficiary_id"[^>]*>(.*?)</select>', form, re.S).group(1)
    assert re.search(rf'<option selected value="{b.id}">Amina Traoré</option>', chosen), chosen


def test_staff_declare_availability_and_absence(client, staff, assoc, db):
    volunteer = make_volunteer(assoc, weekdays=[])
    client.post("/a/bordeaux/availability", data={"user_id": volunteer.id, "weekday": 1, "starts": "14:00",
                                                  "ends": "17:00", "valid_from": "2027-01-01", "valid_until": ""})
    client.post("/a/bordeaux/absences", data={"user_id": volunteer.id, "first_day": "2027-02-01",
                                              "last_day": "2027-02-05", "reason": "Vacances"})
    assert db.session.scalar(select(Availability.starts)) == time(14, 0)
    assert db.session.scalar(select(Absence.reason)) == "Vacances"


@pytest.mark.parametrize("fields,message", [
    ({"starts": "17:00", "ends": "14:00"}, "L’heure de fin doit suivre"),
    ({"valid_until": "2026-01-01"}, "La date de fin doit suivre"),
])
def test_bad_availability_is_explained(client, staff, assoc, db, fields, message):
    volunteer = make_volunteer(assoc, weekdays=[])
    data = {"user_id": volunteer.id, "weekday": 1, "starts": "14:00", "ends": "17:00", "valid_from": "2027-01-01",
            "valid_until": "", **fields}
    response = client.post("/a/bordeaux/availability", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 0


def test_a_volunteer_manages_their_own_availability(client, login_as, assoc, db):
    volunteer = login_as("volunteer", assoc)
    client.post("/me/availability", data={"user_id": assoc.id, "weekday": 2, "starts": "09:00", "ends": "12:00",
                                          "valid_from": "2027-01-01", "valid_until": ""})
    row = db.session.scalar(select(Availability))
    assert (row.user_id, row.association_id, row.weekday) == (volunteer.id, assoc.id, 2)
    other = make_association("lille")
    refused = client.post("/me/availability", data={"user_id": other.id, "weekday": 2, "starts": "09:00",
                                                    "ends": "12:00", "valid_from": "2027-01-01"})
    assert refused.status_code == 422  # not one of their associations
    client.post(f"/me/availability/{row.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(Availability)) == 0


def test_admins_add_resources_and_set_the_booking_window(client, login_as, assoc, db):
    login_as("admin", assoc)
    client.post("/a/bordeaux/resources", data={"name": "Studio photo", "kind": "studio", "capacity": 1,
                                               "opens_at": "09:00", "closes_at": "18:00", "open_days": "01234"})
    bad = client.post("/a/bordeaux/resources", data={"name": "Salle", "kind": "room", "capacity": 1,
                                                     "opens_at": "18:00", "closes_at": "09:00", "open_days": "01234"})
    assert bad.status_code == 422 and "L’heure de fermeture doit suivre" in bad.get_data(as_text=True)
    assert db.session.scalars(select(Resource.name)).all() == ["Studio photo"]
    client.post("/a/bordeaux/resources/window", data={"booking_min_hours": 48, "booking_max_days": 30,
                                                      "change_min_hours": 12})
    db.session.refresh(assoc)
    assert (assoc.booking_min_hours, assoc.booking_max_days, assoc.change_min_hours) == (48, 30, 12)


def test_staff_cannot_manage_resources(client, staff):
    assert client.get("/a/bordeaux/resources").status_code == 403


def test_the_booking_form_runs_the_same_number_of_queries_for_2_and_12_coaches(client, staff, assoc, count_queries):
    beneficiary = make_beneficiary(assoc)

    def queries():
        data = {**book_data(make_volunteer(assoc), beneficiary), "refresh": "1"}
        with count_queries() as statements:
            assert client.post("/a/bordeaux/calendar/book", data=data).status_code == 200
        return len(statements)

    few = queries()
    for _ in range(10):
        make_volunteer(assoc)
    assert queries() == few


def _field_error(html: str, field_id: str) -> str:
    import re

    found = re.search(rf'<small id="{field_id}-error" class="field-error">([^<]*)</small>', html)
    return found.group(1) if found else ""


def test_a_move_into_the_past_is_explained_next_to_the_date(client, staff, assoc, db):
    volunteer = make_volunteer(assoc)
    appointment = make_appointment(assoc, starts_at=to_utc(DAY, time(10, 0), "Europe/Paris"), volunteer=volunteer)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    response = client.post(f"/a/bordeaux/appointments/{appointment.id}/move",
                           data={"day": yesterday.isoformat(), "at": "10:00", "volunteer_id": volunteer.id,
                                 "resource_id": "", "override": "y"})
    assert response.status_code == 422
    assert "déjà passé" in _field_error(response.get_data(as_text=True), "mv-day")
    db.session.refresh(appointment)
    assert appointment.starts_at == to_utc(DAY, time(10, 0), "Europe/Paris")


def test_a_move_to_a_closed_resource_is_explained_next_to_the_resource(client, staff, assoc, db):
    from tests.factories import make_resource

    volunteer = make_volunteer(assoc)
    appointment = make_appointment(assoc, starts_at=to_utc(DAY, time(10, 0), "Europe/Paris"), volunteer=volunteer)
    closed = make_resource(assoc, name="Salle du soir", opens_at=time(17, 0))
    response = client.post(f"/a/bordeaux/appointments/{appointment.id}/move",
                           data={"day": DAY.isoformat(), "at": "11:00", "volunteer_id": volunteer.id,
                                 "resource_id": closed.id})
    assert response.status_code == 422
    assert "fermé" in _field_error(response.get_data(as_text=True), "mv-resource_id")
    db.session.refresh(appointment)
    assert appointment.resource_id is None and appointment.starts_at == to_utc(DAY, time(10, 0), "Europe/Paris")


def test_a_session_still_to_come_cannot_be_marked_done_from_the_page(client, staff, assoc, db):
    beneficiary = make_beneficiary(assoc)
    item = make_journey(assoc, beneficiary).modules[0]
    client.post("/a/bordeaux/calendar/book", data=book_data(make_volunteer(assoc), beneficiary))
    appointment = db.session.scalar(select(Appointment))
    response = client.post(f"/a/bordeaux/appointments/{appointment.id}/status", data={"status": "done", "reason": ""})
    assert response.status_code == 422
    assert "pas encore commencé" in _field_error(response.get_data(as_text=True), "st-status")
    db.session.refresh(appointment)
    db.session.refresh(item)
    assert appointment.status == "planned" and (item.status, item.happened_on) == ("planned", DAY)


def test_staff_booking_years_ago_is_refused_next_to_the_date_and_sends_nothing(client, staff, assoc, db):
    from intranet.notifications.models import OutboxMessage

    beneficiary = make_beneficiary(assoc, email="yasmine@exemple.test")
    response = client.post("/a/bordeaux/calendar/book",
                           data=book_data(make_volunteer(assoc), beneficiary, day="2023-01-03", override="y"))
    assert response.status_code == 422
    assert "jours en arrière" in _field_error(response.get_data(as_text=True), "day")
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("capacity", ["٢", "２", "1_0", "²"])
def test_numbers_take_the_digits_0_to_9_only(client, login_as, assoc, db, capacity):
    login_as("admin", assoc)
    response = client.post("/a/bordeaux/resources", data={"name": "Salle", "kind": "room", "capacity": capacity,
                                                           "opens_at": "09:00", "closes_at": "18:00",
                                                           "open_days": "01234"})
    assert response.status_code == 422
    assert "avec les chiffres 0 à 9" in _field_error(response.get_data(as_text=True), "res-capacity")
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0
