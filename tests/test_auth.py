"""Sign-in, throttling, password links, sessions."""

from datetime import UTC, datetime, timedelta

import pytest

from intranet.auth import services
from intranet.auth.models import LoginAttempt
from intranet.auth.sessions import signed_in_state
from intranet.clock import utcnow
from tests.factories import PASSWORD, make_association, make_membership, make_user


def sign_in(client, email, password=PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def test_the_login_form_has_email_and_password_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html


def test_good_credentials_sign_in_and_go_home(client):
    user = make_user("claire@exemple.test")
    make_membership(make_association("bordeaux"), "staff", user)
    response = sign_in(client, "Claire@Exemple.test ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/a/bordeaux/"


@pytest.mark.parametrize("email,password", [("claire@exemple.test", "wrong password"), ("nobody@exemple.test", PASSWORD)])
def test_wrong_credentials_get_one_neutral_message(client, email, password):
    make_user("claire@exemple.test")
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)


def test_an_inactive_account_cannot_sign_in(client):
    make_user("claire@exemple.test", active=False)
    assert sign_in(client, "claire@exemple.test").status_code == 401


def test_an_invited_person_without_password_cannot_sign_in(client):
    make_user("claire@exemple.test", password=None)
    assert sign_in(client, "claire@exemple.test", "").status_code == 200  # the form asks for a password
    assert sign_in(client, "claire@exemple.test", "anything at all").status_code == 401


def test_next_only_goes_to_our_own_pages(client):
    make_user("claire@exemple.test")
    assert sign_in(client, "claire@exemple.test", query_string={"next": "/account"}).headers["Location"] == "/account"
    client.post("/logout")
    for evil in ("https://evil.test/", "//evil.test/x", "/\\evil.test/x", "/\\/evil.test", "/\t/evil.test", "/\n/evil.test"):
        response = sign_in(client, "claire@exemple.test", query_string={"next": evil})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_logout_needs_a_post(client, login_as):
    login_as("network")
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/network/").status_code == 302


# --- throttling ---------------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = {"slowdown_after": 3, "lock_after": 10, "lock_seconds": 900}


def failures(n, seconds_ago=1):
    return [NOW - timedelta(seconds=seconds_ago)] * n


def test_the_first_failures_cost_nothing():
    assert services.wait_seconds(failures(2), NOW, **RULES) == 0


def test_more_failures_make_each_attempt_wait_longer():
    waits = [services.wait_seconds(failures(n, 0), NOW, **RULES) for n in (3, 4, 5, 6)]
    assert waits == [2, 4, 8, 16]


def test_the_wait_runs_from_the_latest_failure():
    assert services.wait_seconds(failures(3, seconds_ago=5), NOW, **RULES) == 0


def test_many_failures_lock_for_a_while():
    assert services.wait_seconds(failures(10, 60), NOW, **RULES) == 840
    assert services.wait_seconds(failures(10, 900), NOW, **RULES) == 0


def test_repeated_failures_on_an_account_are_refused_even_with_the_right_password(client, db):
    make_user("claire@exemple.test")
    for _ in range(3):
        assert sign_in(client, "claire@exemple.test", "wrong password").status_code == 401
    response = sign_in(client, "claire@exemple.test")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


def test_the_account_opens_again_once_the_wait_is_over(client, db):
    make_user("claire@exemple.test")
    old = utcnow() - timedelta(minutes=1)
    db.session.add_all([LoginAttempt(email="claire@exemple.test", ip="127.0.0.1", at=old) for _ in range(3)])
    db.session.commit()
    assert sign_in(client, "claire@exemple.test").status_code == 302


def test_one_address_trying_many_accounts_is_slowed_down(client, db):
    now = utcnow()
    db.session.add_all([LoginAttempt(email=f"x{i}@exemple.test", ip="127.0.0.1", at=now) for i in range(9)])
    db.session.commit()
    make_user("claire@exemple.test")
    assert sign_in(client, "claire@exemple.test").status_code == 429


def _failures(email, ip, count, seconds_ago):
    at = utcnow() - timedelta(seconds=seconds_ago)
    return [LoginAttempt(email=email, ip=ip, at=at) for _ in range(count)]


STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def test_a_strangers_failures_do_not_lock_the_owner_out(client, db):
    make_user("claire@exemple.test")
    db.session.add_all(_failures("claire@exemple.test", STRANGER["REMOTE_ADDR"], 12, seconds_ago=20))
    db.session.commit()
    assert sign_in(client, "claire@exemple.test", environ_base=STRANGER).status_code == 429  # the stranger is locked
    assert sign_in(client, "claire@exemple.test").status_code == 302  # the owner, from elsewhere, is not


def test_failures_from_many_addresses_only_slow_an_account_down_a_little(app, db):
    for n in range(40):
        db.session.add_all(_failures("claire@exemple.test", f"198.51.100.{n}", 1, seconds_ago=0))
    db.session.commit()
    wait = services.throttle_wait("claire@exemple.test", "192.0.2.1")
    assert 0 < wait <= app.config["LOGIN_ACCOUNT_MAX_WAIT"]


def test_unknown_addresses_cost_a_hash_check_of_the_configured_method(app, db, monkeypatch):
    checked = []
    monkeypatch.setattr(services, "check_password_hash",
                        lambda hashed, password: checked.append(hashed.split(":")[0]) or False)
    make_user("inactive@exemple.test", active=False)
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        services.authenticate("nobody@exemple.test", PASSWORD, "127.0.0.1")
        services.authenticate("inactive@exemple.test", PASSWORD, "127.0.0.1")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert checked == ["scrypt", "pbkdf2"]  # the unknown address: scrypt, like real ones; the inactive: its own


# --- password links -----------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(client, sent_mail):
    make_user("claire@exemple.test")
    known = client.post("/forgot-password", data={"email": "claire@exemple.test"}, follow_redirects=True)
    unknown = client.post("/forgot-password", data={"email": "nobody@exemple.test"}, follow_redirects=True)
    assert known.get_data(as_text=True).count("Si un compte existe") == 1
    assert unknown.get_data(as_text=True).count("Si un compte existe") == 1
    assert len(sent_mail("claire@exemple.test")) == 1


def _reset_mails(db, address):
    from sqlalchemy import func, select

    from intranet.notifications.models import OutboxMessage

    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == address))


def test_forgot_password_mails_one_address_three_times_an_hour_at_most(client, db):
    make_user("claire@exemple.test")
    for n in range(5):
        response = client.post("/forgot-password", data={"email": "claire@exemple.test"}, follow_redirects=True,
                               environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert "Si un compte existe" in response.get_data(as_text=True)
    assert _reset_mails(db, "claire@exemple.test") == 3


def test_forgot_password_limits_one_client_asking_for_many_addresses(client, db):
    make_user("claire@exemple.test")
    for n in range(10):
        client.post("/forgot-password", data={"email": f"inconnu{n}@exemple.test"})
    response = client.post("/forgot-password", data={"email": "claire@exemple.test"}, follow_redirects=True)
    assert "Si un compte existe" in response.get_data(as_text=True)  # the same answer, and no mail
    assert _reset_mails(db, "claire@exemple.test") == 0
    client.post("/forgot-password", data={"email": "claire@exemple.test"}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert _reset_mails(db, "claire@exemple.test") == 1


def test_forgot_password_explains_a_malformed_address(client):
    response = client.post("/forgot-password", data={"email": "pas-une-adresse"})
    assert "Cette adresse e-mail n’est pas valide." in response.get_data(as_text=True)


def _link_from_mail(sent_mail, address):
    subject, text = sent_mail(address)[-1]
    line = next(line for line in text.splitlines() if line.startswith("http"))
    return line.removeprefix("http://localhost")


def test_a_reset_link_sets_a_new_password_once(client, sent_mail):
    make_user("claire@exemple.test")
    client.post("/forgot-password", data={"email": "claire@exemple.test"})
    link = _link_from_mail(sent_mail, "claire@exemple.test")
    new = {"password": "un nouveau secret", "confirm": "un nouveau secret"}
    assert client.post(link, data=new).status_code == 302
    client.post("/logout")
    assert sign_in(client, "claire@exemple.test", "un nouveau secret").status_code == 302
    client.post("/logout")
    reused = client.get(link)
    assert reused.status_code == 410
    assert "déjà servi" in reused.get_data(as_text=True)


def test_a_reset_link_expires(client, app):
    user = make_user("claire@exemple.test")
    token = services.make_token(user, services.PASSWORD_RESET)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        response = client.get(f"/reset/{token}")
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert response.status_code == 410
    assert "expiré" in response.get_data(as_text=True)


def test_a_tampered_link_is_refused(client):
    user = make_user("claire@exemple.test")
    token = services.make_token(user, services.PASSWORD_RESET)
    assert client.get(f"/reset/{token[:-2]}xx").status_code == 404
    assert client.get(f"/invitation/{token}").status_code == 404  # a reset token is no invitation


def test_a_new_password_must_be_long_enough_and_confirmed(client):
    user = make_user("claire@exemple.test")
    link = f"/reset/{services.make_token(user, services.PASSWORD_RESET)}"
    short = client.post(link, data={"password": "court", "confirm": "court"}).get_data(as_text=True)
    assert "au moins 10 caractères" in short
    mismatch = client.post(link, data={"password": "un long secret", "confirm": "un autre secret"}).get_data(as_text=True)
    assert "ne sont pas identiques" in mismatch


def test_changing_the_password_signs_out_other_sessions(app, client, login_as):
    user = login_as("network")
    other = app.test_client()
    with other.session_transaction() as session:
        session.update(signed_in_state(user))
    assert other.get("/network/").status_code == 200
    response = client.post("/account/password", data={"current": PASSWORD, "password": "un nouveau secret",
                                                      "confirm": "un nouveau secret"})
    assert response.status_code == 302
    assert client.get("/network/").status_code == 200
    assert other.get("/network/").status_code == 302


def test_changing_the_password_needs_the_current_one(client, login_as):
    login_as("network")
    response = client.post("/account/password", data={"current": "wrong one", "password": "un nouveau secret",
                                                      "confirm": "un nouveau secret"})
    assert "Ce n’est pas votre mot de passe actuel." in response.get_data(as_text=True)


def test_passwords_are_stored_with_a_slow_hash(app, db):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        user = make_user()
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
