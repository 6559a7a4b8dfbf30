"""Export an association's list: at once when small, else as a job whose progress the page polls."""

from urllib.parse import parse_qsl, urlencode

from flask import Response, abort, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, SelectField

from intranet.exports import services
from intranet.exports.files import XLSX_TYPE
from intranet.exports.models import ExportFormat, ExportJob
from intranet.exports.sources import REPORTS, SOURCES
from intranet.extensions import db
from intranet.rendering import render
from intranet.tenancy import association_blueprint, get_or_404, has_role, network_blueprint

bp = association_blueprint("exports", __name__, role="staff")
network_bp = network_blueprint("network_exports", __name__)


class ExportForm(FlaskForm):
    fmt = SelectField(choices=ExportFormat.choices(), default=ExportFormat.CSV)
    query = HiddenField()  # the list's current filters, as its query string


def export_form(args: dict) -> ExportForm:
    """The form a list page shows, carrying its current filters."""
    return ExportForm(query=urlencode({k: v for k, v in args.items() if v not in ("", None)}, doseq=True))


def _file(content: bytes, fmt: str, name: str) -> Response:
    mimetype = XLSX_TYPE if fmt == ExportFormat.XLSX else "text/csv; charset=utf-8"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/exports/<source>")
def start(source: str):
    if services.allowed(source) is None:  # unknown, or a list this person does not see
        abort(404)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    query = form.query.data or ""
    args = MultiDict(parse_qsl(query, max_num_fields=50) if len(query) < 2000 else [])
    for name in ("from", "to"):  # the dates of an export of appointments
        if request.form.get(name):
            args[name] = request.form[name][:10]
    job, content = services.start(source, form.fmt.data, g.association, current_user, args)
    if job is None:
        return _file(content, form.fmt.data, services.filename(SOURCES[source], g.association, form.fmt.data))
    return redirect(url_for("exports.show", export_job_id=job.id))


def _load(export_job_id: int) -> ExportJob:
    job = get_or_404(ExportJob, export_job_id)
    if job.user_id != current_user.id and not has_role("admin"):  # an export is its author's (and the admins')
        abort(404)
    return job


@bp.get("/exports/<int:export_job_id>")
def show(export_job_id: int):
    job = _load(export_job_id)
    source = SOURCES.get(job.source)  # an export of a list that no longer exists keeps its row
    return _progress_page(job, source.title if source else job.source, "exports.show", "exports.download")


@bp.get("/exports/<int:export_job_id>/file")
def download(export_job_id: int):
    return _kept_file(_load(export_job_id))


def _progress_page(job: ExportJob, title: str, show: str, download: str, **extra):
    """The page polling a job's progress, then offering its file (`show`, `download`: its endpoints)."""
    return render("exports/show.html", "progress", job=job, title=title, progress=services.progress_of(job),
                  here=url_for(show, export_job_id=job.id), file_url=url_for(download, export_job_id=job.id), **extra)


def _kept_file(job: ExportJob) -> Response:
    if job.content is None:  # not written yet, or deleted after 24 hours
        abort(404)
    return _file(job.content, job.fmt, job.filename)


# --- the network office's reports' files -------------------------------------------------------------------


def _load_report(export_job_id: int) -> ExportJob:
    """A network office's file, its author's only (never an association's export)."""
    job = db.session.get(ExportJob, export_job_id)
    if job is None or job.association_id is not None or job.user_id != current_user.id:
        abort(404)
    return job


@network_bp.get("/exports/<int:export_job_id>")
def report_show(export_job_id: int):
    job = _load_report(export_job_id)
    report = REPORTS.get(job.source)
    return _progress_page(job, report.title if report else job.source, "network_exports.report_show",
                          "network_exports.report_download", back=url_for("reporting.esf_report"))


@network_bp.get("/exports/<int:export_job_id>/file")
def report_download(export_job_id: int):
    return _kept_file(_load_report(export_job_id))
