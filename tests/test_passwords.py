"""The password policy: long enough for the role, not a common one, not one's own name."""

import re

import pytest
from sqlalchemy import func, select

from intranet.auth import services
from intranet.auth.models import User
from intranet.members.services import invite
from tests.factories import make_association, make_membership, make_user


def reset_link(user) -> str:
    return f"/reset/{services.make_token(user, services.PASSWORD_RESET)}"


def choose(client, user, password):
    return client.post(reset_link(user), data={"password": password, "confirm": password})


def field_error(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('id="password-error" class="field-error">')[1].split("</small>")[0]


@pytest.fixture
def staff(db):
    member = make_membership(make_association(), "staff", make_user("claire.dupont@exemple.test", name="Claire Dupont"))
    return member.user


@pytest.fixture
def volunteer(db):
    return make_membership(make_association(), "volunteer").user


@pytest.mark.parametrize("password", ["azertyuiop", "MotDePasse", "motdepasse2024!", "Soleil123456",
                                      "1234567890123", "qwertyuiop123"])
def test_common_passwords_are_refused_next_to_the_field(client, volunteer, password):
    response = choose(client, volunteer, password)
    assert response.status_code == 200
    assert "fait partie des plus répandus" in field_error(response)


def test_one_repeated_character_is_refused(client, staff):
    assert "Un seul caractère répété" in field_error(choose(client, staff, "aaaaaaaaaaaaaaa"))


def test_staff_need_twelve_characters(client, staff):
    assert "au moins 12 caractères" in field_error(choose(client, staff, "lune de miel"[:11]))


def test_a_volunteer_may_keep_ten_characters(client, volunteer):
    assert choose(client, volunteer, "lune de mi").status_code == 302


def test_the_network_office_needs_twelve_characters(db):
    office = make_user(is_network_office=True)
    assert "12" in services.password_problem("lune de mie", office)


def test_an_invited_staff_member_needs_twelve_characters(client, db, sent_mail):
    invite(make_association(), email="invitee@exemple.test", name="Inès Roux", role="staff", invited_by=None)
    db.session.commit()
    text = sent_mail("invitee@exemple.test")[0][1]
    link = re.search(r"/invitation/[\w-]+", text).group(0)
    page = client.get(link).get_data(as_text=True)
    assert "Au moins 12 caractères" in page
    response = client.post(link, data={"password": "lune de mie", "confirm": "lune de mie"})
    assert "au moins 12 caractères" in field_error(response)


def test_ones_own_email_or_name_is_refused(client, staff):
    assert "ni votre adresse e-mail ni votre nom" in field_error(choose(client, staff, "claire.dupont2025"))
    assert "ni votre adresse e-mail ni votre nom" in field_error(choose(client, staff, "Claire Dupont !!"))


def test_a_refused_password_changes_nothing(client, staff):
    before = staff.password_hash
    choose(client, staff, "azerty123456")
    assert staff.password_hash == before


def test_a_long_passphrase_is_accepted_without_composition_rules(client, staff):
    assert choose(client, staff, "le chat dort sur le canapé").status_code == 302


def test_the_demo_password_is_accepted_for_staff(staff):
    assert services.password_problem("tremplin-demo", staff) is None


def test_the_changed_password_follows_the_policy(client, login_as):
    login_as("admin", make_association())
    response = client.post("/account/password", data={"current": "correct horse battery", "password": "azerty123456",
                                                      "confirm": "azerty123456"})
    assert "fait partie des plus répandus" in field_error(response)


def test_create_admin_refuses_a_common_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "c@r.test", "--name", "C",
                                                "--password", "motdepasse123"])
    assert result.exit_code != 0 and "plus répandus" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_bundled_list_is_large_and_has_french_passwords():
    common = services.common_passwords()
    assert len(common) > 5000
    assert {"azerty", "motdepasse", "soleil", "123456"} <= common
