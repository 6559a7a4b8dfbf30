"""Every appointment change reaches each person concerned once, with the right text and calendar data.

Each test reads what reached the suite's SMTP server, parsed from its bytes by the `email` package:
with REDIS_URL set the RQ worker delivers it; on the embedded defaults the test delivers the outbox
itself, in its own transaction, to the same server (`wire`).
"""

from datetime import date, time

import pytest
from sqlalchemy import select

from intranet.calendar import booking
from intranet.clock import to_utc, utcnow
from intranet.extensions import db as _db
from intranet.notifications import delivery
from intranet.notifications.models import OutboxMessage
from tests.factories import make_beneficiary, make_volunteer, program

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


def _book(assoc, volunteer, beneficiary, *, day=DAY, at=time(10, 0), module=None):
    return booking.book(assoc, booking.Request(
        module_id=(module or program("remote").modules[0]).id, starts_at=to_utc(day, at, PARIS),
        volunteer_id=volunteer.id, beneficiary_id=beneficiary.id, call_details="06 12 34 56 78"))


@pytest.fixture
def people(bordeaux, db):
    coach = make_volunteer(bordeaux, "Aïcha Diallo")
    amina = make_beneficiary(bordeaux, first_name="Amina", last_name="Traoré", email="amina@exemple.test")
    return bordeaux, coach, amina


# --- the wire ----------------------------------------------------------------------------------------


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
