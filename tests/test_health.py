"""/healthz: 503 only when this node cannot serve, answered within three seconds; "degraded" (200) when
something behind the app lags: Redis down, a tick late, mail overdue or held by the breaker."""

import socket
import time
from datetime import timedelta

import pytest

from config import TestConfig
from intranet import create_app, ticks
from intranet.clock import utcnow
from intranet.extensions import db as _db
from tests.factories import make_outbox_message

pytestmark = pytest.mark.commits  # the check reads on a connection of its own: the rows must be committed


@pytest.fixture
def ticked(app):
    """Every periodic schedule has just run."""
    now = utcnow()
    for name in ticks.schedules(app.config):
        _db.session.add(ticks.PeriodicRun(name=name, period_start=now, claimed_by="test", finished_at=now))
    _db.session.commit()


@pytest.fixture
def mail_leaves(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", app.config["MAIL_SERVER"] or "127.0.0.1")


def test_healthz_is_ok_when_the_database_answers_and_the_work_keeps_up(client, app, ticked, mail_leaves):
    response = client.get("/healthz")
    assert response.status_code == 200
    state = response.json
    assert (state["status"], state["database"]) == ("ok", "ok")
    assert state["redis"] == ("ok" if app.config["REDIS_URL"] else "not configured")
    assert 0 <= state["last_tick_s"] < 5 and set(state["ticks"]) == {"tick", "mail_tick"}
    assert (state["outbox_overdue"], state["outbox_held"]) == (0, 0)


def test_redis_down_alone_is_degraded_with_a_200(client, app, ticked, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"].startswith("error") and response.json["status"] == "degraded"
    assert response.json["database"] == "ok"


def test_a_late_tick_and_overdue_mail_are_reported_and_degrade(client, app, mail_leaves):
    long_ago = utcnow() - timedelta(minutes=10)
    for name in ticks.schedules(app.config):
        _db.session.add(ticks.PeriodicRun(name=name, period_start=long_ago, claimed_by="test", finished_at=long_ago))
    make_outbox_message(None, next_attempt_at=long_ago)  # due ten minutes ago, never taken
    make_outbox_message(None, next_attempt_at=utcnow())  # due now: the next mail tick takes it
    _db.session.commit()
    state = client.get("/healthz").json
    assert state["status"] == "degraded" and state["last_tick_s"] >= 600
    assert state["outbox_overdue"] == 1


def test_mail_held_by_the_breaker_is_reported_and_degrades(client, app, ticked, mail_leaves):
    make_outbox_message(None, waits_for_server=True, next_attempt_at=utcnow() + timedelta(seconds=10),
                        last_error="Connection refused")
    _db.session.commit()
    state = client.get("/healthz").json
    assert (state["status"], state["outbox_held"], state["outbox_overdue"]) == ("degraded", 1, 0)


def test_without_smtp_the_outbox_is_the_mailbox_and_nothing_is_overdue(client, app, ticked, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    make_outbox_message(None, next_attempt_at=utcnow() - timedelta(days=1))
    _db.session.commit()
    state = client.get("/healthz").json
    assert (state["status"], state["outbox_overdue"]) == ("ok", None)


def _app_on(url: str):
    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = ""

    return create_app(Broken)


def test_a_database_that_refuses_connections_is_a_503():
    response = _app_on("postgresql+psycopg://nobody@127.0.0.1:1/none").test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"].startswith("error") and response.json["status"] == "unavailable"


def test_a_database_that_accepts_connections_but_never_answers_is_a_503_within_three_seconds():
    with socket.socket() as silent:  # the kernel accepts the connection; nobody ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = _app_on(f"postgresql+psycopg://nobody@127.0.0.1:{silent.getsockname()[1]}/none").test_client()
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503 and response.json["database"].startswith("error")
    assert elapsed < 3


def test_postgresql_connections_carry_timeouts_and_never_prepare_statements():
    # A prepared statement gets a generic plan after five runs: a list bounded by a date got one 200 times slower.
    app = _app_on("postgresql+psycopg://nobody@127.0.0.1:1/none")
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect_args == {"connect_timeout": 2, "options": "-c statement_timeout=20000", "prepare_threshold": None}
