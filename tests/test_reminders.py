"""Reminders before appointments: due times on the association's clock, cancelled with the appointment,
sent once; and the association's mail settings."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from config import TestConfig
from intranet import create_app
from intranet.calendar import booking
from intranet.calendar.models import Seat
from intranet.clock import to_utc
from intranet.extensions import db as _db
from intranet.network.models import Association
from intranet.notifications import delivery, reminders, services
from intranet.notifications.models import OutboxMessage
from tests.factories import make_appointment, make_association, make_beneficiary, make_volunteer, program
from tests.mailsink import MailSink, text_part

PARIS = "Europe/Paris"


def _book(assoc, volunteer, beneficiary, day, at=time(10, 0)):
    return booking.book(assoc, booking.Request(
        module_id=program("remote").modules[0].id, starts_at=to_utc(day, at, assoc.timezone),
        volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78"))


def _reminders(kind="appointment_reminder", status=None):
    query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.due_at, OutboxMessage.id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return _db.session.scalars(query.execution_options(populate_existing=True)).all()


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def now(monkeypatch):
    """The clock of scheduling and delivery, set by the test (before any 2027 appointment by default)."""
    clock = {"now": _utc(2027, 1, 1, 12, 0)}
    monkeypatch.setattr(reminders, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(delivery, "utcnow", lambda: clock["now"])
    return clock


@pytest.fixture
def world(bordeaux, db, now):
    volunteer = make_volunteer(bordeaux, "Aïcha Diallo")
    beneficiary = make_beneficiary(bordeaux, first_name="Yasmine", email="yasmine@exemple.test")
    return bordeaux, volunteer, beneficiary


@pytest.mark.parametrize(("day", "days_before", "eve"), [
    # Tuesday after the spring change (Sunday 28 March 2027): all three on summer time.
    (date(2027, 3, 30), _utc(2027, 3, 28, 8, 0), _utc(2027, 3, 29, 6, 0)),
    # Monday 29 March: two days before is Saturday, still on winter time (10:00 Paris = 09:00 UTC).
    (date(2027, 3, 29), _utc(2027, 3, 27, 9, 0), _utc(2027, 3, 28, 6, 0)),
    # Monday 1 November, after the autumn change (Sunday 31 October): Saturday is still summer time.
    (date(2027, 11, 1), _utc(2027, 10, 30, 8, 0), _utc(2027, 10, 31, 7, 0)),
    # Tuesday 2 November: Sunday 31 October 10:00 is already winter time.
    (date(2027, 11, 2), _utc(2027, 10, 31, 9, 0), _utc(2027, 11, 1, 7, 0)),
])
def test_reminders_keep_their_local_time_across_clock_changes(world, day, days_before, eve):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary, day)
    rows = _reminders()
    assert [r.due_at for r in rows] == [days_before, eve]
    assert all(r.next_attempt_at == r.due_at and r.status == "pending" for r in rows)
    assert {(r.to_address, r.beneficiary_id, r.appointment_id) for r in rows} == {
        ("yasmine@exemple.test", beneficiary.id, appointment.id)}
    assert "Rappel" in rows[0].subject and "06 12 34 56 78" in rows[0].text_body


def test_the_coach_is_reminded_the_day_before_at_the_eve_hour(world):
    assoc, volunteer, beneficiary = world
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    (mail,) = _reminders("coach_reminder")
    assert mail.to_address == volunteer.email and mail.due_at == _utc(2027, 3, 29, 6, 0)
    assert "Yasmine" in mail.text_body and "Bonjour" in mail.text_body


def test_the_coach_is_reminded_at_six_in_the_evening_without_an_eve_hour(world, db):
    assoc, volunteer, beneficiary = world
    assoc.reminder_eve_hour = None
    db.session.commit()
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    (mail,) = _reminders("coach_reminder")
    assert mail.due_at == _utc(2027, 3, 29, 16, 0)


def test_an_english_speaking_coach_gets_the_reminder_in_english(world, db):
    assoc, volunteer, beneficiary = world
    volunteer.locale = "en"
    db.session.commit()
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    (mail,) = _reminders("coach_reminder")
    assert mail.subject.startswith("Reminder:") and "Tuesday, March 30, 2027" in mail.subject
    assert "Hello" in mail.text_body and "Bonjour" not in mail.text_body
    (beneficiary_mail, _) = _reminders()
    assert "Bonjour Yasmine" in beneficiary_mail.text_body  # the beneficiary's stays in French


def test_no_days_before_means_only_the_eve_reminder(world, db):
    assoc, volunteer, beneficiary = world
    assoc.reminder_days_before = 0
    db.session.commit()
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    assert [r.due_at for r in _reminders()] == [_utc(2027, 3, 29, 6, 0)]


def test_no_eve_hour_means_only_the_days_before_reminder(world, db):
    assoc, volunteer, beneficiary = world
    assoc.reminder_days_before, assoc.reminder_eve_hour = 3, None
    db.session.commit()
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    assert [r.due_at for r in _reminders()] == [_utc(2027, 3, 27, 9, 0)]


def test_reminders_already_past_are_not_queued(world, now):
    assoc, volunteer, beneficiary = world
    now["now"] = _utc(2027, 3, 28, 20, 0)  # after the 2-days-before time, before the eve
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    assert [r.due_at for r in _reminders()] == [_utc(2027, 3, 29, 6, 0)]
    now["now"] = _utc(2027, 3, 29, 7, 0)
    _book(assoc, volunteer, make_beneficiary(assoc, email="tard@exemple.test"), date(2027, 3, 30), time(15, 0))
    assert [r.to_address for r in _reminders()] == ["yasmine@exemple.test"]


def test_no_e_mail_address_no_reminder(world):
    assoc, volunteer, _ = world
    _book(assoc, volunteer, make_beneficiary(assoc, email=""), date(2027, 3, 30))
    assert _reminders() == [] and len(_reminders("coach_reminder")) == 1


def test_a_cancelled_appointment_s_reminders_are_cancelled_and_never_sent(world, now):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    booking.set_status(assoc, appointment, "cancelled", "Empêchement")
    assert {r.status for r in _reminders() + _reminders("coach_reminder")} == {"cancelled"}
    assert _reminders("appointment_cancelled")[0].status == "pending"  # the cancellation itself still goes
    now["now"] = _utc(2027, 3, 29, 12, 0)
    due = _db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind.in_(reminders.KINDS))).all()
    assert delivery.deliver_batch(due) == ["skipped"] * len(due)


def test_a_moved_appointment_gets_reminders_for_its_new_time_only(world):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    booking.move(assoc, appointment, starts_at=to_utc(date(2027, 4, 6), time(15, 0), PARIS),
                 volunteer_id=volunteer.id, resource_id=None)
    assert [r.due_at for r in _reminders(status="cancelled")] == [_utc(2027, 3, 28, 8, 0), _utc(2027, 3, 29, 6, 0)]
    assert [r.due_at for r in _reminders(status="pending")] == [_utc(2027, 4, 4, 13, 0), _utc(2027, 4, 5, 6, 0)]
    assert [r.due_at for r in _reminders("coach_reminder", status="pending")] == [_utc(2027, 4, 5, 6, 0)]


def test_a_move_to_another_coach_at_the_same_time_reminds_the_new_coach(world):
    assoc, volunteer, beneficiary = world
    other = make_volunteer(assoc, "Pierre Garnier")
    appointment = _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    booking.move(assoc, appointment, starts_at=appointment.starts_at, volunteer_id=other.id, resource_id=None)
    assert [r.to_address for r in _reminders("coach_reminder", status="pending")] == [other.email]
    assert len(_reminders(status="pending")) == 2


def test_a_freed_seat_cancels_only_that_person_s_reminders(world):
    assoc, volunteer, beneficiary = world
    appointment = make_appointment(assoc, starts_at=to_utc(date(2027, 3, 30), time(10, 0), PARIS),
                                   beneficiary=beneficiary, volunteer=volunteer)
    other = make_beneficiary(assoc, email="karim@exemple.test")
    _db.session.add(Seat(association_id=assoc.id, appointment_id=appointment.id, beneficiary_id=other.id))
    _db.session.commit()
    _db.session.refresh(appointment)
    reminders.schedule(assoc, appointment)
    seat = next(s for s in appointment.seats if s.beneficiary_id == other.id)
    booking.cancel_seat(seat, "Empêchement")
    _db.session.commit()
    assert {(r.to_address, r.status) for r in _reminders(status="pending")} == {("yasmine@exemple.test", "pending")}
    assert {r.status for r in _reminders() if r.to_address == "karim@exemple.test"} == {"cancelled"}
    (coach,) = _reminders("coach_reminder", status="pending")  # again, naming the people still coming
    assert "Yasmine" in coach.text_body and "Prénom" not in coach.text_body.split("Avec :")[1]


def test_scheduling_twice_queues_nothing_twice(world):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    reminders.schedule(assoc, appointment)
    _db.session.commit()
    assert len(_reminders()) == 2 and len(_reminders("coach_reminder")) == 1


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_a_due_reminder_is_delivered_once_even_if_the_tick_runs_twice(world, db, app, now):
    """Through a real SMTP server, with the association's sender and reply-to."""
    assoc, volunteer, beneficiary = world
    assoc.mail_sender_name, assoc.mail_reply_to = "Tremplin Bordeaux", "bordeaux@exemple.test"
    db.session.commit()
    _book(assoc, volunteer, beneficiary, date(2027, 3, 30))
    db.session.commit()  # booked by a request
    sink = MailSink().start()

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT, REDIS_URL = "127.0.0.1", sink.port, ""

    smtp_app = create_app(Settings)
    try:
        with smtp_app.app_context():
            # Before its time, the tick hands out no reminder (the confirmations, due at once, go).
            # Each run is committed by the tick; its messages go to delivery after that commit.
            delivery.hand_out_due_mail(_utc(2027, 3, 28, 7, 59))
            _db.session.commit()
            smtp_app.extensions["jobs"].drain()
            sink.clear()
            now["now"] = _utc(2027, 3, 28, 8, 1)
            assert delivery.hand_out_due_mail(now["now"]) == 1
            _db.session.commit()
            assert delivery.hand_out_due_mail(now["now"]) == 0  # leased by the first run
            _db.session.commit()
            smtp_app.extensions["jobs"].drain()
            assert delivery.hand_out_due_mail(now["now"] + timedelta(minutes=5)) == 0  # sent
            _db.session.commit()
            smtp_app.extensions["jobs"].drain()
        (mail,) = sink.wait_for("yasmine@exemple.test")
        assert sink.to(volunteer.email) == []  # the coach's is due the next morning
    finally:
        sink.stop()
    assert mail["Subject"].startswith("Rappel") and "Bonjour Yasmine," in text_part(mail)
    assert mail["From"].startswith("Tremplin Bordeaux <") and mail["Reply-To"] == "bordeaux@exemple.test"
    sent, waiting = _reminders()
    assert (sent.status, sent.sent_at, waiting.status) == ("sent", _utc(2027, 3, 28, 8, 1), "pending")


# --- the settings page --------------------------------------------------------------------------


def _settings(**changes):
    return {"reminder_days_before": "2", "reminder_eve_hour": "8", "mail_sender_name": "", "mail_reply_to": "",
            **changes}


def test_admins_see_the_mail_settings(client, login_as, db):
    assoc = make_association("bordeaux")
    login_as("admin", assoc)
    page = client.get("/a/bordeaux/resources").get_data(as_text=True)
    assert "Courriels" in page and 'name="reminder_eve_hour"' in page and 'value="8"' in page


def test_admins_save_the_mail_settings(client, login_as, db):
    assoc = make_association("bordeaux")
    login_as("admin", assoc)
    response = client.post("/a/bordeaux/resources/mail", data=_settings(
        reminder_days_before="3", reminder_eve_hour="", mail_sender_name=" Tremplin Bordeaux ",
        mail_reply_to="contact@bordeaux.exemple.test"))
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Association, assoc.id)
    assert (saved.reminder_days_before, saved.reminder_eve_hour, saved.mail_sender_name, saved.mail_reply_to) == (
        3, None, "Tremplin Bordeaux", "contact@bordeaux.exemple.test")


@pytest.mark.parametrize(("changes", "field"), [
    ({"reminder_days_before": "15"}, "reminder_days_before"),
    ({"reminder_days_before": ""}, "reminder_days_before"),
    ({"reminder_eve_hour": "24"}, "reminder_eve_hour"),
    ({"mail_reply_to": "pas-une-adresse"}, "mail_reply_to"),
    ({"mail_sender_name": "x" * 121}, "mail_sender_name"),
])
def test_bad_mail_settings_are_refused_next_to_the_field(client, login_as, db, changes, field):
    assoc = make_association("bordeaux")
    login_as("admin", assoc)
    response = client.post("/a/bordeaux/resources/mail", data=_settings(mail_sender_name="Nouveau nom", **changes)
                           if field != "mail_sender_name" else _settings(**changes))
    assert response.status_code == 422
    assert f'id="mail-{field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Association, assoc.id)
    assert (saved.reminder_days_before, saved.reminder_eve_hour, saved.mail_sender_name) == (2, 8, "")


def test_staff_cannot_change_the_mail_settings(client, login_as, db):
    assoc = make_association("bordeaux")
    login_as("staff", assoc)
    assert client.post("/a/bordeaux/resources/mail", data=_settings(reminder_days_before="5")).status_code == 403
    db.session.expire_all()
    assert db.session.get(Association, assoc.id).reminder_days_before == 2
