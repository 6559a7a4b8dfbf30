"""The export job (its file written with its progress), and the periodic step: expired files deleted, lost jobs queued."""

import json

from sqlalchemy import update

from intranet import jobs, progress
from intranet.clock import utcnow
from intranet.exports import services
from intranet.exports.files import csv_chunks, xlsx_bytes
from intranet.exports.models import ExportFormat, ExportJob, ExportStatus
from intranet.exports.services import KEEP, PROGRESS, PROGRESS_EVERY, REPORTS, SOURCES, render
from intranet.extensions import db
from intranet.network.models import Association


@jobs.periodic()
def exports_housekeeping(now) -> None:
    services.expire(now)
    for job_id in services.forgotten(now):
        jobs.enqueue(services.RUN, job_id)


def run(job_id: int) -> None:
    """Write the export's file, reporting its progress as it goes (`intranet.progress`)."""
    claimed = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == ExportStatus.PENDING)
                                 .values(status=ExportStatus.RUNNING)).rowcount
    db.session.commit()
    if not claimed:  # taken by another worker, or already done
        return
    job = db.session.get(ExportJob, job_id)
    try:
        content, done = (_report_file if job.association_id is None else _list_file)(job, json.loads(job.args))
    except Exception as error:  # the job says so; the person may start it again
        db.session.rollback()
        db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
            status=ExportStatus.FAILED, error=str(error)[:500], finished_at=utcnow()))
        db.session.commit()
        progress.clear(PROGRESS, job_id)
        raise
    progress.clear(PROGRESS, job_id)
    now = utcnow()
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(
        status=ExportStatus.DONE, rows_done=done, rows_total=done, content=content,
        finished_at=now, expires_at=now + KEEP))


def _list_file(job: ExportJob, settings: dict) -> tuple[bytes, int]:
    """An association's list, read by pages of PROGRESS_EVERY rows."""
    association = db.session.get(Association, job.association_id)
    source, total = SOURCES[job.source], job.rows_total
    progress.report(PROGRESS, job.id, 0, total)
    query = source.query(association, settings)
    single = len(query.column_descriptions) == 1
    done = 0

    def chunks():
        nonlocal done
        while True:
            chunk = db.session.execute(query.limit(PROGRESS_EVERY).offset(done)).all()
            yield [row[0] for row in chunk] if single else chunk
            done += len(chunk)
            progress.report(PROGRESS, job.id, done, max(total, done))
            if len(chunk) < PROGRESS_EVERY:
                return

    return render(source, job.fmt, association, settings, chunks()), done


def _report_file(job: ExportJob, settings: dict) -> tuple[bytes, int]:
    """A network office's report: its rows counted first, then read as they are written."""
    report = REPORTS[job.source]
    total = report.count(settings)
    progress.report(PROGRESS, job.id, 0, total)
    done = 0

    def seen() -> None:
        nonlocal done
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress.report(PROGRESS, job.id, done, max(total, done))

    tables = report.tables(settings, seen)
    if job.fmt == ExportFormat.XLSX:
        return xlsx_bytes(*tables), done
    return "".join(csv_chunks(tables[0])).encode("utf-8"), done
