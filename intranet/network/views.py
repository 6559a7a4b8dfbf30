"""The network office: every association at a glance, new associations, their first admin."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.actions import confirmed, posted
from intranet.args import paginate
from intranet.extensions import db
from intranet.forms import EmptyForm, show_rule_error
from intranet.members import services as members
from intranet.members.forms import InviteForm
from intranet.members.models import Membership
from intranet.network import services
from intranet.network.forms import AssociationForm
from intranet.network.models import Association
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.tenancy import network_blueprint

bp = network_blueprint("network", __name__)


@bp.get("/associations")
def index():
    return render("network/index.html", rows=paginate(services.overview()))


@bp.route("/associations/new", methods=["GET", "POST"])
def create():
    form = AssociationForm()
    if form.validate_on_submit():
        try:
            association = services.create_association(
                name=form.name.data, slug=form.slug.data or "", kind=form.kind.data, city=form.city.data or "",
                department_code=form.department_code.data or "", timezone=form.timezone.data,
            )
        except RuleError as error:
            show_rule_error(form, error)
        else:
            flash(_("L’association %(name)s est créée. Invitez maintenant son administrateur·rice.",
                    name=association.name), "success")
            return redirect(url_for("network.show", association_id=association.id))
    return render("network/new.html", form=form), 422 if form.errors else 200


def _show(association: Association, invite_form: InviteForm | None = None, status: int = 200):
    members = db.session.scalars(
        select(Membership).options(joinedload(Membership.user))
        .where(Membership.association_id == association.id, Membership.role == "admin")
        .order_by(Membership.active.desc(), Membership.id)
    ).all()
    invite_form = invite_form or InviteForm(role="admin")
    return render("network/show.html", association=association, admins=members, invite_form=invite_form,
                  empty_form=EmptyForm()), status


@bp.get("/associations/<int:association_id>")
def show(association_id: int):
    return _show(db.get_or_404(Association, association_id))


@bp.post("/associations/<int:association_id>/invite")
def invite_admin(association_id: int):
    association = db.get_or_404(Association, association_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _show(association, form, 422)
    try:
        members.invite(association, email=form.email.data, name=form.name.data, role="admin", invited_by=current_user)
    except RuleError as error:
        show_rule_error(form, error, field="email")
        return _show(association, form, 422)
    flash(_("Invitation envoyée à %(email)s.", email=form.email.data), "success")
    return redirect(url_for("network.show", association_id=association.id))


@bp.route("/associations/<int:association_id>/deactivate", methods=["GET", "POST"])
def deactivate(association_id: int):
    association = db.get_or_404(Association, association_id)
    back = url_for("network.show", association_id=association.id)
    return confirmed(
        lambda: services.set_active(association, False), then=back,
        done=_("L’espace de %(name)s est fermé. Ses données sont conservées.", name=association.name),
        question=_("Fermer l’espace de %(name)s ?", name=association.name),
        explanation=_("Plus personne ne pourra travailler dans cet espace. Toutes ses données sont conservées et "
                      "l’espace peut être rouvert à tout moment."),
        confirm_label=_("Oui, fermer l’espace"), back_url=back)


@bp.post("/associations/<int:association_id>/reactivate")
def reactivate(association_id: int):
    association = db.get_or_404(Association, association_id)
    return posted(lambda: services.set_active(association, True),
                  done=_("L’espace de %(name)s est rouvert.", name=association.name),
                  then=url_for("network.show", association_id=association.id))
