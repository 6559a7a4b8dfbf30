"""The volunteer directory, a volunteer's page and profile, leaving and coming back; what volunteers may see."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from intranet.auth.models import User
from intranet.calendar.models import Availability
from intranet.clock import utcnow
from intranet.extensions import db as _db
from intranet.members.models import Membership
from intranet.volunteers import services
from intranet.volunteers.models import Qualification, VolunteerProfile, VolunteerStatus
from tests.factories import (
    make_appointment,
    make_membership,
    make_user,
    make_volunteer,
    profile_of,
    qualify,
)


def _directory(client, query: str = "") -> str:
    response = client.get(f"/a/bordeaux/volunteers{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _names(html: str) -> list[str]:
    import re

    return re.findall(r'<a href="/a/bordeaux/volunteers/\d+">([^<]+)</a>', html)


# --- the list ------------------------------------------------------------------------------------------


def test_the_directory_lists_volunteers_with_qualifications_and_last_session(client, staff, bordeaux):
    anne = make_volunteer(bordeaux, "Anne Martin", qualified=False)
    qualify(anne.memberships[0], ["coaching_rh"], valid_until=date.today() + timedelta(days=200))
    make_appointment(bordeaux, volunteer=anne, starts_at=datetime(2026, 10, 5, 9, 0, tzinfo=UTC), status="done")
    make_appointment(bordeaux, volunteer=anne, starts_at=utcnow() + timedelta(days=3))  # coming: not "last"
    make_volunteer(bordeaux, "Bruno Nouveau", qualified=False)
    html = _directory(client)
    assert _names(html) == ["Anne Martin", "Bruno Nouveau"]  # staff (Julien Moreau) are not volunteers
    assert "Coach RH — jusqu’au" in html and "5 oct. 2026" in html and "jamais" in html


def test_staff_who_coach_appear_once_they_have_a_profile(client, staff, bordeaux):
    coach = make_membership(bordeaux, "staff", make_user(name="Sam Salarié"))
    assert "Sam Salarié" not in _directory(client)
    qualify(coach, ["coaching_rh"])
    assert "Sam Salarié" in _directory(client)


def test_search_ignores_case_and_accents_and_reaches_skills(client, staff, bordeaux):
    martine = make_membership(bordeaux, "volunteer", make_user(name="Martine Lefèvre"))
    services.update_profile(services.profile_for(martine), {"skills": "Recrutement, entretiens", "phone": "+33612345678"})
    make_volunteer(bordeaux, "Pierre Garnier")
    _db.session.commit()
    assert _names(_directory(client, "?q=lefevre")) == ["Martine Lefèvre"]
    assert _names(_directory(client, "?q=RECRUTEMENT")) == ["Martine Lefèvre"]
    assert _names(_directory(client, "?q=06 12 34")) == ["Martine Lefèvre"]
    assert _names(_directory(client, "?q=garn")) == ["Pierre Garnier"]
    assert _names(_directory(client, "?q=---")) == ["Martine Lefèvre", "Pierre Garnier"]


def test_filters_status_qualification_expiring_weekday_and_idle(client, staff, bordeaux):
    today = date.today()
    active = make_volunteer(bordeaux, "Anne Active", weekdays=[1], qualified=False)
    qualify(active.memberships[0], ["coaching_rh"], valid_until=today + timedelta(days=10))
    make_appointment(bordeaux, volunteer=active, starts_at=utcnow() - timedelta(days=5), status="done")
    paused = make_volunteer(bordeaux, "Paul Pause", weekdays=[2], qualified=False)
    qualify(paused.memberships[0], ["coaching_image"])
    profile = profile_of(paused.memberships[0])
    profile.status, profile.paused_until = VolunteerStatus.PAUSED, today + timedelta(days=5)
    gone = make_volunteer(bordeaux, "Gaston Parti", qualified=False)
    gone.memberships[0].active = False
    _db.session.commit()
    assert _names(_directory(client)) == ["Anne Active", "Paul Pause"]
    assert _names(_directory(client, "?status=active")) == ["Anne Active"]
    assert _names(_directory(client, "?status=paused")) == ["Paul Pause"]
    assert _names(_directory(client, "?status=left")) == ["Gaston Parti"]
    assert _names(_directory(client, "?status=all")) == ["Anne Active", "Gaston Parti", "Paul Pause"]
    assert _names(_directory(client, "?qualification=coaching_image")) == ["Paul Pause"]
    assert _names(_directory(client, "?expiring=1")) == ["Anne Active"]
    assert _names(_directory(client, "?weekday=2")) == ["Paul Pause"]
    assert _names(_directory(client, "?idle=1")) == ["Paul Pause"]
    assert "En pause jusqu’au" in _directory(client, "?status=paused")


def test_sorts_by_arrival_and_by_oldest_last_session(client, staff, bordeaux):
    early, late, never = (make_volunteer(bordeaux, name) for name in ("Ancien", "Récent", "Jamais"))
    for user, joined in ((early, date(2019, 1, 1)), (late, date(2026, 1, 1)), (never, date(2022, 1, 1))):
        profile_of(user.memberships[0]).joined_on = joined
    make_appointment(bordeaux, volunteer=early, starts_at=utcnow() - timedelta(days=2))
    make_appointment(bordeaux, volunteer=late, starts_at=utcnow() - timedelta(days=50))
    _db.session.commit()
    assert _names(_directory(client, "?sort=recent")) == ["Récent", "Jamais", "Ancien"]
    assert _names(_directory(client, "?sort=last_session")) == ["Jamais", "Récent", "Ancien"]


def test_the_search_answers_htmx_with_the_results_only_and_announces_them(client, staff, bordeaux):
    make_volunteer(bordeaux, "Anne Martin")
    response = client.get("/a/bordeaux/volunteers?q=anne", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="results" data-announce="1 bénévole"')
    assert 'role="search"' not in html and 'value="q=anne"' in html  # the export inside carries the new filters


def _add_volunteers(association, count: int) -> None:
    """`count` volunteers with a profile, two qualifications, a weekly availability and past sessions."""
    now = utcnow()
    start = _db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
    _db.session.execute(insert(User), [{"email": f"v{start + n}@exemple.test", "name": f"Bénévole {start + n:05d}",
                                        "password_hash": "", "locale": "fr", "active": True,
                                        "is_network_office": False, "created_at": now} for n in range(count)])
    users = _db.session.scalars(select(User).where(User.email.like("v%@exemple.test"))).all()
    users = [u for u in users if not _db.session.scalar(select(Membership.id).where(Membership.user_id == u.id))]
    for user in users:
        membership = Membership(association_id=association.id, user_id=user.id, role="volunteer")
        _db.session.add(membership)
        _db.session.flush()
        profile = VolunteerProfile(association_id=association.id, membership_id=membership.id, user_id=user.id,
                                   skills="Écoute", search_key="benevole")
        _db.session.add(profile)
        _db.session.flush()
        _db.session.add_all([Qualification(association_id=association.id, profile_id=profile.id, code=code,
                                           obtained_on=date(2025, 1, 1), valid_until=date(2027, 1, 1))
                             for code in ("coaching_rh", "coaching_image")])
        _db.session.add(Availability(association_id=association.id, user_id=user.id, weekday=1, starts=time(9, 0),
                                     ends=time(12, 0), valid_from=date(2025, 1, 1)))
    _db.session.commit()


@pytest.mark.parametrize("query", ["", "?sort=last_session&expiring=1", "?q=bene&weekday=1&idle=1&status=all"])
def test_the_directory_runs_the_same_number_of_queries_for_10_and_500_volunteers(client, staff, bordeaux,
                                                                                 count_queries, query):
    def queries():
        with count_queries() as statements:
            assert client.get(f"/a/bordeaux/volunteers{query}").status_code == 200
        return len(statements)

    _add_volunteers(bordeaux, 10)
    ten = queries()
    _add_volunteers(bordeaux, 490)
    assert queries() == ten


# --- a volunteer's page and profile --------------------------------------------------------------------------


def test_the_volunteer_page_shows_profile_qualifications_sessions_hours_and_activity(client, staff, bordeaux):
    anne = make_volunteer(bordeaux, "Anne Martin")
    membership = anne.memberships[0]
    make_appointment(bordeaux, volunteer=anne, starts_at=datetime(2026, 10, 5, 9, 0, tzinfo=UTC), status="done")
    response = client.post(f"/a/bordeaux/volunteers/{membership.id}/edit", data={
        "phone": "06 12 34 56 78", "skills": "Recrutement", "languages": "français, arabe", "background": "DRH",
        "joined_on": "2024-05-01", "status": "active", "staff_notes": "Préfère les matins"})
    assert response.status_code == 302
    html = client.get(f"/a/bordeaux/volunteers/{membership.id}").get_data(as_text=True)
    for text in ("06 12 34 56 78", "Recrutement", "français, arabe", "DRH", "Préfère les matins",
                 "bénévole depuis le 1 mai 2024", "Coach RH", "heures d’accompagnement réalisées",
                 "fiche modifiée", "téléphone", "notes de l’équipe"):
        assert text in html, text
    assert "<strong>1</strong> heures d’accompagnement" in html  # the factory's remote module: 60 minutes


def test_a_refused_phone_is_shown_next_to_its_field(client, staff, bordeaux):
    membership = make_volunteer(bordeaux).memberships[0]
    response = client.post(f"/a/bordeaux/volunteers/{membership.id}/edit", data={"phone": "12", "status": "active"})
    assert response.status_code == 422 and 'id="phone-error"' in response.get_data(as_text=True)


def test_a_pause_needs_its_end_after_its_start(client, staff, bordeaux):
    membership = make_volunteer(bordeaux).memberships[0]
    response = client.post(f"/a/bordeaux/volunteers/{membership.id}/edit", data={
        "status": "paused", "paused_from": "2027-02-10", "paused_until": "2027-02-01"})
    assert response.status_code == 422 and "La fin de la pause doit suivre son début." in response.get_data(as_text=True)


def test_leaving_deactivates_the_membership_keeps_the_history_and_gives_training_places_back(client, staff, bordeaux):
    from intranet.volunteers.models import TrainingSession
    from tests.factories import make_training_session, network_training

    anne = make_volunteer(bordeaux, "Anne Martin")
    membership = anne.memberships[0]
    session = make_training_session(bordeaux, network_training("coaching_rh"), starts_at=utcnow() + timedelta(days=3),
                                    capacity=1)
    mine = services.enrol(session, profile_of(membership), by_staff=True)
    waiting = services.enrol(session, profile_of(make_volunteer(bordeaux).memberships[0]), by_staff=True,
                             now=utcnow() + timedelta(seconds=1))
    _db.session.commit()
    assert client.get(f"/a/bordeaux/volunteers/{membership.id}/leave").status_code == 200
    assert client.post(f"/a/bordeaux/volunteers/{membership.id}/leave").status_code == 302
    _db.session.refresh(membership)
    profile = profile_of(membership)
    assert membership.state == "deactivated" and profile.status == "left" and profile.left_on == date.today()
    assert mine.status == "cancelled" and waiting.status == "enrolled"
    assert _db.session.get(TrainingSession, session.id) is not None
    html = client.get(f"/a/bordeaux/volunteers/{membership.id}").get_data(as_text=True)
    assert "Parti·e" in html and "Coach RH" in html and "départ enregistré" in html
    assert client.post(f"/a/bordeaux/volunteers/{membership.id}/return").status_code == 302
    _db.session.refresh(membership)
    assert membership.state == "active" and profile_of(membership).status == "active"


def test_a_staff_member_does_not_leave_through_the_directory(client, staff, bordeaux):
    colleague = make_membership(bordeaux, "staff")
    client.post(f"/a/bordeaux/volunteers/{colleague.id}/leave")
    _db.session.refresh(colleague)
    assert colleague.state == "active"


def test_the_directory_links_to_the_invitation_for_admins(client, admin, bordeaux):
    html = _directory(client)
    assert 'href="/a/bordeaux/members"' in html and "Inviter un·e bénévole" in html


# --- who sees what -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/volunteers", "/volunteers/watch", "/trainings", "/trainings/new",
                                  "/training-sessions/new"])
def test_a_volunteer_never_opens_staff_pages(client, login_as, bordeaux, path):
    login_as("volunteer", bordeaux)
    assert client.get(f"/a/bordeaux{path}").status_code == 403


def test_a_volunteer_never_opens_another_volunteer_s_page(client, login_as, bordeaux):
    login_as("volunteer", bordeaux)
    other = make_volunteer(bordeaux, "Autre Bénévole").memberships[0]
    assert client.get(f"/a/bordeaux/volunteers/{other.id}").status_code == 403


def test_staff_notes_never_reach_the_volunteer(client, login_as, bordeaux):
    user = login_as("volunteer", bordeaux, name="Vera Bénévole")
    profile = services.profile_for(user.memberships[0])
    services.update_profile(profile, {"staff_notes": "Note confidentielle de l’équipe"})
    qualify(user.memberships[0], ["coaching_rh"])
    for path in ("/me/", "/me/trainings"):
        assert "Note confidentielle de l’équipe" not in client.get(path).get_data(as_text=True)


def test_the_network_catalogue_is_the_network_office_s(client, login_as, bordeaux):
    login_as("admin", bordeaux)
    assert client.get("/network/trainings").status_code == 403
    assert client.post("/network/trainings", data={"name": "X"}).status_code == 403
