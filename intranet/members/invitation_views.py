"""The page an invitation's link opens: someone new chooses a password, anyone else signs in, then accepts or
declines. The members feature sends the invitations, so it answers them; the account pieces come from auth."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth import sessions
from intranet.auth.forms import NewPasswordForm
from intranet.forms import EmptyForm
from intranet.members import services
from intranet.members.models import Membership

bp = Blueprint("invitations", __name__)


def _link_error(reason: str):
    """The page of a link that opens nothing (shared with auth's password links)."""
    return render_template("auth/link_error.html", reason=reason, purpose="invitation"), 404 if reason == "invalid" else 410


def _landing(membership: Membership) -> str:
    if membership.role == "volunteer":
        return url_for("me.index")
    return url_for("space.dashboard", slug=membership.association.slug)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Join one association: someone new chooses a password, anyone else signs in, then accepts or declines."""
    try:
        membership = services.find_invitation(token)
    except services.InvitationError as error:
        return _link_error(str(error))
    user = membership.user
    if current_user.is_authenticated and current_user.id != user.id:
        # The same answer whether or not the address has an account.
        return render_template("members/invitation_elsewhere.html"), 403
    if services.needs_password(user):
        return _choose_password(membership)
    if not current_user.is_authenticated:
        flash(_("Connectez-vous pour répondre à l’invitation de %(association)s.",
                association=membership.association.name), "info")
        return redirect(url_for("auth.login", next=request.path))
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            if request.form.get("answer") == "decline":
                services.decline_invitation(membership, user)
                flash(_("Vous avez décliné l’invitation de %(association)s.",
                        association=membership.association.name), "info")
                return redirect(url_for("home.index"))
            services.accept_invitation(membership, user)
        except services.InvitationError as error:  # the error page's status rolls the request back
            return _link_error(str(error))
        flash(_("Vous avez rejoint %(association)s.", association=membership.association.name), "success")
        return redirect(_landing(membership))
    return render_template("members/invitation.html", membership=membership, form=form)


def _choose_password(membership: Membership):
    user = membership.user
    form = NewPasswordForm(user=user)
    if form.validate_on_submit():
        try:
            services.accept_invitation(membership, user, form.password.data)
        except services.InvitationError as error:
            return _link_error(str(error))
        sessions.start(user)
        flash(_("Votre mot de passe est enregistré. Bienvenue, %(name)s !", name=user.name), "success")
        return redirect(_landing(membership))
    return render_template("auth/choose_password.html", form=form, user=user, purpose="invitation",
                           membership=membership)
