"""Links in e-mails: built from BASE_URL whatever the request's host, personal links masked in what is
stored and shown, put back only in what is delivered; the production host checks; the sender name."""

import json
import re
from datetime import timedelta
from email.utils import getaddresses

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from config import TestConfig
from intranet import create_app
from intranet.auth import services as auth_services
from intranet.auth.sessions import signed_in_state
from intranet.clock import utcnow
from intranet.extensions import db as _db
from intranet.followups import jobs as followup_jobs
from intranet.members import services as members
from intranet.network.models import Association
from intranet.notifications import delivery
from intranet.notifications.models import OutboxMessage
from intranet.selfbooking import services as selfbooking
from intranet.urls import external_url, mask_secret_links, unmask
from tests.conftest import IsolatedClient
from tests.factories import (
    free_slot,
    make_association,
    make_beneficiary,
    make_booking_link,
    make_journey,
    make_membership,
    make_outbox_message,
    make_user,
    make_volunteer,
)
from tests.mailsink import MailSink, html_part, text_part

FORGED = "evil.example"


def _app_like(app, **settings):
    """An app on the suite's database, queue and mail settings, with `settings` changed."""

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
        REDIS_URL, RQ_QUEUE = app.config["REDIS_URL"], app.config["RQ_QUEUE"]
        WTF_CSRF_ENABLED = False

    for name, value in settings.items():
        setattr(Settings, name, value)
    other = create_app(Settings)
    other.test_client_class = IsolatedClient
    return other


def _client_of(app, user=None, **request):
    client = app.test_client()
    if user is not None:
        with client.session_transaction(**request) as session:  # signed in on the host the requests go to
            session.update(signed_in_state(user))
    return client


# --- links come from BASE_URL ----------------------------------------------------------------------


@pytest.mark.parametrize("forged", [{"base_url": f"http://{FORGED}"},
                                    {"headers": {"X-Forwarded-Host": FORGED, "X-Forwarded-For": "10.0.0.1"}}])
def test_a_forged_host_does_not_reach_the_reset_link(app, sent_mail, forged):
    make_user("claire@exemple.test")
    behind_proxy = _app_like(app, PROXY_FIX=True)
    response = _client_of(behind_proxy).post("/forgot-password", data={"email": "claire@exemple.test"}, **forged)
    assert response.status_code == 302
    [(_subject, text)] = sent_mail("claire@exemple.test")
    assert re.search(r"^http://localhost/reset/\S+\r?$", text, re.M) and FORGED not in text


@pytest.mark.parametrize("forged", [{"base_url": f"http://{FORGED}"},
                                    {"headers": {"X-Forwarded-Host": FORGED, "X-Forwarded-For": "10.0.0.1"}}])
def test_a_forged_host_does_not_reach_the_booking_link_sent_from_a_file(app, sent_mail, forged):
    bordeaux = make_association("bordeaux")
    staff = make_membership(bordeaux, "staff").user
    person = make_beneficiary(bordeaux, email="yasmine@exemple.test", status="in_progress")
    behind_proxy = _app_like(app, PROXY_FIX=True)
    response = _client_of(behind_proxy, staff, base_url=forged.get("base_url", "http://localhost")).post(
        f"/a/bordeaux/beneficiaries/{person.id}/booking-link", **forged)
    assert response.status_code == 302
    [(_subject, text)] = sent_mail("yasmine@exemple.test")
    assert re.search(r"^http://localhost/p/[\w-]{40,}/\r?$", text, re.M) and FORGED not in text


def test_a_forged_host_does_not_reach_the_link_in_a_self_booking_confirmation(app, sent_mail):
    association = make_association("nantes")
    make_volunteer(association, "Marie Curie")
    person = make_beneficiary(association, first_name="Yasmine", email="yasmine@exemple.test", status="in_progress")
    make_journey(association, person, modules=2)
    link = make_booking_link(association, person)
    slot = free_slot(link)
    response = _client_of(app).post(f"/p/{link.token}/book", data={"at": selfbooking.slot_key(slot)},
                                    base_url=f"http://{FORGED}")
    assert response.status_code == 302
    (_subject, text) = sent_mail("yasmine@exemple.test")[0]  # the confirmation; the reminder waits
    assert f"http://localhost/p/{link.token}/" in text and FORGED not in text


# --- production: BASE_URL required, trusted hosts only ----------------------------------------------


def _production(app, **settings):
    return _app_like(app, APP_ENV="production", SECRET_KEY="a-real-secret-for-this-test", **settings)


def test_production_refuses_to_start_without_base_url(app):
    with pytest.raises(RuntimeError, match="BASE_URL"):
        _production(app, BASE_URL="")


def test_production_answers_only_to_the_host_of_base_url(app):
    client = _client_of(_production(app, BASE_URL="https://tremplin.example.org", PROXY_FIX=True))
    assert client.get("/login", base_url=f"https://{FORGED}").status_code == 400
    assert client.get("/login", base_url="https://tremplin.example.org").status_code == 200
    # The proxy's X-Forwarded-Host is not believed: the request stays on the host it came to.
    assert client.get("/login", base_url="https://tremplin.example.org",
                      headers={"X-Forwarded-Host": FORGED, "X-Forwarded-For": "10.0.0.1"}).status_code == 200


def test_trusted_hosts_and_the_number_of_proxies_are_settings(app):
    production = _production(app, BASE_URL="https://tremplin.example.org", PROXY_FIX=True, PROXY_COUNT=2,
                             TRUSTED_HOSTS=["tremplin.example.org", "intranet.example.org"])
    assert _client_of(production).get("/login", base_url="https://intranet.example.org").status_code == 200
    assert isinstance(production.wsgi_app, ProxyFix)
    assert (production.wsgi_app.x_for, production.wsgi_app.x_proto, production.wsgi_app.x_host) == (2, 2, 0)


# --- personal links: masked when stored and shown, put back when sent --------------------------------


@pytest.fixture
def smtp(app):
    """An app that sends through its own SMTP server, jobs in-process, on the suite's database."""
    sink = MailSink().start()
    sending = _app_like(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, REDIS_URL="")
    sending.sink = sink
    yield sending
    sink.stop()


def _reset(association):
    auth_services.request_password_reset(make_user("claire@exemple.test").email, "192.0.2.10")
    return "claire@exemple.test"


def _invitation(association):
    members.invite(association, email="nouveau@exemple.test", name="Nouveau Venu", role="staff", invited_by=None)
    return "nouveau@exemple.test"


def _booking_link(association):
    selfbooking.send_link(make_beneficiary(association, email="yasmine@exemple.test", status="in_progress"))
    return "yasmine@exemple.test"


def _follow_up(association):
    person = make_beneficiary(association, email="sam@exemple.test")
    make_journey(association, person, exited_on=utcnow().date() - timedelta(days=35), exit_situation="job_searching")
    followup_jobs.send_follow_ups(utcnow())
    return "sam@exemple.test"


PERSONAL_MAILS = [(_reset, r"/reset/([^/\s\"]+)"), (_invitation, r"/invitation/([^/\s\"]+)"),
                  (_booking_link, r"/p/([^/\s\"]+)/"), (_follow_up, r"/f/([^/\s\"]+)/job")]


def _everything_stored() -> str:
    """Every value of every row of every table, as one string."""
    return "\n".join(str(row) for table in _db.metadata.sorted_tables
                     for row in _db.session.execute(table.select()).all())


@pytest.mark.commits  # the mail leaves from a job in another thread
@pytest.mark.parametrize(("send", "pattern"), PERSONAL_MAILS, ids=lambda v: getattr(v, "__name__", "")[1:])
def test_a_personal_link_is_delivered_but_never_stored_nor_shown(smtp, send, pattern):
    with smtp.app_context():
        bordeaux = make_association("bordeaux")
        admin = make_membership(bordeaux, "admin").user
        office = make_user(is_network_office=True)
        address = send(bordeaux)
        _db.session.commit()
        smtp.extensions["jobs"].drain()
        [delivered] = smtp.sink.wait_for(address)
        text, html = text_part(delivered), html_part(delivered)
        token = re.search("http://localhost" + pattern, text).group(1)
        assert f'href="http://localhost{re.search(pattern, html).group(0)}' in html and token in html
        message = _db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == address))
        assert message.status == "sent" and message.secret_links == ""
        assert "••••••" in message.text_body and "••••••" in message.html_body
        assert token not in _everything_stored()
        pages = [_client_of(smtp, office).get(f"/network/mailbox/{message.id}").get_data(as_text=True)]
        if message.association_id is not None:
            pages.append(_client_of(smtp, admin).get(f"/a/bordeaux/mailbox/{message.id}").get_data(as_text=True))
        for page in pages:
            assert "http://localhost" in page and "lien personnel masqué" in page and token not in page
        # and the link delivered is the working one
        path = re.search(r"http://localhost(\S*" + re.escape(token) + r"\S*)", text).group(1)
        assert _client_of(smtp).get(path).status_code == 200


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_a_pending_personal_link_is_kept_apart_and_masked_in_the_mailbox(smtp):
    smtp.sink.stop()  # the server is down: the message waits for a retry
    with smtp.app_context():
        bordeaux = make_association("bordeaux")
        admin = make_membership(bordeaux, "admin").user
        sent = selfbooking.send_link(make_beneficiary(bordeaux, email="yasmine@exemple.test", status="in_progress"))
        smtp.extensions["jobs"].drain()
        message = _db.session.scalar(select(OutboxMessage))
        assert message.status == "pending"
        assert sent.url not in message.text_body + message.html_body + message.subject
        assert list(json.loads(message.secret_links).values()) == [sent.url]
        listing = _client_of(smtp, admin).get("/a/bordeaux/mailbox").get_data(as_text=True)
        page = _client_of(smtp, admin).get(f"/a/bordeaux/mailbox/{message.id}").get_data(as_text=True)
        assert sent.url not in page and "http://localhost/p/••••••/" in page
        assert "Cette boîte tient lieu d’envoi" not in listing


def test_without_smtp_the_mailbox_is_the_delivery_and_shows_the_links_under_a_banner(app):
    outbox_only = _app_like(app, MAIL_SERVER="", REDIS_URL="")
    with outbox_only.app_context():
        bordeaux = make_association("bordeaux")
        admin = make_membership(bordeaux, "admin").user
        sent = selfbooking.send_link(make_beneficiary(bordeaux, email="yasmine@exemple.test", status="in_progress"))
        message = _db.session.scalar(select(OutboxMessage))
        assert sent.url not in message.text_body  # stored masked all the same
        client = _client_of(outbox_only, admin)
        listing = client.get("/a/bordeaux/mailbox").get_data(as_text=True)
        page = client.get(f"/a/bordeaux/mailbox/{message.id}").get_data(as_text=True)
    assert "Cette boîte tient lieu d’envoi" in listing
    assert "ce courriel n’est pas parti" in page and f'<a href="{sent.url}">' in page


def test_in_production_the_mailbox_never_shows_a_live_link_even_without_smtp(app):
    production = _production(app, BASE_URL="http://localhost", MAIL_SERVER="", REDIS_URL="")
    with production.app_context():
        bordeaux = make_association("bordeaux")
        office = make_user(is_network_office=True)
        sent = selfbooking.send_link(make_beneficiary(bordeaux, email="yasmine@exemple.test", status="in_progress"))
        message = _db.session.scalar(select(OutboxMessage))
        client = _client_of(production, office)
        listing = client.get("/network/mailbox").get_data(as_text=True)
        page = client.get(f"/network/mailbox/{message.id}").get_data(as_text=True)
    token = sent.url.split("/p/")[1].strip("/")
    assert token not in page and "lien personnel masqué" in page
    assert "Cette boîte tient lieu d’envoi" not in listing and "ce courriel n’est pas parti" not in page


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_a_message_given_up_on_forgets_its_personal_links(smtp):
    with smtp.app_context():
        message = make_outbox_message(None, secret_links=json.dumps({"http://localhost/reset/••••••": "x"}),
                                      created_at=utcnow() - timedelta(days=2), next_attempt_at=utcnow())
        delivery.hand_out_due_mail(utcnow())
        _db.session.refresh(message)
        assert message.status == "failed" and message.secret_links == ""


def test_links_without_a_secret_are_left_as_they_are(db):
    text = f"Agenda : {external_url('calendar.week', slug='bordeaux')}\nAilleurs : https://exemple.test/reset/abc"
    assert mask_secret_links([text]) == ([text], {})


def test_two_personal_links_that_differ_only_by_their_token_stay_apart(db):
    [text], links = mask_secret_links(["http://localhost/reset/one http://localhost/reset/two"])
    assert "one" not in text and "two" not in text
    assert unmask(text, links) == "http://localhost/reset/one http://localhost/reset/two"


# --- sender name and reply-to ---------------------------------------------------------------------------


def _settings(**changes):
    return {"reminder_days_before": "2", "reminder_eve_hour": "8", "mail_sender_name": "", "mail_reply_to": "",
            **changes}


@pytest.mark.parametrize("name", ["reseau@tremplin.test", '"Réseau Tremplin" <reseau@tremplin.test>',
                                  "Bordeaux, Réseau", "Bordeaux\r\nBcc: victime@exemple.test", "<b>Bordeaux</b>"])
def test_a_sender_name_that_is_not_a_plain_name_is_refused_next_to_the_field(client, login_as, db, name):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    response = client.post("/a/bordeaux/resources/mail", data=_settings(mail_sender_name=name))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="mail-mail_sender_name-error"' in page and "Un nom simple" in page
    db.session.expire_all()
    assert db.session.get(Association, bordeaux.id).mail_sender_name == ""


def test_a_plain_sender_name_with_an_apostrophe_and_an_ampersand_is_accepted(client, login_as, db):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    response = client.post("/a/bordeaux/resources/mail", data=_settings(mail_sender_name="L’Envol & Co. Saint-Lô",
                                                                         mail_reply_to="contact@envol.exemple.test"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Association, bordeaux.id).mail_sender_name == "L’Envol & Co. Saint-Lô"


@pytest.mark.commits  # the mail leaves from a job in another thread
@pytest.mark.parametrize("name", ["reseau@tremplin.test", '"Réseau" <reseau@tremplin.test>',
                                  "Bordeaux, reseau@tremplin.test", "Bordeaux\r\nBcc: victime@exemple.test"])
def test_a_bad_sender_name_already_stored_cannot_impersonate_nor_break_delivery(smtp, name):
    with smtp.app_context():
        bordeaux = make_association("bordeaux", mail_sender_name=name, mail_reply_to="a@exemple.test, reseau@tremplin.test")
        for address in ("un@exemple.test", "deux@exemple.test"):
            selfbooking.send_link(make_beneficiary(bordeaux, email=address, status="in_progress"))
            _db.session.commit()  # as the request does: the mail leaves after its commit
        smtp.extensions["jobs"].drain()
        statuses = _db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent", "sent"]
    for address in ("un@exemple.test", "deux@exemple.test"):
        [mail] = smtp.sink.wait_for(address)
        [(display, sender)] = getaddresses([mail["From"]])
        assert sender == "ne-pas-repondre@tremplin.test"
        assert "@" not in display and "<" not in display and "," not in display and "\n" not in display
        assert mail["Bcc"] is None and mail["Reply-To"] is None


# --- subjects and text parts are plain text ---------------------------------------------------------------


def test_subjects_and_text_parts_are_not_html_escaped_but_the_html_part_is(client, login_as, sent_mail):
    envol = make_association("envol", name="L'Envol & Co")
    login_as("admin", envol)
    selfbooking.send_link(make_beneficiary(envol, first_name="<b>Sam</b>", email="sam@exemple.test",
                                           status="in_progress"))
    _db.session.commit()  # as the request does: the mail leaves after its commit
    message = _db.session.scalar(select(OutboxMessage))
    assert message.subject == "Choisissez la date de votre rendez-vous avec L'Envol & Co"
    assert "Bonjour <b>Sam</b>," in message.text_body and "L'Envol & Co vous propose" in message.text_body
    assert "Bonjour &lt;b&gt;Sam&lt;/b&gt;," in message.html_body and "<b>Sam" not in message.html_body
    assert "L&#39;Envol &amp; Co" in message.html_body
    [(subject, _text)] = sent_mail("sam@exemple.test")
    assert subject == "Choisissez la date de votre rendez-vous avec L'Envol & Co"
    listing = client.get("/a/envol/mailbox").get_data(as_text=True)
    assert "avec L&#39;Envol &amp; Co</a>" in listing and "&amp;#39;" not in listing
