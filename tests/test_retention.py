"""Old mail bodies are cleared by the tick after the retention period; the outbox keeps who, what and when."""

from datetime import timedelta

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.jobs import tick
from intranet.notifications.retention import drop_old_bodies
from tests.factories import make_association, make_outbox_message


def _old(association, days: int, **fields):
    return make_outbox_message(association, created_at=utcnow() - timedelta(days=days), status="sent",
                               ics="BEGIN:VCALENDAR", **fields)


def test_a_mail_older_than_the_retention_period_loses_its_bodies_and_keeps_its_metadata(app):
    association = make_association()
    message = _old(association, 200, kind="appointment_confirmed", to_address="yasmine@exemple.test")
    assert drop_old_bodies(utcnow()) == 1
    db.session.refresh(message)
    assert (message.text_body, message.html_body, message.ics, message.secret_links) == ("", "", "", "")
    assert message.purged_at is not None
    assert (message.to_address, message.kind, message.status, message.association_id) == (
        "yasmine@exemple.test", "appointment_confirmed", "sent", association.id)


def test_recent_and_pending_mails_keep_their_bodies(app):
    association = make_association()
    recent = _old(association, 30)
    pending = make_outbox_message(association, created_at=utcnow() - timedelta(days=400), status="pending")
    assert drop_old_bodies(utcnow()) == 0
    db.session.refresh(recent)
    db.session.refresh(pending)
    assert recent.text_body and pending.text_body


def test_the_period_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETENTION_DAYS", 10)
    message = _old(make_association(), 30)
    drop_old_bodies(utcnow())
    db.session.refresh(message)
    assert message.text_body == ""


def test_it_works_in_batches_and_the_tick_runs_it(app):
    association = make_association()
    for _ in range(5):
        _old(association, 300)
    assert drop_old_bodies(utcnow(), batch=2) == 2
    assert drop_old_bodies(utcnow(), batch=2) == 2
    assert tick()["drop_old_bodies"] == 1
    assert drop_old_bodies(utcnow()) == 0


def test_the_mailbox_says_the_content_was_cleared(client, login_as):
    association = make_association()
    login_as("admin", association)
    message = _old(association, 200, subject="Votre séance", text_body="Bonjour Yasmine, secret")
    drop_old_bodies(utcnow())
    page = client.get(f"/a/{association.slug}/mailbox/{message.id}").get_data(as_text=True)
    assert "a été effacé" in page and "secret" not in page and "Votre séance" in page


def test_the_tick_forgets_sign_in_attempts_and_reset_requests_after_a_day(app):
    from sqlalchemy import func, select

    from intranet.auth.models import LoginAttempt, PasswordResetRequest

    now = utcnow()
    for hours in (1, 23, 25, 48):
        db.session.add(LoginAttempt(email="x@exemple.test", ip="192.0.2.1", at=now - timedelta(hours=hours)))
        db.session.add(PasswordResetRequest(email="x@exemple.test", ip="192.0.2.1", at=now - timedelta(hours=hours)))
    db.session.flush()
    tick(now)
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 2
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 2
