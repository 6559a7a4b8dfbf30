"""The import pages of an association admin: `/a/<slug>/imports`."""

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_htmx import make_response
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from intranet.args import arg_choice, paginate
from intranet.forms import EmptyForm, show_rule_error
from intranet.imports import reading, services
from intranet.imports.forms import UploadForm, decisions_form, mapping_form, options_form
from intranet.imports.models import BatchStatus, ImportBatch, ImportKind
from intranet.progress import read as read_progress
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404

bp = association_blueprint("imports", __name__, role="admin")
ROW_STATUSES = ("error", "create", "update", "unchanged", "merged", "skipped")
ROWS_SHOWN = 200


@bp.get("/imports")
def index(form: UploadForm | None = None):
    return render("imports/index.html", form=form or UploadForm(),
                  batches=paginate(services.batches(g.association.id)))


@bp.post("/imports")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return index(form), 400
    try:
        batch = services.upload(g.association.id, current_user.id, form.kind.data, form.file.data.filename,
                                form.file.data.read(reading.MAX_BYTES + 1))
    except RuleError as error:
        show_rule_error(form, error)
        return index(form), 400
    return redirect(url_for("imports.show", import_batch_id=batch.id), 303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A file over the request limit is refused before it is read: the upload form says so beside its field."""
    if "association" not in g:  # refused by the app's own hooks, before the space was entered
        try:
            refused = bp.enter_association()
        except HTTPException as denied:
            return current_app.handle_http_exception(denied)
        if refused is not None:
            return refused
    form = UploadForm(formdata=None)
    form.file.errors = [services.too_large()]
    return index(form), 413


def _context(batch: ImportBatch) -> dict:
    fields = services.fields_for(batch.kind, batch.association_id)
    values = services.value_choices(batch) if batch.preview.get("headers") else {}
    status = arg_choice("rows", ROW_STATUSES, "")
    rows = batch.report.get("rows", [])
    # By default what needs a look: errors, updates and warnings; each status has its own list too.
    shown = [r for r in rows if (r["status"] == status if status else r["status"] in ("error", "update"))
             or (not status and r["warnings"])]
    return {"batch": batch, "fields": {f.key: f for f in fields}, "values": values, "row_status": status,
            "shown": shown[:ROWS_SHOWN], "more": max(0, len(shown) - ROWS_SHOWN),
            "progress": read_progress(services.PROGRESS, batch.id), "blockers": services.undo_blockers(batch)
            if batch.status == BatchStatus.COMMITTED else [], "step": arg_choice("step", ("mapping",), ""),
            "uninvited": services.uninvited(batch)
            if batch.status == BatchStatus.COMMITTED and batch.kind == ImportKind.VOLUNTEERS else []}


@bp.get("/imports/<int:import_batch_id>")
def show(import_batch_id: int, **forms):
    batch = get_or_404(ImportBatch, import_batch_id)
    context = _context(batch)
    fields = list(context["fields"].values())
    forms.setdefault("options", options_form(batch) if batch.options else None)
    forms.setdefault("mapping", mapping_form(batch, fields, context["values"]) if batch.preview.get("headers") else None)
    forms.setdefault("decisions", decisions_form(batch, context["fields"]) if batch.report.get("groups") else None)
    return render("imports/show.html", "progress" if request.args.get("part") == "progress" else None,
                  action=EmptyForm(), **forms, **context)


@bp.get("/imports/<int:import_batch_id>/progress")
def progress(import_batch_id: int):
    """The progress bar a page polls; once the job is done, the page reloads itself."""
    batch = get_or_404(ImportBatch, import_batch_id)
    if not batch.running:
        return make_response("", redirect=url_for("imports.show", import_batch_id=batch.id))
    return render("imports/show.html", "progress", batch=batch, progress=read_progress(services.PROGRESS, batch.id))


def _back(batch: ImportBatch, announce: str | None = None, **args):
    if announce:
        flash(announce, "success")
    return redirect(url_for("imports.show", import_batch_id=batch.id, **args), 303)


@bp.post("/imports/<int:import_batch_id>/options")
def read_again(import_batch_id: int):
    batch = get_or_404(ImportBatch, import_batch_id)
    form = options_form(batch, request.form)
    if batch.status not in (BatchStatus.READ, BatchStatus.CHECKED, BatchStatus.FAILED) or not batch.stored_name:
        abort(409)
    if not form.validate_on_submit():
        return show(import_batch_id, options=form), 400
    chosen = {k: form[k].data for k in ("encoding", "delimiter", "sheet", "header_row") if k in form}
    batch.options = {**batch.options, "chosen": chosen}
    services.schedule(batch, BatchStatus.READING)
    return _back(batch)


@bp.post("/imports/<int:import_batch_id>/mapping")
def save_mapping(import_batch_id: int):
    batch = get_or_404(ImportBatch, import_batch_id)
    context = _context(batch)
    form = mapping_form(batch, list(context["fields"].values()), context["values"], request.form)
    if not form.validate_on_submit():
        return show(import_batch_id, mapping=form), 400
    headers = batch.preview.get("headers", [])
    columns = {h: form[f"col_{i}"].data for i, h in enumerate(headers)}
    values = {}
    for i, header in enumerate(headers):
        if header in context["values"] and columns[header] == context["values"][header]["field"].key:
            key = columns[header]
            for j, (value, _count, _chosen) in enumerate(context["values"][header]["values"]):
                values.setdefault(key, {})[value] = form[f"val_{i}_{j}"].data
    try:
        services.save_mapping(batch, columns, values, form.consent.data)
    except RuleError as error:
        show_rule_error(form, error)
        return show(import_batch_id, mapping=form), 400
    return _back(batch)


@bp.post("/imports/<int:import_batch_id>/decisions")
def decide(import_batch_id: int):
    batch = get_or_404(ImportBatch, import_batch_id)
    fields = {f.key: f for f in services.fields_for(batch.kind, batch.association_id)}
    form = decisions_form(batch, fields, request.form)
    if not form.validate_on_submit():
        return show(import_batch_id, decisions=form), 400
    decisions = {}
    for group in batch.report.get("groups", []):
        picks = {c["key"]: form[f"pick_{group['id']}_{c['key']}"].data for c in group.get("fields", [])}
        decisions[group["id"]] = {"action": form[f"action_{group['id']}"].data, "keep": group["keep"],
                                  "fields": picks}
    try:
        services.set_decisions(batch, decisions)
    except RuleError as error:
        show_rule_error(None, error)
        return _back(batch)
    return _back(batch)


def _action(import_batch_id: int, service, message: str):
    batch = get_or_404(ImportBatch, import_batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service(batch)
    except RuleError as error:
        show_rule_error(None, error)
        return redirect(url_for("imports.show", import_batch_id=batch.id), 303)
    return _back(batch, message)


@bp.post("/imports/<int:import_batch_id>/commit")
def commit(import_batch_id: int):
    return _action(import_batch_id, services.start_commit, "")


@bp.post("/imports/<int:import_batch_id>/undo")
def undo(import_batch_id: int):
    return _action(import_batch_id, services.undo, _("L’import a été annulé : ce qu’il avait créé est retiré."))


@bp.post("/imports/<int:import_batch_id>/invite")
def invite(import_batch_id: int):
    """Send their invitation to the volunteers the import added: the import itself mailed nobody."""
    batch = get_or_404(ImportBatch, import_batch_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        sent = services.invite_imported(batch, current_user)
    except RuleError as error:
        show_rule_error(None, error)
        return _back(batch)
    return _back(batch, ngettext("%(num)s invitation envoyée.", "%(num)s invitations envoyées.", sent))


@bp.post("/imports/<int:import_batch_id>/cancel")
def cancel(import_batch_id: int):
    return _action(import_batch_id, services.cancel, _("Import abandonné ; le fichier déposé est supprimé."))


@bp.get("/imports/export")
def export():
    """The beneficiaries in the columns of the association's spreadsheet, to keep a spreadsheet view meanwhile."""
    fmt = arg_choice("format", ("csv", "xlsx"), "csv")
    return Response(services.export_beneficiaries(g.association.id, fmt), mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="beneficiaires-{g.association.slug}.{fmt}"'})


MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/imports/<int:import_batch_id>/errors")
def errors(import_batch_id: int):
    """The rows in error, with the file's columns and a "motif" column, as CSV or Excel."""
    batch = get_or_404(ImportBatch, import_batch_id)
    fmt = arg_choice("format", ("csv", "xlsx"), "csv")
    data = services.error_file(batch, fmt)
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="erreurs-import-{batch.id}.{fmt}"'})
