"""The progress of background jobs: one store for imports and exports, readable from any process or machine."""

import pytest

from intranet import progress
from intranet.progress import Progress


@pytest.fixture(params=["file", "redis"])
def store(request, app, monkeypatch, tmp_path):
    """Each test runs on the instance folder's files, and on Redis when the suite has one (REDIS_URL)."""
    if request.param == "file":
        monkeypatch.setitem(app.config, "REDIS_URL", "")
        monkeypatch.setitem(app.config, "PROGRESS_FOLDER", str(tmp_path / "progress"))
    elif not app.config["REDIS_URL"]:
        pytest.skip("no Redis (REDIS_URL) for this run")
    yield request.param
    progress.clear("test_job", 7)


def test_a_reported_progress_is_read_back_then_cleared(store):
    assert progress.read("test_job", 7) == Progress(0, 0)
    progress.report("test_job", 7, 1500, 20_000)
    assert progress.read("test_job", 7) == Progress(1500, 20_000)
    assert progress.read("test_job", 8) == Progress(0, 0)  # each job its own
    progress.clear("test_job", 7)
    assert progress.read("test_job", 7) == Progress(0, 0)


def test_a_progress_left_by_a_dead_job_expires_in_redis(app):
    if not app.config["REDIS_URL"]:
        pytest.skip("no Redis (REDIS_URL) for this run")
    progress.report("test_job", 7, 1, 2)
    assert 0 < progress._redis(app.config["REDIS_URL"]).ttl(progress._name("test_job", 7)) <= progress.KEEP_SECONDS
    progress.clear("test_job", 7)


def test_percent_is_none_while_the_total_is_unknown():
    assert Progress(5, 0).percent is None
    assert Progress(1500, 20_000).percent == 7
    assert Progress(30, 20).percent == 100


def test_an_unreachable_store_never_fails_the_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nobody listens there
    progress.report("test_job", 7, 1, 2)
    assert progress.read("test_job", 7) == Progress(0, 0)


def test_a_kind_is_a_plain_name(app):
    with pytest.raises(ValueError):
        progress.report("../etc", 1, 0)
