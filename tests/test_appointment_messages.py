"""Every appointment change reaches each person concerned once, with the right text and calendar data.

Each test reads what reached the suite's SMTP server, parsed from its bytes by the `email` package:
with REDIS_URL set the RQ worker delivers it; on the embedded defaults the test delivers the outbox
itself, in its own transaction, to the same server (`wire`).
"""

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from intranet.calendar import booking
from intranet.clock import to_utc, utcnow
from intranet.extensions import db as _db
from intranet.notifications import delivery
from intranet.notifications.models import OutboxMessage
from tests.factories import make_beneficiary, make_volunteer, program
from tests.mailsink import html_part, text_part

DAY = date(2027, 1, 5)  # a Tuesday
PARIS = "Europe/Paris"


@pytest.fixture
def wire(app, mail_sink, monkeypatch):
    """The messages an address received, in order, as the SMTP server parsed them from the bytes it got."""

    def received(address: str) -> list:
        if app.config["REDIS_URL"]:
            from tests.conftest import _wait_for_queued_jobs

            _wait_for_queued_jobs(app)  # the worker delivers what the commits handed out
        else:
            _deliver_here(app, mail_sink, monkeypatch)
        return mail_sink.to(address)

    return received


def _deliver_here(app, mail_sink, monkeypatch, now=None):
    """Deliver the due outbox to the suite's SMTP server from the test's own transaction (embedded defaults)."""
    with monkeypatch.context() as patch:
        mail = app.extensions["mail"]
        patch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        patch.setattr(mail, "server", "127.0.0.1")
        patch.setattr(mail, "port", mail_sink.port)
        patch.setattr(mail, "suppress", False)
        if now is not None:
            patch.setattr(delivery, "utcnow", lambda: now)
        _db.session.info.pop("outbox_new", None)  # handed out here, not to a background job
        moment = now or utcnow()
        ids = _db.session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.status == "pending",
            (OutboxMessage.due_at.is_(None)) | (OutboxMessage.due_at <= moment)).order_by(OutboxMessage.id)).all()
        if ids:
            delivery.deliver_batch(list(ids))


def invitation(message):
    """The calendar part of a message: its MIME method parameter and the parsed calendar."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), Calendar.from_ical(part.get_content())


def vevent(calendar):
    return next(iter(calendar.walk("VEVENT")))


def _book(assoc, volunteer, beneficiary, *, day=DAY, at=time(10, 0), module=None):
    return booking.book(assoc, booking.Request(
        module_id=(module or program("remote").modules[0]).id, starts_at=to_utc(day, at, PARIS),
        volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78"))


def _move(assoc, appointment, at, volunteer=None, day=DAY):
    booking.move(assoc, appointment, starts_at=to_utc(day, at, PARIS),
                 volunteer_id=(volunteer or appointment.volunteer).id, resource_id=appointment.resource_id)
    _db.session.commit()


@pytest.fixture
def people(bordeaux, db):
    coach = make_volunteer(bordeaux, "Aïcha Diallo")
    amina = make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test")
    return bordeaux, coach, amina


def _pending_reminders(appointment_id):
    return _db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.kind.in_(("appointment_reminder", "coach_reminder")),
        OutboxMessage.status == "pending").execution_options(populate_existing=True)).all()


# --- every change is told ------------------------------------------------------------------------------


def test_moving_back_to_an_earlier_time_is_told_each_time(people, wire, db):
    assoc, coach, amina = people
    appointment = _book(assoc, coach, amina)
    db.session.commit()
    for at in (time(15, 0), time(10, 0), time(15, 0)):
        _move(assoc, appointment, at)
    mails = wire("amina@exemple.test")
    assert [m["Subject"] for m in mails] == [
        "Votre rendez-vous du mardi 5 janvier 2027 à 10:00", "Rendez-vous déplacé au mardi 5 janvier 2027 à 15:00",
        "Rendez-vous déplacé au mardi 5 janvier 2027 à 10:00", "Rendez-vous déplacé au mardi 5 janvier 2027 à 15:00"]
    assert [int(vevent(invitation(m)[1])["sequence"]) for m in mails] == [0, 1, 2, 3]
    assert len(wire(coach.email)) == 4


def test_changing_only_the_coach_cancels_for_the_old_one_and_invites_the_new_one(people, wire, db):
    assoc, coach, amina = people
    other = make_volunteer(assoc, "Bruno Martin")
    appointment = _book(assoc, coach, amina)
    db.session.commit()
    _move(assoc, appointment, time(10, 0), volunteer=other)
    first, withdrawn = wire(coach.email)
    assert invitation(first)[0] == "REQUEST" and invitation(withdrawn)[0] == "CANCEL"
    assert "Bilan et projet professionnel" in withdrawn["Subject"] and "Amina" in text_part(withdrawn)
    (invited,) = wire(other.email)
    method, calendar = invitation(invited)
    assert method == "REQUEST" and invited["Subject"].startswith("Séance réservée :")
    sequence = {name: int(vevent(invitation(m)[1])["sequence"]) for name, m in (("first", first), ("withdrawn", withdrawn))}
    assert int(vevent(calendar)["sequence"]) == sequence["withdrawn"] > sequence["first"]
    assert [m["Subject"] for m in wire("amina@exemple.test")] == ["Votre rendez-vous du mardi 5 janvier 2027 à 10:00"]
    assert {m.to_address for m in _pending_reminders(appointment.id) if m.kind == "coach_reminder"} == {other.email}


def test_marking_it_excused_before_it_happens_cancels_its_reminders_and_frees_the_time(people, wire, db):
    assoc, coach, amina = people
    appointment = _book(assoc, coach, amina)
    db.session.commit()
    assert _pending_reminders(appointment.id)
    booking.set_status(assoc, appointment, "excused")
    db.session.commit()
    assert _pending_reminders(appointment.id) == []
    for address in ("amina@exemple.test", coach.email):
        *_, last = wire(address)
        assert invitation(last)[0] == "CANCEL"
    _book(assoc, coach, make_beneficiary(assoc))  # the coach is free again at that time


def test_a_staff_booking_names_the_beneficiary_once_in_the_coach_mail(people, client, login_as, wire, db):
    assoc, coach, amina = people
    login_as("staff", assoc)
    response = client.post("/a/bordeaux/calendar/book", data={
        "beneficiary_id": amina.id, "module_id": program("remote").modules[0].id, "day": DAY.isoformat(),
        "at": "10:00", "volunteer_id": coach.id, "resource_id": "", "call_details": "06 12 34 56 78"})
    assert response.status_code == 302
    (mail,) = wire(coach.email)
    assert [line for line in text_part(mail).splitlines() if line.startswith("Avec")] == ["Avec : Amina"]
    assert html_part(mail).count("Amina") == 1


def test_subjects_decode_on_the_wire_to_exactly_what_is_stored(people, wire, db):
    assoc, coach, amina = people
    # "Séance réservée : Coaching RH, mardi 7 décembre 2027 à 10:00" once reached the coach as "7décembre".
    appointment = _book(assoc, coach, amina, day=date(2027, 12, 7), module=program("in_person").modules[2])
    db.session.commit()
    stored = {m.to_address: m.subject for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.appointment_id == appointment.id, OutboxMessage.due_at.is_(None)))}
    assert stored[coach.email] == "Séance réservée : Coaching RH, mardi 7 décembre 2027 à 10:00"
    for address, subject in stored.items():
        (mail,) = wire(address)
        assert mail["Subject"] == subject


# --- invitations ---------------------------------------------------------------------------------------


def _check_invitation(message, recipient: str, assoc):
    """What Gmail, Outlook and Apple Calendar require of an iMIP message (RFC 5545/5546/6047)."""
    method, calendar = invitation(message)
    assert calendar["method"] == method  # the MIME method parameter and the calendar's METHOD agree
    event = vevent(calendar)
    assert event.get("dtstamp") is not None and event.get("uid")
    organizer = event["organizer"]
    assert str(organizer).lower().startswith("mailto:") and organizer.params["CN"] == assoc.name
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a).lower() for a in attendees] == [f"mailto:{recipient}"]
    zones = {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")}
    for name in ("dtstart", "dtend"):
        assert event[name].params.get("TZID") == PARIS and PARIS in zones
    return method, event


def test_invitations_validate_and_each_update_raises_the_sequence(people, wire, db):
    assoc, coach, amina = people
    appointment = _book(assoc, coach, amina)
    db.session.commit()
    _move(assoc, appointment, time(15, 0))
    booking.set_status(assoc, appointment, "cancelled", "Empêchement")
    db.session.commit()
    for address in ("amina@exemple.test", coach.email):
        checked = [_check_invitation(m, address, assoc) for m in wire(address)]
        assert [method for method, _ in checked] == ["REQUEST", "REQUEST", "CANCEL"]
        assert len({str(event["uid"]) for _, event in checked}) == 1
        sequences = [int(event["sequence"]) for _, event in checked]
        assert sequences == sorted(set(sequences)), sequences  # strictly increasing, the CANCEL included
        assert checked[1][1].decoded("dtstart") == to_utc(DAY, time(15, 0), PARIS)


# --- replies -------------------------------------------------------------------------------------------


def _reminder_on_the_wire(app, mail_sink, monkeypatch, appointment_id, address):
    reminder = _db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.kind == "appointment_reminder",
        OutboxMessage.to_address == address).order_by(OutboxMessage.due_at)).first()
    _deliver_here(app, mail_sink, monkeypatch, now=reminder.due_at + timedelta(minutes=1))
    (mail,) = [m for m in mail_sink.to(address) if m["Subject"].startswith("Rappel")]
    return mail


def test_a_reminder_invites_a_reply_only_when_replies_reach_the_association(app, people, mail_sink, monkeypatch,
                                                                             wire, db):
    assoc, coach, amina = people
    appointment = _book(assoc, coach, amina)
    db.session.commit()
    wire("amina@exemple.test")  # the confirmation left
    mail = _reminder_on_the_wire(app, mail_sink, monkeypatch, appointment.id, "amina@exemple.test")
    assert mail["Reply-To"] is None and mail["From"].addresses[0].username.startswith("ne-pas-repondre")
    assert "répondant à ce message" not in text_part(mail) and "Tremplin Bordeaux" in text_part(mail)

    assoc.mail_reply_to = "contact@bordeaux.exemple.test"
    other = make_beneficiary(assoc, first_name="Zoé", email="zoe@exemple.test")
    later = _book(assoc, coach, other, at=time(15, 0))
    db.session.commit()
    mail = _reminder_on_the_wire(app, mail_sink, monkeypatch, later.id, "zoe@exemple.test")
    assert mail["Reply-To"] == "contact@bordeaux.exemple.test" and "répondant à ce message" in text_part(mail)


def test_the_demo_associations_receive_replies(app, db):
    from intranet.demo import load_demo
    from intranet.network.models import Association

    load_demo()
    assert all(a.mail_reply_to for a in db.session.scalars(select(Association)))
