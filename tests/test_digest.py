"""The staff's daily digest: due in the evening, once a day per person, opt-out, in their language."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from intranet.extensions import db as _db
from intranet.members.models import Membership
from intranet.notifications.digest import send_digests
from intranet.notifications.models import OutboxMessage
from tests import factories as f

EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # 18:00 in Paris
TOMORROW_9 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@pytest.fixture
def staff(bordeaux):
    return f.make_membership(bordeaux, "staff", f.make_user(name="Sam Staff")).user


@pytest.fixture
def tomorrow(bordeaux):
    return f.make_appointment(bordeaux, starts_at=TOMORROW_9, name="Atelier CV",
                            volunteer=f.make_volunteer(bordeaux, "Claire Coach"),
                            beneficiary=f.make_beneficiary(bordeaux, first_name="Samira", last_name="Benali"))


def digests(to: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.kind == "daily_digest").order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(_db.session.scalars(query))


def test_the_digest_waits_for_six_in_the_evening_local_time(staff, tomorrow):
    send_digests(EVENING - timedelta(minutes=1))
    assert digests() == []
    send_digests(EVENING)
    assert len(digests(staff.email)) == 1


def test_one_digest_per_person_per_day(staff, tomorrow):
    assert send_digests(EVENING) == 1
    assert send_digests(EVENING + timedelta(minutes=1)) == 0
    assert send_digests(EVENING + timedelta(hours=4)) == 0
    assert len(digests()) == 1
    f.make_appointment(tomorrow and staff.memberships[0].association, starts_at=TOMORROW_9 + timedelta(days=1))
    send_digests(EVENING + timedelta(days=1))
    assert len(digests()) == 2


def test_the_digest_lists_tomorrows_sessions(staff, tomorrow, bordeaux):
    f.make_appointment(bordeaux, starts_at=TOMORROW_9 + timedelta(days=1), name="Trop tard")
    f.make_appointment(bordeaux, starts_at=TOMORROW_9, name="Annulée", status="cancelled")
    send_digests(EVENING)
    [message] = digests(staff.email)
    assert "09:00" in message.text_body and "Atelier CV" in message.text_body
    assert "Claire Coach" in message.text_body and "Samira Benali" in message.text_body
    assert "Trop tard" not in message.text_body and "Annulée" not in message.text_body
    assert "samedi 28 novembre" in message.text_body


def test_the_digest_lists_failed_mails(staff, bordeaux):
    f.make_outbox_message(bordeaux, status="failed", to_address="perdu@exemple.test", last_error="adresse refusée")
    f.make_outbox_message(f.make_association("nantes"), status="failed", to_address="ailleurs@exemple.test")
    send_digests(EVENING)
    [message] = digests(staff.email)
    assert "perdu@exemple.test" in message.text_body and "ailleurs@exemple.test" not in message.text_body


def test_nothing_to_say_sends_nothing(staff):
    send_digests(EVENING)
    assert digests() == []


def test_volunteers_get_no_digest_and_admins_do(bordeaux, tomorrow):
    admin = f.make_membership(bordeaux, "admin").user
    send_digests(EVENING)
    assert [m.to_address for m in digests()] == [admin.email]


def test_the_opt_out_is_respected(bordeaux, tomorrow):
    kept = f.make_membership(bordeaux, "staff").user
    f.make_membership(bordeaux, "staff", digest=False)
    f.make_membership(bordeaux, "staff", active=False)
    send_digests(EVENING)
    assert [m.to_address for m in digests()] == [kept.email]


def test_the_digest_is_in_the_language_the_person_chose(bordeaux, tomorrow):
    user = f.make_membership(bordeaux, "staff", f.make_user(locale="en")).user
    send_digests(EVENING)
    [message] = digests(user.email)
    assert "Tomorrow at Tremplin Bordeaux" in message.subject
    assert "Saturday, November 28" in message.text_body and "Séances" not in message.text_body


def test_an_overseas_association_gets_it_at_its_own_evening(staff):
    reunion = f.make_association("reunion", timezone="Indian/Reunion")  # UTC+4
    user = f.make_membership(reunion, "staff").user
    f.make_appointment(reunion, starts_at=datetime(2026, 11, 28, 6, 0, tzinfo=UTC))
    send_digests(datetime(2026, 11, 27, 13, 59, tzinfo=UTC))
    assert digests(user.email) == []
    send_digests(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    assert len(digests(user.email)) == 1


def test_staff_opt_out_in_their_account(client, login_as, bordeaux, tomorrow):
    user = login_as("staff", bordeaux)
    nantes = f.make_association("nantes", name="Tremplin Nantes")
    f.make_membership(nantes, "admin", user)
    html = client.get("/account").get_data(as_text=True)
    assert "Recevoir le récapitulatif quotidien de Tremplin Bordeaux" in html
    assert "Recevoir le récapitulatif quotidien de Tremplin Nantes" in html
    nantes_membership = _db.session.scalar(select(Membership).where(Membership.association_id == nantes.id))
    assert client.post("/account/digest", data={"memberships": [nantes_membership.id]}).status_code == 302
    _db.session.expire_all()
    assert {m.association_id: m.digest for m in user.memberships} == {bordeaux.id: False, nantes.id: True}
    send_digests(EVENING)
    assert digests(user.email) == []


def test_a_volunteer_has_no_digest_choice_and_cannot_set_anothers(client, login_as, bordeaux):
    login_as("volunteer", bordeaux)
    other = f.make_membership(bordeaux, "staff")
    assert "récapitulatif" not in client.get("/account").get_data(as_text=True)
    response = client.post("/account/digest", data={"memberships": [other.id]})
    assert response.status_code == 422
    _db.session.refresh(other)
    assert other.digest is True
