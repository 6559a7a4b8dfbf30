"""Dates and times people read: Babel's formats in their language, at the association's local time."""

from datetime import UTC, date, datetime

import pytest

from intranet.dates import format_datetime, format_hours, format_skeleton
from tests.factories import make_appointment, make_association, make_beneficiary, make_journey

MORNING = datetime(2027, 1, 5, 13, 0, tzinfo=UTC)  # 14:00 in Paris, 10:00 in Cayenne, 17:00 in La Réunion


@pytest.mark.parametrize("locale,shown", [("fr", "mardi 5 janvier"), ("en", "Tuesday, January 5")])
def test_a_skeleton_gives_the_full_weekday_in_the_reader_s_order(app, locale, shown):
    assert format_skeleton(date(2027, 1, 5), "MMMMEEEEd", locale=locale) == shown


@pytest.mark.parametrize("zone,locale,shown", [
    ("Europe/Paris", "fr", "05/01/2027 14:00"), ("America/Cayenne", "fr", "05/01/2027 10:00"),
    ("Indian/Reunion", "en", "1/5/27, 5:00\u202fPM"),
])
def test_a_moment_is_shown_at_the_given_zone_s_local_time(app, zone, locale, shown):
    assert format_datetime(MORNING, "short", timezone=zone, locale=locale) == shown


def test_hours_follow_the_reader_s_clock(app):
    end = datetime(2027, 1, 5, 14, 0, tzinfo=UTC)
    assert format_hours(MORNING, end, timezone="Europe/Paris", locale="fr") == "14:00–15:00"
    assert format_hours(MORNING, end, timezone="Europe/Paris", locale="en") == "2:00\u202fPM–3:00\u202fPM"


@pytest.mark.parametrize("locale,interview,consent", [
    ("fr", "5 janvier 2027", "recueilli le 5 janvier 2027"),
    ("en", "January 5, 2027", "January 5, 2027"),
])
def test_a_page_shows_dates_in_the_reader_s_language(client, login_as, locale, interview, consent):
    association = make_association("cayenne", timezone="America/Cayenne")
    login_as("staff", association, locale=locale)
    # 02:00 UTC on 6 January is still 5 January in Cayenne.
    beneficiary = make_beneficiary(association, interview_on=date(2027, 1, 5),
                                   consent_at=datetime(2027, 1, 6, 2, 0, tzinfo=UTC), consent_scope="accompaniment")
    html = client.get(f"/a/cayenne/beneficiaries/{beneficiary.id}").get_data(as_text=True)
    assert interview in html and consent in html


def test_an_english_reader_sees_an_appointment_in_english_at_the_association_s_time(client, login_as):
    association = make_association("reunion", timezone="Indian/Reunion")
    login_as("staff", association, locale="en")
    appointment = make_appointment(association, starts_at=MORNING)
    html = client.get(f"/a/reunion/appointments/{appointment.id}").get_data(as_text=True)
    assert "1/5/27, 5:00\u202fPM" in html and "14:00" not in html  # the move form keeps 17:00 as its value


def _planned_session(association, coach, starts_at):
    journey = make_journey(association, modules=1)
    item = journey.modules[0]
    appointment = make_appointment(association, starts_at=starts_at, beneficiary=journey.beneficiary, volunteer=coach)
    item.status, item.coach_id, item.happened_on = "planned", coach.id, starts_at.date()
    appointment.seats[0].journey_module_id = item.id
    return appointment


def test_my_space_shows_each_session_at_its_own_association_s_time(client, login_as, db):
    from tests.factories import make_membership

    cayenne = make_association("cayenne", timezone="America/Cayenne")
    reunion = make_association("reunion", timezone="Indian/Reunion")
    coach = login_as("volunteer", cayenne)
    make_membership(reunion, "volunteer", coach)
    _planned_session(cayenne, coach, MORNING)
    _planned_session(reunion, coach, datetime(2027, 1, 6, 6, 0, tzinfo=UTC))  # 10:00 in La Réunion
    db.session.commit()
    html = client.get("/me/").get_data(as_text=True)
    assert "mardi 5 janvier 10:00" in html and "mercredi 6 janvier 10:00" in html
    assert "14:00" not in html and "07:00" not in html  # not Paris time
