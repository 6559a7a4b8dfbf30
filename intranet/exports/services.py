"""Start an export, run it with its progress, hand its file out, delete it after 24 hours (the row stays as the log).

An export of at most `EXPORT_SYNC_ROWS` rows is answered at once; a larger one, and every file of the network
office's reports (`sources.REPORTS`: their rows are counted by running their query), is a job row that a worker runs
(queued after the request's commit; a periodic step queues again any job left waiting), reporting its progress
every `PROGRESS_EVERY` rows (`jobs.run`, through `intranet.progress`) so the page polling it moves, and its file in
the database (every machine can hand it out) until `KEEP` has passed.
"""

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from intranet import progress
from intranet.clock import utcnow
from intranet.exports.files import Table, csv_chunks, xlsx_bytes
from intranet.exports.models import ExportFormat, ExportJob, ExportStatus
from intranet.exports.sources import REPORTS, SOURCES, Source
from intranet.extensions import db
from intranet.network.models import Association
from intranet.progress import Progress
from intranet.tenancy import has_role

KEEP = timedelta(hours=24)
PROGRESS_EVERY = 1000
PROGRESS = "export"  # the kind of job, for intranet.progress
RUN = "intranet.exports.jobs.run"


def count(source: Source, association: Association, settings: dict) -> int:
    return db.session.scalar(select(func.count()).select_from(source.query(association, settings).subquery()))


def chunked(rows: Iterable, size: int) -> Iterator[list]:
    """The rows in lists of `size` (the last one shorter)."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def table(source: Source, association: Association, settings: dict, chunks: Iterable[list]) -> Table:
    """The file's table from the query's rows in chunks: each chunk is read in full before the next is asked for."""

    def lines():
        for chunk in chunks:
            for item in source.batch(association, settings, chunk) if source.batch else chunk:
                yield source.row(association, item)

    return Table(source.title, source.headers, lines())


def render(source: Source, fmt: str, association: Association, settings: dict, chunks: Iterable[list]) -> bytes:
    data = table(source, association, settings, chunks)
    return xlsx_bytes(data) if fmt == ExportFormat.XLSX else "".join(csv_chunks(data)).encode("utf-8")


def allowed(source_name: str) -> Source | None:
    """The source, if it exists and the current user may see its list (inside an association's request)."""
    source = SOURCES.get(source_name)
    return source if source is not None and has_role(source.role) else None


def filename(source: Source, association: Association, fmt: str) -> str:
    return f"{source.title}-{association.slug}-{utcnow():%Y-%m-%d}.{fmt}"


def start(source_name: str, fmt: str, association: Association, user, args: MultiDict) -> tuple[ExportJob | None, bytes | None]:
    """A small export's file at once (None, bytes), or the job of a large one (job, None)."""
    source = SOURCES[source_name]
    settings = source.filters(args)
    total = count(source, association, settings)
    if total <= current_app.config["EXPORT_SYNC_ROWS"]:
        query = source.query(association, settings)
        rows = db.session.execute(query)
        rows = rows.scalars() if len(query.column_descriptions) == 1 else rows
        return None, render(source, fmt, association, settings, chunked(rows, PROGRESS_EVERY))
    job = ExportJob(association_id=association.id, user_id=user.id, source=source.name, fmt=fmt,
                    args=json.dumps(settings), rows_total=total, filename=filename(source, association, fmt))
    return _queued(job), None


def _queued(job: ExportJob) -> ExportJob:
    """The job written, to be queued once the request's transaction commits."""
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault("exports_new", []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _queue_new_exports(session: Session) -> None:
    from intranet import jobs

    for job_id in session.info.pop("exports_new", []):
        jobs.enqueue(RUN, job_id)


@event.listens_for(Session, "after_rollback")
def _forget_new_exports(session: Session) -> None:
    session.info.pop("exports_new", None)


def start_report(report_name: str, fmt: str, user, settings: dict, filename: str) -> ExportJob:
    """A network office's file, always a job (its row is also the log of who exported what)."""
    return _queued(ExportJob(association_id=None, user_id=user.id, source=REPORTS[report_name].name, fmt=fmt,
                             args=json.dumps(settings), filename=f"{filename}.{fmt}"))


def log_network_export(user, source: str, fmt: str, rows: int, settings: dict) -> int:
    """The network office's exports are logged as rows of their own (who, what, when, which filters): the row's id."""
    now = utcnow()
    row = ExportJob(association_id=None, user_id=user.id, source=source, fmt=fmt, args=json.dumps(settings),
                    status=ExportStatus.PURGED, rows_total=rows, rows_done=rows, finished_at=now, created_at=now,
                    filename=f"{source}.{fmt}")
    db.session.add(row)
    db.session.flush()
    return row.id


def expire(now) -> int:
    """Delete the files kept more than 24 hours; their rows stay, as the log of who exported what."""
    return db.session.execute(update(ExportJob).where(ExportJob.status == ExportStatus.DONE, ExportJob.expires_at <= now)
                              .values(content=None, status=ExportStatus.PURGED)).rowcount


def forgotten(now) -> list[int]:
    """Jobs still waiting a minute after they were asked for (the queue lost them): to queue again."""
    return list(db.session.scalars(select(ExportJob.id).where(ExportJob.status == ExportStatus.PENDING,
                                                              ExportJob.created_at <= now - timedelta(minutes=1))))


def progress_of(job: ExportJob) -> Progress:
    """Rows written of rows to write: reported by the running job, or the job's own figures once it ended."""
    if job.working:
        running = progress.read(PROGRESS, job.id)
        return Progress(running.done, running.total or job.rows_total)
    return Progress(job.rows_done, job.rows_total)


def network_log(limit: int = 10) -> list:
    """The network office's latest exports: when, who, what, how many rows."""
    from intranet.auth.models import User

    return db.session.execute(
        select(ExportJob.created_at, User.name, ExportJob.source, ExportJob.fmt, ExportJob.rows_total)
        .join(User, User.id == ExportJob.user_id).where(ExportJob.association_id.is_(None))
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)).all()
