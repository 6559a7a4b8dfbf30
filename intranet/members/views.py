"""The association admin's page of members: invite, change roles, deactivate."""

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func
from sqlalchemy.orm import contains_eager, joinedload

from intranet.actions import confirmed, posted
from intranet.args import arg_str, paginate
from intranet.auth.models import User
from intranet.extensions import htmx
from intranet.forms import EmptyForm, show_rule_error
from intranet.members import services
from intranet.members.forms import InviteForm, RoleForm
from intranet.members.models import INVITED, Membership
from intranet.rendering import render
from intranet.rules import RuleError
from intranet.search import matches
from intranet.tenancy import Role, association_blueprint, get_or_404, scoped
from intranet.transactions import abandon

bp = association_blueprint("members", __name__, role="admin")


def _load(membership_id: int) -> Membership:
    return get_or_404(Membership, membership_id, joinedload(Membership.user))


def _members_page(q: str):
    query = scoped(Membership).join(Membership.user).options(contains_eager(Membership.user))
    # Until the person accepts, the association knows them by the name it typed (Membership.display_name).
    name = case((Membership.accepted_at.is_(None), func.coalesce(Membership.invited_name, User.name)), else_=User.name)
    if q:
        query = query.where(matches(Membership.search_key, q))  # accents and case ignored: Hélène is "helene"
    query = query.order_by(Membership.active.desc(), (Membership.state == INVITED).desc(), name, Membership.id)
    return paginate(query)


def _list(invite_form: InviteForm | None = None, status: int = 200):
    q = arg_str("q")
    response = render(
        "members/page.html", "member_list",
        members=_members_page(q), q=q, invite_form=invite_form or InviteForm(),
        empty_form=EmptyForm(),
    )
    response.status_code = status
    return response


@bp.get("/members")
def index():
    return _list()


@bp.post("/members")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _list(form, 422)
    try:
        membership = services.invite(
            g.association, email=form.email.data, name=form.name.data, role=form.role.data, invited_by=current_user
        )
    except RuleError as error:
        show_rule_error(form, error, field="email")
        return _list(form, 422)
    # The same message whether or not the address already had an account.
    flash(_("Invitation envoyée à %(email)s.", email=membership.user.email), "success")
    return redirect(url_for("members.index"))


@bp.post("/members/<int:membership_id>/role")
def change_role(membership_id: int):
    membership = _load(membership_id)
    form = RoleForm()
    message, ok = None, form.validate_on_submit()
    if ok:
        try:
            services.change_role(membership, form.role.data)
            message = _("%(name)s a maintenant le rôle « %(role)s ».", name=membership.display_name,
                        role=Role.label_of(membership.role))
        except RuleError as error:
            abandon()
            ok, message = False, str(error)
    else:
        message = _("Ce rôle n’existe pas.")
    if htmx:
        return render("members/_row.html", announce=message, membership=membership,
                      empty_form=EmptyForm(), row_error=None if ok else message)
    flash(message, "success" if ok else "error")
    return redirect(url_for("members.index"))


@bp.route("/members/<int:membership_id>/deactivate", methods=["GET", "POST"])
def deactivate(membership_id: int):
    membership = _load(membership_id)
    name, email, back = membership.display_name, membership.user.email, url_for("members.index")
    if membership.pending:
        page = dict(question=_("Annuler l’invitation de %(name)s ?", name=name),
                    explanation=_("Le lien envoyé à %(email)s ne fonctionnera plus. Vous pourrez inviter cette personne "
                                  "à nouveau plus tard.", email=email),
                    confirm_label=_("Oui, annuler l’invitation"), back_label=_("Garder l’invitation"))
    else:
        page = dict(question=_("Retirer l’accès de %(name)s ?", name=name),
                    explanation=_("%(name)s (%(email)s) ne pourra plus se connecter à l’espace de %(association)s. Son "
                                  "historique (séances, notes) est conservé, et vous pourrez le réactiver plus tard.",
                                  name=name, email=email, association=g.association.name),
                    confirm_label=_("Oui, retirer l’accès"))
    return confirmed(
        lambda: services.deactivate(membership, current_user), then=back, back_url=back,
        done=_("L’invitation de %(name)s est annulée : son lien ne fonctionne plus.", name=name)
        if membership.accepted_at is None else _("L’accès de %(name)s est retiré. Son historique est conservé.", name=name),
        **page)


@bp.post("/members/<int:membership_id>/reactivate")
def reactivate(membership_id: int):
    membership = _load(membership_id)
    return posted(
        lambda: services.reactivate(membership, current_user),
        done=lambda restored: _("%(name)s a de nouveau accès à l’association.", name=membership.display_name)
        if restored else _("Invitation envoyée à %(email)s.", email=membership.user.email),
        then=url_for("members.index"))


@bp.post("/members/<int:membership_id>/resend")
def resend(membership_id: int):
    membership = _load(membership_id)
    first = membership.never_invited
    return posted(lambda: services.resend_invitation(membership, current_user), then=url_for("members.index"),
                  done=_("Invitation envoyée à %(email)s.", email=membership.user.email) if first else
                  _("Invitation renvoyée à %(email)s. Le lien précédent ne fonctionne plus.",
                    email=membership.user.email))
