"""The benchmark's generator (bench/scale.py) builds rows the app itself accepts, in the issue's proportions.

A tiny network is built into the test database: its pages open, its counts follow the proportions,
its rows keep the app's rules, and its mails are the ones the app's own code queues for the same
appointments and exits. So the generator cannot rot silently when the schema or the mails change.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import and_, func, select

from bench import scale
from bench.scale_mail import invitation
from intranet.auth.models import User
from intranet.auth.sessions import signed_in_state
from intranet.beneficiaries.models import Beneficiary, BeneficiaryStatus
from intranet.calendar.models import Appointment, AppointmentStatus, Seat
from intranet.extensions import db
from intranet.followups.jobs import send_follow_ups
from intranet.journeys.models import Journey, JourneyModule, ModuleStatus
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.notifications import appointments, ics
from intranet.notifications.models import OutboxMessage
from intranet.urls import external_url

FILES = 200
pytestmark = pytest.mark.commits  # the generator writes through its own connection


@pytest.fixture
def network(db):
    counts = scale.build(associations=2, files=FILES)
    db.session.expire_all()
    return counts


def _client(app, email):
    client = app.test_client()
    user = db.session.scalar(select(User).where(User.email == email))
    with client.session_transaction() as session:
        session.update(signed_in_state(user))
    return client


def test_generated_pages_open_for_each_role(app, network, db):
    slug = scale.slug_of(1)
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    beneficiary_id = db.session.scalar(select(Beneficiary.id).where(
        Beneficiary.association_id == association.id, Beneficiary.status == "completed").limit(1))
    pages = {
        "reseau@bench.test": ["/network/", "/network/mailbox"],
        f"admin.{slug}@bench.test": [f"/a/{slug}/mailbox", f"/a/{slug}/members"],
        f"staff1.{slug}@bench.test": [f"/a/{slug}/beneficiaries", f"/a/{slug}/beneficiaries?q=garn",
                                      f"/a/{slug}/beneficiaries/{beneficiary_id}", f"/a/{slug}/follow-ups",
                                      f"/a/{slug}/calendar"],
        f"benevole3.{slug}@bench.test": ["/me/"],
    }
    for email, paths in pages.items():
        client = _client(app, email)
        for path in paths:
            assert client.get(path).status_code == 200, path


def test_counts_follow_the_proportions(network, db):
    per_file = {table: network[table] / FILES for table in ("appointment", "outbox_message")}
    assert db.session.scalar(select(func.count()).select_from(Association)) == 3  # and the national space
    assert network["beneficiary"] == FILES
    assert network["membership"] == 1 + 2 * (1 + scale.STAFF + scale.VOLUNTEERS)
    assert 3.5 <= per_file["appointment"] <= 4.6
    assert 17 <= per_file["outbox_message"] <= 26
    assert scale.Plan.of(100) == scale.Plan(100, 7_000)
    assert scale.Plan.of(0.05) == scale.Plan(1, 350)


def test_rows_keep_the_app_rules(network, db):
    assert set(db.session.scalars(select(Beneficiary.status).distinct())) <= set(BeneficiaryStatus.values())
    assert set(db.session.scalars(select(Appointment.status).distinct())) <= set(AppointmentStatus.values())
    assert set(db.session.scalars(select(JourneyModule.status).distinct())) <= set(ModuleStatus.values())
    # No coach, and no studio, in two sessions at once.
    other = Appointment.__table__.alias("other")
    for column in ("volunteer_id", "resource_id"):
        overlaps = db.session.scalar(select(func.count()).select_from(Appointment).join(other, and_(
            other.c[column] == getattr(Appointment, column), other.c.id != Appointment.id,
            other.c.status != "cancelled", other.c.starts_at < Appointment.ends_at,
            other.c.ends_at > Appointment.starts_at)).where(Appointment.status != "cancelled"))
        assert overlaps == 0, column
    # Each seat is the journey module of its own beneficiary, which follows the appointment.
    rows = db.session.execute(select(Seat, Appointment, JourneyModule, Journey)
                              .join(Appointment, Appointment.id == Seat.appointment_id)
                              .join(JourneyModule, JourneyModule.id == Seat.journey_module_id)
                              .join(Journey, Journey.id == JourneyModule.journey_id)).all()
    assert len(rows) == network["seat"]
    follows = {"planned": "planned", "done": "done", "no_show": "missed"}
    for seat, appointment, item, journey in rows:
        assert journey.beneficiary_id == seat.beneficiary_id
        if appointment.status != "cancelled":
            assert item.status == follows[appointment.status]
            assert item.coach_id == appointment.volunteer_id
    # Mail that left keeps no personal link; mail still to come waits for its time.
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert all(m.secret_links == "" for m in messages)
    assert all(m.sent_at is not None for m in messages if m.status == "sent")
    assert all(m.due_at is not None and m.due_at > m.created_at for m in messages if m.status == "pending")
    assert {m.status for m in messages} <= {"sent", "pending", "cancelled"}


def _stored(message: OutboxMessage) -> tuple:
    # DTSTAMP is the moment the invitation was made: the generator gives the booking's, the app its own.
    ics_lines = [line for line in message.ics.split("\r\n") if not line.startswith("DTSTAMP:")]
    return (message.kind, message.to_address, message.beneficiary_id, message.appointment_id, message.due_at,
            message.subject, message.text_body, message.html_body, ics_lines)


def test_appointment_mails_are_those_the_app_queues(network, db):
    now = datetime.now(UTC)
    appointment = db.session.scalars(
        select(Appointment).join(Seat, Seat.appointment_id == Appointment.id)
        .join(Beneficiary, Beneficiary.id == Seat.beneficiary_id)
        .where(Appointment.status == "planned", Appointment.starts_at > now,
               Appointment.mode == "in_person", Beneficiary.email != "").order_by(Appointment.id)).first()
    assert appointment is not None, "no appointment far enough ahead to be booked again"
    seat = appointment.seats[0]
    association = db.session.get(Association, appointment.association_id)
    generated = {m.key: _stored(m) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.appointment_id == appointment.id))}
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.appointment_id == appointment.id))
    # What a staff booking queues: confirmations to the person (with a personal link) and the coach, reminders.
    appointments.booked(association, appointment, seat.beneficiary,
                        external_url("selfbooking.home", token="a-fresh-token-for-this-booking"))
    queued = {m.key: _stored(m) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.appointment_id == appointment.id))}
    db.session.rollback()
    assert len(queued) >= 2
    for key, stored in queued.items():
        assert key in generated, key
        assert generated[key] == stored, key


def test_follow_up_mails_are_those_the_app_queues(network, db):
    follow_ups = select(func.count()).where(OutboxMessage.kind.like("follow_up_%"))
    before = db.session.scalar(follow_ups)
    # Unanswered one-month mails recent enough for the tick to send them again, were they not there.
    recent = (select(OutboxMessage).join(Journey, and_(OutboxMessage.beneficiary_id == Journey.beneficiary_id,
                                                       Journey.answer_1m == ""))
              .where(OutboxMessage.kind == "follow_up_1m",
                     OutboxMessage.created_at >= datetime.now(UTC) - timedelta(days=50)))
    generated = {m.key: _stored(m) for m in db.session.scalars(recent)}
    assert generated, "no follow-up mail recent enough to be queued again"
    db.session.execute(OutboxMessage.__table__.delete().where(OutboxMessage.key.in_(list(generated))))
    db.session.commit()
    send_follow_ups(datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC) + timedelta(hours=1))
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(list(generated)))).all()
    assert {m.key for m in queued} == set(generated)
    for message in queued:
        assert generated[message.key] == _stored(message), message.key
    assert db.session.scalar(follow_ups) == before  # nothing the generator left out


@pytest.mark.parametrize("summary, location, description", [
    ("Coaching en image — Tremplin Bordeaux", "Tremplin Bordeaux, Bordeaux — Studio photo", ""),
    ("Préparation à l’entretien — Tremplin Clermont-Ferrand 2", "Visio : https://visio.exemple.test/tremplin",
     "Visio : https://visio.exemple.test/tremplin"),
    ("Un nom; avec, des \\ signes " + "é" * 40, "Lieu, très long " * 6, "ligne 1\nligne 2"),
])
@pytest.mark.parametrize("timezone", ["Europe/Paris", "Indian/Reunion"])
def test_invitations_are_those_of_the_app(summary, location, description, timezone):
    starts_at = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    values = {"uid": "appointment-42@tremplin", "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=1),
              "timezone": timezone, "summary": summary, "location": location, "description": description,
              "sequence": 1, "organizer": "ne-pas-repondre@tremplin.test", "organizer_name": "Tremplin L’Haÿ, Nord",
              "attendee": ("Zoé d’Arc; \"Jo\"", "zoe@exemple.test")}
    for cancelled in (False, True):
        made = ics.invitation(**values, cancelled=cancelled)
        stamp = next(line for line in made.split("\r\n") if line.startswith("DTSTAMP:"))
        moment = datetime.strptime(stamp, "DTSTAMP:%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert invitation(**values, stamp=moment, cancelled=cancelled) == made


def test_a_second_build_is_refused(network):
    with pytest.raises(SystemExit):
        scale.build(associations=1, files=1)


def test_members_of_the_generated_network_are_active(network, db):
    states = set(db.session.scalars(select(Membership.state).distinct()))
    assert states == {"active"}


def test_old_mails_are_as_the_retention_job_leaves_them(app, network, db):
    from intranet.notifications.retention import drop_old_bodies

    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cutoff = now - timedelta(days=app.config["MAIL_RETENTION_DAYS"])
    old = select(func.count()).where(OutboxMessage.created_at < cutoff, OutboxMessage.status != "pending")
    assert db.session.scalar(old) > 0
    assert db.session.scalar(old.where(OutboxMessage.purged_at.is_(None))) == 0
    assert db.session.scalar(old.where(OutboxMessage.text_body != "")) == 0
    assert db.session.scalar(old.where(OutboxMessage.ics != "")) == 0
    assert db.session.scalar(old.where(OutboxMessage.subject == "")) == 0  # the metadata stays
    recent = select(func.count()).where(OutboxMessage.created_at >= cutoff + timedelta(days=1))
    assert db.session.scalar(recent.where(OutboxMessage.text_body == "")) == 0
    assert drop_old_bodies(now) == 0  # nothing the job would still clear
    db.session.rollback()


def test_members_of_the_generated_network_are_found_by_the_members_search(network, db):
    from intranet.search import search_key

    for membership in db.session.scalars(select(Membership)).all():
        assert membership.search_key == search_key(membership.display_name, membership.user.email)
