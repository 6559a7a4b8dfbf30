"""The network office's consolidated view and its read-only drill-down into one association's figures."""

import logging

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from intranet.args import arg_choice, arg_int
from intranet.clock import today_in
from intranet.exports import files as exports
from intranet.exports import services as export_services
from intranet.extensions import db
from intranet.forms import show_rule_error
from intranet.network.models import Association
from intranet.rendering import render
from intranet.reporting import dashboard, esf, esf_files
from intranet.reporting.figures import DEFAULT_MINUTES_PER_MAIL
from intranet.reporting.forms import ParticipantRuleForm
from intranet.reporting.periods import Filters, Period, PeriodKind, RuralChoice, filters_from_request
from intranet.reporting.registry import figures_by_key
from intranet.rules import RuleError
from intranet.tenancy import network_blueprint

bp = network_blueprint("reporting", __name__)
export_log = logging.getLogger("intranet.exports")


def read_filters(*, associations: bool = True) -> Filters:
    filters = filters_from_request([p.code for p in dashboard.programs()], associations=associations)
    filters.extra["minutes"] = arg_int("minutes", DEFAULT_MINUTES_PER_MAIL, min=1, max=120)
    return filters


def _sort() -> tuple[str, bool]:
    sort = arg_choice("sort", ["name", *figures_by_key()], "people")
    return sort, arg_choice("order", ["asc", "desc"], "asc" if sort == "name" else "desc") == "desc"


@bp.get("/")
def network():
    filters = read_filters()
    associations = dashboard.associations()
    shown = [a for a in associations if not filters.associations or a.id in filters.associations]
    sort, descending = _sort()
    context, remote, computed_at = dashboard.network_page(filters)
    rows = dashboard.comparison(context["values"], shown, sort, descending)
    return render(
        "reporting/network.html", "figures", filters=filters, associations=associations, rows=rows,
        programs=dashboard.programs(), sort=sort, descending=descending, compare=dashboard.compare_figures(),
        remote=remote, computed_at=computed_at, association_departments={a.department_code for a in associations},
        france=dashboard.france_map(context["department_counts"], {a.department_code for a in associations}),
        PeriodKind=PeriodKind, RuralChoice=RuralChoice, minutes=filters.extra["minutes"],
        announce=_("Chiffres mis à jour : %(period)s", period=filters.period.label), **context)


@bp.get("/figures/<int:association_id>")
def association_figures(association_id: int):
    """One association's figures and trends, read-only: never a personal file."""
    association = db.session.get(Association, association_id)
    if association is None:
        abort(404)
    base = read_filters(associations=False)
    filters = Filters(base.period, (association.id,), base.program, base.department, base.rural, base.extra)
    context, _remote, computed_at = dashboard.network_page(filters, whole=False)
    return render("reporting/association.html", "figures", association=association, filters=filters,
                  programs=dashboard.programs(), PeriodKind=PeriodKind, RuralChoice=RuralChoice, computed_at=computed_at,
                  minutes=filters.extra["minutes"], own=context["values"].get(association.id, {}), **context)


# --- the ESF+ report ---------------------------------------------------------------------------------------


def _esf_filters() -> Filters:
    filters = read_filters()
    if "period" not in request.args:  # the report is yearly unless asked otherwise
        filters = Filters(Period.of(PeriodKind.YEAR, filters.period.end), filters.associations, filters.program,
                          extra=filters.extra)
    return filters


def _esf_page(form: ParticipantRuleForm | None = None, status: int = 200):
    filters = _esf_filters()
    chosen = esf.rule()
    rows = esf.participants(filters, chosen)
    form = form or ParticipantRuleForm(formdata=None, obj=chosen)
    return render("reporting/esf.html", "figures", filters=filters, programs=dashboard.programs(),
                  associations=dashboard.associations(), indicators=esf.indicators(rows), participants=len(rows),
                  operations=esf.completeness(rows), rule=chosen.text, rule_form=form,
                  missing_names=esf.MISSING_ITEMS, WARN=esf.WARN_FROM, CORRECTION=esf.CORRECTION_ABOVE,
                  PeriodKind=PeriodKind, RuralChoice=RuralChoice, minutes=filters.extra["minutes"],
                  gender_columns=esf.GENDER_COLUMNS, exports_log=export_services.network_log()), status


@bp.get("/esf")
def esf_report():
    return _esf_page()


@bp.post("/esf/rule")
def esf_rule():
    """The network office changes who counts as a participant; the report and its files follow at once."""
    form = ParticipantRuleForm()
    if form.validate_on_submit():
        try:
            changed = esf.set_rule(esf.Rule(form.remote_min_days.data, form.in_person_min_days.data,
                                            form.collective_only_counts.data), by=current_user)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Règle des participant·es enregistrée.") if changed else _("La règle n’a pas changé."), "success")
            return redirect(url_for("reporting.esf_report") + "#rule-title")
    return _esf_page(form, 422)


ESF_FILES = {"participants-xlsx": (esf_files.PARTICIPANTS, "xlsx"), "participants-csv": (esf_files.PARTICIPANTS, "csv"),
             "indicators-csv": (esf_files.INDICATORS, "csv")}


@bp.post("/esf/export")
def esf_export():
    """Prepare one of the report's files for the page's filters and the rule in force (a job: the page shows its
    progress, then the file); the job's row logs who exported what."""
    form = FlaskForm()
    chosen = ESF_FILES.get(request.form.get("file", ""))
    if chosen is None or not form.validate_on_submit():
        abort(400)
    report, fmt = chosen
    filters = _esf_filters()
    settings = esf_files.settings(filters, esf.rule())
    job = export_services.start_report(report.name, fmt, current_user, settings, esf_files.filename(
        "participants" if report is esf_files.PARTICIPANTS else "indicateurs", filters))
    export_log.info("export %s by user %s: filters %s", report.name, current_user.id, settings)
    return redirect(url_for("network_exports.report_show", export_job_id=job.id))


def log_export(what: str, rows: int, settings: dict) -> int:
    """The network office's exports written at once are logged (who, what, when, which filters): a row each (its id
    returned), and the log file."""
    fmt = (request.view_args or {}).get("fmt", "csv")
    export_log.info("export %s by user %s: %s rows, filters %s", what, current_user.id, rows, settings)
    return export_services.log_network_export(current_user, what, fmt, rows, settings)


# --- the volunteers' hours by association ------------------------------------------------------------------


@bp.get("/volunteer-hours/export.csv", defaults={"fmt": "csv"})
@bp.get("/volunteer-hours/export.xlsx", defaults={"fmt": "xlsx"})
def volunteer_hours_export(fmt: str):
    """Each association's volunteer hours and their value for a year or a month (the network hours page's table)."""
    from intranet.volunteers import hours

    year = arg_int("year", today_in("Europe/Paris").year, min=2000, max=2100)
    month = arg_int("month", min=1, max=12)
    lines = hours.by_association(*hours.period(year, month))
    table = exports.Table("Heures par association", [
        "Association", "Séances d’accompagnement (h)", "Formations suivies (h)", "Autres activités (h)", "Total (h)",
        "Valorisation (€)"], [[line.name, *(line.totals.hours(k) for k in hours.KINDS), line.totals.hours(),
                               line.totals.euros] for line in lines])
    settings = {"year": year, "month": month} if month else {"year": year}
    log_export("volunteer_hours", len(lines), settings)
    return exports.download(table, fmt, f"heures-benevoles-reseau-{year}" + (f"-{month:02d}" if month else ""))
