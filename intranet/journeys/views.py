"""Journeys on a beneficiary's file: start one, follow each module, record exit and follow-up."""

from collections import defaultdict

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from intranet.args import arg_choice, arg_ints
from intranet.beneficiaries.models import Beneficiary
from intranet.clock import today_in
from intranet.extensions import htmx
from intranet.forms import show_rule_error
from intranet.journeys import services
from intranet.journeys.forms import ExitForm, FollowUpForm, ModuleProgressForm
from intranet.journeys.models import ExitSituation, FollowUpResult, Journey, JourneyModule, ModuleStatus
from intranet.programs.services import local_modules
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404
from intranet.transactions import abandon

bp = association_blueprint("journeys", __name__, role="staff")


def _today():
    return today_in(g.association.timezone)


def _file_url(beneficiary_id: int, anchor: str = "journeys") -> str:
    return url_for("beneficiaries.show", beneficiary_id=beneficiary_id) + f"#{anchor}"


@bp.route("/beneficiaries/<int:beneficiary_id>/journeys/new", methods=["GET", "POST"])
def start(beneficiary_id: int):
    beneficiary = get_or_404(Beneficiary, beneficiary_id)
    chosen = arg_ints("module", request.form if request.method == "POST" else None)
    error = None
    if request.method == "POST":
        try:
            journey = services.start(beneficiary, chosen, _today())
        except RuleError as exc:
            abandon()
            error = str(exc)
        else:
            flash(ngettext("Parcours démarré avec %(num)d module.", "Parcours démarré avec %(num)d modules.",
                           len(journey.modules)), "success")
            return redirect(_file_url(beneficiary.id, f"journey-{journey.id}"))
    by_program = defaultdict(list)
    for module in local_modules(g.association.id):
        by_program[module.program_name].append(module)
    selected = services.chosen_modules(g.association.id, chosen)
    block = arg_choice("part", ("summary",), "start_form")
    return render("journeys/new.html", block, b=beneficiary, by_program=by_program, chosen=set(chosen),
                  selected=selected, error=error), 422 if error else 200


def _load_item(journey_module_id: int) -> JourneyModule:
    return get_or_404(JourneyModule, journey_module_id,
                      joinedload(JourneyModule.journey).joinedload(Journey.beneficiary))


def _progress_form(item: JourneyModule, from_request: bool = True) -> ModuleProgressForm:
    form = ModuleProgressForm(obj=item) if from_request else ModuleProgressForm(formdata=None, obj=item)
    form.coach_id.choices = [("", _("Non attribué"))] + [(u.id, u.name) for u in services.coaches(item.association_id)]
    return form


@bp.route("/journey-modules/<int:journey_module_id>", methods=["GET", "POST"])
def update_module(journey_module_id: int):
    item = _load_item(journey_module_id)
    form = _progress_form(item)
    announce = None
    if form.validate_on_submit():
        try:
            services.update_module(item, status=form.status.data, happened_on=form.happened_on.data,
                                   coach_id=form.coach_id.data, notes=form.notes.data or "", today=_today())
        except RuleError as exc:
            show_rule_error(form, exc)
            item = _load_item(journey_module_id)
        else:
            if not htmx:
                flash(_("« %(name)s » : %(status)s.", name=item.name, status=ModuleStatus.label_of(item.status)),
                      "success")
                return redirect(_file_url(item.journey.beneficiary_id, f"journey-module-{item.id}"))
            announce = _("« %(name)s » : %(status)s.", name=item.name, status=ModuleStatus.label_of(item.status))
            form = _progress_form(item, from_request=False)
    status = 422 if form.errors else 200
    context = {"item": item, "form": form, "open_form": bool(form.errors), "coaches": services.coaches(item.association_id)}
    if htmx:
        return render("journeys/_module.html", announce=announce, **context), status
    return render("journeys/module_page.html", **context), status


@bp.route("/journeys/<int:journey_id>/exit", methods=["GET", "POST"])
def exit_journey(journey_id: int):
    journey = get_or_404(Journey, journey_id, joinedload(Journey.beneficiary))
    form = ExitForm()
    if request.method == "GET" and not form.exited_on.data:
        form.exited_on.data = _today()
    if form.validate_on_submit():
        try:
            services.exit_journey(journey, exited_on=form.exited_on.data, situation=form.situation.data,
                                  today=_today())
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Sortie enregistrée : %(situation)s.", situation=ExitSituation.label_of(journey.exit_situation)), "success")
            return redirect(_file_url(journey.beneficiary_id, f"journey-{journey.id}"))
    return render("journeys/exit.html", journey=journey, form=form), 422 if form.errors else 200


@bp.route("/journeys/<int:journey_id>/follow-up", methods=["GET", "POST"])
def follow_up(journey_id: int):
    journey = get_or_404(Journey, journey_id, joinedload(Journey.beneficiary))
    form = FollowUpForm()
    if request.method == "GET" and not form.on.data:
        form.on.data = _today()
    if form.validate_on_submit():
        try:
            services.record_follow_up(journey, result=form.result.data, on=form.on.data, today=_today())
        except RuleError as exc:
            show_rule_error(form, exc)
        else:
            flash(_("Suivi à six mois enregistré : %(result)s.", result=FollowUpResult.label_of(journey.follow_up_result)),
                  "success")
            return redirect(_file_url(journey.beneficiary_id, f"journey-{journey.id}"))
    return render("journeys/follow_up.html", journey=journey, form=form), 422 if form.errors else 200
