"""The test database: each test runs in one transaction rolled back at its end, unless it needs real commits."""

import os
import threading

import pytest
from sqlalchemy import func, select

from intranet.extensions import db as _db
from intranet.network.models import Association
from tests.conftest import _one_transaction, _savepoint_engine
from tests.factories import make_association


def _committed(slug: str) -> int:
    """How many associations with this slug another connection sees (only committed rows)."""
    with _db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Association).where(Association.slug == slug))


def test_a_commit_stays_inside_the_test_s_transaction_and_requests_see_it(client, staff, bordeaux, db):
    # the factories committed: the test's session and the app's requests see the rows, no other connection does
    assert client.get("/a/bordeaux/").status_code == 200
    db.session.remove()  # as the app's teardown does: the next session joins the same transaction
    assert db.session.scalar(select(Association.name).where(Association.slug == "bordeaux")) == "Tremplin Bordeaux"
    assert _committed("bordeaux") == 0


@pytest.mark.commits
def test_the_transaction_is_rolled_back_at_the_end(app):
    with _one_transaction(app):
        make_association("probe")  # committed: a savepoint released
        _db.session.add(Association(name="Annulée", slug="probe-rolled-back", city="Nantes", department_code="44"))
        _db.session.flush()
        _db.session.rollback()  # back to the last savepoint only
        assert _db.session.scalars(select(Association.slug).where(Association.slug.like("probe%"))).all() == ["probe"]
    assert _db.session.scalar(select(func.count()).select_from(Association).where(Association.slug == "probe")) == 0


@pytest.mark.commits
def test_a_test_marked_commits_really_commits(db):
    make_association("committed")
    assert _committed("committed") == 1


def test_with_the_rq_worker_a_test_waiting_for_mail_commits(sent_mail):
    make_association("mail-test")
    assert _committed("mail-test") == (1 if os.environ.get("REDIS_URL") else 0)


def test_a_session_opened_in_another_thread_asks_for_real_commits(app, db):
    errors = []

    def other_thread():
        with app.app_context():
            try:
                _db.session.scalar(select(func.count()).select_from(Association))
            except RuntimeError as error:
                errors.append(str(error))

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "@pytest.mark.commits" in errors[0]


def test_the_app_s_engine_keeps_its_driver_s_transactions(app, db):
    # SQLite's savepoints need the driver's own transaction handling off: only on the test's engine, never
    # on the app's, whose booking rule relies on SQLite taking the write lock as production does.
    if _db.engine.dialect.name == "sqlite":
        assert _savepoint_engine(app) is not _db.engine
        with _db.engine.connect() as conn:
            assert conn.connection.dbapi_connection.isolation_level is not None
    else:
        assert _savepoint_engine(app) is _db.engine
    assert db.session.get_bind().engine is _savepoint_engine(app)
