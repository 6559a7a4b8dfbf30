"""Operations: commands, configuration, security headers, error pages (the health check: test_health.py)."""

import logging

import pytest
from sqlalchemy import func, select

from config import DEFAULT_SECRET_KEY, Config, TestConfig
from intranet import create_app
from intranet.auth.models import User
from intranet.members.models import Membership
from intranet.network.models import Association
from intranet.ops.logs import mask_tokens, token_patterns
from intranet.ops.security import instance_secret_key
from tests.factories import make_association


def test_production_refuses_the_default_secret_key():
    class Production(Config):
        APP_ENV, SECRET_KEY = "production", DEFAULT_SECRET_KEY

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


def test_production_refuses_to_start_without_a_secret_key():
    class Production(Config):
        APP_ENV, SECRET_KEY = "production", ""

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)


def test_without_a_secret_key_an_installation_makes_its_own_once(tmp_path):
    class Development(Config):
        APP_ENV, SECRET_KEY, REDIS_URL = "development", "", ""
        INSTANCE_PATH = str(tmp_path / "instance")
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'dev.sqlite3'}"

    first = create_app(Development).config["SECRET_KEY"]
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(first) == 64 and first != DEFAULT_SECRET_KEY
    assert create_app(Development).config["SECRET_KEY"] == first  # the next start reuses it
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]


def test_another_installation_gets_another_key(tmp_path):
    keys = [instance_secret_key(str(tmp_path / name)) for name in ("one", "two")]
    assert keys[0] != keys[1]


def test_the_tests_keep_their_fixed_key(app):
    assert app.config["SECRET_KEY"] == "test-secret"


# --- no link token in the logs ------------------------------------------------------


def _sample_path(rule, token):
    return rule.build({**dict.fromkeys(rule.arguments, 7), "token": token})[1]  # 7 suits ids and words alike


def token_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]


def test_every_token_route_is_masked_in_the_development_server_log(app, caplog):
    rules = token_rules(app)
    assert {r.endpoint for r in rules} >= {"auth.reset_password", "invitations.accept", "feeds.calendar",
                                           "followups_public.answer", "selfbooking.home"}
    caplog.set_level(logging.INFO, logger="werkzeug")
    for rule in rules:
        path = _sample_path(rule, "S3cretT0ken.abc-_")
        logging.getLogger("werkzeug").info('127.0.0.1 - - [02/Dec/2026 10:00:00] "%s" %s %s', f"GET {path} HTTP/1.1",
                                           200, "-")
    assert len(caplog.records) == len(rules)
    assert all("S3cretT0ken" not in record.getMessage() and "***" in record.getMessage() for record in caplog.records)


def test_tokens_are_masked_in_gunicorns_access_log_too(caplog):
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    atoms = {"h": "192.0.2.1", "r": "GET /feeds/abcdefXYZ.ics HTTP/1.1", "s": "200",
             "f": "https://tremplin.test/p/S3cretT0ken/slots?day=2026-12-03"}
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s "%(f)s"', atoms)
    assert caplog.records[-1].getMessage() == '192.0.2.1 "GET /feeds/***.ics HTTP/1.1" 200 "https://tremplin.test/p/***/slots?day=2026-12-03"'


def test_query_tokens_are_masked_and_other_paths_left_alone(app):
    patterns = token_patterns(app.url_map)
    assert mask_tokens("GET /unsubscribe?id=3&token=abc123&x=1 HTTP/1.1", patterns) == (
        "GET /unsubscribe?id=3&token=***&x=1 HTTP/1.1")
    assert mask_tokens("GET /p/abc123 HTTP/1.1", patterns) == "GET /p/*** HTTP/1.1"
    untouched = "GET /a/bordeaux/beneficiaries/12?page=2 HTTP/1.1"
    assert mask_tokens(untouched, patterns) == untouched


def test_create_admin_makes_a_network_office_account(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "Chef@Reseau.test", "--name", "Chef",
                                                "--password", "un secret solide"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "chef@reseau.test"))
    assert user.is_network_office and user.password_hash


def test_create_admin_refuses_a_short_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "--email", "c@r.test", "--name", "C",
                                                "--password", "court"])
    assert result.exit_code != 0 and "12 caractères" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_data_is_idempotent(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Association, User, Membership)]
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (Association, User, Membership)] == counts
    slugs = set(db.session.scalars(select(Association.slug)))
    assert {"bordeaux", "lille", "le-mans", "national"} <= slugs
    assert "déjà des données" in runner.invoke(args=["demo-data", "--if-empty"]).output


@pytest.mark.parametrize("email,home", [
    ("reseau@tremplin.test", "/network/"),
    ("admin.bordeaux@tremplin.test", "/a/bordeaux/"),
    ("staff.lille@tremplin.test", "/a/lille/"),
    ("benevole.bordeaux@tremplin.test", "/me/"),
])
def test_each_demo_account_signs_in_to_its_home(app, client, db, email, home):
    from intranet.demo import load_demo

    load_demo()
    response = client.post("/login", data={"email": email, "password": "tremplin-demo"}, follow_redirects=True)
    assert response.request.path == home
    assert response.status_code == 200


def test_responses_carry_security_headers(client):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(client, login_as):
    login_as("admin", make_association("bordeaux"))
    for path in ("/login", "/a/bordeaux/", "/a/bordeaux/members"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and " hx-on" not in html


def test_session_cookie_is_httponly_and_lax(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(client):
    cookie = client.get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie


def test_post_without_csrf_token_is_refused(app, client, login_as):
    login_as("admin", make_association("bordeaux"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        plain = client.post("/a/bordeaux/members", data={"name": "X", "email": "x@exemple.test", "role": "staff"})
        page = client.get("/a/bordeaux/members").get_data(as_text=True)
        token = page.split('"X-CSRFToken": "')[1].split('"')[0]
        htmx = client.post("/a/bordeaux/members", data={"name": "X", "email": "x@exemple.test", "role": "staff"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert plain.status_code == 400
    assert htmx.status_code == 302


def test_a_missing_page_is_a_friendly_french_404(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_a_server_error_shows_a_friendly_page(app):
    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        PROPAGATE_EXCEPTIONS = False

    broken = create_app(Settings)

    @broken.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    response = broken.test_client().get("/__boom")
    assert response.status_code == 500
    assert "Erreur du serveur" in response.get_data(as_text=True)


def test_import_communes_feeds_the_rural_derivation(app, db, tmp_path):
    from intranet.beneficiaries.services import derive_rural

    csv_file = tmp_path / "communes.csv"
    csv_file.write_text("code_postal;commune;rural\n23000;Guéret;1\n33000;Bordeaux;0\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-communes", str(csv_file)])
    assert result.exit_code == 0 and "2 communes" in result.output
    assert derive_rural("23000", "GUERET") == "yes" and derive_rural("33000", "Bordeaux") == "no"


def test_import_communes_reports_a_bad_line(app, db, tmp_path):
    csv_file = tmp_path / "communes.csv"
    csv_file.write_text("23000;Guéret;1\n2300;Mauvais;1\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-communes", str(csv_file)])
    assert result.exit_code != 0 and "ligne 2" in result.output


def test_import_communes_takes_the_digits_0_to_9_only(app, db, tmp_path):
    from intranet.beneficiaries.models import Commune

    csv_file = tmp_path / "communes.csv"
    csv_file.write_text("23000;Guéret;1\n٣٣٠٠٠;Bordeaux;0\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-communes", str(csv_file)])
    assert result.exit_code != 0 and "ligne 2" in result.output
    assert db.session.scalar(select(func.count()).select_from(Commune)) == 0

