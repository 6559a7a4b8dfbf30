"""Programs: the network office edits modules, each association chooses and adapts its own."""

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _

from intranet.extensions import db
from intranet.programs import services
from intranet.programs.forms import AdaptationForm, ModuleForm, ProgramOfferForm
from intranet.programs.models import Module, Program
from intranet.rendering import render
from intranet.tenancy import association_blueprint, network_blueprint

bp = association_blueprint("programs", __name__, role="admin")
network_bp = network_blueprint("network_programs", __name__)


# --- network office ------------------------------------------------------------------


@network_bp.get("/programs")
def index_network():
    return render("programs/network.html", programs=services.programs())


@network_bp.route("/programs/<int:program_id>/modules/new", methods=["GET", "POST"])
def create_module(program_id: int):
    program = db.get_or_404(Program, program_id)
    return _edit_module(Module(program_id=program.id, position=len(program.modules) + 1), program)


@network_bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
def edit_module(module_id: int):
    module = db.get_or_404(Module, module_id)
    return _edit_module(module, module.program)


def _edit_module(module: Module, program: Program):
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in (
            "name", "description", "duration_minutes", "mode", "position", "qualification", "resource_kind", "capacity",
            "active")}
        fields["position"] = fields["position"] or 0
        services.save_module(module, **fields)
        flash(_("Le module « %(name)s » est enregistré.", name=module.name), "success")
        return redirect(url_for("network_programs.index_network"))
    return render("programs/module_form.html", form=form, module=module, program=program), 422 if form.errors else 200


# --- an association's own offer ---------------------------------------------------------


def _page(forms: dict | None = None, status: int = 200):
    modules = services.local_modules(g.association.id, offered_only=False)
    offered = services.offered_programs(g.association.id)
    forms = forms or {}
    adaptation_forms = {m.id: forms.get(m.id) or AdaptationForm(
        formdata=None, module_id=m.id, offered=m.offered, name=m.name, duration_minutes=m.duration_minutes,
        description=m.description) for m in modules}
    return render("programs/association.html", programs=services.programs(), modules=modules, offered=offered,
                  adaptation_forms=adaptation_forms, offer_form=ProgramOfferForm), status


@bp.get("/programs")
def index():
    return _page()


@bp.post("/programs/offer")
def offer():
    form = ProgramOfferForm()
    program = db.session.get(Program, form.program_id.data) if form.program_id.data else None
    if not form.validate_on_submit() or program is None:
        abort(400)
    services.set_program_offered(g.association.id, program.id, form.offered.data)
    flash(_("« %(name)s » est proposé.", name=program.name) if form.offered.data
          else _("« %(name)s » n’est plus proposé.", name=program.name), "success")
    return redirect(url_for("programs.index"))


@bp.post("/programs/adapt")
def adapt():
    form = AdaptationForm()
    module = db.session.get(Module, form.module_id.data) if form.module_id.data else None
    if module is None:
        abort(400)
    if not form.validate_on_submit():
        return _page({module.id: form}, 422)
    services.adapt_module(g.association.id, module, offered=form.offered.data, name=form.name.data or "",
                          description=form.description.data or "", duration_minutes=form.duration_minutes.data)
    flash(_("Le module « %(name)s » est enregistré pour votre association.", name=form.name.data or module.name),
          "success")
    return redirect(url_for("programs.index") + f"#module-{module.id}")
