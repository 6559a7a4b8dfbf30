"""Session logs from /me (the window, the journey, notes for the next coach), reminders, other activities, the
self-pause, hours and their value (corrections, rate changes), the certificate; who sees what."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from intranet.audit.models import AuditEntry
from intranet.calendar.models import Appointment
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.members.models import Membership
from intranet.notifications.models import OutboxMessage
from intranet.rules import RuleError
from intranet.volunteers import gate, hours, jobs, logs
from intranet.volunteers.models import SessionLog, VolunteerStatus
from tests.factories import (
    make_appointment,
    make_journey,
    make_membership,
    make_session_log,
    make_volunteer,
    make_volunteer_activity,
    profile_of,
    program,
)


def _signed_in(client, user):
    from intranet.auth.sessions import signed_in_state

    with client.session_transaction() as session:
        session.update(signed_in_state(user))


def _session(association, volunteer, *, ago=timedelta(hours=2), journey=None, position=0):
    """A session of `volunteer` that began `ago`, linked to a module of `journey` (made when None)."""
    journey = journey or make_journey(association)
    item = journey.modules[position]
    appointment = make_appointment(association, volunteer=volunteer, beneficiary=journey.beneficiary,
                                   starts_at=(utcnow() - ago).replace(microsecond=0))
    appointment.seats[0].journey_module_id = item.id
    item.status, item.coach_id = "planned", volunteer.id
    db.session.commit()
    return appointment, item


@pytest.fixture
def coach(client, bordeaux):
    user = make_volunteer(bordeaux, "Camille Coach")
    _signed_in(client, user)
    return user


# --- logging from /me ----------------------------------------------------------------------------------


def test_a_started_session_waits_under_a_completer_with_a_one_tap_button(client, bordeaux, coach):
    appointment, _item = _session(bordeaux, coach)
    html = client.get("/me/").get_data(as_text=True)
    assert "À compléter" in html and appointment.name in html
    assert f"/me/appointments/{appointment.id}/done" in html and "Réalisé comme prévu" in html


def test_realise_comme_prevu_marks_the_appointment_and_the_journey_done_at_the_planned_length(client, bordeaux,
                                                                                              coach):
    appointment, item = _session(bordeaux, coach)
    response = client.post(f"/me/appointments/{appointment.id}/done")
    assert response.status_code == 302
    db.session.expire_all()
    log = db.session.scalar(select(SessionLog).where(SessionLog.appointment_id == appointment.id))
    assert (log.outcome, log.minutes) == ("done", logs.planned_minutes(appointment))
    assert db.session.get(Appointment, appointment.id).status == "done"
    assert item.status == "done" and item.happened_on is not None
    assert f"/me/appointments/{appointment.id}/done" not in client.get("/me/").get_data(as_text=True)


def test_the_form_records_an_absence_the_duration_and_notes_on_the_journey(client, bordeaux, coach):
    appointment, item = _session(bordeaux, coach)
    page = client.get(f"/me/appointments/{appointment.id}/log").get_data(as_text=True)
    assert f'value="{logs.planned_minutes(appointment)}"' in page
    assert re.search(r'<input checked[^>]*value="done"', page)
    response = client.post(f"/me/appointments/{appointment.id}/log",
                           data={"outcome": "no_show", "minutes": "15", "notes": "Injoignable, rappeler mardi.",
                                 "next_module_id": "None"})
    assert response.status_code == 302, re.findall(r'field-error[^<]*<', response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "no_show"
    assert item.status == "missed" and "Injoignable, rappeler mardi." in item.notes


def test_a_session_not_begun_cannot_be_logged(bordeaux):
    volunteer = make_volunteer(bordeaux)
    appointment, _ = _session(bordeaux, volunteer, ago=timedelta(hours=-3))
    with pytest.raises(RuleError):
        logs.log_session(bordeaux, appointment, by=volunteer, outcome="done", minutes=60, notes="",
                         next_module_id=None, staff=False)


def test_the_log_window_14_days_to_log_7_to_correct_then_staff_only(bordeaux):
    volunteer = make_volunteer(bordeaux)
    staff_user = make_membership(bordeaux, "staff").user
    late, _ = _session(bordeaux, volunteer, ago=timedelta(days=16))
    with pytest.raises(RuleError, match="14 jours"):
        logs.log_session(bordeaux, late, by=volunteer, outcome="done", minutes=60, notes="", next_module_id=None,
                         staff=False)
    logs.log_session(bordeaux, late, by=staff_user, outcome="done", minutes=50, notes="", next_module_id=None,
                     staff=True)
    recent, _ = _session(bordeaux, volunteer, ago=timedelta(days=13))
    now = utcnow()
    log = logs.log_session(bordeaux, recent, by=volunteer, outcome="done", minutes=60, notes="", next_module_id=None,
                           staff=False, now=now)
    logs.log_session(bordeaux, recent, by=volunteer, outcome="done", minutes=75, notes="Correction",
                     next_module_id=None, staff=False, now=now + timedelta(days=6))
    assert log.minutes == 75
    with pytest.raises(RuleError, match="7 jours"):
        logs.log_session(bordeaux, recent, by=volunteer, outcome="done", minutes=80, notes="", next_module_id=None,
                         staff=False, now=now + timedelta(days=8))
    logs.log_session(bordeaux, recent, by=staff_user, outcome="done", minutes=80, notes="", next_module_id=None,
                     staff=True, now=now + timedelta(days=30))
    actions = list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "SessionLog", AuditEntry.object_id == log.id).order_by(AuditEntry.id)))
    assert actions == ["create", "update", "staff_correction"]


def test_a_volunteer_cannot_log_someone_elses_session(client, bordeaux, coach):
    other = make_volunteer(bordeaux)
    appointment, _ = _session(bordeaux, other)
    assert client.get(f"/me/appointments/{appointment.id}/log").status_code == 404
    assert client.post(f"/me/appointments/{appointment.id}/done").status_code == 404
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "planned"


# --- notes for the next coach ------------------------------------------------------------------------


def test_the_next_coach_of_the_journey_sees_the_notes_and_nobody_else(client, bordeaux, coach):
    first = make_volunteer(bordeaux, "Première Coach")
    journey = make_journey(bordeaux)
    appointment, _ = _session(bordeaux, first, journey=journey)
    logs.log_session(bordeaux, appointment, by=first, outcome="done", minutes=60, notes="Travailler le pitch xq7",
                     next_module_id=None, staff=False)
    coming = journey.modules[1]
    coming.coach_id, coming.status = coach.id, "planned"
    db.session.commit()
    assert "Travailler le pitch xq7" in client.get("/me/").get_data(as_text=True)
    stranger = make_volunteer(bordeaux, "Autre Bénévole")
    other_journey = make_journey(bordeaux)
    other_journey.modules[0].coach_id, other_journey.modules[0].status = stranger.id, "planned"
    db.session.commit()
    _signed_in(client, stranger)
    assert "Travailler le pitch xq7" not in client.get("/me/").get_data(as_text=True)


def test_staff_see_every_note_on_the_volunteer_page(client, staff, bordeaux):
    log = make_session_log(bordeaux, notes="Note pour la suite zz9")
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == log.volunteer_id))
    assert "Note pour la suite zz9" in client.get(f"/a/bordeaux/volunteers/{membership.id}").get_data(as_text=True)


# --- the reminder ------------------------------------------------------------------------------------


def test_one_reminder_the_day_after_a_session_not_logged(bordeaux):
    volunteer = make_volunteer(bordeaux)
    today_session, _ = _session(bordeaux, volunteer, ago=timedelta(hours=1))
    old, _ = _session(bordeaux, volunteer, ago=timedelta(days=2))
    logged, _ = _session(bordeaux, volunteer, ago=timedelta(days=3))
    make_session_log(bordeaux, logged)
    now = utcnow()
    jobs.send_log_reminders(now)
    jobs.send_log_reminders(now + timedelta(minutes=1))
    keys = list(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.kind == "session_log_reminder")))
    assert keys == [jobs.log_reminder_key(old.id)]


# --- activities and the pause ------------------------------------------------------------------------


def test_a_volunteer_logs_another_activity_from_me(client, bordeaux, coach):
    response = client.post("/me/activities", data={"association_id": bordeaux.id, "done_on": "2026-11-20",
                                                   "minutes": "120", "category": "clothes", "note": "Tri des dons"})
    assert response.status_code == 302
    assert "Tri des dons" in client.get("/me/activities").get_data(as_text=True)


def test_a_volunteer_pauses_themself_and_the_gate_refuses_them_then(client, bordeaux, coach):
    start = date.today() + timedelta(days=3)
    response = client.post("/me/pause", data={"association_id": bordeaux.id, "paused_from": start.isoformat(),
                                              "paused_until": (start + timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    assert gate.refusal(bordeaux.id, coach.id, "", start + timedelta(days=1))
    assert gate.refusal(bordeaux.id, coach.id, "", start - timedelta(days=1)) is None
    client.post("/me/pause/end", data={"association_id": bordeaux.id})
    db.session.expire_all()
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == coach.id))
    assert profile_of(membership).status == VolunteerStatus.ACTIVE


def test_a_volunteer_cannot_pause_in_an_association_they_do_not_belong_to(client, bordeaux, lyon, coach):
    response = client.post("/me/pause", data={"association_id": lyon.id, "paused_from": date.today().isoformat()})
    assert response.status_code in (404, 422)


# --- hours and their value -------------------------------------------------------------------------------


def test_hours_sum_logged_and_planned_durations_trainings_and_activities_at_the_rate_of_their_day(bordeaux):
    from tests.factories import make_training_enrolment, make_training_session

    volunteer = make_volunteer(bordeaux)
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == volunteer.id))
    profile = profile_of(membership)
    done_2025 = make_appointment(bordeaux, volunteer=volunteer, status="done",
                                 starts_at=datetime(2025, 12, 31, 9, tzinfo=UTC))
    make_session_log(bordeaux, done_2025, minutes=90)
    make_appointment(bordeaux, volunteer=volunteer, status="done", starts_at=datetime(2026, 1, 2, 9, tzinfo=UTC))
    make_appointment(bordeaux, volunteer=volunteer, status="cancelled", starts_at=datetime(2026, 1, 3, 9, tzinfo=UTC))
    session = make_training_session(bordeaux, starts_at=datetime(2026, 2, 1, 9, tzinfo=UTC), status="completed")
    session.ends_at = datetime(2026, 2, 1, 12, tzinfo=UTC)
    make_training_enrolment(bordeaux, session, profile=profile, attendance="present")
    make_volunteer_activity(bordeaux, profile, done_on=date(2026, 3, 1), minutes=120)
    planned = int(program("remote").modules[0].duration_minutes)
    found = hours.totals(hours.Scope(date(2025, 1, 1), date(2026, 12, 31), [bordeaux.id], volunteer.id))
    row = found[(bordeaux.id, volunteer.id)]
    assert row.minutes == {"coaching": 90 + planned, "training": 180, "other": 120}
    assert row.cents == round(90 * 1188 / 60) + round((planned + 180 + 120) * 1202 / 60)
    year_2025 = hours.totals(hours.Scope(date(2025, 1, 1), date(2025, 12, 31), [bordeaux.id]))
    assert year_2025[(bordeaux.id, volunteer.id)].minutes["coaching"] == 90


def test_a_new_rate_values_hours_from_its_date_only_and_a_staff_correction_changes_the_total(bordeaux):
    volunteer = make_volunteer(bordeaux)
    staff_user = make_membership(bordeaux, "staff").user
    before = make_appointment(bordeaux, volunteer=volunteer, status="done",
                              starts_at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    after = make_appointment(bordeaux, volunteer=volunteer, status="done", starts_at=datetime(2026, 7, 1, 9, tzinfo=UTC))
    make_session_log(bordeaux, before, minutes=60)
    log = make_session_log(bordeaux, after, minutes=60)
    hours.set_rate(effective_from=date(2026, 6, 1), cents=1500, note="", by=staff_user)
    scope = hours.Scope(date(2026, 1, 1), date(2026, 12, 31), [bordeaux.id], volunteer.id)
    assert hours.totals(scope)[(bordeaux.id, volunteer.id)].cents == 1202 + 1500
    logs.log_session(bordeaux, after, by=staff_user, outcome="done", minutes=120, notes=log.notes,
                     next_module_id=None, staff=True)
    assert hours.totals(scope)[(bordeaux.id, volunteer.id)].cents == 1202 + 3000
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "SessionLog",
                                                             AuditEntry.object_id == log.id)) == "staff_correction"


def test_the_certificate_and_the_network_page(client, bordeaux, login_as):
    volunteer = make_volunteer(bordeaux, "Inès Attestée")
    make_appointment(bordeaux, volunteer=volunteer, status="done", starts_at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    login_as("staff", bordeaux)
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == volunteer.id))
    html = client.get(f"/a/bordeaux/volunteers/{membership.id}/certificate?first=2026-01-01&last=2026-12-31") \
        .get_data(as_text=True)
    assert "Attestation de bénévolat" in html and "Inès Attestée" in html and "Tremplin Bordeaux" in html
    login_as("network")
    html = client.get("/network/volunteer-hours?year=2026").get_data(as_text=True)
    assert "Tremplin Bordeaux" in html and "12,02" in html
    assert client.post("/network/volunteer-hours/rates", data={"effective_from": "2027-01-01", "euros": "12.30",
                                                               "note": "SMIC 2027"}).status_code == 302
    assert hours.rate_on(date(2027, 2, 1)) == 1230 and hours.rate_on(date(2026, 2, 1)) == 1202


@pytest.mark.parametrize("url", ["/a/bordeaux/volunteers/hours"])
def test_a_volunteer_sees_no_staff_hours_page(client, bordeaux, coach, url):
    assert client.get(url).status_code in (403, 404)


def test_a_volunteer_sees_only_their_own_hours(client, bordeaux, coach):
    other = make_volunteer(bordeaux)
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == other.id))
    make_volunteer_activity(bordeaux, profile_of(membership), done_on=date.today(), minutes=600,
                            note="Activité d’une autre personne")
    html = client.get("/me/activities").get_data(as_text=True)
    assert "Activité d’une autre personne" not in html and "10 h" not in html


def test_the_demos_session_to_log_today_starts_on_a_quarter_hour(app):
    from intranet.auth.models import User
    from intranet.clock import local
    from intranet.demo import load_demo
    from intranet.volunteers.log_demo import TODAY_SESSION_OWNER

    load_demo()
    starts_at = db.session.scalar(  # begun, still planned: the session to log
        db.select(Appointment.starts_at).join(User, User.id == Appointment.volunteer_id)
        .where(User.email == TODAY_SESSION_OWNER, Appointment.status == "planned", Appointment.starts_at <= utcnow()))
    at = local(starts_at, "Europe/Paris")
    assert (at.minute % 15, at.second) == (0, 0) or (at.hour, at.minute) == (0, 1)  # 9:15, never 9:16
