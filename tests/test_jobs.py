"""The job queue: the tick comes back every minute, a work horse finds the app built, a dead Redis is survived."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import text

from config import TestConfig
from intranet import create_app, jobs
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


def test_the_periodic_tick_runs_the_steps_and_schedules_the_next_tick_once(app, db, monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "PERIODIC", {"ran": ran.append})
    now = utcnow()
    jobs.periodic_tick()
    assert len(ran) == 1
    if app.config["REDIS_URL"]:  # under RQ: the next minute's tick, once, however many workers schedule it
        from rq.registry import ScheduledJobRegistry

        jobs.schedule_next_tick(now)
        jobs.schedule_next_tick(now)
        next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        registry = ScheduledJobRegistry(queue=jobs._queue(app.config["REDIS_URL"], app.config["RQ_QUEUE"]))
        at_next_minute = [job_id for job_id in registry.get_job_ids()
                          if registry.get_scheduled_time(job_id) == next_minute]
        assert len(at_next_minute) == 1


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
