"""Sign in and out, forgotten passwords, one's own account (invitations are answered by members)."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from intranet.args import arg_str
from intranet.auth import services, sessions
from intranet.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    DigestForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from intranet.extensions import db
from intranet.forms import EmptyForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """A path of this site to go back to after sign-in, or the home page.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" or "/\t/evil"
    would leave the site: only a plain path is kept.
    """
    target = target or ""
    parts = urlsplit(target)
    if (target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc
            and "\\" not in target and not any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.wait:
            error = (ngettext("Trop de tentatives. Réessayez dans %(num)d seconde.",
                              "Trop de tentatives. Réessayez dans %(num)d secondes.", result.wait)
                     if result.wait < 60 else
                     ngettext("Trop de tentatives. Réessayez dans %(num)d minute.",
                              "Trop de tentatives. Réessayez dans %(num)d minutes.", max(1, round(result.wait / 60))))
        elif result.user is None:
            error = _("Adresse e-mail ou mot de passe incorrect.")
        else:
            sessions.start(result.user)
            return redirect(_safe_next(arg_str("next", max_length=2000)))
        status = 429 if result.wait else 401
        db.session.commit()  # the failed attempt counts although the request fails: the throttle reads it
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        sessions.sign_out(current_user)
        flash(_("Vous êtes déconnecté·e."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, request.remote_addr or "")
        flash(_("Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe "
                "vient d’y être envoyé. Il est valable une heure."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.read_token(token, services.PASSWORD_RESET)
    except services.TokenError as error:
        return _link_error(str(error), services.PASSWORD_RESET)
    form = NewPasswordForm(user=user)
    if form.validate_on_submit():
        services.complete_with_password(user, form.password.data)
        sessions.start(user)
        flash(_("Votre mot de passe est enregistré. Bienvenue, %(name)s !", name=user.name), "success")
        return redirect(url_for("home.index"))
    return render_template("auth/choose_password.html", form=form, user=user, purpose=services.PASSWORD_RESET)


def _link_error(reason: str, purpose: str):
    return render_template("auth/link_error.html", reason=reason, purpose=purpose), 404 if reason == "invalid" else 410


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data
        flash(_("Vos préférences sont enregistrées."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, digest_form=_digest_form())


def _digest_memberships():
    return [m for m in current_user.memberships
            if m.active and m.association.active and m.role in ("staff", "admin")]


def _digest_form(formdata=None) -> DigestForm:
    """The person's own staff memberships are the only choices: nobody else's can be changed."""
    memberships = _digest_memberships()
    form = DigestForm(formdata=formdata) if formdata is not None else DigestForm(formdata=None)
    form.memberships.choices = [
        (m.id, _("Recevoir le récapitulatif quotidien de %(association)s", association=m.association.name))
        for m in memberships]
    if formdata is None:
        form.memberships.data = [m.id for m in memberships if m.digest]
    return form


@bp.post("/account/digest")
@login_required
def digest():
    form = _digest_form(request.form)
    if form.validate_on_submit():
        chosen = set(form.memberships.data or [])
        for membership in _digest_memberships():
            membership.digest = membership.id in chosen
        flash(_("Vos préférences sont enregistrées."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=AccountForm(obj=current_user), digest_form=form), 422


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(user=user)
    if form.validate_on_submit():
        if services.check_password(user, form.current.data):
            services.complete_with_password(user, form.password.data)  # ends every session, this one included
            sessions.start(user)  # then opens a new one here
            flash(_("Votre mot de passe est changé."), "success")
            return redirect(url_for("auth.account"))
        form.current.errors.append(_("Ce n’est pas votre mot de passe actuel."))
    return render_template("auth/change_password.html", form=form)
