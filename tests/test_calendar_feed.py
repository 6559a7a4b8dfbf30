"""The volunteers' private calendar feed: their own sessions only, first names only, revocable."""

import hashlib
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text

from intranet.clock import utcnow
from intranet.extensions import db as _db
from intranet.notifications import feed
from tests.factories import make_appointment as appointment
from tests.factories import make_association, make_beneficiary, make_membership, make_user, make_volunteer


@pytest.fixture
def coach(bordeaux):
    return make_volunteer(bordeaux, "Camille Coach")


def events(client, token: str) -> list:
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data).walk("VEVENT")


def test_the_feed_holds_the_coachs_own_sessions(client, bordeaux, coach):
    soon = utcnow() + timedelta(days=3)
    mine = appointment(bordeaux, volunteer=coach, starts_at=soon, name="Atelier CV")
    appointment(bordeaux, starts_at=soon)  # another coach's
    appointment(bordeaux, volunteer=coach, starts_at=soon, status="cancelled")
    appointment(bordeaux, volunteer=coach, starts_at=utcnow() + timedelta(days=120))  # too far ahead
    appointment(bordeaux, volunteer=coach, starts_at=utcnow() - timedelta(days=40))  # too long ago
    done = appointment(bordeaux, volunteer=coach, starts_at=utcnow() - timedelta(days=10), status="done")
    found = events(client, feed.new_token(coach))
    assert sorted(str(e["uid"]) for e in found) == sorted(f"appointment-{a.id}@tremplin" for a in (mine, done))
    event = next(e for e in found if str(e["uid"]) == f"appointment-{mine.id}@tremplin")
    assert str(event["summary"]) == "Atelier CV — Tremplin Bordeaux"
    assert event.decoded("dtstart") == mine.starts_at.replace(microsecond=0)
    assert "06 00 00 00 00" in str(event["location"])


def test_the_feed_names_beneficiaries_by_first_name_only(client, bordeaux, coach):
    person = make_beneficiary(bordeaux, first_name="Samira", last_name="Discrète")
    appointment(bordeaux, volunteer=coach, beneficiary=person, starts_at=utcnow() + timedelta(days=2))
    response = client.get(f"/feeds/{feed.new_token(coach)}.ics")
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert "Samira" in str(event["description"])
    assert "Discrète" not in response.data.decode() and person.email not in response.data.decode()


def test_an_association_the_coach_left_drops_out_of_the_feed(client, bordeaux, coach):
    appointment(bordeaux, volunteer=coach, starts_at=utcnow() + timedelta(days=2))
    coach.memberships[0].active = False
    _db.session.commit()
    assert events(client, feed.new_token(coach)) == []


def test_a_revoked_or_replaced_token_opens_nothing(client, bordeaux, coach):
    old = feed.new_token(coach)
    new = feed.new_token(coach)
    _db.session.commit()  # as the request that made them does
    assert client.get(f"/feeds/{old}.ics").status_code == 404
    assert client.get(f"/feeds/{new}.ics").status_code == 200
    feed.revoke(coach)
    _db.session.commit()
    assert client.get(f"/feeds/{new}.ics").status_code == 404


def test_an_unknown_token_opens_nothing(client, bordeaux):
    assert client.get("/feeds/nope.ics").status_code == 404
    assert client.get(f"/feeds/{'x' * 43}.ics").status_code == 404


def _feed_address(page: str) -> str | None:
    found = re.search(r'id="feed-url" type="text" readonly value="http://localhost(/feeds/[^"]+\.ics)"', page)
    return found.group(1) if found else None


def test_the_volunteer_creates_and_switches_off_the_feed_in_their_space(client, bordeaux, login_as):
    user = login_as("volunteer", bordeaux)
    assert "Créer l’adresse de mon agenda" in client.get("/me/").get_data(as_text=True)
    client.post("/me/calendar-feed")
    first = _feed_address(client.get("/me/").get_data(as_text=True))
    assert first and client.get(first).status_code == 200
    client.post("/me/calendar-feed")
    second = _feed_address(client.get("/me/").get_data(as_text=True))
    assert second != first and client.get(first).status_code == 404 and client.get(second).status_code == 200
    client.post("/me/calendar-feed/off")
    _db.session.refresh(user)
    assert user.calendar_token_hash is None and client.get(second).status_code == 404


def test_the_feed_address_is_shown_once_and_only_its_digest_is_stored(client, bordeaux, login_as):
    user = login_as("volunteer", bordeaux)
    client.post("/me/calendar-feed")
    address = _feed_address(client.get("/me/").get_data(as_text=True))
    token = address.removeprefix("/feeds/").removesuffix(".ics")
    _db.session.refresh(user)
    assert user.calendar_token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = _db.session.execute(text('SELECT calendar_token_hash FROM "user" WHERE id = :id'), {"id": user.id})
    assert token not in str(stored.all())
    later = client.get("/me/").get_data(as_text=True)
    assert token not in later and _feed_address(later) is None
    assert "Votre agenda est partagé" in later


def test_someone_without_membership_gets_an_empty_feed(client):
    user = make_user()
    assert events(client, feed.new_token(user)) == []


def test_a_membership_elsewhere_does_not_show_sessions_of_an_association_one_is_not_in(client, bordeaux, coach):
    make_membership(make_association("nantes"), "volunteer", coach)
    appointment(bordeaux, volunteer=coach, starts_at=utcnow() + timedelta(days=2))
    assert len(events(client, feed.new_token(coach))) == 1


@pytest.mark.commits  # the migrations run on their own connection
def test_the_migration_turns_feed_addresses_into_digests_and_they_keep_working(client, db, coach):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import ROOT

    token, coach_id = "t" * 43, coach.id
    db.session.remove()
    downgrade(directory=str(ROOT / "migrations"), revision="0004_notifications")
    try:
        with db.engine.begin() as conn:
            conn.execute(text('UPDATE "user" SET calendar_token = :token WHERE id = :id'), {"token": token, "id": coach_id})
    finally:
        upgrade(directory=str(ROOT / "migrations"))
    stored = db.session.execute(text('SELECT calendar_token_hash FROM "user" WHERE id = :id'), {"id": coach_id})
    assert stored.scalar() == hashlib.sha256(token.encode()).hexdigest()
    assert client.get(f"/feeds/{token}.ics").status_code == 200
