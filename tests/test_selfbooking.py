"""Self-booking links: a beneficiary books, cancels or moves a session from a personal link, without an account."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.calendar.models import Absence, Appointment, Seat
from intranet.clock import local, to_utc, utcnow
from intranet.journeys.models import JourneyModule
from intranet.notifications.models import OutboxMessage
from intranet.selfbooking import services as selfbooking
from intranet.selfbooking.models import BookingLink
from tests.factories import (
    free_slot,
    make_appointment,
    make_association,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_volunteer,
)


@pytest.fixture
def world(db):
    """An association, a volunteer free every day 9:00–18:00, Yasmine with a 2-module journey and her link."""
    association = make_association(name="Tremplin Nantes")
    volunteer = make_volunteer(association, "Marie Curie")
    beneficiary = make_beneficiary(association, first_name="Yasmine", last_name="Belkacem", status="in_progress")
    journey = make_journey(association, beneficiary, modules=2)
    link = make_booking_link(association, beneficiary)
    return type("World", (), {"association": association, "volunteer": volunteer, "beneficiary": beneficiary,
                              "journey": journey, "link": link, "item": journey.modules[0]})


def _url(link, path: str = "/") -> str:
    return f"/p/{link.token}{path}"


def _first_slot(world):
    return free_slot(world.link)


def _key_at(world, day, at: time) -> str:
    return to_utc(day, at, world.association.timezone).strftime(selfbooking.SLOT_KEY)


def _count(model) -> int:
    return selfbooking.db.session.scalar(select(func.count()).select_from(model))


# --- links ---------------------------------------------------------------------------------


def test_a_new_link_replaces_the_previous_one(world):
    first, first_token = selfbooking.create_link(world.beneficiary)
    second, second_token = selfbooking.create_link(world.beneficiary)
    selfbooking.db.session.commit()
    assert selfbooking.resolve(second_token).id == second.id
    with pytest.raises(selfbooking.LinkProblem) as problem:
        selfbooking.resolve(first_token)
    assert problem.value.reason == "replaced"
    selfbooking.db.session.refresh(world.link)
    assert world.link.revoked


def test_only_the_hash_of_the_token_is_stored(world):
    link, token = selfbooking.create_link(world.beneficiary)
    assert len(token) >= 40 and link.token_hash == selfbooking.hash_token(token) and token not in link.token_hash


def test_a_link_lives_as_long_as_the_booking_window(world):
    world.association.booking_max_days = 10
    link, _token = selfbooking.create_link(world.beneficiary)
    assert abs(link.expires_at - (utcnow() + timedelta(days=10))) < timedelta(minutes=1)


def test_an_expired_link_says_so_clearly(client, world):
    world.link.expires_at = utcnow() - timedelta(minutes=1)
    selfbooking.db.session.commit()
    response = client.get(_url(world.link))
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.get_data(as_text=True)


def test_a_replaced_link_says_so_clearly(client, world):
    selfbooking.create_link(world.beneficiary)
    selfbooking.db.session.commit()
    response = client.get(_url(world.link))
    assert response.status_code == 410
    assert "Ce lien a été remplacé" in response.get_data(as_text=True)


def test_an_unknown_link_is_404(client, world):
    response = client.get("/p/pas-un-vrai-lien/")
    assert response.status_code == 404
    assert "Ce lien ne fonctionne pas" in response.get_data(as_text=True)


def test_the_link_of_a_deactivated_file_opens_nothing(client, world):
    world.beneficiary.active = False
    selfbooking.db.session.commit()
    assert client.get(_url(world.link)).status_code == 404


# --- what the page shows -------------------------------------------------------------------------


def test_the_home_page_shows_the_next_module_to_book(client, world):
    html = client.get(_url(world.link)).get_data(as_text=True)
    assert "Bonjour Yasmine" in html and world.journey.modules[0].name in html
    assert world.journey.modules[1].name not in html


def test_the_pages_show_no_staff_navigation_even_to_signed_in_staff(client, login_as, world):
    login_as("staff", world.association)
    html = client.get(_url(world.link)).get_data(as_text=True)
    assert "Tableau de bord" not in html and "Se déconnecter" not in html and "/a/" not in html


def test_the_coach_appears_by_first_name_only(client, world):
    slot = _first_slot(world)
    selfbooking.book_next(world.link, selfbooking.slot_key(slot))
    html = client.get(_url(world.link)).get_data(as_text=True)
    assert "Avec Marie" in html
    assert "Curie" not in html and world.volunteer.email not in html


def test_slots_stay_within_the_booking_window(world):
    world.association.booking_min_hours, world.association.booking_max_days = 48, 7
    selfbooking.db.session.commit()
    now = utcnow()
    slots = selfbooking.free_slots(world.link, selfbooking.next_step(world.link).module, now=now)
    assert slots
    assert min(s.starts_at for s in slots) >= now + timedelta(hours=48)
    assert max(s.ends_at for s in slots) <= now + timedelta(days=7)


def test_the_slot_page_lists_times_by_day(client, world):
    slot = _first_slot(world)
    html = client.get(_url(world.link, "/slots")).get_data(as_text=True)
    assert selfbooking.slot_key(slot) in html
    assert html.count('class="sb-day"') == 3  # a few days at a time, then "other days"
    assert "Voir d’autres jours" in html


def test_the_next_module_comes_after_the_one_already_booked(world):
    booked = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    step = selfbooking.next_step(world.link)
    assert step.item.id == world.journey.modules[1].id
    slots = selfbooking.free_slots(world.link, step.module)
    assert slots and min(s.starts_at for s in slots) >= booked.appointment.ends_at


# --- booking -------------------------------------------------------------------------------------


def test_booking_creates_the_session_and_plans_the_journey_module(client, world):
    slot = _first_slot(world)
    response = client.post(_url(world.link, "/book"), data={"at": selfbooking.slot_key(slot)})
    assert response.status_code == 302 and "/done?seat=" in response.headers["Location"]
    seat = selfbooking.db.session.scalar(select(Seat).where(Seat.beneficiary_id == world.beneficiary.id))
    assert seat.appointment.starts_at == slot.starts_at and seat.appointment.volunteer_id == world.volunteer.id
    assert seat.journey_module_id == world.item.id
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "planned"
    assert seat.appointment.call_details == world.beneficiary.phone  # a phone module: the coach calls this number
    assert "C’est réservé" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_booking_outside_the_volunteers_availability_is_refused(client, world):
    day = local(_first_slot(world).starts_at, world.association.timezone).date()
    response = client.post(_url(world.link, "/book"), data={"at": _key_at(world, day, time(20, 0))})
    assert response.status_code == 409
    assert "n’est plus libre" in response.get_data(as_text=True)
    assert _count(Appointment) == 0


def test_booking_during_an_absence_is_refused(world):
    slot = _first_slot(world)
    selfbooking.db.session.add(Absence(association_id=world.association.id, user_id=world.volunteer.id,
                                       starts_at=slot.starts_at - timedelta(hours=1),
                                       ends_at=slot.ends_at + timedelta(hours=1)))
    selfbooking.db.session.commit()
    with pytest.raises(selfbooking.SelfBookingError) as refused:
        selfbooking.book_next(world.link, selfbooking.slot_key(slot))
    assert refused.value.alternatives and all(s.starts_at >= slot.ends_at for s in refused.value.alternatives)
    assert _count(Appointment) == 0


def test_booking_before_the_window_is_refused(world):
    soon = utcnow() + timedelta(hours=2)
    with pytest.raises(selfbooking.SelfBookingError):
        selfbooking.book_next(world.link, soon.strftime(selfbooking.SLOT_KEY))
    assert _count(Appointment) == 0


def test_a_time_just_taken_offers_other_free_times(client, world):
    slot = _first_slot(world)
    someone_else = make_beneficiary(world.association)
    make_journey(world.association, someone_else)
    other = make_booking_link(world.association, someone_else)
    selfbooking.book_next(other, selfbooking.slot_key(slot))
    response = client.post(_url(world.link, "/book"), data={"at": selfbooking.slot_key(slot)})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Voici d’autres horaires libres" in html and 'class="sb-times"' in html


def _skip_the_early_check(monkeypatch, volunteer_id: int):
    """Let a time reach booking.book as if someone booked it between the check and the booking."""
    monkeypatch.setattr(selfbooking, "_slot_at", lambda link, module, starts_at, moving, now: selfbooking.Slot(
        starts_at, starts_at + timedelta(minutes=module.duration_minutes), volunteer_id, "", None))


def test_losing_a_race_for_a_time_offers_other_times_and_writes_nothing(monkeypatch, world):
    slot = _first_slot(world)
    make_appointment(world.association, starts_at=slot.starts_at, volunteer=world.volunteer)
    _skip_the_early_check(monkeypatch, world.volunteer.id)
    with pytest.raises(selfbooking.SelfBookingError) as refused:
        selfbooking.book_next(world.link, selfbooking.slot_key(slot))
    assert "vient d’être pris" in str(refused.value) and refused.value.alternatives
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "to_plan"
    assert _count(Appointment) == 1


def test_losing_a_race_while_moving_keeps_the_old_place(monkeypatch, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    taken = seat.appointment.starts_at + timedelta(days=3)
    make_appointment(world.association, starts_at=taken, volunteer=world.volunteer)
    _skip_the_early_check(monkeypatch, world.volunteer.id)
    with pytest.raises(selfbooking.SelfBookingError):
        selfbooking.move(world.link, seat, taken.strftime(selfbooking.SLOT_KEY))
    selfbooking.db.session.rollback()  # as the refused request does
    selfbooking.db.session.refresh(seat)
    assert seat.status == "booked" and seat.appointment.status == "planned"
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "planned"
    assert _count(Appointment) == 2


def _past_key(world) -> str:
    day = local(utcnow(), world.association.timezone).date() - timedelta(days=2)
    return _key_at(world, day, time(10, 0))


def test_a_past_time_that_slips_past_the_slot_check_is_refused_by_the_booking_rules(monkeypatch, world):
    _skip_the_early_check(monkeypatch, world.volunteer.id)
    with pytest.raises(selfbooking.SelfBookingError, match="plus possible"):
        selfbooking.book_next(world.link, _past_key(world))
    assert _count(Appointment) == 0 and _count(OutboxMessage) == 0
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "to_plan"


def test_a_move_to_a_past_time_is_refused_by_the_booking_rules(monkeypatch, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    selfbooking.db.session.commit()  # booked by an earlier request
    _skip_the_early_check(monkeypatch, world.volunteer.id)
    with pytest.raises(selfbooking.SelfBookingError, match="plus possible"):
        selfbooking.move(world.link, seat, _past_key(world))
    selfbooking.db.session.rollback()  # as the refused request does
    selfbooking.db.session.refresh(seat)
    assert seat.status == "booked" and seat.appointment.starts_at > utcnow()
    assert _count(Appointment) == 1


def test_a_malformed_time_gets_a_message_not_an_error(client, world):
    response = client.post(_url(world.link, "/book"), data={"at": "n'importe quoi"})
    assert response.status_code == 409
    assert "Choisissez un horaire dans la liste" in response.get_data(as_text=True)
    assert client.get(_url(world.link, "/book?at=demain")).status_code == 302


def test_nothing_to_book_says_so(client, world):
    for item in world.journey.modules:
        item.status = "done"
    selfbooking.db.session.commit()
    assert "Rien à choisir pour le moment" in client.get(_url(world.link)).get_data(as_text=True)
    assert client.post(_url(world.link, "/book"), data={"at": "20300101T0900Z"}).status_code == 302


# --- cancelling and moving -------------------------------------------------------------------------


def test_cancelling_before_the_delay_frees_the_place(client, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    response = client.post(_url(world.link, f"/seats/{seat.id}/cancel"))
    assert response.status_code == 302
    selfbooking.db.session.refresh(seat)
    assert seat.status == "cancelled" and seat.appointment.status == "cancelled"
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "to_plan"
    assert "Votre rendez-vous est annulé" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_cancelling_within_the_delay_is_refused_clearly(client, world):
    appointment = make_appointment(world.association, starts_at=utcnow() + timedelta(hours=10),
                                   beneficiary=world.beneficiary, volunteer=world.volunteer)
    seat = appointment.seats[0]
    response = client.post(_url(world.link, f"/seats/{seat.id}/cancel"))
    assert response.status_code == 409
    assert "trop tard" in response.get_data(as_text=True)
    selfbooking.db.session.refresh(seat)
    assert seat.status == "booked"
    assert f"/cancel?seat={seat.id}" not in client.get(_url(world.link)).get_data(as_text=True)


def test_moving_within_the_delay_is_refused(world):
    appointment = make_appointment(world.association, starts_at=utcnow() + timedelta(hours=10),
                                   beneficiary=world.beneficiary, volunteer=world.volunteer)
    with pytest.raises(selfbooking.SelfBookingError, match="trop tard"):
        selfbooking.move(world.link, appointment.seats[0], selfbooking.slot_key(_first_slot(world)))
    assert _count(Appointment) == 1


def test_a_second_click_on_cancel_says_it_is_already_done(client, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    client.post(_url(world.link, f"/seats/{seat.id}/cancel"))
    response = client.post(_url(world.link, f"/seats/{seat.id}/cancel"))
    assert response.status_code == 409
    assert "déjà été annulé" in response.get_data(as_text=True)


def test_the_change_delay_follows_the_association_setting(world):
    world.association.change_min_hours = 2
    appointment = make_appointment(world.association, starts_at=utcnow() + timedelta(hours=10),
                                   beneficiary=world.beneficiary, volunteer=world.volunteer)
    assert selfbooking.can_change(world.link, appointment.seats[0])


def test_moving_books_the_new_time_and_frees_the_old_one(client, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    old_start = seat.appointment.starts_at
    later = selfbooking.free_slots(world.link, selfbooking.booking.local_module(
        world.association.id, seat.appointment.module_id), moving=seat)[-1]
    response = client.post(_url(world.link, f"/seats/{seat.id}/move"), data={"at": selfbooking.slot_key(later)})
    assert response.status_code == 302
    booked = selfbooking.db.session.scalars(select(Seat).where(
        Seat.beneficiary_id == world.beneficiary.id, Seat.status == "booked")).all()
    assert [s.appointment.starts_at for s in booked] == [later.starts_at]
    assert booked[0].journey_module_id == world.item.id
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "planned"
    old = selfbooking.db.session.scalar(select(Appointment).where(Appointment.starts_at == old_start))
    assert old.status == "cancelled"


def test_a_refused_move_keeps_the_old_place(client, world):
    seat = selfbooking.book_next(world.link, selfbooking.slot_key(_first_slot(world)))
    selfbooking.db.session.commit()  # booked by an earlier request
    day = local(seat.appointment.starts_at, world.association.timezone).date() + timedelta(days=2)
    response = client.post(_url(world.link, f"/seats/{seat.id}/move"), data={"at": _key_at(world, day, time(22, 0))})
    assert response.status_code == 409
    selfbooking.db.session.refresh(seat)
    assert seat.status == "booked" and seat.appointment.status == "planned"
    assert selfbooking.db.session.get(JourneyModule, world.item.id).status == "planned"
    assert _count(Appointment) == 1


# --- another person's data ------------------------------------------------------------------------


@pytest.mark.parametrize("owner", ["same association", "other association"])
def test_a_link_never_reaches_another_persons_place(client, world, owner):
    association = world.association if owner == "same association" else make_association()
    appointment = make_appointment(association, starts_at=utcnow() + timedelta(days=5))
    seat = appointment.seats[0]
    for method, path in (("POST", f"/seats/{seat.id}/cancel"), ("POST", f"/seats/{seat.id}/move"),
                         ("GET", f"/cancel?seat={seat.id}"), ("GET", f"/done?seat={seat.id}"),
                         ("GET", f"/slots?seat={seat.id}"), ("GET", f"/book?seat={seat.id}&at=20300101T0900Z")):
        response = client.open(_url(world.link, path), method=method, data={"at": "20300101T0900Z"})
        assert response.status_code == 404, f"{method} {path}"
        assert seat.beneficiary.last_name not in response.get_data(as_text=True)
    selfbooking.db.session.refresh(seat)
    assert seat.status == "booked"


def test_the_page_expires_gracefully_without_its_csrf_token(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(_url(world.link, "/book"), data={"at": "20300101T0900Z"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "La page a expiré" in response.get_data(as_text=True)


# --- the staff action ----------------------------------------------------------------------------


def test_staff_send_the_link_by_mail_and_see_it_once(client, login_as, world, sent_mail):
    login_as("staff", world.association)
    response = client.post(f"/a/{world.association.slug}/beneficiaries/{world.beneficiary.id}/booking-link")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    url = re.search(r"http://localhost/p/[\w-]+/", page).group(0)
    assert world.beneficiary.email in page
    subject, text = sent_mail(world.beneficiary.email)[-1]
    assert "Choisissez la date de votre rendez-vous" in subject and url in text
    assert client.get(url.removeprefix("http://localhost")).status_code == 200
    selfbooking.db.session.refresh(world.link)
    assert world.link.revoked  # the link made by the factory was replaced
    assert url not in client.get(response.headers["Location"]).get_data(as_text=True)


def test_without_an_email_staff_still_get_the_link(client, login_as, world):
    world.beneficiary.email = ""
    selfbooking.db.session.commit()
    login_as("staff", world.association)
    response = client.post(f"/a/{world.association.slug}/beneficiaries/{world.beneficiary.id}/booking-link",
                           follow_redirects=True)
    assert "Pas d’adresse e-mail" in response.get_data(as_text=True)
    assert re.search(r"http://localhost/p/[\w-]+/", response.get_data(as_text=True))
    assert selfbooking.db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "booking_link")) == 0


def test_the_beneficiary_page_offers_the_action(client, login_as, world):
    login_as("staff", world.association)
    html = client.get(f"/a/{world.association.slug}/beneficiaries/{world.beneficiary.id}").get_data(as_text=True)
    assert f"/beneficiaries/{world.beneficiary.id}/booking-link" in html and "Lien de réservation" in html


def test_no_link_for_a_deactivated_file(client, login_as, world):
    world.beneficiary.active = False
    selfbooking.db.session.commit()
    login_as("staff", world.association)
    response = client.post(f"/a/{world.association.slug}/beneficiaries/{world.beneficiary.id}/booking-link",
                           follow_redirects=True)
    assert "désactivée" in response.get_data(as_text=True)
    assert selfbooking.db.session.scalar(select(func.count(BookingLink.id))) == 1


def test_slot_keys_are_utc_minutes():
    moment = datetime(2030, 3, 10, 13, 30, tzinfo=UTC)
    assert selfbooking.parse_slot_key(moment.strftime(selfbooking.SLOT_KEY)) == moment
    assert selfbooking.parse_slot_key("2030-03-10") is None
