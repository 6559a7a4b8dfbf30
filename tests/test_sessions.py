"""Signed-in sessions: ended everywhere at sign-out, limited in time, never cached."""

import json
import re
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from intranet.auth import services, sessions
from intranet.clock import utcnow
from tests.factories import PASSWORD, make_association, make_membership, make_user


def sign_in(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A client of someone who copied `cookie`."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


@pytest.fixture
def claire(db):
    user = make_user("claire@exemple.test", is_network_office=True)
    return user


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved by hand: clock.move(hours=2)."""

    class Clock:
        now = utcnow()

        def move(self, **delta):
            self.now += timedelta(**delta)

    moving = Clock()
    monkeypatch.setattr(sessions, "utcnow", lambda: moving.now)
    return moving


def test_a_cookie_replayed_after_logout_is_signed_out(app, client, claire):
    assert sign_in(client, "claire@exemple.test").status_code == 302
    stolen = session_cookie(client)
    assert replay(app, stolen).get("/network/").status_code == 200
    client.post("/logout")
    response = replay(app, stolen).get("/network/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_logging_out_ends_the_sessions_on_other_devices(app, client, claire):
    phone = app.test_client()
    sign_in(phone, "claire@exemple.test")
    sign_in(client, "claire@exemple.test")
    client.post("/logout")
    assert phone.get("/network/").status_code == 302


def test_a_password_reset_signs_out_every_open_session(app, client, claire):
    sign_in(client, "claire@exemple.test")
    token = services.make_token(claire, services.PASSWORD_RESET)
    app.test_client().post(f"/reset/{token}", data={"password": "un nouveau secret", "confirm": "un nouveau secret"})
    assert client.get("/network/").status_code == 302


def test_a_session_ends_after_two_idle_hours(client, login_as, clock):
    login_as("network")
    clock.move(hours=1, minutes=59)
    assert client.get("/network/").status_code == 200
    clock.move(hours=1, minutes=59)  # still active: the idle time counts from the last request
    assert client.get("/network/").status_code == 200
    clock.move(hours=2, seconds=1)
    response = client.get("/network/", follow_redirects=True)
    assert response.request.path == "/login"
    assert "Votre session a pris fin. Connectez-vous à nouveau pour continuer." in response.get_data(as_text=True)


def test_a_session_ends_twelve_hours_after_sign_in_even_when_active(client, login_as, clock):
    login_as("network")
    for _ in range(11):
        clock.move(hours=1)
        assert client.get("/network/").status_code == 200
    clock.move(minutes=59)
    assert client.get("/network/").status_code == 200
    clock.move(minutes=2)
    assert client.get("/network/").status_code == 302


def test_a_remember_me_cookie_opens_no_session(app, claire):
    with app.test_request_context():
        remember = encode_cookie(claire.get_id())
    stranger = app.test_client()
    stranger.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remember)
    assert stranger.get("/network/").status_code == 302


def test_a_session_id_of_the_old_form_loads_nobody(app, claire):
    old = app.test_client()
    with old.session_transaction() as session:
        session.update(sessions.signed_in_state(claire))
        session["_user_id"] = f"{claire.id}.{claire.get_id().rsplit('.', 1)[1]}"  # "id.fingerprint"
    assert old.get("/network/").status_code == 302


def test_signing_in_gives_a_new_csrf_token(app, client, claire):
    client.get("/login")
    with client.session_transaction() as session:
        before = session["csrf_token"]
    sign_in(client, "claire@exemple.test")
    client.get("/network/")
    with client.session_transaction() as session:
        after = session["csrf_token"]
    assert before and after and after != before


# --- nothing personal kept by caches ------------------------------------------------


def test_every_page_of_a_signed_in_person_says_no_store(app, client, login_as):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    pages = [rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint != "static" and set(rule.arguments) <= {"slug"}]
    assert len(pages) > 15
    for rule in pages:
        path = rule.build({"slug": "bordeaux"})[1] if rule.arguments else rule.rule
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", (path, response.status_code)


def test_a_volunteers_pages_say_no_store(client, login_as):
    login_as("volunteer")
    assert client.get("/me/").headers["Cache-Control"] == "no-store"


def test_token_pages_say_no_store_even_signed_out(client, db):
    user = make_user()
    token = services.make_token(user, services.PASSWORD_RESET)
    assert client.get(f"/reset/{token}").headers["Cache-Control"] == "no-store"
    assert client.get("/p/not-a-real-token/").headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(client, login_as):
    login_as("network")
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_htmx_keeps_no_copy_of_pages_in_the_browser(client, login_as):
    member = make_membership(make_association("bordeaux"), "staff")
    with client.session_transaction() as session:
        session.update(sessions.signed_in_state(member.user))
    html = client.get("/a/bordeaux/").get_data(as_text=True)
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1))
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True
