"""The association's beneficiaries: the list with search and filters, the file, its changes."""

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from intranet.actions import confirmed, posted
from intranet.args import arg_choice, arg_int, arg_str, paginate
from intranet.audit.services import history
from intranet.beneficiaries import services
from intranet.beneficiaries.forms import BeneficiaryForm, StatusForm
from intranet.beneficiaries.models import Beneficiary, BeneficiaryStatus
from intranet.beneficiaries.rules import age_band
from intranet.calendar.services import appointments_of
from intranet.clock import today_in
from intranet.forms import EmptyForm, show_rule_error
from intranet.journeys.services import coaches, journeys_of
from intranet.programs.services import programs
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import association_blueprint, get_or_404

bp = association_blueprint("beneficiaries", __name__, role="staff")


def _today():
    return today_in(g.association.timezone)


def _filters() -> services.Filters:
    return services.Filters(
        q=arg_str("q"), status=arg_choice("status", BeneficiaryStatus), program_id=arg_int("program", min=1),
        referrer=_referrer_filter(), interview_soon=arg_choice("interview", ("soon",)) == "soon",
        inactive=arg_choice("inactive", ("1",)) == "1", sort=arg_choice("sort", services.SORTS, "interview"),
    )


def _referrer_filter() -> str:
    """A partner's id, or "other" (a referrer outside the directory); anything else is no filter."""
    partner_id = arg_int("referrer", min=1)
    return str(partner_id) if partner_id else arg_choice("referrer", ("other",))


def _filter_args(filters: services.Filters) -> dict:
    """The list's settings as query arguments, for the pager's links."""
    args = {"q": filters.q, "status": filters.status, "program": filters.program_id, "referrer": filters.referrer,
            "interview": "soon" if filters.interview_soon else "", "inactive": "1" if filters.inactive else "",
            "sort": filters.sort if filters.sort != "interview" else ""}
    return {name: value for name, value in args.items() if value}


@bp.get("/beneficiaries")
def index():
    filters, today = _filters(), _today()
    results = paginate(services.search(g.association.id, filters, today))
    return render("beneficiaries/index.html", "results", results=results, filters=filters, today=today,
                  page_args=_filter_args(filters),
                  counters=services.counters(g.association.id, today), referrers=services.referrers(g.association.id),
                  programs=programs())


@bp.route("/beneficiaries/new", methods=["GET", "POST"])
def create():
    form = BeneficiaryForm()
    form.set_referrer_choices(g.association.id)
    duplicates = []
    if form.validate_on_submit():
        data = form.data_for_file()
        if not request.form.get("confirm_duplicate"):
            duplicates = services.find_duplicates(
                g.association.id, email=data["email"], phone=data["phone"], first_name=data["first_name"],
                last_name=data["last_name"], birth_date=data["birth_date"])
        if not duplicates:
            try:
                beneficiary = services.create(g.association.id, data, form.consent_scope.data)
            except RuleError as error:
                show_rule_error(form, error)
            else:
                flash(_("La fiche de %(name)s est créée.", name=beneficiary.full_name), "success")
                return redirect(url_for("beneficiaries.show", beneficiary_id=beneficiary.id))
    status = 422 if form.errors or duplicates else 200
    return render("beneficiaries/form.html", form=form, duplicates=duplicates, beneficiary=None), status


def _load(beneficiary_id: int) -> Beneficiary:
    return get_or_404(Beneficiary, beneficiary_id)


@bp.get("/beneficiaries/<int:beneficiary_id>")
def show(beneficiary_id: int):
    beneficiary = _load(beneficiary_id)
    today = _today()
    return render("beneficiaries/show.html", b=beneficiary, journeys=journeys_of(beneficiary), today=today,
                  age_band=age_band(beneficiary.birth_date, today), history=history(beneficiary, 10),
                  status_form=StatusForm(formdata=None),
                  transitions=sorted(services.TRANSITIONS[beneficiary.status]), empty_form=EmptyForm(),
                  coaches=coaches(g.association.id), appointments=appointments_of(beneficiary))


@bp.route("/beneficiaries/<int:beneficiary_id>/edit", methods=["GET", "POST"])
def edit(beneficiary_id: int):
    beneficiary = _load(beneficiary_id)
    form = BeneficiaryForm(obj=beneficiary)
    form.set_referrer_choices(g.association.id, beneficiary)
    if form.validate_on_submit():
        try:
            changed = services.update(beneficiary, form.data_for_file(), form.consent_scope.data)
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("Fiche enregistrée.") if changed else _("Aucun changement."), "success")
            return redirect(url_for("beneficiaries.show", beneficiary_id=beneficiary.id))
    return render("beneficiaries/form.html", form=form, duplicates=[], beneficiary=beneficiary), \
        422 if form.errors else 200


@bp.post("/beneficiaries/<int:beneficiary_id>/status")
def change_status(beneficiary_id: int):
    beneficiary = _load(beneficiary_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.change_status(beneficiary, form.status.data)
        except RuleError as error:
            show_rule_error(None, error)
        else:
            flash(_("Statut : %(status)s.", status=BeneficiaryStatus.label_of(beneficiary.status)), "success")
    return redirect(url_for("beneficiaries.show", beneficiary_id=beneficiary.id))


@bp.route("/beneficiaries/<int:beneficiary_id>/deactivate", methods=["GET", "POST"])
def deactivate(beneficiary_id: int):
    beneficiary = _load(beneficiary_id)
    return confirmed(
        lambda: services.set_active(beneficiary, False), then=url_for("beneficiaries.index"),
        done=_("La fiche de %(name)s est désactivée. Elle reste consultable dans les fiches désactivées.",
               name=beneficiary.full_name),
        question=_("Désactiver la fiche de %(name)s ?", name=beneficiary.full_name),
        explanation=_("La fiche n’apparaîtra plus dans la liste. Rien n’est effacé : elle reste consultable parmi "
                      "les fiches désactivées et peut être réactivée."),
        confirm_label=_("Oui, désactiver"), back_url=url_for("beneficiaries.show", beneficiary_id=beneficiary.id))


@bp.post("/beneficiaries/<int:beneficiary_id>/reactivate")
def reactivate(beneficiary_id: int):
    beneficiary = _load(beneficiary_id)
    return posted(lambda: services.set_active(beneficiary, True),
                  done=_("La fiche de %(name)s est réactivée.", name=beneficiary.full_name),
                  then=url_for("beneficiaries.show", beneficiary_id=beneficiary.id))


@bp.app_template_filter("phone")
def phone_filter(phone: str) -> str:
    """A stored number in its country's national format (intranet.phones.format_phone)."""
    from intranet.phones import format_phone

    return format_phone(phone or "")
