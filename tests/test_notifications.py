"""The outbox: mails are rows first, sent once, readable in the local mailbox."""

import pytest
from sqlalchemy import select

from config import TestConfig
from intranet import create_app
from intranet.extensions import db as _db
from intranet.notifications import delivery, services
from intranet.notifications.models import OutboxMessage
from tests.factories import make_association, make_outbox_message, make_user
from tests.mailsink import MailSink, html_part, text_part


def _queue(key=None, to="claire@exemple.test"):
    user = make_user(to, name="Claire Fontaine")
    return services.queue_mail(to=to, template="password_reset", kind="password_reset", key=key, user=user,
                               link="http://localhost/reset/abc")


def test_a_queued_mail_has_subject_text_and_html(db):
    message = _queue()
    db.session.commit()
    assert message.subject == "Choisir un nouveau mot de passe Tremplin"
    assert "Bonjour Claire Fontaine," in message.text_body and "&#39;" not in message.text_body
    assert '<a href="http://localhost/reset/••••••"' in message.html_body  # the personal link is masked
    assert '<a href="http://localhost/reset/abc"' in services.as_sent(message)[2]  # and put back to send
    assert message.status == "pending"


def test_the_same_key_is_queued_once(db):
    first = _queue(key="reset-1")
    second = services.queue_mail(to="claire@exemple.test", template="password_reset", kind="password_reset",
                                 key="reset-1", user=first, link="x")
    db.session.commit()
    assert first.id == second.id
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_a_rolled_back_transaction_leaves_no_mail(db):
    _queue()
    db.session.rollback()
    assert db.session.scalars(select(OutboxMessage)).all() == []


@pytest.fixture
def smtp_app(app, tmp_path):
    """An app that sends through a real SMTP server, with in-process jobs, on the same database."""
    sink = MailSink().start()

    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT, REDIS_URL = "127.0.0.1", sink.port, ""

    smtp_app = create_app(Settings)
    smtp_app.sink = sink
    yield smtp_app
    sink.stop()


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_delivery_through_smtp_sends_both_bodies_once(smtp_app, db):
    with smtp_app.app_context():
        message = _queue()
        _db.session.commit()  # the commit hands the message to the in-process runner
        smtp_app.extensions["jobs"].drain()
        received = smtp_app.sink.wait_for("claire@exemple.test")
        assert delivery.deliver(message.id) == "skipped"  # running the job again sends nothing
        _db.session.refresh(message)
        assert message.status == "sent" and message.sent_at is not None and message.attempts == 1
    assert len(received) == 1
    mail = received[0]
    assert mail["Subject"] == "Choisir un nouveau mot de passe Tremplin"
    assert "Bonjour Claire Fontaine," in text_part(mail)
    assert 'href="http://localhost/reset/abc"' in html_part(mail)


@pytest.mark.commits  # the mail leaves from a job in another thread
def test_an_unreachable_server_leaves_the_mail_pending_for_a_retry(smtp_app, db):
    smtp_app.sink.stop()
    with smtp_app.app_context():
        message = _queue()
        _db.session.commit()
        smtp_app.extensions["jobs"].drain()
        _db.session.refresh(message)
        assert message.status == "pending" and message.attempts == 1 and message.last_error
        assert message.next_attempt_at is not None


def test_without_smtp_mail_stays_in_the_outbox(app, db):
    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, REDIS_URL = "", ""

    outbox_only = create_app(Settings)
    with outbox_only.app_context():
        message = _queue()
        _db.session.commit()
        outbox_only.extensions["jobs"].drain()
        _db.session.refresh(message)
        assert message.status == "pending" and message.attempts == 0


def test_an_admin_reads_the_association_mailbox(client, login_as):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    mine = make_outbox_message(bordeaux, subject="Invitation pour Julien")
    make_outbox_message(make_association("lille"), subject="Invitation lilloise")
    make_outbox_message(None, subject="Réinitialisation sans association")
    listing = client.get("/a/bordeaux/mailbox").get_data(as_text=True)
    assert "Invitation pour Julien" in listing
    assert "lilloise" not in listing and "sans association" not in listing
    detail = client.get(f"/a/bordeaux/mailbox/{mine.id}").get_data(as_text=True)
    assert mine.text_body in detail


def test_the_network_office_reads_every_mail(client, login_as):
    login_as("network")
    make_outbox_message(make_association("lille"), subject="Invitation lilloise")
    make_outbox_message(None, subject="Réinitialisation sans association")
    listing = client.get("/network/mailbox").get_data(as_text=True)
    assert "lilloise" in listing and "sans association" in listing


def test_links_in_a_mail_are_clickable_in_the_mailbox(client, login_as):
    bordeaux = make_association("bordeaux")
    login_as("admin", bordeaux)
    message = make_outbox_message(bordeaux, text_body="Ouvrez http://localhost/invitation/abc.def <script>")
    body = client.get(f"/a/bordeaux/mailbox/{message.id}").get_data(as_text=True)
    assert '<a href="http://localhost/invitation/abc.def">' in body
    assert "<script>" not in body.split("mail-text")[1]


def test_an_empty_mailbox_says_so(client, login_as):
    login_as("admin", make_association("bordeaux"))
    assert "Aucun courriel pour l’instant." in client.get("/a/bordeaux/mailbox").get_data(as_text=True)


def test_the_beneficiary_file_lists_the_mails_about_that_person(client, login_as):
    from tests.factories import make_beneficiary, make_outbox_message

    association = make_association()
    login_as("staff", association)
    b = make_beneficiary(association)
    make_outbox_message(association, beneficiary_id=b.id, subject="Votre rendez-vous de mardi")
    make_outbox_message(association, subject="Un autre courriel")
    page = client.get(f"/a/{association.slug}/beneficiaries/{b.id}").get_data(as_text=True)
    assert "Votre rendez-vous de mardi" in page and "Un autre courriel" not in page
