"""How far a background job has got (rows done of rows total), for the page that polls it.

One mechanism for every long job (imports, exports). The progress lives outside the database on
purpose: an import writes all its rows in one transaction, so a row of that transaction would stay
invisible until the end, and a second connection would wait on SQLite's lock. With REDIS_URL set, it
is a Redis key (workers on other machines share it, and it expires by itself); otherwise a small file
in the instance folder, which the web process and its in-process jobs share. Losing it loses nothing
but the bar's position: a job's result is always in the database.
"""

import logging
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import NamedTuple

from flask import current_app

log = logging.getLogger(__name__)
# A progress left behind by a job that died disappears after this long (Redis); files are small.
KEEP_SECONDS = 24 * 3600


class Progress(NamedTuple):
    """`done` of `total` rows; `total` 0 when not known yet (the bar then shows work without a figure)."""

    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int | None:
        """0 to 100, or None when the total is not known."""
        if not self.total:
            return None
        return max(0, min(100, self.done * 100 // self.total))


def report(kind: str, key: int, done: int, total: int = 0) -> None:
    """Say that the job `kind` #`key` has done `done` of `total` rows; never fails the job."""
    _check(kind)
    value = f"{max(0, int(done))} {max(0, int(total))}"
    try:
        if _redis_url():
            _redis(_redis_url()).set(_name(kind, key), value, ex=KEEP_SECONDS)
        else:
            path = _path(kind, key)
            # Written aside then renamed: a reader never sees half a file.
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, prefix=".progress-") as handle:
                handle.write(value)
            os.replace(handle.name, path)
    except Exception:  # the bar stops moving; the work goes on
        log.warning("could not save the progress of %s %s", kind, key, exc_info=True)


def read(kind: str, key: int) -> Progress:
    """The last progress reported for `kind` #`key` (nothing done, total unknown, if none)."""
    _check(kind)
    try:
        if _redis_url():
            value = _redis(_redis_url()).get(_name(kind, key))
            text = value.decode() if value else ""
        else:
            text = _path(kind, key).read_text()
        done, total = text.split()
        return Progress(int(done), int(total))
    except FileNotFoundError:
        return Progress()
    except Exception:
        log.warning("could not read the progress of %s %s", kind, key, exc_info=True)
        return Progress()


def clear(kind: str, key: int) -> None:
    """Forget the progress of a job that has finished (its result says the rest)."""
    _check(kind)
    try:
        if _redis_url():
            _redis(_redis_url()).delete(_name(kind, key))
        else:
            _path(kind, key).unlink(missing_ok=True)
    except Exception:
        log.warning("could not clear the progress of %s %s", kind, key, exc_info=True)


def _check(kind: str) -> None:
    if not kind.isidentifier():  # it names a file
        raise ValueError(f"a progress kind is a plain name, not {kind!r}")


def _redis_url() -> str:
    return current_app.config.get("REDIS_URL") or ""


def _name(kind: str, key: int) -> str:
    # Under the queue's name: deployments (and test runs) sharing one Redis keep apart.
    return f"{current_app.config.get('RQ_QUEUE', 'tremplin')}:progress:{kind}:{int(key)}"


def _path(kind: str, key: int) -> Path:
    base = current_app.config.get("PROGRESS_FOLDER") or Path(current_app.instance_path) / "progress"
    folder = Path(base)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-{int(key)}"


@cache
def _redis(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)
