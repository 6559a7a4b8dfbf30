"""Appointment e-mails: confirmation with a calendar invitation and the personal link, change, cancellation."""

from datetime import date, time

import pytest
from icalendar import Calendar
from sqlalchemy import select

from config import TestConfig
from intranet import create_app
from intranet.calendar import booking
from intranet.clock import to_utc
from intranet.extensions import db as _db
from intranet.notifications.models import OutboxMessage
from tests.factories import make_beneficiary, make_volunteer, program
from tests.mailsink import MailSink, html_part, text_part

DAY = date(2027, 1, 5)


def _book(assoc, volunteer, beneficiary, at=time(10, 0)):
    return booking.book(assoc, booking.Request(
        module_id=program("remote").modules[0].id, starts_at=to_utc(DAY, at, assoc.timezone),
        volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78"))


def _mails(kind):
    return _db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                               .order_by(OutboxMessage.id)).all()


def _event(message):
    calendar = Calendar.from_ical(message.ics)
    return calendar, next(iter(calendar.walk("VEVENT")))


@pytest.fixture
def world(bordeaux, db):
    volunteer = make_volunteer(bordeaux, "Aïcha Diallo")
    beneficiary = make_beneficiary(bordeaux, first_name="Yasmine", email="yasmine@exemple.test")
    return bordeaux, volunteer, beneficiary


def test_a_booking_confirms_to_the_beneficiary_with_an_invitation_and_a_link(world, db):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary)
    (mail,) = _mails("appointment_confirmed")
    assert (mail.to_address, mail.beneficiary_id, mail.appointment_id) == ("yasmine@exemple.test", beneficiary.id,
                                                                           appointment.id)
    assert "mardi 5 janvier 2027" in mail.subject and "10:00" in mail.subject
    assert "Bonjour Yasmine," in mail.text_body and "06 12 34 56 78" in mail.text_body
    assert "/p/" in mail.text_body  # the personal link to cancel or move
    calendar, event = _event(mail)
    assert calendar["method"] == "REQUEST"
    assert event.decoded("dtstart") == appointment.starts_at and event["uid"] == f"appointment-{appointment.id}@tremplin"


def test_the_coach_is_told_in_their_own_language(world, db):
    assoc, volunteer, beneficiary = world
    volunteer.locale = "en"
    db.session.commit()
    _book(assoc, volunteer, beneficiary)
    (mail,) = _mails("coach_confirmed")
    assert mail.to_address == volunteer.email and "Yasmine" in mail.text_body and "Hello" in mail.text_body


def test_a_move_sends_an_update_of_the_same_event(world, db):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary)
    booking.move(assoc, appointment, starts_at=to_utc(DAY, time(15, 0), assoc.timezone), volunteer_id=volunteer.id,
                 resource_id=None)
    (mail,) = _mails("appointment_moved")
    _, event = _event(mail)
    assert event["uid"] == f"appointment-{appointment.id}@tremplin" and int(event["sequence"]) == 1
    assert "15:00" in mail.subject


def test_a_cancellation_sends_a_cancel_invitation(world, db):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary)
    booking.set_status(assoc, appointment, "cancelled", "Empêchement")
    (mail,) = _mails("appointment_cancelled")
    calendar, event = _event(mail)
    assert calendar["method"] == "CANCEL" and event["status"] == "CANCELLED"
    assert len(_mails("coach_cancelled")) == 1


def test_a_failed_booking_sends_nothing(world, db):
    assoc, volunteer, beneficiary = world
    _book(assoc, volunteer, beneficiary)
    with pytest.raises(booking.Conflict):
        _book(assoc, volunteer, make_beneficiary(assoc, email="autre@exemple.test"))
    assert [m.to_address for m in _mails("appointment_confirmed")] == ["yasmine@exemple.test"]


def test_no_e_mail_address_no_mail(world, db):
    assoc, volunteer, _ = world
    _book(assoc, volunteer, make_beneficiary(assoc, email=""))
    assert _mails("appointment_confirmed") == []


def test_the_association_s_sender_name_and_reply_to(world, db):
    assoc, volunteer, beneficiary = world
    assoc.mail_sender_name, assoc.mail_reply_to = "Tremplin Bordeaux", "bordeaux@exemple.test"
    db.session.commit()
    _book(assoc, volunteer, beneficiary)
    (mail,) = _mails("appointment_confirmed")
    assert (mail.sender, mail.reply_to) == ("Tremplin Bordeaux", "bordeaux@exemple.test")


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_the_received_mail_has_both_bodies_the_invitation_and_a_working_link(world, db, app, client):
    """Through a real SMTP server: headers, text and HTML, a valid .ics, and the link opens the booking page."""
    assoc, volunteer, beneficiary = world
    assoc.mail_sender_name, assoc.mail_reply_to = "Tremplin Bordeaux", "bordeaux@exemple.test"
    db.session.commit()
    sink = MailSink().start()

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT, REDIS_URL = "127.0.0.1", sink.port, ""

    smtp_app = create_app(Settings)
    try:
        with smtp_app.app_context(), smtp_app.test_request_context():
            from intranet.network.models import Association

            _book(_db.session.get(Association, assoc.id), volunteer, beneficiary)
            _db.session.commit()  # the mail leaves after the caller's commit
            smtp_app.extensions["jobs"].drain()
        (mail,) = sink.wait_for("yasmine@exemple.test")
    finally:
        sink.stop()
    assert mail["From"].startswith("Tremplin Bordeaux <") and mail["Reply-To"] == "bordeaux@exemple.test"
    assert "Bonjour Yasmine," in text_part(mail) and "<strong>" in html_part(mail)
    attachment = next(part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar")
    assert attachment.get_param("method") == "REQUEST"
    assert Calendar.from_ical(attachment.get_content())["method"] == "REQUEST"
    link = next(line for line in text_part(mail).splitlines() if "/p/" in line).strip()
    page = client.get(link.replace("http://localhost", ""))
    assert page.status_code == 200 and "Bonjour Yasmine" in page.get_data(as_text=True)


def _with_line(message) -> list[str]:
    """The people a coach's mail names, from its "Avec :" line."""
    line = next(line for line in message.text_body.splitlines() if line.startswith("Avec :"))
    return [name.strip() for name in line.removeprefix("Avec :").split(",")]


def test_the_coach_mail_of_a_collective_session_names_each_person_once(world, db):
    assoc, volunteer, beneficiary = world
    workshop = program("remote").modules[4]
    workshop.capacity = 3
    db.session.commit()
    second = make_beneficiary(assoc, first_name="Zoé")
    for person in (beneficiary, second):
        appointment = booking.book(assoc, booking.Request(
            module_id=workshop.id, starts_at=to_utc(DAY, time(10, 0), assoc.timezone), volunteer_id=volunteer.id,
            beneficiary_id=person.id, call_details="06 12 34 56 78"))
    (confirmed,) = _mails("coach_confirmed")
    assert _with_line(confirmed) == ["Yasmine"]
    booking.move(assoc, appointment, starts_at=to_utc(DAY, time(15, 0), assoc.timezone), volunteer_id=volunteer.id,
                 resource_id=None)
    (moved,) = _mails("coach_moved")
    assert _with_line(moved) == ["Yasmine", "Zoé"]


def test_cancelling_twice_tells_once(world, db):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary)
    booking.set_status(assoc, appointment, "cancelled", "Empêchement")
    booking.set_status(assoc, appointment, "cancelled", "Empêchement, bis")  # a second click, another person
    assert len(_mails("appointment_cancelled")) == 1 and len(_mails("coach_cancelled")) == 1


def test_a_cancelled_appointment_does_not_become_planned_again(world, db):
    assoc, volunteer, beneficiary = world
    appointment = _book(assoc, volunteer, beneficiary)
    booking.set_status(assoc, appointment, "cancelled", "Empêchement")
    with pytest.raises(booking.BookingError, match="réservez-en un nouveau"):
        booking.set_status(assoc, appointment, "planned")
