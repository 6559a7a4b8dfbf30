"""Journeys: start with chosen modules, follow them, exit, six-month follow-up; the volunteer's view."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from intranet.clock import today_in
from intranet.journeys import services
from intranet.journeys.models import Journey
from tests.factories import make_association, make_beneficiary, make_journey, make_membership, make_user, program

TODAY = today_in("Europe/Paris")


def remote_ids(n=3):
    return [m.id for m in program("remote").modules[:n]]


def test_starting_a_journey_makes_the_file_in_progress(bordeaux, db):
    b = make_beneficiary(bordeaux, status="new")
    journey = services.start(b, remote_ids(3), TODAY)
    assert [m.status for m in journey.modules] == ["to_plan"] * 3
    assert [m.name for m in journey.modules] == [m.name for m in program("remote").modules[:3]]
    assert b.status == "in_progress"


def test_a_mixed_journey_keeps_program_order(bordeaux):
    b = make_beneficiary(bordeaux)
    in_person = program("in_person").modules
    journey = services.start(b, [program("remote").modules[0].id, in_person[3].id], TODAY)
    assert [m.module_id for m in journey.modules] == [in_person[3].id, program("remote").modules[0].id]


def test_a_journey_needs_offered_modules(bordeaux, db):
    b = make_beneficiary(bordeaux)
    with pytest.raises(services.JourneyError):
        services.start(b, [], TODAY)
    from intranet.programs.services import set_program_offered

    set_program_offered(bordeaux.id, program("remote").id, False)
    with pytest.raises(services.JourneyError):
        services.start(b, remote_ids(1), TODAY)
    db.session.rollback()
    assert db.session.scalars(select(Journey)).all() == []


def test_marking_a_module_done_without_date_means_today(bordeaux):
    journey = make_journey(bordeaux)
    item = journey.modules[0]
    services.update_module(item, status="done", happened_on=None, coach_id=None, notes="Très motivée", today=TODAY)
    assert (item.status, item.happened_on, item.notes) == ("done", TODAY, "Très motivée")


def test_a_done_module_cannot_be_in_the_future(bordeaux):
    item = make_journey(bordeaux).modules[0]
    with pytest.raises(services.JourneyError):
        services.update_module(item, status="done", happened_on=TODAY + timedelta(days=1), coach_id=None, notes="",
                               today=TODAY)


def test_the_coach_must_belong_to_the_association(bordeaux):
    item = make_journey(bordeaux).modules[0]
    outsider = make_membership(make_association(), "volunteer").user
    with pytest.raises(services.JourneyError):
        services.update_module(item, status="planned", happened_on=None, coach_id=outsider.id, notes="", today=TODAY)


def test_exit_completes_the_file_and_follow_up_comes_after(bordeaux):
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=30))
    with pytest.raises(services.JourneyError):
        services.record_follow_up(journey, result="employment", on=TODAY, today=TODAY)
    services.exit_journey(journey, exited_on=TODAY, situation="employment", today=TODAY)
    assert journey.beneficiary.status == "completed"
    services.record_follow_up(journey, result="improved", on=TODAY, today=TODAY)
    assert journey.follow_up_result == "improved"


def test_exit_dates_are_checked(bordeaux):
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=3))
    for bad in (TODAY - timedelta(days=4), TODAY + timedelta(days=1)):
        with pytest.raises(services.JourneyError):
            services.exit_journey(journey, exited_on=bad, situation="employment", today=TODAY)


def test_a_file_with_another_open_journey_stays_in_progress(bordeaux):
    b = make_beneficiary(bordeaux, status="in_progress")
    first, _second = make_journey(bordeaux, b), make_journey(bordeaux, b)
    services.exit_journey(first, exited_on=TODAY, situation="job_searching", today=TODAY)
    assert b.status == "in_progress"


# --- pages ------------------------------------------------------------------------------


def test_starting_a_journey_from_the_checklist(client, staff, bordeaux, db):
    b = make_beneficiary(bordeaux)
    summary = client.get(f"/a/bordeaux/beneficiaries/{b.id}/journeys/new",
                         query_string={"part": "summary", "module": remote_ids(3)}, headers={"HX-Request": "true"})
    html = summary.get_data(as_text=True)
    assert html.lstrip().startswith('<p id="journey-summary"') and "3 modules choisis" in html and "2 h 45" in html
    response = client.post(f"/a/bordeaux/beneficiaries/{b.id}/journeys/new", data={"module": remote_ids(3)})
    journey = db.session.scalar(select(Journey))
    assert response.headers["Location"].endswith(f"/a/bordeaux/beneficiaries/{b.id}#journey-{journey.id}")
    page = client.get(f"/a/bordeaux/beneficiaries/{b.id}").get_data(as_text=True)
    assert "Bilan et projet professionnel" in page and "À planifier" in page


def test_starting_without_modules_says_so_next_to_the_checklist(client, staff, bordeaux, db):
    b = make_beneficiary(bordeaux)
    response = client.post(f"/a/bordeaux/beneficiaries/{b.id}/journeys/new", data={})
    assert response.status_code == 422
    assert 'id="modules-error"' in response.get_data(as_text=True)
    assert db.session.scalars(select(Journey)).all() == []


def test_updating_a_module_with_htmx_returns_the_item(client, staff, bordeaux, db):
    item = make_journey(bordeaux).modules[0]
    response = client.post(f"/a/bordeaux/journey-modules/{item.id}", headers={"HX-Request": "true"},
                           data={"status": "done", "happened_on": "", "coach_id": str(staff.id), "notes": "Super"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li id="journey-module-{item.id}"') and "Réalisé" in html
    assert "announce" in response.headers["HX-Trigger"]
    db.session.refresh(item)
    assert (item.status, item.coach_id) == ("done", staff.id)


def test_a_refused_module_update_shows_the_error_in_the_item(client, staff, bordeaux, db):
    item = make_journey(bordeaux).modules[0]
    future = (TODAY + timedelta(days=5)).isoformat()
    response = client.post(f"/a/bordeaux/journey-modules/{item.id}", headers={"HX-Request": "true"},
                           data={"status": "done", "happened_on": future, "coach_id": "", "notes": ""})
    assert response.status_code == 422
    assert "ne peut pas être daté dans le futur" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.status == "to_plan"


def test_exit_and_follow_up_pages(client, staff, bordeaux, db):
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=10))
    bad = client.post(f"/a/bordeaux/journeys/{journey.id}/exit", data={"exited_on": TODAY.isoformat(), "situation": ""})
    assert bad.status_code == 422 and "Choisissez la situation" in bad.get_data(as_text=True)
    ok = client.post(f"/a/bordeaux/journeys/{journey.id}/exit",
                     data={"exited_on": TODAY.isoformat(), "situation": "employment"})
    assert ok.status_code == 302
    client.post(f"/a/bordeaux/journeys/{journey.id}/follow-up", data={"on": TODAY.isoformat(), "result": "employment"})
    db.session.refresh(journey)
    assert (journey.exit_situation, journey.follow_up_result) == ("employment", "employment")
    page = client.get(f"/a/bordeaux/beneficiaries/{journey.beneficiary_id}").get_data(as_text=True)
    assert "À six mois" in page


def test_a_volunteer_sees_first_name_module_and_contact_only(client, login_as, bordeaux, db):
    volunteer = login_as("volunteer", bordeaux)
    b = make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test",
                         target_job="Cariste secret", contact_channel="email", birth_date=date(1990, 5, 4),
                         notes="Note sensible")
    item = make_journey(bordeaux, b).modules[0]
    item.coach_id, item.status, item.happened_on = volunteer.id, "planned", TODAY + timedelta(days=2)
    make_journey(bordeaux, make_beneficiary(bordeaux, first_name="Zoé"))  # not theirs
    db.session.commit()
    html = client.get("/me/").get_data(as_text=True)
    assert "Amina" in html and item.name in html and "amina@exemple.test" in html
    for hidden in ("Traoré", "Cariste secret", "Note sensible", "1990", "Zoé"):
        assert hidden not in html


def test_a_volunteer_no_longer_in_the_association_sees_nothing(client, login_as, bordeaux, db):
    volunteer = login_as("volunteer", bordeaux)
    item = make_journey(bordeaux).modules[0]
    item.coach_id, item.status = volunteer.id, "planned"
    volunteer.memberships[0].active = False
    db.session.commit()
    assert item.name not in client.get("/me/").get_data(as_text=True)


def test_coaches_are_the_association_members(bordeaux):
    member = make_membership(bordeaux, "volunteer", make_user(name="Aïcha Diallo")).user
    make_membership(make_association(), "volunteer")
    assert [u.id for u in services.coaches(bordeaux.id)] == [member.id]


def test_a_missed_module_cannot_be_in_the_future(bordeaux):
    item = make_journey(bordeaux).modules[0]
    with pytest.raises(services.JourneyError, match="futur"):
        services.update_module(item, status="missed", happened_on=TODAY + timedelta(days=1), coach_id=None, notes="",
                               today=TODAY)


@pytest.mark.parametrize("follow_up", [
    {"follow_up_result": "employment", "follow_up_on": TODAY - timedelta(days=5)},
    {"answer_1m": "searching"},
    {"answer_6m": "other"},
])
def test_once_followed_up_the_exit_date_stays_and_dates_stay_in_order(bordeaux, db, follow_up):
    exited_on = TODAY - timedelta(days=200)
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=300), exited_on=exited_on,
                           exit_situation="job_searching", **follow_up)
    with pytest.raises(services.JourneyError, match="reste") as error:
        services.exit_journey(journey, exited_on=TODAY - timedelta(days=1), situation="employment", today=TODAY)
    assert error.value.field == "exited_on"
    db.session.rollback()
    journey = db.session.get(Journey, journey.id)
    assert (journey.exited_on, journey.exit_situation) == (exited_on, "job_searching")
    assert journey.follow_up_on is None or journey.exited_on <= journey.follow_up_on
    services.exit_journey(journey, exited_on=exited_on, situation="employment", today=TODAY)  # the situation may be corrected
    assert (journey.exited_on, journey.exit_situation) == (exited_on, "employment")


def test_before_any_follow_up_the_exit_date_may_be_corrected(bordeaux):
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=30), exited_on=TODAY - timedelta(days=10),
                           exit_situation="job_searching")
    services.exit_journey(journey, exited_on=TODAY - timedelta(days=2), situation="job_searching", today=TODAY)
    assert journey.exited_on == TODAY - timedelta(days=2)


def test_a_refused_re_exit_is_explained_next_to_the_date(client, staff, bordeaux, db):
    exited_on = TODAY - timedelta(days=200)
    journey = make_journey(bordeaux, started_on=TODAY - timedelta(days=300), exited_on=exited_on,
                           exit_situation="job_searching", follow_up_result="improved", follow_up_on=TODAY)
    response = client.post(f"/a/bordeaux/journeys/{journey.id}/exit",
                           data={"exited_on": TODAY.isoformat(), "situation": "employment"})
    assert response.status_code == 422 and "la date de sortie reste" in response.get_data(as_text=True)
    db.session.refresh(journey)
    assert journey.exited_on == exited_on
