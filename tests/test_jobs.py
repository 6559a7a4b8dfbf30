"""The job queue: each period of the tick runs once on one process, a work horse finds the app built, a dead
Redis is survived."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select, text

from config import TestConfig
from intranet import create_app, jobs, ticks
from intranet.clock import utcnow
from intranet.extensions import db as _db
from tests.conftest import _wait_for_queued_jobs
from tests.factories import make_outbox_message
from tests.mailsink import MailSink

APP_REPORTS: list[dict] = []


def report_app() -> dict:
    """A job telling which app it runs in, and whether its process had to build one."""
    info = jobs._worker_app.cache_info()
    report = {"app_name": current_app.name, "testing": current_app.testing, "built": info.misses, "reused": info.hits}
    APP_REPORTS.append(report)
    return report


def _app(app, **settings):
    class Settings(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = ""

    for name, value in settings.items():
        setattr(Settings, name, value)
    return create_app(Settings)


@pytest.mark.commits  # the ticker and its jobs run in other threads
def test_a_serving_process_without_redis_ticks_in_a_thread_until_stopped(app, db):
    sink = MailSink().start()
    serving = _app(app, TESTING=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    try:
        with serving.app_context():
            message = make_outbox_message(None)
            ticker = jobs.start_ticker(serving, interval=0.05)
            assert jobs.start_ticker(serving) is ticker  # once per process
            sink.wait_for(message.to_address)
            ticker.stop()
            serving.extensions["jobs"].drain()
            assert len(sink.to(message.to_address)) == 1  # many ticks, one mail
    finally:
        sink.stop()


def test_no_ticker_under_tests_nor_with_redis(app):
    assert jobs.start_ticker(app) is None
    assert jobs.start_ticker(_app(app, TESTING=False, REDIS_URL="redis://127.0.0.1:6379/0")) is None


def _at(seconds: float):
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(seconds=seconds)


def test_each_period_runs_on_one_process_only_whoever_tries_first(app, db, monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "PERIODIC", {"ran": ran.append})
    first, second = ticks.Schedule(), ticks.Schedule()  # two workers
    assert first.run_due(_at(0.5)) == {"tick": {"ran": None}}
    assert second.run_due(_at(1)) == {}  # the same minute: taken
    assert first.run_due(_at(30)) == {} and second.run_due(_at(59)) == {}
    assert second.run_due(_at(60.2)) == {"tick": {"ran": None}}  # the next minute: whoever comes first
    assert first.run_due(_at(61)) == {}
    assert ran == [_at(0.5), _at(60.2)]
    claimed_by = db.session.scalar(select(ticks.PeriodicRun.claimed_by).where(ticks.PeriodicRun.name == "tick"))
    assert claimed_by == ticks.process_name()


def test_a_process_tries_each_period_once_and_asks_the_database_only_then(app, db, monkeypatch):
    monkeypatch.setattr(jobs, "PERIODIC", {"ran": lambda now: None})
    schedule = ticks.Schedule()
    assert schedule.due(app.config, _at(0)) == {"tick": _at(0)}
    schedule.run_due(_at(0))
    assert schedule.due(app.config, _at(59)) == {}
    assert schedule.due(app.config, _at(60)) == {"tick": _at(60)}


def test_each_step_runs_on_its_own_schedule(app, db, monkeypatch):
    every_minute, often = [], []
    monkeypatch.setattr(jobs, "PERIODIC", {})
    jobs.periodic("minute")(lambda now: every_minute.append(now))
    jobs.periodic("often", every="mail_tick")(lambda now: often.append(now))
    assert ticks.schedules(app.config) == {"tick": 60, "mail_tick": 15}
    schedule = ticks.Schedule()
    for second in range(0, 61, 5):
        schedule.run_due(_at(second))
    assert every_minute == [_at(0), _at(60)]
    assert often == [_at(0), _at(15), _at(30), _at(45), _at(60)]


def test_a_gap_between_ticks_is_logged_as_a_warning(app, db, monkeypatch, caplog):
    monkeypatch.setattr(jobs, "PERIODIC", {"ran": lambda now: None})
    ticks.Schedule().run_due(utcnow() - timedelta(minutes=10))
    with caplog.at_level(logging.WARNING, logger="intranet.ticks"):
        ticks.Schedule().run_due(utcnow())
    assert any("tick: no run for" in record.getMessage() for record in caplog.records)


def test_an_old_scheduled_tick_left_in_redis_does_nothing(db):
    assert jobs.periodic_tick() is None


def test_a_job_finds_the_app_built(app, db):
    APP_REPORTS.clear()
    if app.config["REDIS_URL"]:  # an RQ work horse inherits the app its worker built before forking
        job = jobs._queue(app.config["REDIS_URL"], app.config["RQ_QUEUE"]).enqueue(jobs.run, f"{__name__}.report_app")
        _wait_for_queued_jobs(app)
        report = job.return_value()
        assert report["built"] == 1 and report["reused"] >= 1
    else:  # the in-process runner runs jobs in the serving app itself
        assert jobs.enqueue(f"{__name__}.report_app")
        app.extensions["jobs"].drain()
        assert [{"app_name": app.name, "testing": True, "built": 0, "reused": 0}] == APP_REPORTS


def test_a_job_queued_while_redis_is_down_is_reported_not_raised(app, db):
    with _app(app, REDIS_URL="redis://127.0.0.1:1/0").app_context():
        assert jobs.enqueue(f"{__name__}.report_app") is False


def test_a_failing_tick_step_does_not_stop_the_others(db, monkeypatch):
    ran = []

    def broken(now):
        _db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setattr(jobs, "PERIODIC", {"broken": broken, "ran": ran.append})
    results = jobs.tick()
    assert "broken" not in results and len(ran) == 1
