"""Trainings: the catalogue, sessions, enrolment and its waiting list, attendance in place, completion and renewals."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from intranet.clock import to_utc, utcnow
from intranet.extensions import db as _db
from intranet.notifications.digest import send_digests
from intranet.notifications.models import OutboxMessage
from intranet.volunteers import gate, services
from intranet.volunteers.jobs import send_renewal_notices
from intranet.volunteers.models import Qualification, Training, TrainingSession
from tests.factories import (
    make_appointment,
    make_association,
    make_membership,
    make_training_session,
    make_user,
    make_volunteer,
    network_training,
    profile_of,
    qualify,
)


@pytest.fixture
def rh_training():
    return network_training("coaching_rh")


def _volunteer(association, name):
    membership = make_membership(association, "volunteer", make_user(name=name))
    return profile_of(membership)


@pytest.fixture
def held(bordeaux, rh_training):
    """A Coach RH session that started an hour ago, with three people enrolled."""
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() - timedelta(hours=1), capacity=3)
    people = [_volunteer(bordeaux, name) for name in ("Anne Présente", "Bruno Absent", "Chloé Excusée")]
    for profile in people:
        services.enrol(session, profile, by_staff=True)
    _db.session.commit()
    return session, people


def _mails(kind, to=None):
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(_db.session.scalars(query))


# --- the catalogue -----------------------------------------------------------------------------------


def test_the_network_catalogue_is_there_on_every_installation_with_the_modules_codes():
    trainings = {t.name: t for t in _db.session.scalars(select(Training).where(Training.association_id.is_(None)))}
    assert set(trainings) == {"Coach image", "Coach RH", "Séance photo",
                              "Accompagnement à distance (Coup de Pouce à la Maison)"}
    assert trainings["Coach RH"].codes == ["coaching_rh"] and trainings["Coach RH"].validity_months == 24
    assert trainings["Séance photo"].validity_months is None
    assert gate.qualification_names() == {"coaching_image": "Coach image", "coaching_rh": "Coach RH",
                                          "seance_photo": "Séance photo",
                                          "coup_de_pouce": "Accompagnement à distance (Coup de Pouce à la Maison)"}


def test_the_network_office_adds_a_training_with_a_new_code(client, login_as):
    login_as("network")
    response = client.post("/network/trainings", data={
        "name": "Atelier numérique", "duration_minutes": "120", "validity_months": "", "new_code": "atelier_numerique",
        "active": "y"})
    assert response.status_code == 302
    training = _db.session.scalar(select(Training).where(Training.name == "Atelier numérique"))
    assert training.association_id is None and training.codes == ["atelier_numerique"]
    assert training.validity_months is None


def test_an_association_adds_its_own_training_with_known_codes_only(client, staff, bordeaux):
    refused = client.post("/a/bordeaux/trainings/new", data={"name": "Accueil", "duration_minutes": "60",
                                                             "grants": ["inconnu"]})
    assert refused.status_code == 422 and "Ce code d’habilitation n’existe pas" in refused.get_data(as_text=True)
    response = client.post("/a/bordeaux/trainings/new", data={"name": "Coach RH, module local", "duration_minutes": "90",
                                                              "validity_months": "12", "grants": ["coaching_rh"],
                                                              "active": "y"})
    assert response.status_code == 302
    training = _db.session.scalar(select(Training).where(Training.name == "Coach RH, module local"))
    assert training.association_id == bordeaux.id
    assert client.get(f"/a/bordeaux/trainings/{training.id}").status_code == 200


def test_the_network_catalogue_is_read_only_in_an_association(client, staff, rh_training, lyon):
    assert client.get(f"/a/bordeaux/trainings/{rh_training.id}").status_code == 404
    theirs = Training(association_id=lyon.id, name="À Lyon", grants="coaching_rh")
    _db.session.add(theirs)
    _db.session.commit()
    assert client.get(f"/a/bordeaux/trainings/{theirs.id}").status_code == 404


# --- sessions and enrolment ----------------------------------------------------------------------------


def test_a_session_needs_a_place_or_a_video_link(bordeaux, rh_training):
    with pytest.raises(services.VolunteerError, match="lieu ou le lien"):
        services.create_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=3), duration_minutes=60,
                                place="", video_link="", trainer="", capacity=4)


def test_a_full_session_puts_the_next_person_on_its_waiting_list_in_order(bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=5), capacity=2)
    first, second, third, fourth = (services.enrol(session, _volunteer(bordeaux, f"P{n}"), by_staff=True,
                                                   now=utcnow() + timedelta(seconds=n)) for n in range(4))
    assert [e.status for e in (first, second, third, fourth)] == ["enrolled", "enrolled", "waiting", "waiting"]
    assert session.waiting == [third, fourth]


def test_a_freed_place_goes_to_the_first_person_waiting_who_is_told_by_mail(bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=5), capacity=1)
    taken = services.enrol(session, _volunteer(bordeaux, "Anne"), by_staff=True)
    waiting = [services.enrol(session, _volunteer(bordeaux, name), by_staff=True, now=utcnow() + timedelta(seconds=n))
               for n, name in enumerate(("Bruno", "Chloé"), 1)]
    promoted = services.cancel_enrolment(taken)
    assert promoted == [waiting[0]] and waiting[0].status == "enrolled" and waiting[1].status == "waiting"
    [mail] = _mails("training_place", waiting[0].profile.user.email)
    assert "Une place s’est libérée" in mail.subject and "Coach RH" in mail.text_body
    assert _mails("training_place", waiting[1].profile.user.email) == []


def test_more_places_promote_as_many_people_waiting(bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=5), capacity=1)
    enrolments = [services.enrol(session, _volunteer(bordeaux, f"P{n}"), by_staff=True,
                                 now=utcnow() + timedelta(seconds=n)) for n in range(4)]
    promoted = services.update_session(session, starts_at=session.starts_at, duration_minutes=180, place="Salle",
                                       video_link="", trainer="", capacity=3)
    assert promoted == enrolments[1:3] and enrolments[3].status == "waiting"
    with pytest.raises(services.VolunteerError, match="déjà inscrites"):
        services.update_session(session, starts_at=session.starts_at, duration_minutes=180, place="Salle",
                                video_link="", trainer="", capacity=2)


def test_someone_cancelled_enrols_again_at_the_end_of_the_queue(bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=5), capacity=1)
    anne = services.enrol(session, _volunteer(bordeaux, "Anne"), by_staff=True)
    bruno = services.enrol(session, _volunteer(bordeaux, "Bruno"), by_staff=True, now=utcnow() + timedelta(seconds=1))
    services.cancel_enrolment(anne)
    again = services.enrol(session, anne.profile, by_staff=True, now=utcnow() + timedelta(seconds=2))
    assert again is anne and anne.status == "waiting" and bruno.status == "enrolled"
    with pytest.raises(services.VolunteerError, match="déjà inscrit"):
        services.enrol(session, anne.profile, by_staff=True)


def test_volunteers_enrol_themselves_until_the_start_and_staff_until_completion(bordeaux, rh_training, held):
    session, _people = held
    late = _volunteer(bordeaux, "Retardataire")
    with pytest.raises(services.VolunteerError, match="closes"):
        services.enrol(session, late, by_staff=False)
    assert services.enrol(session, late, by_staff=True).status == "waiting"  # three places, all taken


# --- attendance and completion ---------------------------------------------------------------------------


def test_completing_grants_the_qualification_to_those_present_until_the_day_plus_its_validity(bordeaux, held):
    session, (anne, bruno, chloe) = held
    for enrolment, mark in zip(session.enrolled, ("present", "absent", "excused"), strict=True):
        services.set_attendance(enrolment, mark)
    granted = services.complete(session)
    day = session.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(bordeaux.timezone)).date()
    assert [(q.profile_id, q.code, q.obtained_on, q.valid_until, q.source) for q in granted] == [
        (anne.id, "coaching_rh", day, services.valid_until(day, 24), "training")]
    assert session.status == "completed"
    assert gate.refusal(bordeaux.id, anne.user_id, "coaching_rh", day) is None
    assert gate.refusal(bordeaux.id, bruno.user_id, "coaching_rh", day) == "sans habilitation Coach RH"


def test_completing_waits_for_everyone_s_attendance(held):
    session, _people = held
    services.set_attendance(session.enrolled[0], "present")
    with pytest.raises(services.VolunteerError, match="2 sans réponse"):
        services.complete(session)
    assert services.all_present(session) == 3
    assert len(services.complete(session)) == 3
    with pytest.raises(services.VolunteerError, match="terminée"):
        services.set_attendance(session.enrolled[0], "absent")


def test_attendance_is_noted_only_once_the_session_has_started(bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=1))
    enrolment = services.enrol(session, _volunteer(bordeaux, "Anne"), by_staff=True)
    with pytest.raises(services.VolunteerError, match="à partir du début"):
        services.set_attendance(enrolment, "present")


@pytest.mark.parametrize(("obtained", "months", "until"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2026, 3, 15), 24, date(2028, 3, 15)),
    (date(2026, 3, 15), None, None),
])
def test_validity_ends_the_same_day_months_later(obtained, months, until):
    assert services.valid_until(obtained, months) == until


def test_the_attendance_screen_saves_in_place_and_announces_it(client, staff, held):
    session, (anne, *_others) = held
    enrolment = session.enrolled[0]
    page = client.get(f"/a/bordeaux/training-sessions/{session.id}").get_data(as_text=True)
    assert f'hx-post="/a/bordeaux/training-enrolments/{enrolment.id}/attendance"' in page
    assert '<legend>Anne Présente</legend>' in page
    response = client.post(f"/a/bordeaux/training-enrolments/{enrolment.id}/attendance",
                           data={"attendance": "present"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "Anne Présente : Présent·e"}
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li id="enrolment-{enrolment.id}"') and 'value="present" checked' in html
    assert enrolment.attendance == "present"


def test_attendance_works_without_javascript(client, staff, held):
    session, _people = held
    enrolment = session.enrolled[1]
    response = client.post(f"/a/bordeaux/training-enrolments/{enrolment.id}/attendance", data={"attendance": "absent"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#enrolment-{enrolment.id}")
    assert enrolment.attendance == "absent"


def test_all_present_then_complete_from_the_page(client, staff, held):
    session, people = held
    response = client.post(f"/a/bordeaux/training-sessions/{session.id}/all-present", headers={"HX-Request": "true"})
    assert json.loads(response.headers["HX-Trigger"]) == {"announce": "Tout le monde est noté présent (3)."}
    assert response.get_data(as_text=True).count("checked") == 3
    assert client.post(f"/a/bordeaux/training-sessions/{session.id}/complete").status_code == 302
    page = client.get(f"/a/bordeaux/training-sessions/{session.id}").get_data(as_text=True)
    assert "Session terminée" in page and page.count("Coach RH jusqu’au") == 3


def test_a_refused_attendance_comes_back_in_its_row(client, staff, bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=1))
    enrolment = services.enrol(session, _volunteer(bordeaux, "Anne"), by_staff=True)
    _db.session.commit()
    response = client.post(f"/a/bordeaux/training-enrolments/{enrolment.id}/attendance",
                           data={"attendance": "present"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'role="alert"' in response.get_data(as_text=True)
    assert enrolment.attendance == ""


# --- by hand ------------------------------------------------------------------------------------------------


def test_a_qualification_is_recorded_by_hand_with_its_evidence_and_withdrawn_with_a_reason(client, staff, bordeaux):
    profile = _volunteer(bordeaux, "Anne Ailleurs")
    refused = client.post(f"/a/bordeaux/volunteers/{profile.membership_id}/qualifications", data={
        "code": "coaching_rh", "obtained_on": "2026-03-01", "evidence": ""})
    assert refused.status_code == 422 and "Indiquez ce qui atteste" in refused.get_data(as_text=True)
    assert client.post(f"/a/bordeaux/volunteers/{profile.membership_id}/qualifications", data={
        "code": "coaching_rh", "obtained_on": "2026-03-01", "valid_until": "2028-03-01",
        "evidence": "Attestation de Tremplin Lyon"}).status_code == 302
    row = _db.session.scalar(select(Qualification).where(Qualification.profile_id == profile.id))
    assert (row.code, row.source, row.evidence, row.valid_until) == ("coaching_rh", "manual",
                                                                     "Attestation de Tremplin Lyon", date(2028, 3, 1))
    assert client.post(f"/a/bordeaux/qualifications/{row.id}/withdraw", data={"reason": ""}).status_code == 422
    assert client.post(f"/a/bordeaux/qualifications/{row.id}/withdraw",
                       data={"reason": "Attestation non reconnue"}).status_code == 302
    assert row.withdrawn_on is not None and row.withdrawn_reason == "Attestation non reconnue"
    page = client.get(f"/a/bordeaux/volunteers/{profile.membership_id}").get_data(as_text=True)
    assert "Attestation non reconnue" in page and "habilitation retirée" in page and "habilitation donnée" in page


# --- renewals ------------------------------------------------------------------------------------------------


@pytest.fixture
def ending(bordeaux):
    """Anne's Coach RH ends in 30 days (Paris time); a Coach RH session is open in 20 days."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    anne = make_volunteer(bordeaux, "Anne Bientôt", qualified=False)
    [row] = qualify(anne.memberships[0], ["coaching_rh"], obtained_on=date(2024, 12, 2), valid_until=date(2026, 12, 2))
    make_training_session(bordeaux, network_training("coaching_rh"), starts_at=now + timedelta(days=20),
                          place="Salle Garonne")
    return now, anne, row


def test_a_volunteer_gets_one_renewal_mail_30_days_before_with_the_next_session(ending):
    now, anne, row = ending
    assert send_renewal_notices(now - timedelta(days=1)) == 0  # 31 days before
    assert send_renewal_notices(now) == 1
    assert send_renewal_notices(now + timedelta(minutes=1)) == 0
    assert send_renewal_notices(now + timedelta(days=3)) == 0
    [mail] = _mails("qualification_renewal", anne.email)
    assert mail.subject == "Votre habilitation Coach RH expire le 2 décembre 2026"
    assert "Salle Garonne" in mail.text_body and "/me/trainings" in mail.text_body
    assert row.renewal_noticed_at is not None


def test_no_renewal_mail_once_renewed_or_for_someone_who_left(bordeaux, ending):
    now, anne, row = ending
    qualify(anne.memberships[0], ["coaching_rh"], obtained_on=date(2026, 10, 30), valid_until=date(2028, 10, 30))
    other = make_volunteer(bordeaux, "Parti", qualified=False)
    qualify(other.memberships[0], ["coaching_rh"], valid_until=date(2026, 12, 2))
    other.memberships[0].active = False
    _db.session.commit()
    assert send_renewal_notices(now) == 0


def test_staff_see_qualifications_ending_within_30_days_and_the_digest_counts_them(client, staff, bordeaux, ending):
    now, anne, row = ending
    make_appointment(bordeaux, starts_at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))  # something for tomorrow
    # The digest is due at 18:00 Paris time on 2 November; the qualification ends within 30 days of that day.
    assert send_digests(datetime(2026, 11, 2, 17, 0, tzinfo=UTC)) >= 1
    [digest] = _mails("daily_digest", staff.email)
    assert "1 habilitation expire dans les 30 jours" in digest.text_body
    assert "/a/bordeaux/volunteers/watch" in digest.text_body


def test_the_digest_goes_out_for_the_count_alone(bordeaux, ending):
    staff = make_membership(bordeaux, "staff").user
    send_digests(datetime(2026, 11, 2, 17, 0, tzinfo=UTC))
    [digest] = _mails("daily_digest", staff.email)
    assert "1 habilitation expire dans les 30 jours" in digest.text_body


def test_the_watch_page_lists_what_ends_soon_and_not_what_was_renewed(client, staff, bordeaux):
    soon, later = make_volunteer(bordeaux, "Anne Bientôt", qualified=False), make_volunteer(bordeaux, "Paul Plus Tard",
                                                                                             qualified=False)
    qualify(soon.memberships[0], ["coaching_rh"], valid_until=date.today() + timedelta(days=10))
    qualify(later.memberships[0], ["coaching_rh"], valid_until=date.today() + timedelta(days=40))
    renewed = make_volunteer(bordeaux, "Rita Renouvelée", qualified=False)
    qualify(renewed.memberships[0], ["coaching_rh"], valid_until=date.today() + timedelta(days=10))
    qualify(renewed.memberships[0], ["coaching_rh"], obtained_on=date.today(), valid_until=date.today() + timedelta(days=700))
    html = client.get("/a/bordeaux/volunteers/watch").get_data(as_text=True)
    assert "Anne Bientôt" in html
    assert "Paul Plus Tard" not in html and "Rita Renouvelée" not in html


# --- the volunteer's own trainings ------------------------------------------------------------------------------


def test_a_volunteer_enrols_from_me_in_an_open_session_of_their_association(client, login_as, bordeaux, lyon,
                                                                           rh_training):
    user = login_as("volunteer", bordeaux, name="Vera Bénévole")
    ours = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=4), place="Salle Bordeaux")
    theirs = make_training_session(lyon, rh_training, starts_at=utcnow() + timedelta(days=4), place="Salle Lyon")
    page = client.get("/me/trainings").get_data(as_text=True)
    assert "Salle Bordeaux" in page and "Salle Lyon" not in page
    assert client.post(f"/me/training-sessions/{theirs.id}/enrol").status_code == 404
    assert client.post(f"/me/training-sessions/{ours.id}/enrol").status_code == 302
    [enrolment] = ours.enrolments
    assert enrolment.profile.user_id == user.id and enrolment.status == "enrolled"
    assert client.post(f"/me/training-enrolments/{enrolment.id}/cancel").status_code == 302
    assert enrolment.status == "cancelled"


def test_a_volunteer_sees_own_qualifications_and_expiries_only(client, login_as, bordeaux):
    user = login_as("volunteer", bordeaux, name="Vera Bénévole")
    qualify(user.memberships[0], ["coaching_rh"], obtained_on=date(2025, 1, 1), valid_until=date.today() + timedelta(days=10))
    other = make_volunteer(bordeaux, "Autre Bénévole", qualified=False)
    qualify(other.memberships[0], ["coaching_image"], obtained_on=date(2025, 1, 1))
    page = client.get("/me/trainings").get_data(as_text=True)
    assert "Coach RH" in page and "expire bientôt" in page
    assert "Coach image" not in page


def test_a_volunteer_cannot_cancel_someone_else_s_enrolment(client, login_as, bordeaux, rh_training):
    login_as("volunteer", bordeaux)
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=4))
    someone = services.enrol(session, _volunteer(bordeaux, "Quelqu’un"), by_staff=True)
    assert client.post(f"/me/training-enrolments/{someone.id}/cancel").status_code == 404
    assert someone.status == "enrolled"


def test_the_sessions_list_counts_places_and_waiting(client, staff, bordeaux, rh_training):
    session = make_training_session(bordeaux, rh_training, starts_at=to_utc(date.today() + timedelta(days=3),
                                                                            time(9, 0), bordeaux.timezone), capacity=1)
    for n in range(2):
        services.enrol(session, _volunteer(bordeaux, f"P{n}"), by_staff=True, now=utcnow() + timedelta(seconds=n))
    html = client.get("/a/bordeaux/trainings").get_data(as_text=True)
    assert "1 / 1 · 1 en attente" in html
    assert _db.session.scalar(select(func.count()).select_from(TrainingSession)) == 1


def test_staff_of_another_association_cannot_enrol_here(client, login_as, bordeaux, rh_training):
    login_as("staff", make_association("ailleurs"))
    session = make_training_session(bordeaux, rh_training, starts_at=utcnow() + timedelta(days=4))
    assert client.post(f"/a/ailleurs/training-sessions/{session.id}/enrol", data={"member_id": "1"}).status_code == 404
